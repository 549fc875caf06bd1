"""Communication Templates / Incident Communication: filled from the assessment of the run (`golive incident`)."""
from golive.check import CRASH, expect, runbook
from golive.communications import template_from_run


# An incident message golive cannot fill leaves the team writing it by hand in the worst moment: a blocker.
@runbook("templates/incident-communication/critical-issue", area="communication", impact=CRASH)
def test_critical_issue(request, leaf):
    """Critical Issue: issue, impact, action, ETA."""
    expect(template_from_run(request.config, leaf.text))


@runbook("templates/incident-communication/rollback-decision", area="communication", impact=CRASH)
def test_rollback_decision(request, leaf):
    """Rollback Decision: reason, rollback ETA, impact, next steps."""
    expect(template_from_run(request.config, leaf.text))
