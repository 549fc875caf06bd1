"""Communication Templates / Status Updates: each renders from the run, every placeholder filled."""
from golive.check import MINOR, expect, runbook
from golive.communications import template_from_run


@runbook("templates/status-updates/pre-deployment", area="communication", impact=MINOR)
def test_pre_deployment(request, leaf):
    """Pre-Deployment: status, next milestone, timeline, from the run's measured status."""
    expect(template_from_run(request.config, leaf.text))


@runbook("templates/status-updates/during-deployment", area="communication", impact=MINOR)
def test_during_deployment(request, leaf):
    """During Deployment: phase, status, elapsed time, next phase."""
    expect(template_from_run(request.config, leaf.text))


@runbook("templates/status-updates/post-deployment", area="communication", impact=MINOR)
def test_post_deployment(request, leaf):
    """Post-Deployment: duration and issues."""
    expect(template_from_run(request.config, leaf.text))
