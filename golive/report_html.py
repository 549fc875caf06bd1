"""The sign-off report's golive part, rendered from the run model (the same dicts the JSONL stream holds).

`sections(model)` is what pytest-html shows above its own test log: the verdict banner, the run's
facts and hashes, the results by runbook phase and section, charts, attestations, waivers,
communication messages, runbook coverage, the API ledger and the sign-off block. `page(model)`
wraps it into a standalone page (`golive report` rebuilds a report from a JSONL stream with it).
Static HTML and inline SVG only: no scripts, no external assets.
"""
from __future__ import annotations

import json
import math
import os
from datetime import datetime, timezone
from html import escape

OUTCOME_LABEL = {
    "passed": "PASSED", "failed": "FAILED", "error": "ERROR: could not decide",
    "attestation missing": "ATTESTATION MISSING", "waived": "WAIVED", "skipped": "SKIPPED: not decided",
}
VERDICT_CLASS = {"GO": "v-go", "GO WITH FINDINGS": "v-findings", "NO-GO": "v-nogo"}
PALETTE = ("#0969da", "#8250df", "#1a7f37", "#bc4c00", "#57606a", "#bf3989")
# Runbook phases before the production deployment (T-0): a rollback there means "do not deploy".
BEFORE_T0 = ("pre/", "contacts/", "t-24h/", "t-4h/", "t-2h/", "t-1h/", "t-30m/")
# Evidence keys rendered on their own; the rest go into the key/value table.
_SPECIAL = {"ok", "summary", "hint", "chart", "attempts", "attestation", "message", "text"}

CSS = """
body { display: flex; flex-direction: column; }
body > h1#title { order: 0; } body > p { order: 1; } body > .summary { order: 2; }
body > #results-table { order: 3; } body > #environment-header { order: 4; } body > #environment { order: 5; }
body > footer { order: 6; }
.summary__data > h2 { display: none; }
.summary__data { flex: none !important; }
.golive { color: #1f2328; font-size: 13px; max-width: 1250px; }
.golive h2 { font-size: 18px; color: #1f2328; margin: 26px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.golive h3 { font-size: 15px; margin: 18px 0 6px; }
.golive h4 { font-size: 13px; margin: 12px 0 4px; color: #57606a; text-transform: uppercase; letter-spacing: .04em; }
.golive p, .golive td, .golive th, .golive li { color: #1f2328; }
.golive a { color: #0969da; }
.golive code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.golive pre { white-space: pre-wrap; word-break: break-word; background: #f6f8fa; border: 1px solid #d0d7de;
  border-radius: 4px; padding: 6px 8px; margin: 2px 0; max-height: 320px; overflow: auto; font-size: 12px; color: #1f2328; }
.golive table { border-collapse: collapse; margin: 4px 0; }
.golive th, .golive td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
.golive th { background: #f6f8fa; }
.verdict { border-radius: 8px; padding: 16px 22px; margin: 10px 0 18px; color: #fff; }
.verdict * { color: #fff !important; }
.verdict.v-go { background: #1a7f37; } .verdict.v-findings { background: #9a6700; } .verdict.v-nogo { background: #cf222e; }
.verdict .decision { font-size: 40px; font-weight: 800; letter-spacing: .02em; line-height: 1.1; }
.verdict .action { font-size: 19px; margin-top: 6px; }
.verdict .reason { font-size: 14px; margin-top: 4px; }
.verdict ul { margin: 8px 0 0 18px; padding: 0; font-size: 13px; }
.verdict .exit { font-size: 12px; margin-top: 8px; opacity: .9; }
.badge { display: inline-block; border-radius: 3px; padding: 1px 6px; font-size: 11px; font-weight: 700; color: #fff; }
.o-passed { background: #1a7f37; } .o-failed { background: #cf222e; } .o-error { background: #8250df; }
.o-attestation-missing { background: #bc4c00; } .o-waived { background: #57606a; } .o-skipped { background: #6e7781; }
.sev { display: inline-block; border-radius: 3px; padding: 0 5px; font-size: 11px; border: 1px solid; }
.sev-critical { color: #cf222e; border-color: #cf222e; } .sev-high { color: #bc4c00; border-color: #bc4c00; }
.sev-medium { color: #9a6700; border-color: #9a6700; } .sev-low { color: #57606a; border-color: #57606a; }
details.check { border: 1px solid #d0d7de; border-radius: 4px; margin: 3px 0; background: #fff; }
details.check > summary { cursor: pointer; padding: 5px 8px; list-style-position: inside; }
details.check.bad { border-left: 5px solid #cf222e; background: #fff8f8; }
details.check.waived { border-left: 5px solid #57606a; }
details.check .body { padding: 4px 12px 10px 22px; }
.check .id { color: #57606a; } .check .dur { color: #57606a; float: right; }
.check .message { font-weight: 600; }
.finding { margin: 8px 0; } .finding .fs { margin: 4px 0; }
.finding.ok .fs::before { content: "\\2714  "; color: #1a7f37; } .finding.bad .fs::before { content: "\\2718  "; color: #cf222e; }
.hint { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 4px; padding: 4px 8px; }
.waiver-note { background: #eaeef2; border-radius: 4px; padding: 4px 8px; }
.counts td.n { text-align: right; min-width: 40px; }
.chart { margin: 8px 0; } .nochart { color: #57606a; font-style: italic; }
table.signoff td { height: 34px; min-width: 170px; }
.muted { color: #57606a; }
h2.testlog { margin-top: 34px; }
"""


