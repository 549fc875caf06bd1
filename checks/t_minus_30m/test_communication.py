"""T-30 Minutes: Final Smoke Tests / Communication."""
from golive.check import DERIVED, MINOR, runbook
from golive.communications import announce

from checks.t_minus_30m.test_success_criteria import ROLLBACK, SMOKE


@runbook("t-30m/communication/smoke-tests-passed", kind=DERIVED, area="communication", impact=MINOR)
def test_smoke_tests_passed(request):
    """Smoke tests: PASSED, announced only when every smoke test passed."""
    announce(request, template="Pre-Deployment", claims="GREEN", based_on=SMOKE,
             next_step="T-0: Production Deployment")


@runbook("t-30m/communication/ready-for-production-deployment", kind=DERIVED, area="communication", impact=MINOR)
def test_ready_for_production_deployment(request):
    """Ready for production deployment: nothing blocking in the smoke tests or the rollback preparation."""
    announce(request, template="Pre-Deployment", claims="READY", based_on=SMOKE + ROLLBACK,
             next_step="T-0: Production Deployment")
