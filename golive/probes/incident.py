"""Probes over the emergency procedures: the decision matrix as golive applies it, the templates as golive fills
them, and an incident record (golive/incident.py) against the Critical Issue Response. No I/O here."""
from __future__ import annotations

from golive.check import Finding, failed, passed
from golive.outcomes import SEVERITIES, blocks

RECORD = "incident record"
OPEN_ONE = "Open the incident from the failing run's JSONL: `golive incident` (see docs/incidents.md)."


def matrix_row_applied(row_text: str, applied: dict | None) -> Finding:
    """A Rollback Decision Matrix row ("Issue Type | Severity | Action") is what golive's verdict does.

    `applied`: golive's own row for that issue type and the verdict on one failing check of that type after T-0
    (`severity`, `action`, `decision`, `verdict_action`), or None when golive has no such row.
    """
    cells = [c.strip() for c in row_text.split("|")]
    resource = f"Rollback Decision Matrix row {cells[0]!r}"
    if len(cells) != 3:
        return failed(f"{resource} is not 'Issue Type | Severity | Action'", resource=resource, observed=row_text)
    issue, severity, action = cells
    if applied is None:
        return failed(f"golive's verdict has no row for issue type {issue!r}", resource=resource,
                      observed=row_text, expected="an issue type golive.outcomes.Impact names",
                      hint="Add the row to golive/outcomes.py (Impact, SEVERITY, ACTION) or fix the runbook's wording.")
    expected = {"severity": severity.lower(), "action": action,
                "decision": "NO-GO" if blocks(severity.lower()) else "GO WITH FINDINGS", "verdict_action": action}
    wrong = [f"{key} {applied.get(key)!r} (runbook: {want!r})" for key, want in expected.items()
             if applied.get(key) != want]
    if wrong:
        return failed(f"the verdict does not apply {resource}: {', '.join(wrong)}", resource=resource,
                      observed=applied, expected=expected,
                      hint="Make golive/outcomes.py's matrix match the team's runbook before go-live.")
    return passed(f"a failing {issue} check gives {applied['decision']}: {action}", resource=resource,
                  observed=applied, expected=expected)


def template_filled(name: str, body: str, unfilled: list[str], source: str) -> Finding:
    """A runbook template renders from a run with every placeholder filled."""
    resource = f"runbook template {name!r}"
    if not body.strip():
        return failed(f"{resource} is empty", resource=resource, observed=body)
    if unfilled:
        return failed(f"{resource} rendered from {source} leaves {', '.join(dict.fromkeys(unfilled))} unfilled",
                      resource=resource, observed={"unfilled": unfilled, "text": body},
                      expected="every placeholder filled from the run",
                      hint="Use the placeholders golive fills (docs/incidents.md) or fill the message by hand.")
    return passed(f"{resource} renders from {source} with every placeholder filled", resource=resource,
                  observed={"text": body})


def _no_record(path: str) -> Finding:
    return failed(f"no incident record at {path}", resource=RECORD, observed=None,
                  expected="the record `golive incident` writes", hint=OPEN_ONE)


def incident_assessed(record: dict | None, path: str) -> Finding:
    """Assess severity and impact: the matrix rows of what failed, the action and the rollback scope."""
    if record is None:
        return _no_record(path)
    a = record.get("assessment") or {}
    observed = {k: a.get(k) for k in ("severity", "impact", "action", "scope", "duration", "rows")}
    missing = [k for k in ("severity", "impact", "action", "scope", "rows", "failures") if not a.get(k)]
    if a.get("severity") not in SEVERITIES:
        missing.append(f"a known severity (got {a.get('severity')!r})")
    if missing:
        return failed(f"incident {record.get('id')} is not assessed: no {', '.join(missing)}", resource=RECORD,
                      observed=observed, expected="severity, impact, matrix rows, action, rollback scope", hint=OPEN_ONE)
    return passed(f"incident {record['id']}: {a['impact']} ({a['severity']}), {a['action']}; rollback {a['scope']} "
                  f"({a.get('duration')})", resource=RECORD, observed=observed)


def page_sent(record: dict | None, path: str) -> Finding:
    """The team lead was paged: a PagerDuty incident was opened for this incident."""
    if record is None:
        return _no_record(path)
    page = record.get("page") or {}
    if not page.get("triggered"):
        return failed(f"incident {record.get('id')} paged nobody: {page.get('status', 'no page')}", resource=RECORD,
                      observed=page, expected="a PagerDuty trigger accepted",
                      hint="Page from the record: `golive incident --golive-mutating` with the routing key set.")
    return passed(f"incident {record['id']} paged: {page.get('status')}", resource=RECORD, observed=page)


def issue_documented(record: dict | None, path: str, files: dict[str, bool]) -> Finding:
    """Document issue details: the record's files exist and each failure carries its message and evidence."""
    if record is None:
        return _no_record(path)
    failures = (record.get("assessment") or {}).get("failures") or []
    absent = [name for name, there in files.items() if not there]
    bare = [f.get("runbook_id") for f in failures if not f.get("message")]
    observed = {"files": files, "failures": len(failures), "without_message": bare}
    if absent or not failures or bare:
        what = (f"missing {', '.join(absent)}" if absent else "no failure recorded" if not failures
                else f"{len(bare)} failure(s) without a message: {', '.join(map(str, bare))}")
        return failed(f"incident {record.get('id')} is not documented: {what}", resource=RECORD, observed=observed,
                      expected="incident.json and incident.md, each failure with its message", hint=OPEN_ONE)
    return passed(f"incident {record['id']} documents {len(failures)} failure(s) with their evidence",
                  resource=RECORD, observed=observed)


