"""T+1 Hour: Extended Monitoring / Success Criteria."""
from golive.check import DERIVED, runbook, summarise

from checks.t_minus_2h.test_success_criteria import test_no_critical_alerts
from checks.t_plus_1h import test_alert_tuning as alerting
from checks.t_plus_1h import test_performance_monitoring as performance
from checks.t_plus_1h import test_user_acceptance_testing as acceptance

PERFORMANCE = (performance.test_monitor_response_times, performance.test_check_resource_utilization,
               performance.test_verify_auto_scaling, performance.test_monitor_error_rates)
ACCEPTANCE = (acceptance.test_end_to_end_workflows, acceptance.test_verify_user_interfaces,
              acceptance.test_all_integrations, acceptance.test_confirm_data_accuracy)
ALERTING = (alerting.test_adjust_alert_thresholds, alerting.test_verify_escalation_procedures,
            alerting.test_confirm_on_call_rotation)


@runbook("t+1h/success-criteria/performance-within-acceptable-limits", kind=DERIVED)
def test_performance_within_acceptable_limits(request):
    """Performance within acceptable limits: latency, utilisation, scaling and errors within thresholds."""
    summarise(request, *PERFORMANCE)


@runbook("t+1h/success-criteria/no-critical-issues-identified", kind=DERIVED)
def test_no_critical_issues_identified(request):
    """No critical issues identified: no critical alert, and acceptance testing passed."""
    summarise(request, test_no_critical_alerts, *ACCEPTANCE)


@runbook("t+1h/success-criteria/alerting-properly-configured", kind=DERIVED, area="monitoring")
def test_alerting_properly_configured(request):
    """Alerting properly configured: thresholds agree, escalation routes, on-call confirmed."""
    summarise(request, *ALERTING)