def e(value) -> str:
    return escape("" if value is None else str(value))


def _json(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=2, default=str, ensure_ascii=False)


def _utc(ts) -> str:
    if ts in (None, ""):
        return ""
    if isinstance(ts, (int, float)):
        return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(ts)


def _duration(seconds) -> str:
    if seconds is None:
        return ""
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


def _badge(outcome: str) -> str:
    return f'<span class="badge o-{e(outcome.replace(" ", "-"))}">{e(OUTCOME_LABEL.get(outcome, outcome.upper()))}</span>'


def _sev(severity: str) -> str:
    return f'<span class="sev sev-{e(severity)}">{e(severity)}</span>' if severity else ""


# --- the page ---------------------------------------------------------------------------------


def sections(model: dict) -> str:
    run, results, summary = model["run"], model["results"], model.get("summary") or {}
    before_t0 = bool(results) and all((r.get("runbook_id") or "").startswith(BEFORE_T0) for r in results)
    parts = [f'<div class="golive" id="golive"><style>{CSS}</style>', _verdict(summary.get("verdict"), run, before_t0),
             _facts(run, summary), _counts(summary.get("verdict")), _charts(results), _results(results)]
    parts += [_attestations(results), _waivers(summary.get("waivers", run.get("waivers", []))),
              _messages(results, run), _coverage(summary.get("coverage")), _ledger(summary.get("ledger")),
              _signoff(run, summary), '<h2 class="testlog">Test log (pytest-html: every test, captured output)</h2>',
              "</div>"]
    return "\n".join(p for p in parts if p)


def page(model: dict) -> str:
    """A standalone report (no pytest-html table), e.g. rebuilt from a JSONL stream after a crash."""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"/><title>{e(title(model))}</title></head>'
            f'<body><h1 id="title">{e(title(model))}</h1>{sections(model)}</body></html>')


def title(model: dict) -> str:
    run = model["run"]
    verdict = ((model.get("summary") or {}).get("verdict") or {}).get("decision", "INCOMPLETE")
    phases = ", ".join(run.get("phases") or []) or run.get("selection_label", "")
    return f"Go-live validation · {run.get('environment', '?')} · {phases} · {verdict}"