def message_sent(record: dict | None, path: str, template: str) -> Finding:
    """A message was rendered from the record and posted to the team's channel."""
    if record is None:
        return _no_record(path)
    message = (record.get("messages") or {}).get(template)
    if not message:
        return failed(f"incident {record.get('id')} has no {template!r} message", resource=RECORD,
                      observed=sorted(record.get("messages") or {}), expected=template, hint=OPEN_ONE)
    if message.get("posted") != "posted to Slack":
        return failed(f"the {template!r} message of incident {record.get('id')} was not sent: {message.get('posted')}",
                      resource=RECORD, observed=message, expected="posted to Slack",
                      hint="Send it: `golive incident --golive-mutating` with the Slack webhook set.")
    return passed(f"the {template!r} message of incident {record['id']} was posted to Slack", resource=RECORD,
                  observed=message)


def escalated(record: dict | None, path: str) -> Finding:
    """Escalate if necessary: a blocking severity pages; a non-blocking one needs no escalation."""
    if record is None:
        return _no_record(path)
    severity = (record.get("assessment") or {}).get("severity")
    page = record.get("page") or {}
    if not blocks(severity):
        return passed(f"incident {record.get('id')} is {severity}: no escalation needed", resource=RECORD,
                      observed={"severity": severity, "page": page})
    if not page.get("triggered"):
        return failed(f"incident {record.get('id')} is {severity} but was not escalated: {page.get('status')}",
                      resource=RECORD, observed={"severity": severity, "page": page}, expected="a PagerDuty page",
                      hint="Page: `golive incident --golive-mutating` with the routing key set.")
    return passed(f"incident {record['id']} ({severity}) escalated to PagerDuty", resource=RECORD,
                  observed={"severity": severity, "page": page})


def troubleshooting_recorded(record: dict | None, path: str) -> Finding:
    """The record names what to do for each failure (the checks' hints), which the troubleshooting follows."""
    if record is None:
        return _no_record(path)
    failures = (record.get("assessment") or {}).get("failures") or []
    if not failures:
        return failed(f"incident {record.get('id')} records no failure to troubleshoot", resource=RECORD,
                      observed=failures, expected="the failures of the run", hint=OPEN_ONE)
    return passed(f"incident {record['id']} lists {len(failures)} failure(s) with what to do", resource=RECORD,
                  observed=[{"runbook_id": f.get("runbook_id"), "hints": f.get("hints")} for f in failures])


def decision_recorded(record: dict | None, path: str) -> Finding:
    """Implement fix or rollback: the decision taken is on the timeline."""
    if record is None:
        return _no_record(path)
    decided = [e for e in record.get("timeline") or [] if e.get("event") == "decided"]
    if not decided:
        return failed(f"incident {record.get('id')} records no decision", resource=RECORD,
                      observed=record.get("timeline"), expected="a 'decided' timeline entry", hint=OPEN_ONE)
    return passed(f"incident {record['id']}: decided {decided[-1].get('detail')}", resource=RECORD, observed=decided)


def resolution_verified(record: dict | None, path: str) -> Finding:
    """Verify resolution: the lines that failed re-ran green."""
    if record is None:
        return _no_record(path)
    attempts = record.get("attempts") or []
    observed = {"status": record.get("status"), "attempts": attempts[-3:]}
    if record.get("status") != "resolved" or not attempts or not attempts[-1].get("green"):
        last = attempts[-1] if attempts else None
        why = (f"last of {len(attempts)} attempt(s) still failing: {'; '.join(last.get('not_passed') or [])[:300]}"
               if last else "never re-run")
        return failed(f"incident {record.get('id')} is not resolved ({why})", resource=RECORD, observed=observed,
                      expected="the failed lines re-run green",
                      hint="After the fix or rollback: `golive incident verify`.")
    return passed(f"incident {record['id']}: the failed lines re-ran green (attempt {len(attempts)})",
                  resource=RECORD, observed=observed)


def incident_documented(record: dict | None, path: str, files: dict[str, bool]) -> Finding:
    """Document incident: the timeline runs from detection to resolution, and the post-mortem skeleton exists."""
    if record is None:
        return _no_record(path)
    events = [e.get("event") for e in record.get("timeline") or []]
    missing = [e for e in ("detected", "resolved") if e not in events]
    missing += [name for name, there in files.items() if not there]
    if missing:
        return failed(f"incident {record.get('id')} is not fully documented: no {', '.join(missing)}",
                      resource=RECORD, observed={"events": events, "files": files},
                      expected="a timeline from detection to resolution, and postmortem.md",
                      hint="`golive incident verify` completes the timeline when the failed lines pass.")
    return passed(f"incident {record['id']} documented: {len(events)} timeline entries, post-mortem skeleton",
                  resource=RECORD, observed={"events": events, "files": files})
