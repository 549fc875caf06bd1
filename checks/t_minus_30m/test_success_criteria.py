"""T-30 Minutes: Final Smoke Tests / Success Criteria."""
from golive.check import ATTESTED, CRASH, DERIVED, runbook, summarise

from checks.t_minus_30m import test_critical_path_testing as critical_path
from checks.t_minus_30m import test_rollback_preparation as rollback

SMOKE = (critical_path.test_application_startup, critical_path.test_verify_database_connectivity,
         critical_path.test_api_endpoints, critical_path.test_confirm_monitoring_metrics)
ROLLBACK = (rollback.test_verify_rollback_procedures, rollback.test_backup_restoration,
            rollback.test_confirm_emergency_contacts, rollback.test_prepare_rollback_commands)


@runbook("t-30m/success-criteria/all-smoke-tests-passing", kind=DERIVED)
def test_all_smoke_tests_passing(request):
    """All smoke tests passing: every critical-path check passed."""
    summarise(request, *SMOKE)


@runbook("t-30m/success-criteria/rollback-procedures-ready", kind=DERIVED)
def test_rollback_procedures_ready(request):
    """Rollback procedures ready: a previous revision, a restorable backup, contacts, and the commands."""
    summarise(request, *ROLLBACK)


@runbook("t-30m/success-criteria/team-prepared-for-deployment", kind=ATTESTED, area="manual", role="QA Lead",
         impact=CRASH)  # going live with an unprepared team is a blocker
def test_team_prepared_for_deployment(request, attestation):
    """Team prepared for deployment: the rollback is ready, and the QA Lead says the team is."""
    summarise(request, *ROLLBACK)
    attestation.confirm()
