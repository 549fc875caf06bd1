"""T-1 Hour: Deploy to Staging / Success Criteria."""
from golive.check import DERIVED, runbook, summarise

from checks.t_minus_1h import test_staging_deployment as deployment
from checks.t_minus_1h import test_staging_validation as validation

DRY_RUNS = (deployment.test_deploy_phase1_infrastructure_dry_run, deployment.test_deploy_phase2_secrets_dry_run,
            deployment.test_deploy_phase3_application_dry_run, deployment.test_deploy_phase4_monitoring_dry_run)
VALIDATION = (validation.test_verify_all_components_deploy_successfully, validation.test_application_functionality,
              validation.test_confirm_monitoring_working, validation.test_validate_alerting)


@runbook("t-1h/success-criteria/staging-deployment-successful", kind=DERIVED)
def test_staging_deployment_successful(request):
    """Staging deployment successful: all four dry runs passed (they run with --golive-mutating)."""
    summarise(request, *DRY_RUNS)


@runbook("t-1h/success-criteria/all-tests-passing", kind=DERIVED)
def test_all_tests_passing(request):
    """All tests passing: every staging validation check passed."""
    summarise(request, *VALIDATION)


@runbook("t-1h/success-criteria/monitoring-operational", kind=DERIVED, area="monitoring")
def test_monitoring_operational(request):
    """Monitoring operational: metrics flow and alerting is wired."""
    summarise(request, validation.test_confirm_monitoring_working, validation.test_validate_alerting)