def _verdict(verdict: dict | None, run: dict, before_t0: bool = False) -> str:
    if not verdict:
        return ('<section class="verdict v-nogo" id="verdict"><div class="decision">NO-GO (INCOMPLETE)</div>'
                '<div class="action">Recommended action: <b>Do not proceed</b></div><div class="reason">The run '
                'stopped before its summary was written: this report shows only the results streamed so far.</div>'
                '</section>')
    # The banner names what drove the decision; everything else is in the results below.
    groups = ("blocking",) if verdict["decision"] == "NO-GO" else ("findings", "waived")
    items = []
    for group in groups:
        for d in verdict.get(group, []):
            message = d.get("message") or ""
            message = message if len(message) <= 220 else message[:220] + "…"
            items.append(f"<li><code>{e(d['runbook_id'])}</code> {e(d['severity'])} · {e(d['outcome'])}"
                         f"{' (waiver expired)' if d.get('waiver') == 'expired' and group == 'blocking' else ''}"
                         f" · {e(d.get('impact') or '')}: {e(message)}</li>")
    items += [f"<li><b>incomplete</b>: {e(why)}</li>" for why in verdict.get("incomplete", [])]
    shown = items[:25] + ([f"<li>… and {len(items) - 25} more (see Results)</li>"] if len(items) > 25 else [])
    return (f'<section class="verdict {VERDICT_CLASS.get(verdict["decision"], "v-nogo")}" id="verdict">'
            f'<div class="decision">{e(verdict["decision"])}</div>'
            f'<div class="action">Recommended action: <b>{e(verdict["action"])}</b></div>'
            + ('<div class="reason">Before T-0 nothing is deployed yet: do not proceed to the next phase.</div>'
               if before_t0 and verdict["decision"] == "NO-GO" else "")
            + f'<div class="reason">{e(verdict["reason"])}</div>'
            + (f"<ul>{''.join(shown)}</ul>" if shown else "")
            + f'<div class="exit">Exit code {e(verdict.get("exit_code"))} ({e(verdict.get("exit_name"))}) · '
              f'{e(run.get("environment"))} · {e(_utc(run.get("started")))}</div></section>')


