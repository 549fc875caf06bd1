"""Communication Templates / Status Updates: each renders from the run, every placeholder filled."""
from golive.check import MINOR, expect, runbook
from golive.communications import render_from_run
from golive.probes.incident import template_filled


def _renders(request, leaf):
    body, unfilled, source = render_from_run(request.config, leaf.text)
    expect(template_filled(leaf.text, body, unfilled, source))


@runbook("templates/status-updates/pre-deployment", area="communication", impact=MINOR)
def test_pre_deployment(request, leaf):
    """Pre-Deployment: status, next milestone, timeline, from the run's measured status."""
    _renders(request, leaf)


@runbook("templates/status-updates/during-deployment", area="communication", impact=MINOR)
def test_during_deployment(request, leaf):
    """During Deployment: phase, status, elapsed time, next phase."""
    _renders(request, leaf)


@runbook("templates/status-updates/post-deployment", area="communication", impact=MINOR)
def test_post_deployment(request, leaf):
    """Post-Deployment: duration and issues."""
    _renders(request, leaf)
