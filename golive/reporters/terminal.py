"""The terminal's end of a run: the verdict, and for each failure what an on-call engineer needs.

For every result that did not pass: its sentence, what was observed and expected, and what to
do, in a few lines; never source code (golive runs hide pytest's tracebacks; the report keeps
pytest's failure text in its test log).
"""
from __future__ import annotations

import json
import re

from golive import outcomes as o

MAX_SHOWN = 10  # failures listed per group; the report has the rest
WIDTH = 160  # characters of an observed / expected value


def _short(value, width: int = WIDTH) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def lines_for(r) -> list[str]:
    """The lines for one result that did not pass: a header, then its sentence and what to do."""
    waiver = r.waiver or {}
    why = {o.WAIVED: f"waived until {waiver.get('expires', '?')} ({waiver.get('ticket', '?')})"}.get(r.outcome, r.outcome)
    if r.waiver_status == "expired":
        why += ", waiver EXPIRED"
    out = [f"{r.id}  [{r.severity}{' · ' + r.impact if r.impact else ''} · {why}]"]
    bad = [f for f in r.findings() if not f.get("ok")]
    if r.summarises:  # a criterion or a message: the items it names carry the detail
        failing = [re.split(r"[ :]", line, maxsplit=1)[0] for ev in r.evidence if isinstance(ev, dict)
                   for line in ev.get("failed", ev.get("failures", []))]
        out.append(f"    {len(failing)} of {len(r.summarises)} items it speaks for did not pass: "
                   + (_short(", ".join(failing), 400) if failing else o.brief(r.message, 400)))
        return out
    if not bad:
        out.append(f"    {o.brief(r.message, 400) or r.outcome}")
        return out
    for f in bad[:3]:
        out.append(f"    {o.brief(f.get('summary', ''), 400)}")
        if f.get("observed") not in (None, "", [], {}):
            out.append(f"      observed: {_short(f['observed'])}")
        if f.get("expected") not in (None, ""):
            out.append(f"      expected: {_short(f['expected'])}")
        if f.get("hint"):
            out.append(f"      what to do: {' '.join(f['hint'].split())}")  # the action, whole
    if len(bad) > 3:
        out.append(f"    … and {len(bad) - 3} more findings (see the report)")
    return out


def preflight_lines(record: dict | None) -> list[str]:
    """The preflight in a few lines: what answered, the identity, and each endpoint that did not answer."""
    if not record:
        return []
    if record.get("skipped"):
        return [f"Preflight: skipped ({record['skipped']}): golive's access and the target's identity were not checked"]
    answers = record.get("answers") or []
    if record.get("uses") == [] and not answers:
        return ["Preflight: the selection uses no endpoint: nothing was asked"]
    ident = record.get("identity") or {}
    ok = sum(a.get("status") == "ok" for a in answers)
    who = "; ".join(f"{label} {ident[key]}" for key, label in (("account", "account"), ("cluster", "cluster"),
                                                                ("api_server", "API server")) if ident.get(key))
    scope = " endpoints answered" if record.get("uses") is None else " endpoints the selection uses answered"
    out = [f"Preflight: {ok} of {len(answers)}{scope} in {record.get('seconds', 0):.2f} s"
           + (f"; {who}" if who else "") + (f"; {ident['binding']}" if ident.get("binding") else "")]
    for a in answers:
        if a.get("status") != "ok":
            out.append(f"  {a.get('endpoint')} ({a.get('target')}): {a.get('status')}: {_short(a.get('detail', ''), 300)}")
            if a.get("fix"):
                out.append(f"    what to do: {_short(a['fix'], 400)}")
    return out


def summary(tr, verdict, exit_code: int, exit_name: str, published, artifacts: dict, environment: str = "?",
            preflight: dict | None = None, updates: list | None = None) -> None:
    color = {"GO": "green", "GO WITH FINDINGS": "yellow"}.get(verdict.decision, "red")
    tr.write_sep("=", f"golive verdict: {verdict.decision} ({environment})", **{color: True, "bold": True})
    tr.write_line(f"Recommended action: {verdict.action}")
    tr.write_line(f"Why: {verdict.reason}")
    for line in preflight_lines(preflight):
        tr.write_line(line)
    for label, group, mark in (("Blocking", verdict.blocking, "✗"), ("Findings", verdict.findings, "!"),
                               ("Waived", verdict.waived, "~")):
        if not group:
            continue
        tr.write_line(f"{label}:")
        for r in group[:MAX_SHOWN]:
            first, *rest = lines_for(r)
            tr.write_line(f" {mark} {first}", **({"red": True} if mark == "✗" else {}))
            for line in rest:
                tr.write_line(line)
        if len(group) > MAX_SHOWN:
            tr.write_line(f"   … and {len(group) - MAX_SHOWN} more (see the report)")
    # What the run could not speak for: before the deploy (a manifest run), or with no incident open.
    for label, group in (("Not applicable before deploy ({n}, need the live cluster)",
                          [r for r in verdict.not_applicable if not o.no_incident(r)]),
                         (f"Not applicable ({{n}}, {o.NO_INCIDENT_OPEN})",
                          [r for r in verdict.not_applicable if o.no_incident(r)])):
        if group:
            shown = ", ".join(r.id for r in group[:MAX_SHOWN])
            more = f" … and {len(group) - MAX_SHOWN} more" if len(group) > MAX_SHOWN else ""
            tr.write_line(f"{label.format(n=len(group))}: {shown}{more}")
    for why in verdict.incomplete:
        tr.write_line(f" ✗ incomplete: {why}", red=True)
    for update in updates or []:  # T-0: each completed deployment phase's "During Deployment" message
        tr.write_line(f"During Deployment update: {update['phase']}: {update['status']}, next {update['next']} "
                      f"-> {update['message']}" + (f" ({update['posted']})" if update.get("posted") else ""))
    tr.write_line(f"Exit code {exit_code} ({exit_name}); `golive exit-codes` explains each code")
    for target, digest in published:
        tr.write_line(f"Report: {target}  (sha256 {digest[:16]}…, in {target.name}.sha256)")
    for kind, label in (("junit", "JUnit"), ("jsonl", "JSONL")):
        if kind in artifacts and artifacts[kind].is_file():
            tr.write_line(f"{label}: {artifacts[kind]}")
