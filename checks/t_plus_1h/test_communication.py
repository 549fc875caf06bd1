"""T+1 Hour: Extended Monitoring / Communication."""
from golive.check import DERIVED, MINOR, runbook
from golive.communications import announce

from checks.t_plus_1h.test_success_criteria import ACCEPTANCE, ALERTING, PERFORMANCE, test_no_critical_alerts


@runbook("t+1h/communication/extended-monitoring-stable", kind=DERIVED, area="communication", impact=MINOR)
def test_extended_monitoring_stable(request):
    """Extended monitoring: STABLE, announced only when performance, acceptance and alerting hold."""
    announce(request, template="During Deployment", claims="GREEN",
             based_on=PERFORMANCE + ACCEPTANCE + ALERTING + (test_no_critical_alerts,),
             phase="T+1 Hour: Extended Monitoring", next_step="T+24 Hours: Post-Launch Review")


@runbook("t+1h/communication/system-performing-as-expected", kind=DERIVED, area="communication", impact=MINOR)
def test_system_performing_as_expected(request):
    """System performing as expected: performance within limits."""
    announce(request, template="Post-Deployment", claims="GREEN", based_on=PERFORMANCE)
