"""The incident path, driven by a run: the runbook's Critical Issue Response from a NO-GO to its resolution.

    assess       severity and impact from the Rollback Decision Matrix rows of what failed, the recommended
                 action, the rollback scope (by the failing checks' areas) and its expected duration
    communicate  the runbook's "Critical Issue" and "Rollback Decision" messages filled from the evidence; with
                 --golive-mutating posted to Slack, and a PagerDuty incident opened (Events API v2, one dedup key
                 per incident)
    record       incident.json + incident.md (a timeline) and postmortem.md under <reports>/incidents/<id>/
    verify       re-run exactly the checks that did not pass (and the criteria summarising them) until they pass
                 or a deadline; each attempt on the timeline; when green the page is resolved and the
                 resolution message ("During Deployment" update) rendered

The routing key and the webhook URL come from the environment and never reach a file.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from golive import outcomes as o
from golive import verdict as v
from golive.communications import SendFailed, fill, post_to_slack, signature, tag
from golive.results import Run

SCHEMA = "golive-incident/1"
SCOPES = ("application", "secrets", "infrastructure")  # what a rollback undoes, by the failing check's area
DEFAULT_MINUTES = {"application": [5, 10], "secrets": [10, 15], "infrastructure": [30, 60], "full": [120, 240]}
TEMPLATES = ("Critical Issue", "Rollback Decision")
RESOLUTION_TEMPLATE = "During Deployment"  # the runbook has no "resolved" template: its update says it
PD_SEVERITY = {"critical": "critical", "high": "error", "medium": "warning", "low": "info"}
LATEST = "latest"  # <reports>/incidents/latest: the newest incident's ID


class IncidentError(Exception):
    """Bad input to `golive incident` (one line)."""


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def clock(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# --- assess --------------------------------------------------------------------------------------------


@dataclass
class Assessment:
    decision: str
    severity: str  # the worst that did not pass
    impact: str  # its Rollback Decision Matrix row
    action: str  # the verdict's recommended action
    before_t0: bool  # nothing deployed yet: the go-live stops, production is not rolled back
    scope: str  # application | secrets | infrastructure | full | none
    minutes: list[float]  # [least, most] the rollback is expected to take; [] for scope none
    reason: str
    rows: list[dict] = field(default_factory=list)  # matrix rows hit: impact, severity, action, items
    failures: list[dict] = field(default_factory=list)  # each result that did not pass, with its evidence
    rerun: list[str] = field(default_factory=list)  # what `verify` re-runs

    @property
    def duration(self) -> str:
        return f"{self.minutes[0]:g}-{self.minutes[1]:g} min" if self.minutes else "no rollback"


def assess(run: Run, areas: dict[str, str], rollback_minutes: dict | None = None) -> Assessment:
    """The assessment of one run. `areas`: runbook ID -> the check's area (golive.coverage's specs)."""
    minutes = {**DEFAULT_MINUTES, **(rollback_minutes or {})}
    decided = v.decide(run.results, selected=run.selected)
    failing = list(decided.blocking) + list(decided.findings)
    html = (run.facts.get("artifacts") or {}).get("html", "")
    failures = []
    for r in failing:
        hints = sorted({f["hint"] for f in r.findings() if not f.get("ok") and f.get("hint")})
        message = o.brief(r.message, 400)
        if hints:  # the hints are listed as what to do; the message keeps what was found
            message = message.partition(o.ACTION_MARK)[0]
        failures.append({"runbook_id": r.id, "text": r.text, "severity": r.severity, "impact": r.impact,
                         "outcome": r.outcome, "area": areas.get(r.id, ""), "kind": r.kind, "message": message,
                         "hints": hints, "evidence": f"{html}#r-{r.id}" if html else ""})
    rows: dict[str, dict] = {}
    for r in failing:
        impact = r.impact or "unknown (fails closed as Application Crash)"
        row = rows.setdefault(impact, {"impact": impact, "severity": r.severity, "action": r.action, "items": []})
        row["items"].append(r.id)
    # Criteria summarise checks (their own area says nothing); only a blocking check's layer is rolled back.
    layers = sorted({areas.get(r.id) for r in decided.blocking if r.kind != "derived"} & set(SCOPES),
                    key=SCOPES.index)
    scope = "none" if not layers else layers[0] if len(layers) == 1 else "full"
    worst = failing[0] if failing else None
    before = bool(run.results) and all(o.before_t0(r.id) for r in run.results)
    rerun = [r.id for r in failing if r.runbook_id]
    summarising = [r.id for r in run.results if r.runbook_id and r.id not in rerun and set(r.summarises) & set(rerun)]
    return Assessment(decision=decided.decision, severity=worst.severity if worst else "none",
                      impact=worst.impact if worst else "", action=decided.action, before_t0=before, scope=scope,
                      minutes=list(minutes[scope]) if scope != "none" else [], reason=decided.reason,
                      rows=list(rows.values()), failures=failures, rerun=rerun + summarising)


# --- communicate ------------------------------------------------------------------------------------------


def incident_values(a: Assessment, *, run_name: str, env_name: str, at: datetime, team: tuple[str, ...] = ()) -> dict:
    """What golive fills into the "Critical Issue" and "Rollback Decision" templates."""
    # The checks that found it; the criteria and messages that summarise them follow from those.
    found = [f for f in a.failures if f["kind"] != "derived"] or a.failures
    issue = "; ".join(f"{f['runbook_id']}: {o.brief(f['message'], 240).partition(o.ACTION_MARK)[0] or f['outcome']}"
                      for f in found[:2]) or "nothing failed"
    if len(a.failures) > len(found[:2]):
        issue += f" (+{len(a.failures) - len(found[:2])} more line(s) did not pass)"
    todo = next((h for f in found for h in f["hints"]), "")
    where = ("before T-0: nothing is deployed to production yet, the go-live is on hold" if a.before_t0
             else f"{env_name} is affected")
    impact = f"{a.impact or 'unknown'} ({a.severity}): {len(a.failures)} runbook line(s) did not pass; {where}"
    rollback = (f"roll back the {a.scope} ({a.duration})" if a.scope != "none" else "no rollback scope: fix in place")
    eta = clock(at + timedelta(minutes=a.minutes[1] if a.minutes else 0))
    rerun = f"`golive incident verify` re-runs the {len(a.rerun)} line(s) that did not pass until they pass"
    return {
        "Issue": f"{issue} (found by run {run_name})",
        "Impact": impact,
        "Action": f"{a.action}; {rollback}" + (f"; what to do: {todo}" if todo else ""),
        "ETA": f"{eta} ({rollback})",
        "Rollback ETA": f"{eta} ({a.duration})" if a.minutes else f"{eta} (nothing to roll back)",
        "reason": f"{a.impact or 'an unknown issue'} ({a.severity}) found by run {run_name}: "
                  f"{a.failures[0]['runbook_id'] if a.failures else 'nothing'}",
        "Next Steps": (f"Do not proceed to T-0; {rollback}, then {rerun}" if a.before_t0 else
                       f"{rollback[0].upper() + rollback[1:]}, then {rerun}"),
        "Name": signature(team),
    }


def render(template: str, values: dict, env_name: str) -> tuple[str, list[str]]:
    """The filled message (subject tagged with the environment), and any placeholder left unfilled."""
    body, unfilled = fill(template, values)
    return tag(body, env_name), unfilled


def dedup_key(env_name: str, incident_id: str) -> str:
    return f"golive/{env_name}/{incident_id}"


def pagerduty_trigger(a: Assessment, *, routing_key: str, key: str, env_name: str, run: Run) -> dict:
    """An Events API v2 trigger (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/)."""
    html = (run.facts.get("artifacts") or {}).get("html")
    return {
        "routing_key": routing_key, "event_action": "trigger", "dedup_key": key, "client": "golive",
        "payload": {
            "summary": f"[{env_name}] go-live NO-GO: {a.impact or 'unknown'} ({a.severity}), "
                       f"{len(a.failures)} runbook line(s) did not pass"[:1024],
            "source": run.facts.get("cluster") or env_name, "severity": PD_SEVERITY.get(a.severity, "critical"),
            "component": a.scope, "group": env_name, "class": a.impact or "unknown",
            "custom_details": {"action": a.action, "rollback": f"{a.scope} ({a.duration})", "run": run.facts.get("name"),
                               "failing": [f["runbook_id"] for f in a.failures]},
        },
        **({"links": [{"href": html, "text": "golive report"}]} if html and html.startswith("http") else {}),
    }


def pagerduty_resolve(*, routing_key: str, key: str) -> dict:
    return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": key}


def send_pagerduty(env, body: dict) -> str:
    try:
        response = requests.post(env.communications.pagerduty_events_url, json=body,
                                 timeout=(env.timeouts.connect_seconds, env.timeouts.read_seconds))
    except requests.RequestException as exc:
        raise SendFailed(f"could not reach the PagerDuty Events API: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise SendFailed(f"PagerDuty refused the {body['event_action']}: HTTP {response.status_code} "
                         f"{response.text[:80]}")
    return f"PagerDuty {body['event_action']} accepted (dedup key {body['dedup_key']})"


# --- record -------------------------------------------------------------------------------------------------


@dataclass
class Incident:
    id: str
    environment: str
    folder: Path
    opened: str
    status: str = "open"  # open | resolved | unresolved
    resolved: str | None = None
    run: dict = field(default_factory=dict)
    assessment: dict = field(default_factory=dict)
    messages: dict = field(default_factory=dict)  # template -> {path, posted}
    page: dict = field(default_factory=dict)  # dedup_key, triggered, resolved
    timeline: list = field(default_factory=list)
    attempts: list = field(default_factory=list)

    def event(self, what: str, detail: str = "", at: datetime | None = None) -> None:
        self.timeline.append({"at": iso(at or now()), "event": what, "detail": detail})

    def as_dict(self) -> dict:
        out = {"schema": SCHEMA, **asdict(self)}
        out["folder"] = str(self.folder)
        return out

    @classmethod
    def load(cls, path: Path) -> "Incident":
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise IncidentError(f"{path}: not a readable incident record ({exc})") from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise IncidentError(f"{path}: not a {SCHEMA} record")
        data.pop("schema")
        data["folder"] = path.parent
        return cls(**data)

    def save(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "incident.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.as_dict(), indent=2) + "\n")
        tmp.replace(path)
        (self.folder / "incident.md").write_text(markdown(self))
        (self.folder / "postmortem.md").write_text(postmortem(self))
        (self.folder.parent / LATEST).write_text(self.id + "\n")
        return path


def new_id(env_name: str, at: datetime) -> str:
    return f"{env_name}-{at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def find(reports: Path, given: str | None) -> Path:
    """The incident record: a path, an ID under <reports>/incidents, or the latest."""
    folder = reports / "incidents"
    if given:
        path = Path(given)
        for candidate in (path, path / "incident.json", folder / given / "incident.json"):
            if candidate.is_file():
                return candidate
        raise IncidentError(f"no incident record at {given} (nor {folder / given / 'incident.json'})")
    latest = folder / LATEST
    if not latest.is_file():
        raise IncidentError(f"no incident recorded under {folder}: open one with `golive incident` first")
    return folder / latest.read_text().strip() / "incident.json"


def _failure_lines(a: dict) -> list[str]:
    out = []
    for f in a.get("failures", []):
        out.append(f"- `{f['runbook_id']}` [{f['severity']}, {f['impact'] or '?'}, {f['outcome']}]: {f['message']}")
        out += [f"  - what to do: {hint}" for hint in f.get("hints", [])]
        if f.get("evidence"):
            out.append(f"  - evidence: {f['evidence']}")
    return out


def markdown(i: Incident) -> str:
    a = i.assessment
    lines = [f"# Incident {i.id} ({i.environment}): {i.status}", "",
             f"Opened {i.opened}" + (f", resolved {i.resolved}" if i.resolved else ""), "",
             "## Assessment", "",
             f"- Verdict of run `{i.run.get('name')}`: {a.get('decision')} ({a.get('reason')})",
             f"- Severity and impact: {a.get('severity')}, {a.get('impact')} (Rollback Decision Matrix)",
             f"- Recommended action: {a.get('action')}",
             f"- Rollback scope: {a.get('scope')}, expected {a.get('duration')}"
             + (" (before T-0: nothing deployed yet)" if a.get("before_t0") else ""), "",
             "| Matrix row | Severity | Action | Lines |", "|---|---|---|---|"]
    lines += [f"| {r['impact']} | {r['severity']} | {r['action']} | {', '.join(r['items'])} |" for r in a.get("rows", [])]
    lines += ["", "## What failed", "", *_failure_lines(a), "", "## Messages", ""]
    lines += [f"- {name}: {m['path']} ({m['posted']})" for name, m in i.messages.items()]
    lines += [f"- PagerDuty: {i.page.get('status', 'not paged')}", ""]
    lines += ["## Timeline", "", "| UTC | Event | Detail |", "|---|---|---|"]
    lines += [f"| {e['at']} | {e['event']} | {e['detail'].replace('|', '/')} |" for e in i.timeline]
    return "\n".join(lines) + "\n"


def postmortem(i: Incident) -> str:
    """The post-mortem skeleton: facts from the record, the human parts left to the review."""
    a = i.assessment
    detected = next((e for e in i.timeline if e["event"] == "detected"), None)
    resolved = next((e for e in reversed(i.timeline) if e["event"] == "resolved"), None)
    lines = [f"# Post-mortem: incident {i.id} ({i.environment})", "",
             "## Summary", "", f"{a.get('impact')} ({a.get('severity')}): {len(a.get('failures', []))} runbook "
             f"line(s) did not pass; recommended action: {a.get('action')}.", "",
             "## Impact", "", f"Rollback scope {a.get('scope')} (expected {a.get('duration')})"
             + ("; before T-0, production was not changed." if a.get("before_t0") else "."), "",
             "## Detection", "", f"golive run `{i.run.get('name')}` ({i.run.get('stream')}) at "
             f"{detected['at'] if detected else i.opened}: {a.get('reason')}.", "",
             "## What the checks showed", "", *_failure_lines(a), "",
             "## Resolution", "", (f"Verified at {resolved['at']}: {resolved['detail']}" if resolved
                                   else "Not verified yet: `golive incident verify`."), "",
             "## Timeline", "", *[f"- {e['at']} {e['event']}: {e['detail']}" for e in i.timeline], "",
             "## Root cause", "", "_To be written in the review._", "",
             "## Action items", "", "| Action | Owner | Due |", "|---|---|---|", "| _ | _ | _ |", "",
             "The review closes the procedure with the attested lines "
             "`emergency/critical-issue-response/post-incident/conduct-post-mortem` and `.../update-procedures`.", ""]
    return "\n".join(lines)


# --- open: assess, communicate, record -----------------------------------------------------------------------


def open_incident(run: Run, stream: Path, env, book, areas: dict[str, str], reports: Path, *,
                  mutating: bool, at: datetime | None = None) -> Incident:
    at = at or now()
    a = assess(run, areas, env.incident.rollback_minutes)
    incident = Incident(id=new_id(env.name, at), environment=env.name, folder=Path(), opened=iso(at))
    incident.folder = reports / "incidents" / incident.id
    incident.run = {"name": run.facts.get("name"), "stream": str(stream), "started": run.facts.get("started"),
                    "html": (run.facts.get("artifacts") or {}).get("html"), "selection": run.facts.get("selection")}
    incident.assessment = {**asdict(a), "duration": a.duration}
    incident.event("detected", f"run {run.facts.get('name')} ({run.facts.get('selection')}): {a.decision}, "
                               f"{a.reason}", at=at)
    incident.event("assessed", f"{a.impact} ({a.severity}); action: {a.action}; rollback {a.scope} ({a.duration})")
    values = incident_values(a, run_name=run.facts.get("name") or stream.name, env_name=env.name, at=at)
    texts = {}
    for name in TEMPLATES:
        body, unfilled = render(book.templates[name], values, env.name)
        if unfilled:
            raise IncidentError(f"the runbook's {name!r} template has placeholders golive cannot fill: "
                                f"{', '.join(unfilled)}")
        path = incident.folder / "messages" / (name.lower().replace(" ", "-") + ".txt")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body + "\n")
        texts[name] = body
        incident.messages[name] = {"path": str(path), "posted": "not posted: pass --golive-mutating"}
        incident.event(f"rendered {name}", str(path))
    key = dedup_key(env.name, incident.id)
    incident.page = {"dedup_key": key, "triggered": False, "resolved": False,
                     "status": "not paged: pass --golive-mutating"}
    if mutating:
        for name, body in texts.items():
            incident.messages[name]["posted"] = post_to_slack(env, body)
            incident.event(f"sent {name}", incident.messages[name]["posted"])
        routing_key = os.environ.get(env.communications.pagerduty_routing_key_env)
        if routing_key:
            incident.page["status"] = send_pagerduty(env, pagerduty_trigger(a, routing_key=routing_key, key=key,
                                                                            env_name=env.name, run=run))
            incident.page["triggered"] = True
        else:
            incident.page["status"] = f"not paged: {env.communications.pagerduty_routing_key_env} is not set"
        incident.event("paged", incident.page["status"])
    incident.event("decided", f"{a.action}; rollback {a.scope} ({a.duration}); then `golive incident verify`")
    incident.save()
    return incident


# --- verify: re-run what failed until it passes ----------------------------------------------------------------


def rerun_command(incident: Incident, attempt_dir: Path, *, config: str | None, mutating: bool) -> list[str]:
    argv = [sys.executable, "-m", "pytest", "checks", "-q", "-p", "no:cacheprovider", "--golive-env",
            incident.environment, "--golive-reports", str(attempt_dir)]
    argv += ["--golive-config", config] if config else []
    argv += ["--golive-mutating"] if mutating else []
    for item in incident.assessment.get("rerun", []):
        argv += ["--golive-item", item]
    return argv


def attempt_outcome(run: Run) -> tuple[bool, list[str]]:
    """Green when every re-run line passed (and all of them ran)."""
    bad = [r.line() for r in run.results if r.outcome != o.PASSED]
    if run.selected is not None and len(run.results) < run.selected:
        bad.append(f"{run.selected - len(run.results)} of {run.selected} lines did not run")
    return (not bad and bool(run.results)), bad


def verify(incident: Incident, env, book, *, deadline: timedelta, interval: float, mutating: bool,
           config: str | None, cwd: Path, load, changes_target: set[str] = frozenset(), log=print) -> bool:
    """Re-run until green or the deadline; each attempt on the timeline. `load`: golive.results.load.

    `mutating` sends the resolution and resolves the page; the re-run itself gets --golive-mutating only when a
    line it re-runs changes the target (`changes_target`: the IDs of mutating checks), so re-run communication
    lines are rendered, not posted again.
    """
    rerun_mutating = mutating and bool(set(incident.assessment.get("rerun", [])) & set(changes_target))
    if not incident.assessment.get("rerun"):
        raise IncidentError(f"incident {incident.id} has nothing to re-run")
    started = time.monotonic()
    green = False
    while True:
        n = len(incident.attempts) + 1
        attempt_dir = incident.folder / "attempts" / f"{n:02d}"
        argv = rerun_command(incident, attempt_dir, config=config, mutating=rerun_mutating)
        at = now()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
        stream = attempt_dir / "latest.jsonl"
        try:
            run = load(stream)
        except Exception as exc:  # noqa: BLE001 - any broken attempt is recorded, never a pass
            green, bad = False, [f"the re-run left no results ({type(exc).__name__}; exit {done.returncode}: "
                                 f"{(done.stderr or done.stdout).strip().splitlines()[-1:] or ''})"]
        else:
            green, bad = attempt_outcome(run)
        seconds = round((now() - at).total_seconds(), 1)
        incident.attempts.append({"n": n, "at": iso(at), "seconds": seconds, "green": green, "exit_code": done.returncode,
                                  "stream": str(stream), "not_passed": bad})
        incident.event(f"verify attempt {n}", ("green: every re-run line passed" if green else
                                               f"{len(bad)} not passed: " + "; ".join(bad)[:600]) + f" ({seconds} s)")
        incident.save()
        log(f"attempt {n}: {'green' if green else f'{len(bad)} not passed'} in {seconds} s ({stream})")
        if green or time.monotonic() - started + interval > deadline.total_seconds():
            break
        time.sleep(interval)
    if green:
        _resolve(incident, env, book, mutating=mutating)
    else:
        incident.status = "unresolved"
        incident.event("deadline passed", f"still failing after {len(incident.attempts)} attempt(s), "
                                          f"{time.monotonic() - started:.0f} s")
    incident.save()
    return green


def _resolve(incident: Incident, env, book, *, mutating: bool) -> None:
    at = now()
    opened = datetime.fromisoformat(incident.opened.replace("Z", "+00:00"))
    a = incident.assessment
    took = _minutes(at - opened)
    values = {"Phase Name": f"Incident {incident.id}: resolution verified", "SUCCESS/IN_PROGRESS/ISSUE": "SUCCESS",
              "Time elapsed": f"{took} since the incident opened",
              "Next phase": ("resume the runbook: re-run the phase that found it" if a.get("before_t0")
                             else "resume the runbook at the phase that found it"),
              "Additional details": f"The {len(a.get('rerun', []))} line(s) that did not pass in run "
                                    f"{incident.run.get('name')} re-ran green (attempt {len(incident.attempts)}): "
                                    + ", ".join(a.get("rerun", [])),
              "Name": signature()}
    body, unfilled = render(book.templates[RESOLUTION_TEMPLATE], values, env.name)
    if unfilled:
        raise IncidentError(f"the runbook's {RESOLUTION_TEMPLATE!r} template has placeholders golive cannot fill: "
                            f"{', '.join(unfilled)}")
    path = incident.folder / "messages" / "resolution.txt"
    path.write_text(body + "\n")
    incident.messages["Resolution"] = {"path": str(path), "posted": "not posted: pass --golive-mutating"}
    incident.event("rendered Resolution", str(path))
    if mutating:
        incident.messages["Resolution"]["posted"] = post_to_slack(env, body)
        incident.event("sent Resolution", incident.messages["Resolution"]["posted"])
        routing_key = os.environ.get(env.communications.pagerduty_routing_key_env)
        if incident.page.get("triggered") and routing_key:
            incident.page["status"] = send_pagerduty(env, pagerduty_resolve(routing_key=routing_key,
                                                                            key=incident.page["dedup_key"]))
            incident.page["resolved"] = True
            incident.event("page resolved", incident.page["status"])
    incident.status, incident.resolved = "resolved", iso(at)
    incident.event("resolved", f"the failed lines re-ran green after {len(incident.attempts)} attempt(s); "
                               f"{took} from detection to resolution")


def _minutes(delta: timedelta) -> str:
    seconds = round(delta.total_seconds())
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"

