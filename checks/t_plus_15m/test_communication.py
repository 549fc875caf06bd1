"""T+15 Minutes: Initial Validation / Communication."""
from golive.check import DERIVED, MINOR, runbook
from golive.communications import announce

from checks.t_plus_15m.test_success_criteria import FUNCTIONALITY, MONITORING


@runbook("t+15m/communication/initial-validation-success", kind=DERIVED, area="communication", impact=MINOR)
def test_initial_validation_success(request):
    """Initial validation: SUCCESS, announced only when every validation check passed."""
    announce(request, template="During Deployment", claims="GREEN", based_on=FUNCTIONALITY + MONITORING,
             phase="T+15 Minutes: Initial Validation", next_step="T+1 Hour: Extended Monitoring")


@runbook("t+15m/communication/system-fully-operational", kind=DERIVED, area="communication", impact=MINOR)
def test_system_fully_operational(request):
    """System fully operational: the critical functionality works."""
    announce(request, template="Post-Deployment", claims="GREEN", based_on=FUNCTIONALITY)
