"""Communication Templates / Incident Communication: filled from the assessment of the run (`golive incident`)."""
from golive.check import CRASH, expect, runbook
from golive.communications import render_from_run
from golive.probes.incident import template_filled


def _renders(request, leaf):
    body, unfilled, source = render_from_run(request.config, leaf.text)
    expect(template_filled(leaf.text, body, unfilled, source))


# An incident message golive cannot fill leaves the team writing it by hand in the worst moment: a blocker.
@runbook("templates/incident-communication/critical-issue", area="communication", impact=CRASH)
def test_critical_issue(request, leaf):
    """Critical Issue: issue, impact, action, ETA."""
    _renders(request, leaf)


@runbook("templates/incident-communication/rollback-decision", area="communication", impact=CRASH)
def test_rollback_decision(request, leaf):
    """Rollback Decision: reason, rollback ETA, impact, next steps."""
    _renders(request, leaf)