def _facts(run: dict, summary: dict) -> str:
    def digest(file, sha, absent="absent"):
        return f"<code>{e(file)}</code><br/>SHA-256 <code>{e(sha)}</code>" if sha else f"<code>{e(file or '-')}</code> ({absent})"

    rows = [
        ("Environment", f"<b>{e(run.get('environment'))}</b> — {e(run.get('description'))}"),
        ("Cluster · region · account", f"{e(run.get('cluster'))} · {e(run.get('region'))} · {e(run.get('account') or '-')}"),
        ("Selection", f"<code>{e(run.get('selection_label'))}</code> ({e(run.get('selection'))})"),
        ("Phases checked", e(", ".join(run.get("phases") or []) or "-")),
        ("Run by", e(run.get("operator"))),
        ("Started · finished (UTC)", f"{e(_utc(run.get('started')))} · {e(_utc(summary.get('finished')))}"),
        ("Duration", e(_duration(summary.get("duration_s")))),
        ("golive · git revision", f"{e(run.get('golive_version'))} · <code>{e(run.get('git_revision'))}</code>"),
        ("Effective configuration", f"<code>{e(run.get('config_file'))}</code><br/>SHA-256 <code>{e(run.get('config_digest'))}</code>"),
        ("Runbook", digest(run.get("runbook_file"), run.get("runbook_sha256"))),
        ("Attestation ledger", digest(run.get("attestation_file"), run.get("attestation_sha256"), "absent: nothing attested")),
        ("Waiver file", digest(run.get("waiver_file"), run.get("waiver_sha256"), "absent: nothing waived")),
        ("Command", f"<code>{e(run.get('command'))}</code>"),
        ("Artifacts", "<br/>".join(f"{e(k)}: <code>{e(v)}</code>" for k, v in (run.get("artifacts") or {}).items())),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<section id="run"><h2>Run</h2><table class="facts">{body}</table></section>'


def _counts(verdict: dict | None) -> str:
    if not verdict or not verdict.get("counts"):
        return ""
    counts = verdict["counts"]
    outcomes = [o for o in OUTCOME_LABEL if any(o in per for per in counts.values())]
    head = "".join(f"<th>{_badge(o)}</th>" for o in outcomes)
    rows = "".join(f"<tr><th>{_sev(sev)}</th>" + "".join(f'<td class="n">{counts[sev].get(o, "")}</td>' for o in outcomes)
                   + "</tr>" for sev in ("critical", "high", "medium", "low") if sev in counts)
    return (f'<section id="counts"><h2>Outcomes by severity ({verdict.get("checked", 0)} checks)</h2>'
            f'<table class="counts"><tr><th>severity</th>{head}</tr>{rows}</table></section>')


def _groups(results: list[dict]):
    """Results by phase, then section, in runbook order."""
    phases: dict[str, dict[str, list[dict]]] = {}
    for r in sorted(results, key=lambda r: (r.get("order", 10**6), r.get("nodeid", ""))):
        phases.setdefault(r.get("phase") or "Tests outside the runbook", {}).setdefault(r.get("section") or "-", []).append(r)
    return phases


def _results(results: list[dict]) -> str:
    out = ['<section id="results"><h2>Results by runbook phase and section</h2>']
    if not results:
        out.append('<p class="muted">No check ran.</p>')
    for phase, by_section in _groups(results).items():
        rows = [r for rs in by_section.values() for r in rs]
        ok = sum(r["outcome"] == "passed" for r in rows)
        out.append(f"<h3>{e(phase)} <span class=\"muted\">({ok} of {len(rows)} passed)</span></h3>")
        for section, rs in by_section.items():
            out.append(f"<h4>{e(section)}</h4>")
            out += [_row(r) for r in rs]
    out.append("</section>")
    return "\n".join(out)


def _row(r: dict) -> str:
    outcome = r["outcome"]
    cls = "ok" if outcome == "passed" else ("waived" if outcome == "waived" else "bad")
    label = r.get("runbook_id") or r.get("nodeid")
    head = (f"<summary>{_badge(outcome)} <code class=\"id\">{e(label)}</code> {e(r.get('text'))} {_sev(r.get('severity', ''))}"
            f" <span class=\"muted\">{e(r.get('impact'))}</span><span class=\"dur\">{e(_duration(r.get('duration_s')))}"
            f"</span></summary>")
    body = []
    explained = any(isinstance(ev, dict) and ev.get("ok") is False for ev in r.get("evidence") or [])
    if outcome != "passed" and r.get("message") and not explained:  # a failing finding says it already
        body.append(f'<p class="message">{e(r["message"])}</p>')
    if r.get("waiver"):
        w = r["waiver"]
        what = ("waived" if outcome == "waived" else
                "waiver EXPIRED: this failure blocks" if w.get("status") == "expired" and outcome != "passed" else
                "waiver not needed: the check passed")
        raw = f" (check {r['raw_outcome']})" if r.get("raw_outcome") else ""
        body.append(f'<p class="waiver-note"><b>{e(what)}</b>{e(raw)}: {e(w.get("reason"))} — approved by '
                    f'{e(w.get("approver"))}, ticket {e(w.get("ticket"))}, expires {e(w.get("expires"))}</p>')
    body += [_finding(ev, r) for ev in r.get("evidence") or []]
    if r.get("calls"):
        calls = "; ".join(f"{c[0]} {c[1]} ({'ok' if c[2] else 'FAILED'}, {c[3]} s)" for c in r["calls"][:30])
        more = f" … {len(r['calls']) - 30} more" if len(r["calls"]) > 30 else ""
        body.append(f'<p class="muted">API calls made for this check: {e(calls)}{e(more)}</p>')
    if r.get("detail") and outcome not in ("passed",):
        body.append(f"<details><summary>pytest output</summary><pre>{e(r['detail'])}</pre></details>")
    is_open = " open" if cls != "ok" else ""
    return f'<details class="check {cls}"{is_open} id="{e(label)}">{head}<div class="body">{"".join(body)}</div></details>'


def _finding(ev: dict, r: dict) -> str:
    if not isinstance(ev, dict):
        return f"<pre>{e(_json(ev))}</pre>"
    parts = []
    if "summary" in ev:
        parts.append(f'<p class="fs">{e(ev["summary"])}</p>')
    rows = [(k, v) for k, v in ev.items() if k not in _SPECIAL and v not in (None, "", [], {})]
    if rows:
        parts.append("<table>" + "".join(f"<tr><th>{e(k)}</th><td><pre>{e(_json(v))}</pre></td></tr>" for k, v in rows)
                     + "</table>")
    if ev.get("hint") and not ev.get("ok", True):
        parts.append(f'<p class="hint"><b>What to do:</b> {e(ev["hint"])}</p>')
    if isinstance(ev.get("chart"), dict):
        parts.append(f'<div class="chart">{chart_svg(ev["chart"])}</div>')
    if isinstance(ev.get("attempts"), list):
        parts.append("<details><summary>attempts</summary><table><tr><th>t (s)</th><th>ok</th><th>summary</th></tr>"
                     + "".join(f"<tr><td>{e(a.get('t'))}</td><td>{e(a.get('ok'))}</td><td>{e(a.get('summary'))}</td></tr>"
                               for a in ev["attempts"] if isinstance(a, dict)) + "</table></details>")
    if isinstance(ev.get("attestation"), dict):
        a = ev["attestation"]
        parts.append(f"<p>Attestation: {e(a.get('role'))} — {e(a.get('by') or 'nobody')} at {e(a.get('at') or '-')}, "
                     f"valid until {e(a.get('expires') or '-')}" + (f", evidence {_link(a['evidence'])}" if a.get("evidence") else "")
                     + "</p>")
    if ev.get("message"):
        parts.append(f"<p>Message file: <code>{e(ev['message'])}</code></p>")
    if ev.get("text"):
        parts.append(f"<pre>{e(ev['text'])}</pre>")
    cls = "ok" if ev.get("ok", True) else "bad"
    return f'<div class="finding {cls}">{"".join(parts)}</div>'


def _link(url: str) -> str:
    if str(url).startswith(("http://", "https://")):
        return f'<a href="{e(url)}">{e(url)}</a>'
    return f"<code>{e(url)}</code>"


def _charts(results: list[dict]) -> str:
    charts = [(r, ev["chart"]) for r in results for ev in r.get("evidence") or []
              if isinstance(ev, dict) and isinstance(ev.get("chart"), dict)]
    if not charts:
        return ""
    body = "".join(f'<div class="chart"><p><code>{e(r.get("runbook_id"))}</code> {_badge(r["outcome"])}</p>{chart_svg(c)}</div>'
                   for r, c in charts)
    return f'<section id="charts"><h2>Charts</h2>{body}</section>'


def _attestations(results: list[dict]) -> str:
    # One row per attested item and role: a success criterion that summarises attested items carries
    # their attestations in its evidence too, under their own item IDs.
    texts = {r.get("runbook_id"): r.get("text") for r in results}
    seen, rows = set(), []
    for r in results:
        for ev in r.get("evidence") or []:
            a = ev.get("attestation") if isinstance(ev, dict) else None
            if not isinstance(a, dict):
                continue
            item = a.get("item") or r.get("runbook_id")
            if (item, a.get("role")) in seen:
                continue
            seen.add((item, a.get("role")))
            outcome = "passed" if a.get("ok") else "attestation missing"
            rows.append(f"<tr><td><code>{e(item)}</code><br/>{e(texts.get(item) or '')}</td><td>{e(a.get('role'))}</td>"
                        f"<td>{e(a.get('by') or '-')}</td><td>{e(a.get('at') or '-')}</td><td>{e(a.get('expires') or '-')}</td>"
                        f"<td>{_link(a['evidence']) if a.get('evidence') else '-'}</td><td>{_badge(outcome)}</td></tr>")
    if not rows:
        return '<section id="attestations"><h2>Attestations</h2><p class="muted">No attested item in this run.</p></section>'
    return ('<section id="attestations"><h2>Attestations</h2><table><tr><th>item</th><th>role</th><th>who</th>'
            '<th>when (UTC)</th><th>valid until</th><th>evidence</th><th>outcome</th></tr>' + "".join(rows) + "</table></section>")


def _waivers(waivers: list[dict]) -> str:
    if not waivers:
        return '<section id="waivers"><h2>Waivers</h2><p class="muted">No waiver in force for this environment.</p></section>'
    rows = "".join(
        f"<tr><td><code>{e(w['item'])}</code></td><td>{e(w['reason'])}</td><td>{e(w['approver'])}</td><td>{e(w['ticket'])}</td>"
        f"<td>{e(w['expires'])}<br/><span class=\"muted\">{'EXPIRED' if w.get('status') == 'expired' else 'in ' + e(w.get('expires_in_days')) + ' days'}</span></td>"
        f"<td>{e(w.get('use', '-'))}</td></tr>" for w in waivers)
    return ('<section id="waivers"><h2>Waivers</h2><table><tr><th>item</th><th>reason</th><th>approver</th><th>ticket</th>'
            '<th>expires (UTC)</th><th>in this run</th></tr>' + rows + "</table></section>")


def _messages(results: list[dict], run: dict) -> str:
    base = os.path.dirname(run.get("artifacts", {}).get("html") or "") or "."
    blocks = []
    for r in results:
        for ev in r.get("evidence") or []:
            if isinstance(ev, dict) and ev.get("message"):
                rel = os.path.relpath(ev["message"], base)
                blocks.append(f"<p><code>{e(r.get('runbook_id'))}</code> {_badge(r['outcome'])} template "
                              f"<b>{e(ev.get('template'))}</b>, measured <b>{e(ev.get('measured_status'))}</b>, claims "
                              f"<b>{e(ev.get('claims'))}</b>: <a href=\"{e(rel)}\">{e(ev['message'])}</a></p>"
                              f"<pre>{e(ev.get('text', ''))}</pre>")
    if not blocks:
        return ""
    return '<section id="messages"><h2>Communication messages</h2>' + "".join(blocks) + "</section>"


def _coverage(coverage: dict | None) -> str:
    if not coverage:
        return ""
    if coverage.get("error"):
        return (f'<section id="coverage"><h2>Runbook coverage</h2><p>Could not be computed: a check module does not '
                f'import ({e(coverage["error"])}).</p></section>')
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(coverage.get("by_kind", {}).items()))
    rows = "".join(f"<tr><td>{e(p['phase'])}</td><td class=\"n\">{p['leaves']}</td><td class=\"n\">{p['with_test']}</td>"
                   f"<td class=\"n\">{p['run']}</td><td class=\"n\">{p['passed']}</td></tr>" for p in coverage.get("phases", []))
    return (f'<section id="coverage"><h2>Runbook coverage</h2><p>{coverage["leaves"]} runbook leaves in '
            f'<code>{e(coverage.get("runbook"))}</code>: {coverage["with_test"]} have a check ({e(kinds)}), '
            f'<b>{coverage["leaves"] - coverage["with_test"]} have none</b> (a gap is never silent); this run checked '
            f'{coverage["run"]}.</p><table class="counts"><tr><th>phase</th><th>leaves</th><th>with a check</th>'
            f'<th>run now</th><th>passed</th></tr>{rows}</table></section>')


