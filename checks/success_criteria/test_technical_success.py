"""Success Criteria / Technical Success: the go-live as a whole, from the phases' own criteria."""
from golive.check import DERIVED, runbook, summarise

from checks.t_plus_15m import test_success_criteria as t_plus_15m
from checks.t_plus_1h import test_success_criteria as t_plus_1h
from checks.t_plus_24h import test_success_criteria as t_plus_24h
from checks.t_zero import test_success_criteria as t_zero


@runbook("success/technical-success/all-deployment-phases-completed-successfully", kind=DERIVED)
def test_all_deployment_phases_completed_successfully(request):
    """All deployment phases completed successfully."""
    summarise(request, t_zero.test_all_phases_completed_successfully)


@runbook("success/technical-success/application-responding-correctly", kind=DERIVED, area="application")
def test_application_responding_correctly(request):
    """Application responding correctly: at T-0 and at T+15 minutes."""
    summarise(request, t_zero.test_application_responding_correctly, t_plus_15m.test_critical_functionality_working)


@runbook("success/technical-success/monitoring-operational", kind=DERIVED, area="monitoring")
def test_monitoring_operational(request):
    """Monitoring operational: at T-0 and at T+15 minutes."""
    summarise(request, t_zero.test_monitoring_operational, t_plus_15m.test_monitoring_fully_operational)


@runbook("success/technical-success/no-critical-errors-or-issues", kind=DERIVED)
def test_no_critical_errors_or_issues(request):
    """No critical errors or issues: at T-0 and over the first 24 hours."""
    summarise(request, t_zero.test_no_critical_errors, t_plus_24h.test_no_critical_issues)


@runbook("success/technical-success/performance-within-acceptable-limits", kind=DERIVED)
def test_performance_within_acceptable_limits(request):
    """Performance within acceptable limits: at T+1 hour and over the first 24 hours."""
    summarise(request, t_plus_1h.test_performance_within_acceptable_limits,
              t_plus_24h.test_system_stable_and_performing_well)
