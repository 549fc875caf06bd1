"""T-1 Hour: Deploy to Staging / Communication."""
from golive.check import DERIVED, MINOR, runbook
from golive.communications import announce

from checks.t_minus_1h.test_success_criteria import DRY_RUNS, VALIDATION


@runbook("t-1h/communication/staging-deployment-success", kind=DERIVED, area="communication", impact=MINOR)
def test_staging_deployment_success(request):
    """Staging deployment: SUCCESS, announced only when the dry runs and the validation passed."""
    announce(request, template="During Deployment", claims="GREEN", based_on=DRY_RUNS + VALIDATION,
             phase="T-1 Hour: Deploy to Staging", next_step="T-30 Minutes: Final Smoke Tests")


@runbook("t-1h/communication/ready-for-production-deployment", kind=DERIVED, area="communication", impact=MINOR)
def test_ready_for_production_deployment(request):
    """Ready for production deployment: nothing blocking failed in staging."""
    announce(request, template="Pre-Deployment", claims="READY", based_on=DRY_RUNS + VALIDATION,
             next_step="T-30 Minutes: Final Smoke Tests")
