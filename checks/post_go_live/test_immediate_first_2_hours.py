"""Post-Go-Live Checklist / Immediate (First 2 hours)."""
from golive.check import ATTESTED, DERIVED, MINOR, expect, runbook, summarise
from golive.probes import monitoring as mon

from checks.t_minus_2h.test_success_criteria import test_no_critical_alerts
from checks.t_plus_15m.test_monitoring_verification import test_check_grafana_dashboards
from checks.t_plus_15m.test_success_criteria import FUNCTIONALITY
from checks.t_plus_1h.test_performance_monitoring import test_monitor_error_rates
from checks.t_plus_1h.test_user_acceptance_testing import test_end_to_end_workflows
from checks.t_zero.phase3.test_verify_application import test_check_pod_status


@runbook("post/immediate-first-2-hours/monitor-system-stability", kind=DERIVED)
def test_monitor_system_stability(request):
    """Monitor system stability: pods steady, no critical alert, error rate within limits."""
    summarise(request, test_check_pod_status, test_no_critical_alerts, test_monitor_error_rates)


@runbook("post/immediate-first-2-hours/verify-all-functionality", kind=DERIVED, area="application")
def test_verify_all_functionality(request):
    """Verify all functionality: API, data paths, integrations and an end-to-end MCP workflow."""
    summarise(request, *FUNCTIONALITY, test_end_to_end_workflows)


@runbook("post/immediate-first-2-hours/check-monitoring-dashboards", kind=DERIVED, area="monitoring")
def test_check_monitoring_dashboards(request):
    """Check monitoring dashboards."""
    summarise(request, test_check_grafana_dashboards)


@runbook("post/immediate-first-2-hours/respond-to-any-alerts", area="monitoring", impact=MINOR)
def test_respond_to_any_alerts(alertmanager):
    """Respond to any alerts: every firing alert is silenced (acknowledged, with a comment) or resolved."""
    expect(mon.alerts_acknowledged(alertmanager.get_json("/api/v2/alerts"), f"Alertmanager {alertmanager.base_url}"))


@runbook("post/immediate-first-2-hours/document-any-issues", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=MINOR)
def test_document_any_issues(attestation):
    """Document any issues."""
    attestation.confirm()