def _ledger(ledger: list[dict] | None) -> str:
    if not ledger:
        return '<section id="ledger"><h2>API ledger</h2><p class="muted">No API call recorded.</p></section>'
    rows = "".join(f"<tr><td>{e(c['source'])}</td><td><code>{e(c['call'])}</code></td><td class=\"n\">{c['count']}</td>"
                   f"<td class=\"n\">{c['failed'] or ''}</td><td class=\"n\">{c['seconds']:.3f}</td>"
                   f"<td><code>{e(c.get('first_by') or '')}</code></td></tr>" for c in ledger)
    total = sum(c["count"] for c in ledger)
    return (f'<section id="ledger"><h2>API ledger ({total} read-only calls)</h2><table class="counts"><tr><th>source</th>'
            f'<th>call</th><th>count</th><th>failed</th><th>seconds</th><th>first made for</th></tr>{rows}</table></section>')


def _signoff(run: dict, summary: dict) -> str:
    verdict = (summary.get("verdict") or {}).get("decision", "INCOMPLETE")
    roles = run.get("signoff_roles") or ["Deployment Lead"]
    name = os.path.basename((run.get("artifacts") or {}).get("html") or "report.html")
    rows = "".join(f"<tr><td>{e(role)}</td><td></td><td></td><td></td><td></td></tr>" for role in roles)
    return (f'<section id="signoff"><h2>Sign-off</h2><p>We reviewed this report: verdict <b>{e(verdict)}</b> for '
            f'<b>{e(run.get("environment"))}</b> ({e(", ".join(run.get("phases") or []))}), run <code>{e(run.get("name"))}</code>. '
            f'Its SHA-256 is in <code>{e(name)}.sha256</code> beside it; check with <code>sha256sum -c {e(name)}.sha256</code> '
            f'in that folder.</p><table class="signoff"><tr><th>role</th><th>name</th><th>signature</th><th>date (UTC)</th>'
            f'<th>GO / NO-GO</th></tr>{rows}</table></section>')


