"""T-0: Production Deployment / Communication."""
from golive.check import DERIVED, MINOR, runbook
from golive.communications import announce

from checks.t_zero.test_success_criteria import ALL_PHASES, APPLICATION, test_no_critical_alerts


@runbook("t-0/communication/production-deployment-success", kind=DERIVED, area="communication", impact=MINOR)
def test_production_deployment_success(request):
    """Production deployment: SUCCESS, announced only when every phase verified."""
    announce(request, template="Post-Deployment", claims="GREEN", based_on=ALL_PHASES + (test_no_critical_alerts,))


@runbook("t-0/communication/application-live-and-operational", kind=DERIVED, area="communication", impact=MINOR)
def test_application_live_and_operational(request):
    """Application live and operational: the application phase verified."""
    announce(request, template="During Deployment", claims="GREEN", based_on=APPLICATION,
             phase="T-0 Phase 3: Application Deployment", next_step="T+15 Minutes: Initial Validation")
