"""T+15 Minutes: Initial Validation / Success Criteria.

The team's own validator (`python3 scripts/validate_deployment.py`) is opt-in (--golive-mutating);
without it, these criteria stand on golive's own checks of this phase.
"""
from golive.check import DERIVED, runbook, summarise

from checks.t_plus_15m import test_critical_functionality_test as functionality
from checks.t_plus_15m import test_monitoring_verification as monitoring

FUNCTIONALITY = (functionality.test_all_api_endpoints, functionality.test_verify_database_operations,
                 functionality.test_s3_connectivity, functionality.test_confirm_external_integrations)
MONITORING = (monitoring.test_check_grafana_dashboards, monitoring.test_verify_prometheus_metrics,
              monitoring.test_confirm_log_aggregation)


@runbook("t+15m/success-criteria/all-validation-checks-passing", kind=DERIVED)
def test_all_validation_checks_passing(request):
    """All validation checks passing: functionality and monitoring checks of this phase passed."""
    summarise(request, *FUNCTIONALITY, *MONITORING)


@runbook("t+15m/success-criteria/critical-functionality-working", kind=DERIVED, area="application")
def test_critical_functionality_working(request):
    """Critical functionality working: API, database, S3 and integrations answer."""
    summarise(request, *FUNCTIONALITY)


@runbook("t+15m/success-criteria/monitoring-fully-operational", kind=DERIVED, area="monitoring")
def test_monitoring_fully_operational(request):
    """Monitoring fully operational: dashboards, metrics and logs in place."""
    summarise(request, *MONITORING)
