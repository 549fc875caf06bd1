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
from golive.check import EVIDENCE, CheckFailed, outcomes, skip_if_only_not_run
from golive.outcomes import blocks, not_run_on_purpose

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


PLACEHOLDER = re.compile(r"\[([^\]]+)\]")


def fill(template: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """The template with its placeholders filled, and those left unfilled (`[Customer impact]`).

    A placeholder is looked up by the label of its line first ("Issue: [Description]" -> "Issue"), then by
    its own name: the incident templates use [Description] for Issue, Impact and Action alike.
    """
    unfilled: list[str] = []

    def one(line: str) -> str:
        label = line.split(": [", 1)[0].strip() if ": [" in line else None

        def value(m: re.Match) -> str:
            found = values.get(label) if label and label != m.group(1) else None
            found = found if found is not None else values.get(m.group(1))
            if found is None:
                unfilled.append(m.group(0))
                return m.group(0)
            return found
        return PLACEHOLDER.sub(value, line)

    return "\n".join(one(line) for line in template.split("\n")), unfilled


def status_values(status: str, failures: list[str], *, description: str, phase: str, elapsed: str,
                  next_step: str, team: tuple[str, ...] = ()) -> dict[str, str]:
    """What golive fills into the status-update templates (Pre-, During, Post-Deployment)."""
    return {
        "GREEN/YELLOW/RED": status,
        "SUCCESS/IN_PROGRESS/ISSUE": "SUCCESS" if status == "GREEN" else "ISSUE",
        "None/Minor/Major": "None" if status == "GREEN" else ("Minor" if status == "YELLOW" else "Major"),
        "Description": description,
        "Time": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "Phase Name": phase,
        "Time elapsed": elapsed,
        "Total time": elapsed,
        "Next phase": next_step or "see runbook",
        "Additional details": "\n".join(failures) if failures else "All checks this message speaks for passed.",
        "Name": signature(team),
    }


def signature(team: tuple[str, ...] = ()) -> str:
    return f"golive for {', '.join(team) if team else 'the deployment team'}"


def tag(body: str, env_name: str) -> str:
    """The environment leads the subject: a rehearsal's message must never pass for production's."""
    body, tagged = re.subn(r"^Subject: ", f"Subject: [{env_name}] ", body, count=1, flags=re.M)
    return body if tagged else f"[{env_name}] {body}"


def announce(request, *, template: str, claims: str, based_on, next_step: str = "", phase: str = "") -> Path:
    """Render `template` from the status of `based_on` checks; fail unless it supports `claims`."""
    config = request.config
    env = plugin.environment(config)
    book = plugin.book(config)
    spec = plugin.spec(request.node)
    results = outcomes(request, *based_on)
    status, failures = measured_status(results)
    leaf = book.by_id.get(spec.item_id)
    elapsed = elapsed_text(time.time() - plugin.started(config))
    values = status_values(status, failures, description=next_step or (leaf.text if leaf else ""),
                           phase=phase or (leaf.phase if leaf else ""), elapsed=elapsed, next_step=next_step,
                           team=leaf.team if leaf else ())
    body = tag(fill(book.templates[template], values)[0], env.name)
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
        skip_if_only_not_run(results)  # what it would claim waits for the lines left out, as they do
        raise CheckFailed(f"cannot announce '{leaf.text if leaf else spec.item_id}': measured status is {status} "
                          f"({len(failures)} failing: {' | '.join(failures)[:600]})")
    if config.getoption("--golive-mutating"):  # only what the run measured, and only when asked to
        evidence["posted"] = _post_to_slack(env, header + body)
    return out


def _post_to_slack(env, text: str) -> str:
    """Post to the team's channel (opt-in: --golive-mutating). The webhook URL never reaches evidence."""
    try:
        return post_to_slack(env, text)
    except SendFailed as exc:
        raise CheckFailed(str(exc)) from None


class SendFailed(Exception):
    """A message or a page could not be delivered (one line, never the URL or key)."""


def post_to_slack(env, text: str) -> str:
    url = os.environ.get(env.communications.slack_webhook_env)
    if not url:
        return f"not posted: {env.communications.slack_webhook_env} is not set"
    try:
        response = requests.post(url, json={"text": text}, timeout=(env.timeouts.connect_seconds,
                                                                    env.timeouts.read_seconds))
    except requests.RequestException as exc:
        raise SendFailed(f"could not post the message to Slack: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise SendFailed(f"Slack refused the message: HTTP {response.status_code} {response.text[:80]}")
    return "posted to Slack"


STATUS_TEMPLATES = ("Pre-Deployment", "During Deployment", "Post-Deployment")


def template_from_run(config, template: str):
    """A template line's check: `template` rendered from the run so far, every placeholder filled (a Finding)."""
    from golive.probes.incident import template_filled

    body, unfilled, source = render_from_run(config, template)
    return template_filled(template, body, unfilled, source)


def render_from_run(config, template: str) -> tuple[str, list[str], str]:
    """`template` filled from this session's results so far, as golive would send it: (text, unfilled, source).

    The status updates take the run's measured status; the incident messages the assessment of what did not pass
    (golive/incident.py), as `golive incident` renders them.
    """
    from golive import incident as incidents  # incident builds on this module

    env, book_ = plugin.environment(config), plugin.book(config)
    run = plugin.run_so_far(config)
    done = [r for r in run.results if r.runbook_id]
    source = f"this run ({len(done)} result(s) so far)"
    bad = [r for r in done if r.outcome != "passed"]
    status = "GREEN" if not bad else ("RED" if any(blocks(r.severity) for r in bad) else "YELLOW")
    elapsed = elapsed_text(time.time() - plugin.started(config))
    if template in STATUS_TEMPLATES:
        values = status_values(status, [r.line() for r in bad], description="the next runbook phase",
                               phase=done[-1].phase if done else "this run", elapsed=elapsed,
                               next_step="the next runbook phase")
    else:
        assessment = incidents.assess(run, {}, env.incident.rollback_minutes)
        values = incidents.incident_values(assessment, run_name=str(run.facts.get("name") or "this run"),
                                           env_name=env.name, at=datetime.now(timezone.utc))
    body, unfilled = fill(book_.templates.get(template, ""), values)
    return tag(body, env.name) if body else body, unfilled, source


def phase_updates(run, book_, env, *, started: float, folder: Path, mutating: bool = False) -> list[dict]:
    """The "During Deployment" update of each T-0 deployment phase this run completed (all of its selected lines
    have a result): phase, status, elapsed time, next phase. Written under messages/<environment>/; posted to
    Slack with --golive-mutating."""
    from golive import runbook as catalogue

    titles = dict(catalogue.PHASE_MARKERS)
    phases = list(catalogue.DEPLOY_PHASES.values())
    selected = set(run.nodeids)
    updates = []
    for n, marker in enumerate(phases, start=1):
        mine = [r for r in run.results if (r.runbook_id or "").startswith(f"t-0/phase{n}/")]
        if not mine or len(mine) < sum(1 for nodeid in selected if f"/t_zero/phase{n}/" in nodeid):
            continue  # the phase was not run, or not to its end
        if any(not_run_on_purpose(r.outcome, r.message) for r in mine):
            continue  # its deploy line was not run: the phase did not happen
        bad = [r for r in mine if r.outcome != "passed"]
        status = "GREEN" if not bad else ("RED" if any(blocks(r.severity) for r in bad) else "YELLOW")
        last = max(datetime.fromisoformat(r.finished.replace("Z", "+00:00")).timestamp() for r in mine if r.finished)
        next_phase = titles[phases[n]] if n < len(phases) else "T+15 Minutes: Initial Validation"
        values = status_values(status, [r.line() for r in bad], description=next_phase, phase=titles[marker],
                               elapsed=elapsed_text(last - started), next_step=next_phase)
        body = tag(fill(book_.templates["During Deployment"], values)[0], env.name)
        out = folder / "messages" / env.name / f"t-0__phase{n}__during-deployment.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(body + "\n")
        update = {"phase": titles[marker], "status": values["SUCCESS/IN_PROGRESS/ISSUE"], "message": str(out),
                  "next": next_phase}
        if mutating:
            try:
                update["posted"] = post_to_slack(env, body)
            except SendFailed as exc:
                update["posted"] = f"not posted: {exc}"
        updates.append(update)
    return updates
