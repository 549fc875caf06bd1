"""T-2 Hours: Infrastructure Verification (DevOps Lead, Infrastructure Engineer).

The runbook's commands are answered by their API equivalents; names come from golive.toml.
"""
from golive.check import DERIVED, MINOR, SECURITY, expect, runbook, summarise
from golive.communications import announce
from golive.probes import infrastructure as infra
from golive.probes import monitoring as mon

# --- Final Infrastructure Check --------------------------------------------------------------


@runbook("t-2h/final-infrastructure-check/kubectl-cluster-info")
def test_kubectl_cluster_info(k8s):
    """kubectl cluster-info: the Kubernetes API server answers and is ready."""
    expect(infra.api_serving(k8s.version(), k8s.health(), k8s.where))


@runbook("t-2h/final-infrastructure-check/kubectl-get-nodes")
def test_kubectl_get_nodes(k8s, cfg):
    """kubectl get nodes: enough nodes Ready, none cordoned or under pressure."""
    expect(infra.nodes_ready(k8s.list("nodes"), cfg.eks.min_ready_nodes))


@runbook("t-2h/final-infrastructure-check/aws-eks-describe-cluster")
def test_aws_eks_describe_cluster(aws, cfg):
    """aws eks describe-cluster: the cluster is ACTIVE on the expected, supported version."""
    response = aws.call("eks", "describe_cluster", name=cfg.eks.cluster)
    expect(infra.eks_cluster_active(response, cfg.eks.cluster, cfg.eks.expected_version, cfg.eks.min_supported_version))


@runbook("t-2h/final-infrastructure-check/aws-secretsmanager-list-secrets", area="secrets")
def test_aws_secretsmanager_list_secrets(aws, cfg):
    """aws secretsmanager list-secrets: every expected secret is listed (metadata only)."""
    secrets = aws.paginate("secretsmanager", "list_secrets", "SecretList",
                           Filters=[{"Key": "name", "Values": [cfg.secrets.prefix]}], IncludePlannedDeletion=True)
    expect(infra.secrets_listed(secrets, cfg.secrets.prefix, cfg.secrets.keys, cfg.secrets.rotation_required))


# --- Resource Validation ---------------------------------------------------------------------


@runbook("t-2h/resource-validation/confirm-sufficient-node-capacity")
def test_confirm_sufficient_node_capacity(k8s, cfg):
    """Schedulable capacity fits the deployment at its HPA maximum."""
    kube = cfg.kubernetes
    expect(infra.capacity_fits(k8s.list("nodes"), k8s.list("pods"),
                               k8s.get("deployments", kube.deployment, kube.app_namespace),
                               k8s.get("horizontalpodautoscalers", kube.hpa, kube.app_namespace)))


@runbook("t-2h/resource-validation/verify-auto-scaling-configured")
def test_verify_auto_scaling_configured(k8s, aws, cfg):
    """HPA active with live metrics, and the node group can grow."""
    kube = cfg.kubernetes
    nodegroup = aws.call("eks", "describe_nodegroup", clusterName=cfg.eks.cluster, nodegroupName=cfg.eks.nodegroup)
    expect(infra.autoscaling_configured(k8s.get("horizontalpodautoscalers", kube.hpa, kube.app_namespace),
                                        k8s.get("apiservices", kube.metrics_apiservice), nodegroup, kube.hpa))


@runbook("t-2h/resource-validation/check-load-balancer-health")
def test_check_load_balancer_health(aws, cfg):
    """The ALB is active and all its targets are healthy."""
    name = cfg.load_balancer.name
    lbs = aws.call("elbv2", "describe_load_balancers", Names=[name])
    health = {}
    for lb in lbs.get("LoadBalancers", []):
        groups = aws.call("elbv2", "describe_target_groups", LoadBalancerArn=lb["LoadBalancerArn"])
        for tg in groups.get("TargetGroups", []):
            health[tg["TargetGroupArn"]] = aws.call("elbv2", "describe_target_health", TargetGroupArn=tg["TargetGroupArn"])
    expect(infra.load_balancer_healthy(lbs, health, name))


@runbook("t-2h/resource-validation/validate-security-groups", impact=SECURITY)
def test_validate_security_groups(aws, cfg):
    """No security group in the cluster's VPC is open to the world, except 80/443 on the ALB."""
    cluster = aws.call("eks", "describe_cluster", name=cfg.eks.cluster).get("cluster") or {}
    vpc = (cluster.get("resourcesVpcConfig") or {}).get("vpcId")
    groups = aws.paginate("ec2", "describe_security_groups", "SecurityGroups",
                          Filters=[{"Name": "vpc-id", "Values": [vpc]}] if vpc else [])
    lbs = aws.call("elbv2", "describe_load_balancers", Names=[cfg.load_balancer.name])
    alb_groups = {sg for lb in lbs.get("LoadBalancers", []) for sg in lb.get("SecurityGroups", [])}
    expect(infra.security_groups_closed(groups, alb_groups, cfg.load_balancer.world_open_ports_allowed))


# --- Success Criteria ------------------------------------------------------------------------

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
def test_no_critical_alerts(prom):
    """No critical alert is firing in Prometheus."""
    expect(mon.no_critical_alerts(prom.api("alerts")["alerts"], f"Prometheus {prom.base_url}"))


# --- Communication ---------------------------------------------------------------------------


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
