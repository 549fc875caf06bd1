"""Communication lines as tests: the runbook's templates filled from what this run measured.

`announce` decides the status of the checks a message speaks for (GREEN: all passed; YELLOW:
only medium/low failures; RED: any critical/high failure or an undecided check), writes the
filled template under the run's reports folder (`messages/<environment>/`), and fails when the line the runbook wants to send
("Infrastructure status: GREEN") is not what was measured.
"""
from __future__ import annotations

import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

from golive import plugin
from golive.check import EVIDENCE, CheckFailed, outcomes
from golive.outcomes import blocks

# What each announced word requires of the measured status.
CLAIMS = {
    "GREEN": {"GREEN"},  # "Infrastructure status: GREEN", "Smoke tests: PASSED", "...: SUCCESS", "STABLE"
    "READY": {"GREEN", "YELLOW"},  # "Ready to proceed": nothing blocking
    "UPDATE": {"GREEN", "YELLOW", "RED"},  # "Send status update": honest whatever the status
}


def measured_status(results) -> tuple[str, list[str]]:
    failures = [(spec, exc) for spec, exc in results if exc is not None]
    if not failures:
        return "GREEN", []
    lines = [f"{spec.item_id} [{spec.impact.severity}]: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
             for spec, exc in failures]
    blocking = any(blocks(spec.impact.severity) or not isinstance(exc, AssertionError) for spec, exc in failures)
    return ("RED" if blocking else "YELLOW"), lines


def elapsed_text(seconds: float) -> str:
    """Time since the run started, as a message says it: `42 s`, `3 min 5 s`."""
    seconds = max(0, round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"


def _fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\[([^\]]+)\]", lambda m: values.get(m.group(1), m.group(0)), template)


def announce(request, *, template: str, claims: str, based_on, next_step: str = "", phase: str = "") -> Path:
    """Render `template` from the status of `based_on` checks; fail unless it supports `claims`."""
    config = request.config
    env = plugin.environment(config)
    book = plugin.book(config)
    spec = plugin.spec(request.node)
    status, failures = measured_status(outcomes(request, *based_on))
    leaf = book.by_id.get(spec.item_id)
    elapsed = elapsed_text(time.time() - plugin.started(config))
    issues = "None" if status == "GREEN" else ("Minor" if status == "YELLOW" else "Major")
    values = {
        "GREEN/YELLOW/RED": status,
        "SUCCESS/IN_PROGRESS/ISSUE": "SUCCESS" if status == "GREEN" else "ISSUE",
        "None/Minor/Major": issues,
        "Description": next_step or (leaf.text if leaf else ""),
        "Time": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "Phase Name": phase or (leaf.phase if leaf else ""),
        "Time elapsed": elapsed,
        "Total time": elapsed,
        "Next phase": next_step or "see runbook",
        "Additional details": "\n".join(failures) if failures else "All checks this message speaks for passed.",
        "Name": f"golive for {', '.join(leaf.team) if leaf and leaf.team else 'the deployment team'}",
    }
    body = _fill(book.templates[template], values)
    # The environment leads the subject: a rehearsal's message must never pass for production's.
    body, tagged = re.subn(r"^Subject: ", f"Subject: [{env.name}] ", body, count=1, flags=re.M)
    if not tagged:
        body = f"[{env.name}] {body}"
    header = f"Runbook line: {leaf.text if leaf else spec.item_id}\nEnvironment: {env.name}\nMeasured status: {status}\n"
    header += "".join(f"  failing: {line}\n" for line in failures) + "\n"
    out = plugin.reports_folder(config) / "messages" / env.name / (spec.item_id.replace("/", "__") + ".txt")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + body + "\n")
    evidence = {"message": str(out), "template": template, "measured_status": status,
                "claims": claims, "speaks_for": [c.golive_spec.item_id for c in based_on],
                "failures": failures, "text": body}
    EVIDENCE.get().append(evidence)
    if status not in CLAIMS[claims]:
        raise CheckFailed(f"cannot announce '{leaf.text if leaf else spec.item_id}': measured status is {status} "
                          f"({len(failures)} failing: {' | '.join(failures)[:600]})")
    if config.getoption("--golive-mutating"):  # only what the run measured, and only when asked to
        evidence["posted"] = _post_to_slack(env, header + body)
    return out


def _post_to_slack(env, text: str) -> str:
    """Post to the team's channel (opt-in: --golive-mutating). The webhook URL never reaches evidence."""
    url = os.environ.get(env.communications.slack_webhook_env)
    if not url:
        return f"not posted: {env.communications.slack_webhook_env} is not set"
    try:
        response = requests.post(url, json={"text": text}, timeout=(env.timeouts.connect_seconds,
                                                                    env.timeouts.read_seconds))
    except requests.RequestException as exc:
        raise CheckFailed(f"could not post the message to Slack: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise CheckFailed(f"Slack refused the message: HTTP {response.status_code} {response.text[:80]}")
    return "posted to Slack"
