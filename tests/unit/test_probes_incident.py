"""golive.probes.incident: the decision matrix, the templates and an incident record -> verdict.

Recorded: incident records `golive incident` wrote on the sandbox for the crash-looping pod's smoke NO-GO
(tests/data/probes/incident/, see the README there): one open and unsent, one sent, paged and resolved.
"""
from __future__ import annotations

import pytest

from golive.probes import incident as p
from tests.unit.recorded import DROP, FAIL, PASS, derive, plain, row, same, verdict

M = "incident"
PATH = "reports/incidents/x/incident.json"
ROW = "Application Crash | Critical | Immediate rollback"
APPLIED = {"severity": "critical", "action": "Immediate rollback", "decision": "NO-GO",
           "verdict_action": "Immediate rollback"}
BOTH = {"incident.json": True, "incident.md": True}


def resolved():
    return plain(M, "record_resolved")


def opened():
    return plain(M, "record_open")


# --- matrix_row_applied ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, applied, expected, says", [
    row("applied", ROW, APPLIED, PASS, "a failing Application Crash check gives NO-GO: Immediate rollback"),
    row("low-row-applied", "Monitoring Issues | Low | Continue, fix post-deployment",
        {"severity": "low", "action": "Continue, fix post-deployment", "decision": "GO WITH FINDINGS",
         "verdict_action": "Continue, fix post-deployment"}, PASS, "gives GO WITH FINDINGS"),
    row("not-three-cells", "Application Crash | Critical", APPLIED, FAIL, "is not 'Issue Type | Severity | Action'"),
    row("unknown-issue-type", "Disk Full | High | Page", None, FAIL, "golive's verdict has no row for issue type 'Disk Full'"),
    row("runbook-says-otherwise", "Application Crash | High | Immediate rollback", APPLIED, FAIL,
        "severity 'critical' (runbook: 'high')"),
    row("verdict-does-otherwise", ROW, {**APPLIED, "verdict_action": "Fix in place"}, FAIL,
        "verdict_action 'Fix in place' (runbook: 'Immediate rollback')"),
])
def test_matrix_row_applied(text, applied, expected, says):
    verdict(p.matrix_row_applied(text, applied), expected, says)


# --- template_filled -------------------------------------------------------------------------------------


@pytest.mark.parametrize("body, unfilled, expected, says", [
    row("filled", "Subject: x\nIssue: pod down", [], PASS, "renders from the run with every placeholder filled"),
    row("empty", "  ", [], FAIL, "runbook template 'Critical Issue' is empty"),
    row("placeholder-left", "Customer impact: [Customer impact]", ["[Customer impact]", "[Customer impact]"], FAIL,
        "leaves [Customer impact] unfilled"),
])
def test_template_filled(body, unfilled, expected, says):
    verdict(p.template_filled("Critical Issue", body, unfilled, "the run"), expected, says)


# --- the record probes: no record is a failure for each -------------------------------------------------------

RECORD_PROBES = [
    lambda rec: p.incident_assessed(rec, PATH), lambda rec: p.page_sent(rec, PATH),
    lambda rec: p.issue_documented(rec, PATH, BOTH), lambda rec: p.message_sent(rec, PATH, "Critical Issue"),
    lambda rec: p.escalated(rec, PATH), lambda rec: p.troubleshooting_recorded(rec, PATH),
    lambda rec: p.decision_recorded(rec, PATH), lambda rec: p.resolution_verified(rec, PATH),
    lambda rec: p.incident_documented(rec, PATH, {"postmortem.md": True}),
]


@pytest.mark.parametrize("probe", RECORD_PROBES)
def test_no_record_fails_every_line(probe):
    verdict(probe(None), FAIL, f"no incident record at {PATH}")


@pytest.mark.parametrize("probe", RECORD_PROBES)
def test_the_resolved_record_passes_every_line(probe):
    verdict(probe(resolved()), PASS, "incident sandbox-")


