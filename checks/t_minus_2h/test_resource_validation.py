"""T-2 Hours: Infrastructure Verification / Resource Validation."""
from golive.check import SECURITY, after_deploy, expect, runbook
from golive.probes import infrastructure as infra
from golive.probes import wiring


@runbook("t-2h/resource-validation/confirm-sufficient-node-capacity")
def test_confirm_sufficient_node_capacity(k8s, cfg):
    """Schedulable capacity fits the deployment at its HPA maximum."""
    kube = cfg.kubernetes
    expect(infra.capacity_fits(k8s.list("nodes"), k8s.list("pods"),
                               k8s.get("deployments", kube.deployment, kube.app_namespace),
                               k8s.get("horizontalpodautoscalers", kube.hpa, kube.app_namespace)))


@runbook("t-2h/resource-validation/verify-auto-scaling-configured", manifests=True)
def test_verify_auto_scaling_configured(k8s, aws, cfg):
    """HPA targets the app, whose containers request what it scales on; HPA active with live metrics, and the
    node group can grow."""
    kube = cfg.kubernetes
    hpa = k8s.get("horizontalpodautoscalers", kube.hpa, kube.app_namespace)

    def live():
        nodegroup = aws.call("eks", "describe_nodegroup", clusterName=cfg.eks.cluster, nodegroupName=cfg.eks.nodegroup)
        return infra.autoscaling_configured(hpa, k8s.get("apiservices", kube.metrics_apiservice), nodegroup, kube.hpa)

    expect(wiring.hpa_targets(hpa, k8s.get("deployments", kube.deployment, kube.app_namespace), kube.hpa,
                              f"Deployment {kube.deployment}"),
           after_deploy("the HPA active with live metrics, the node group able to grow", live))


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
