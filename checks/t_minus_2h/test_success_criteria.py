"""T-2 Hours: Infrastructure Verification / Success Criteria, decided from this phase's checks."""
from golive.check import DERIVED, expect, runbook, summarise
from golive.probes import monitoring as mon

from checks.t_minus_2h.test_final_infrastructure_check import (
    test_aws_eks_describe_cluster, test_aws_secretsmanager_list_secrets, test_kubectl_cluster_info,
    test_kubectl_get_nodes)
from checks.t_minus_2h.test_resource_validation import (
    test_check_load_balancer_health, test_confirm_sufficient_node_capacity, test_validate_security_groups,
    test_verify_auto_scaling_configured)

INFRASTRUCTURE = (test_kubectl_cluster_info, test_kubectl_get_nodes, test_aws_eks_describe_cluster,
                  test_aws_secretsmanager_list_secrets, test_verify_auto_scaling_configured,
                  test_check_load_balancer_health, test_validate_security_groups)


@runbook("t-2h/success-criteria/all-infrastructure-components-healthy", kind=DERIVED)
def test_all_infrastructure_components_healthy(request):
    """Every infrastructure check of this phase passed."""
    summarise(request, *INFRASTRUCTURE)


@runbook("t-2h/success-criteria/sufficient-capacity-for-deployment", kind=DERIVED)
def test_sufficient_capacity_for_deployment(request):
    """Capacity fits now and auto-scaling can add more."""
    summarise(request, test_confirm_sufficient_node_capacity, test_verify_auto_scaling_configured)


@runbook("t-2h/success-criteria/no-critical-alerts", area="monitoring")  # a firing critical alert blocks
def test_no_critical_alerts(prom, alertmanager):
    """No critical alert firing: none in Prometheus, which does evaluate critical rules, and none active in
    Alertmanager from any sender."""
    where = f"Prometheus {prom.base_url}"
    expect(mon.alerting_rules_loaded(prom.api("rules")["groups"], where),
           mon.no_critical_alerts(prom.api("alerts")["alerts"], where),
           # All alerts, as other checks read them (one call): the probe keeps those still active, not suppressed.
           mon.no_critical_alerts_routed(alertmanager.get_json("/api/v2/alerts"),
                                         f"Alertmanager {alertmanager.base_url}"))
