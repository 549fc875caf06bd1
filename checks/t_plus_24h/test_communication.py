"""T+24 Hours: Post-Launch Review / Communication."""
from golive.check import DERIVED, MINOR, runbook
from golive.communications import announce

from checks.t_plus_24h.test_success_criteria import REVIEW, STABILITY, test_no_critical_alerts


@runbook("t+24h/communication/post-launch-review-success", kind=DERIVED, area="communication", impact=MINOR)
def test_post_launch_review_success(request):
    """Post-launch review: SUCCESS, announced only when the review found the system stable and incidents reviewed."""
    announce(request, template="Post-Deployment", claims="GREEN", based_on=STABILITY + REVIEW)


@runbook("t+24h/communication/system-fully-operational-and-stable", kind=DERIVED, area="communication",
         impact=MINOR)
def test_system_fully_operational_and_stable(request):
    """System fully operational and stable: SLOs met and no critical alert."""
    announce(request, template="Post-Deployment", claims="GREEN", based_on=STABILITY + (test_no_critical_alerts,))