@pytest.mark.parametrize("edit, expected, says", [
    row("recorded", same, PASS, "Application Crash (critical), Do not proceed"),
    row("no-rows", lambda r: r["assessment"].update(rows=[]), FAIL, "is not assessed: no rows"),
    row("unknown-severity", lambda r: r["assessment"].update(severity="none"), FAIL,
        "a known severity (got 'none')"),
])
def test_incident_assessed(edit, expected, says):
    record = derive(opened(), edit=edit)
    verdict(p.incident_assessed(record, PATH), expected, says)


@pytest.mark.parametrize("record, expected, says", [
    row("paged", resolved(), PASS, "paged: PagerDuty resolve accepted"),
    row("not-paged", opened(), FAIL, "paged nobody: not paged: pass --golive-mutating"),
])
def test_page_sent(record, expected, says):
    verdict(p.page_sent(record, PATH), expected, says)


@pytest.mark.parametrize("record, files, expected, says", [
    row("documented", opened(), BOTH, PASS, "documents 4 failure(s)"),
    row("markdown-missing", opened(), {**BOTH, "incident.md": False}, FAIL, "not documented: missing incident.md"),
    row("no-failures", derive(opened(), {"assessment.failures": []}), BOTH, FAIL, "no failure recorded"),
    row("bare-failure", derive(opened(), {"assessment.failures.0.message": ""}), BOTH, FAIL,
        "1 failure(s) without a message: t-30m/critical-path-testing/test-application-startup"),
])
def test_issue_documented(record, files, expected, says):
    verdict(p.issue_documented(record, PATH, files), expected, says)


@pytest.mark.parametrize("record, template, expected, says", [
    row("posted", resolved(), "Rollback Decision", PASS, "'Rollback Decision' message of incident"),
    row("rendered-not-sent", opened(), "Critical Issue", FAIL, "was not sent: not posted: pass --golive-mutating"),
    row("no-such-message", opened(), "Resolution", FAIL, "has no 'Resolution' message"),
])
def test_message_sent(record, template, expected, says):
    verdict(p.message_sent(record, PATH, template), expected, says)


@pytest.mark.parametrize("record, expected, says", [
    row("critical-and-paged", resolved(), PASS, "(critical) escalated to PagerDuty"),
    row("critical-not-paged", opened(), FAIL, "is critical but was not escalated"),
    row("medium-needs-none", derive(opened(), {"assessment.severity": "medium"}), PASS, "no escalation needed"),
])
def test_escalated(record, expected, says):
    verdict(p.escalated(record, PATH), expected, says)


@pytest.mark.parametrize("record, expected, says", [
    row("listed", opened(), PASS, "lists 4 failure(s) with what to do"),
    row("nothing", derive(opened(), {"assessment.failures": DROP}), FAIL, "records no failure to troubleshoot"),
])
def test_troubleshooting_recorded(record, expected, says):
    verdict(p.troubleshooting_recorded(record, PATH), expected, says)


@pytest.mark.parametrize("record, expected, says", [
    row("decided", opened(), PASS, "decided Do not proceed"),
    row("no-decision", derive(opened(), {"timeline": []}), FAIL, "records no decision"),
])
def test_decision_recorded(record, expected, says):
    verdict(p.decision_recorded(record, PATH), expected, says)


@pytest.mark.parametrize("record, expected, says", [
    row("green", resolved(), PASS, "the failed lines re-ran green (attempt 1)"),
    row("never-re-run", opened(), FAIL, "is not resolved (never re-run)"),
    row("still-failing", derive(resolved(), {"status": "unresolved", "attempts.0.green": False,
                                             "attempts.0.not_passed": ["t-30m/x [critical, failed]"]}), FAIL,
        "last of 1 attempt(s) still failing: t-30m/x [critical, failed]"),
])
def test_resolution_verified(record, expected, says):
    verdict(p.resolution_verified(record, PATH), expected, says)


@pytest.mark.parametrize("record, files, expected, says", [
    row("complete", resolved(), {"postmortem.md": True}, PASS, "timeline entries, post-mortem skeleton"),
    row("not-resolved", opened(), {"postmortem.md": True}, FAIL, "not fully documented: no resolved"),
    row("no-postmortem", resolved(), {"postmortem.md": False}, FAIL, "no postmortem.md"),
])
def test_incident_documented(record, files, expected, says):
    verdict(p.incident_documented(record, PATH, files), expected, says)
