"""T-0: Production Deployment / Success Criteria.

"All phases completed" is judged by each phase's verification, whoever ran the deploy scripts:
the team runs them by hand at T-0; golive runs them only with --golive-mutating.
"""
from golive.check import DERIVED, runbook, summarise

from checks.t_minus_2h.test_success_criteria import test_no_critical_alerts
from checks.t_zero.phase1 import test_verify_infrastructure as phase1
from checks.t_zero.phase2 import test_verify_secrets as phase2
from checks.t_zero.phase3 import test_verify_application as phase3
from checks.t_zero.phase4 import test_verify_monitoring as phase4

INFRASTRUCTURE = (phase1.test_check_eks_cluster_status, phase1.test_verify_node_health,
                  phase1.test_confirm_external_secrets_operator, phase1.test_validate_network_connectivity)
SECRETS = (phase2.test_confirm_aws_secrets_manager, phase2.test_external_secrets_sync,
           phase2.test_validate_kubernetes_secrets, phase2.test_secret_access)
APPLICATION = (phase3.test_check_pod_status, phase3.test_health_endpoints, phase3.test_verify_service_connectivity,
               phase3.test_confirm_ingress_working)
MONITORING = (phase4.test_check_prometheus_targets, phase4.test_verify_grafana_dashboards, phase4.test_alerting_rules,
              phase4.test_confirm_metrics_collection)
ALL_PHASES = INFRASTRUCTURE + SECRETS + APPLICATION + MONITORING


@runbook("t-0/success-criteria/all-phases-completed-successfully", kind=DERIVED)
def test_all_phases_completed_successfully(request):
    """All phases completed successfully: every phase's verification passed."""
    summarise(request, *ALL_PHASES)


@runbook("t-0/success-criteria/application-responding-correctly", kind=DERIVED, area="application")
def test_application_responding_correctly(request):
    """Application responding correctly: pods, health, service and ingress all answer."""
    summarise(request, *APPLICATION)


@runbook("t-0/success-criteria/monitoring-operational", kind=DERIVED, area="monitoring")
def test_monitoring_operational(request):
    """Monitoring operational: targets, dashboards, rules and metrics all in place."""
    summarise(request, *MONITORING)


@runbook("t-0/success-criteria/no-critical-errors", kind=DERIVED)
def test_no_critical_errors(request):
    """No critical errors: no critical alert firing and no pod failing."""
    summarise(request, test_no_critical_alerts, phase3.test_check_pod_status)
