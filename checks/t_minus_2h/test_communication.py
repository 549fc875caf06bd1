"""T-2 Hours: Infrastructure Verification / Communication, filled from what this phase measured."""
from golive.check import DERIVED, MINOR, runbook
from golive.communications import announce

from checks.t_minus_2h.test_resource_validation import test_confirm_sufficient_node_capacity
from checks.t_minus_2h.test_success_criteria import INFRASTRUCTURE, test_no_critical_alerts


@runbook("t-2h/communication/infrastructure-status-green", kind=DERIVED, area="communication", impact=MINOR)
def test_infrastructure_status_green(request):
    """Announce 'Infrastructure status: GREEN' only when the infrastructure is green."""
    announce(request, template="Pre-Deployment", claims="GREEN",
             based_on=INFRASTRUCTURE + (test_confirm_sufficient_node_capacity,),
             next_step="T-1 Hour: Deploy to Staging")


@runbook("t-2h/communication/ready-to-proceed-with-deployment", kind=DERIVED, area="communication", impact=MINOR)
def test_ready_to_proceed_with_deployment(request):
    """Announce 'Ready to proceed with deployment' only when nothing blocking failed."""
    announce(request, template="Pre-Deployment", claims="READY",
             based_on=INFRASTRUCTURE + (test_confirm_sufficient_node_capacity, test_no_critical_alerts),
             next_step="T-1 Hour: Deploy to Staging")