# --- charts -----------------------------------------------------------------------------------


def _num(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1e5 else f"{value:.2e}"


def chart_svg(chart: dict, width: int = 720, height: int = 250) -> str:
    """A line chart of `series` ({label: [[unix_ts, value], ...]}) with the threshold as a dashed red line."""
    title, unit, threshold = str(chart.get("title", "")), str(chart.get("unit", "")), _num(chart.get("threshold"))
    series = {}
    for label, points in (chart.get("series") or {}).items():
        clean = [(t, v) for t, v in ((_num(p[0]), _num(p[1])) for p in points or [] if isinstance(p, (list, tuple)) and len(p) == 2)
                 if t is not None and v is not None]
        series[str(label)] = sorted(clean)
    points = [p for pts in series.values() for p in pts]
    if not points:
        return f'<p class="nochart">{e(title)}: no data points to draw (no data is never a pass)</p>'
    t0, t1 = min(t for t, _ in points), max(t for t, _ in points)
    t1 = t1 if t1 > t0 else t0 + 1
    values = [v for _, v in points] + ([threshold] if threshold is not None else [])
    lo, hi = min(0.0, min(values)), max(values)
    hi = hi + (hi - lo) * 0.1 if hi > lo else lo + 1
    left, right, top, bottom = 70, 20, 30, 52
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(t):
        return left + (t - t0) / (t1 - t0) * plot_w

    def y(v):
        return top + (hi - v) / (hi - lo) * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="golive-chart" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{e(title)}"><title>{e(title)}</title>',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff" stroke="#d0d7de"/>',
           f'<text x="{left}" y="18" font-size="13" font-weight="bold" fill="#1f2328">{e(title)}</text>']
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eaeef2"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end" fill="#57606a">'
                   f'{e(_fmt(v))} {e(unit)}</text>')
    span = t1 - t0
    stamp = "%H:%M:%S" if span < 3600 else ("%H:%M" if span < 86400 else "%m-%d %H:%M")
    for i in range(5):
        t = t0 + span * i / 4
        label = datetime.fromtimestamp(t, timezone.utc).strftime(stamp)
        out.append(f'<text x="{x(t):.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle" fill="#57606a">'
                   f'{label}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#8c959f"/>'
               f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#8c959f"/>')
    for n, (label, pts) in enumerate(series.items()):
        color = PALETTE[n % len(PALETTE)]
        coords = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in pts)
        out.append(f'<polyline class="series" fill="none" stroke="{color}" stroke-width="1.8" points="{coords}"/>')
        if threshold is not None:
            out += [f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="2.5" fill="#cf222e"/>' for t, v in pts if v > threshold][:200]
        out.append(f'<rect x="{left + n * 160}" y="{height - 18}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{left + n * 160 + 14}" y="{height - 9}" font-size="11" fill="#1f2328">{e(label[:22])}</text>')
    if threshold is not None:
        ty = y(threshold)
        out.append(f'<line class="threshold" x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#cf222e" '
                   f'stroke-width="1.5" stroke-dasharray="6 4"/><text x="{width - right - 4}" y="{ty - 5:.1f}" font-size="11" '
                   f'text-anchor="end" fill="#cf222e">threshold {e(_fmt(threshold))} {e(unit)}</text>')
    out.append(f'<text x="{width - right}" y="{top + plot_h + 28}" font-size="10" text-anchor="end" fill="#57606a">'
               f'UTC, {datetime.fromtimestamp(t0, timezone.utc):%Y-%m-%d}</text></svg>')
    return "".join(out)
