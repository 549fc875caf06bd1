"""T-24 Hours: Final Pre-Checks / Success Criteria, decided from this phase's checks."""
from golive.check import DERIVED, runbook, summarise

from checks.t_minus_24h import test_application_validation as application
from checks.t_minus_24h import test_infrastructure_verification as infrastructure
from checks.t_minus_24h import test_team_briefing as briefing
from checks.t_minus_30m import test_rollback_preparation as rollback

STAGING_CHECKS = (infrastructure.test_verify_eks_cluster_health, infrastructure.test_check_node_capacity_and_scaling,
                  infrastructure.test_validate_network_connectivity,
                  infrastructure.test_confirm_backup_systems_operational,
                  application.test_run_full_test_suite_in_staging, application.test_verify_all_integrations_working,
                  application.test_monitoring_and_alerting, application.test_validate_secret_management)
BRIEFING = (briefing.test_review_go_live_timeline, briefing.test_confirm_communication_protocols,
            briefing.test_verify_emergency_procedures, briefing.test_distribute_contact_information)


@runbook("t-24h/success-criteria/all-systems-green-in-staging", kind=DERIVED)
def test_all_systems_green_in_staging(request):
    """All systems green in staging: every infrastructure and application check of this phase passed."""
    summarise(request, *STAGING_CHECKS)


@runbook("t-24h/success-criteria/team-fully-briefed-and-ready", kind=DERIVED, area="manual")
def test_team_fully_briefed_and_ready(request):
    """Team fully briefed and ready: every briefing item is signed off."""
    summarise(request, *BRIEFING)


@runbook("t-24h/success-criteria/emergency-procedures-validated", kind=DERIVED)
def test_emergency_procedures_validated(request):
    """Emergency procedures validated: briefed, and a rollback has somewhere to go (revision and backup)."""
    summarise(request, briefing.test_verify_emergency_procedures, rollback.test_verify_rollback_procedures,
              rollback.test_backup_restoration)
