"""Emergency Procedures / Rollback Decision Matrix: each row is what golive's verdict does with a failing check."""
from golive import verdict
from golive.check import CRASH, expect, runbook
from golive.outcomes import FAILED, Impact
from golive.probes.incident import matrix_row_applied
from golive.results import Result

AFTER_T0 = "t+15m/rollback-decision-matrix/row"  # after the deploy the matrix's action stands as written


def applied(row_text: str) -> dict | None:
    """golive's row for the issue type, and the verdict on one failing check of that type after T-0."""
    issue = row_text.split("|")[0].strip()
    impact = next((i for i in Impact if i.value == issue), None)
    if impact is None:
        return None
    decided = verdict.decide([Result(AFTER_T0, FAILED, severity=impact.severity, impact=impact.value)], selected=1)
    return {"severity": impact.severity, "action": impact.action, "decision": decided.decision,
            "verdict_action": decided.action}


def _row(leaf):
    expect(matrix_row_applied(leaf.text, applied(leaf.text)))


@runbook("emergency/rollback-decision-matrix/application-crash", area="communication", impact=CRASH)
def test_application_crash(leaf):
    """Application Crash | Critical | Immediate rollback"""
    _row(leaf)


@runbook("emergency/rollback-decision-matrix/performance-degradation", area="communication", impact=CRASH)
def test_performance_degradation(leaf):
    """Performance Degradation | High | Monitor, rollback if persists"""
    _row(leaf)


@runbook("emergency/rollback-decision-matrix/minor-functionality", area="communication", impact=CRASH)
def test_minor_functionality(leaf):
    """Minor Functionality | Medium | Fix in place"""
    _row(leaf)


@runbook("emergency/rollback-decision-matrix/monitoring-issues", area="communication", impact=CRASH)
def test_monitoring_issues(leaf):
    """Monitoring Issues | Low | Continue, fix post-deployment"""
    _row(leaf)
