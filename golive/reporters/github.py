"""GitHub Actions: the run as a job summary and annotations, rendered from the same `Run` as the other reporters.

Under GitHub Actions (`GITHUB_ACTIONS=true`) the plugin calls `write_summary(run, html=...)` with the other
artifacts and `print_annotations(run, ...)` with the terminal's summary (or on stdout when the preflight
stopped the run):

    $GITHUB_STEP_SUMMARY   Markdown appended: verdict, recommended action, why, blocking items with their
                           messages, findings, waivers, the preflight's unanswered endpoints, and where the
                           report is (the run's artifacts)
    stdout                 `::error` for each blocking item (and each endpoint the preflight could not get
                           into), `::warning` for each non-blocking finding: shown on the run's page

`summary(run)` and `annotations(run)` are pure (the model in, text out); the other two do the I/O.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

MAX_ROWS = 25  # rows per table; the report has the rest
MAX_ANNOTATIONS = 10  # GitHub shows at most 10 errors and 10 warnings per step


def active() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _cell(text) -> str:
    """Text for one Markdown table cell: one line, pipes escaped, at most 300 characters."""
    text = " ".join(str(text if text is not None else "").split()).replace("|", "\\|")
    return text if len(text) <= 300 else text[:299] + "…"


def _data(text: str) -> str:
    """A workflow command's message (GitHub's escaping)."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _run_url() -> str | None:
    server, repo, run_id = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None


def _decision(verdict: dict, preflight: dict) -> str:
    if preflight.get("blocking"):
        return "COULD NOT RUN"
    return verdict.get("decision", "NO-GO (INCOMPLETE)")


def summary(run, html: Path | None = None) -> str:
    """The job summary's Markdown for one run."""
    facts, result = run.facts, run.summary or {}
    verdict, preflight = result.get("verdict") or {}, facts.get("preflight") or {}
    decision = _decision(verdict, preflight)
    mark = {"GO": "✅", "GO WITH FINDINGS": "⚠️"}.get(decision, "⛔")
    out = [f"## {mark} golive: {decision} · {facts.get('environment', '?')} · {facts.get('selection_label', '')}", ""]
    out.append(f"**Recommended action:** {verdict.get('action', 'Do not proceed: the run did not finish')}  ")
    out.append(f"**Why:** {_cell(verdict.get('reason', ''))}  ")
    out.append(f"Exit code {result.get('exit_code', '?')} ({verdict.get('exit_name', '?')}) · cluster "
               f"{facts.get('cluster', '?')} · account {facts.get('account') or '-'} · run by {facts.get('operator', '?')}")
    stopped = [a for a in preflight.get("answers") or [] if a.get("blocks")]
    if stopped:
        out += ["", "### golive could not get in (nothing was checked)", "",
                "| endpoint | what happened | what to fix |", "|---|---|---|"]
        out += [f"| {_cell(a.get('endpoint'))} ({_cell(a.get('target'))}) | {_cell(a.get('detail'))} | "
                f"{_cell(a.get('fix'))} |" for a in stopped]
    for title, key in (("Blocking", "blocking"), ("Findings (not blocking)", "findings"),
                       ("Waived failures", "waived")):
        rows = verdict.get(key) or []
        if not rows:
            continue
        out += ["", f"### {title} ({len(rows)})", "", "| runbook item | severity | outcome | message |",
                "|---|---|---|---|"]
        for d in rows[:MAX_ROWS]:
            outcome = d.get("outcome", "") + (" (waiver expired)" if d.get("waiver") == "expired" else "")
            out.append(f"| `{_cell(d.get('runbook_id'))}` | {_cell(d.get('severity'))} | {_cell(outcome)} | "
                       f"{_cell(d.get('message'))} |")
        if len(rows) > MAX_ROWS:
            out.append(f"| … and {len(rows) - MAX_ROWS} more | | | see the report |")
    for why in verdict.get("incomplete") or []:
        if not why.startswith("preflight: "):
            out.append(f"- **incomplete:** {_cell(why)}")
    waivers = result.get("waivers") or facts.get("waivers") or []
    if waivers:
        out += ["", f"### Waivers ({len(waivers)})", "", "| runbook item | ticket | approver | expires | in this run |",
                "|---|---|---|---|---|"]
        out += [f"| `{_cell(w.get('item'))}` | {_cell(w.get('ticket'))} | {_cell(w.get('approver'))} | "
                f"{_cell(w.get('expires'))} ({_cell(w.get('status'))}) | {_cell(w.get('use', ''))} |" for w in waivers]
    unanswered = [a for a in preflight.get("answers") or [] if a.get("status") != "ok" and not a.get("blocks")]
    if unanswered:
        out += ["", "### Endpoints that did not answer the preflight", "", "| endpoint | what happened | what to do |",
                "|---|---|---|"]
        out += [f"| {_cell(a.get('endpoint'))} ({_cell(a.get('target'))}) | {_cell(a.get('status'))}: "
                f"{_cell(a.get('detail'))} | {_cell(a.get('fix'))} |" for a in unanswered]
    page = Path(html).name if html else None
    where = f" ([this run]({_run_url()}))" if _run_url() else ""
    out += ["", f"**Report:** `{page}` with its `.sha256`, the JUnit XML and the JSONL stream are in this run's "
                f"artifacts{where}." if page else f"**Report:** see this run's artifacts{where}.", ""]
    return "\n".join(out)


def annotations(run) -> list[str]:
    """Workflow commands: an error per blocking item (or unreachable-by-golive endpoint), a warning per finding."""
    verdict = (run.summary or {}).get("verdict") or {}
    out = []
    for a in [a for a in (run.facts.get("preflight") or {}).get("answers") or [] if a.get("blocks")]:
        out.append(f"::error title={_property('golive could not run: ' + str(a.get('endpoint')))}::"
                   f"{_data(str(a.get('detail')) + '; ' + str(a.get('fix')))}")
    for d in (verdict.get("blocking") or [])[:MAX_ANNOTATIONS]:
        title = f"golive NO-GO: {d.get('runbook_id')} ({d.get('severity')}, {d.get('outcome')})"
        out.append(f"::error title={_property(title)}::{_data(d.get('message') or d.get('text') or '')}")
    for d in (verdict.get("findings") or [])[:MAX_ANNOTATIONS]:
        title = f"golive finding: {d.get('runbook_id')} ({d.get('severity')}, {d.get('outcome')})"
        out.append(f"::warning title={_property(title)}::{_data(d.get('message') or d.get('text') or '')}")
    return out


def write_summary(run, html: Path | None = None) -> None:
    """Append the summary to $GITHUB_STEP_SUMMARY (the annotations go where the terminal's lines go)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write(summary(run, html) + "\n")


def print_annotations(run, write=None) -> None:
    """Each annotation on a line of its own (`write`: the terminal's write_line; default stdout)."""
    for line in annotations(run):
        if write is not None:
            write(line)
        else:
            sys.stdout.write(line + "\n")
    sys.stdout.flush()
