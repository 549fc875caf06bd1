"""Infrastructure faults: nodes, EKS, capacity, auto-scaling, load balancer, security groups, secrets,
network reachability, the production namespace, quotas, the phase-1 deploy and rollback history."""
from __future__ import annotations

from sandbox import stack
from sandbox.faults import Fault, register
from sandbox.faults.names import fill

T2 = "t-2h/final-infrastructure-check/"
T2R = "t-2h/resource-validation/"
T2_INFRA_OK = "t-2h/success-criteria/all-infrastructure-components-healthy"
T2_CAPACITY_OK = "t-2h/success-criteria/sufficient-capacity-for-deployment"
T2_GREEN = "t-2h/communication/infrastructure-status-green"
T2_READY = "t-2h/communication/ready-to-proceed-with-deployment"
T24 = "t-24h/infrastructure-verification/"
T4 = "t-4h/environment-preparation/"
P1 = "t-0/phase1/verify-infrastructure/"
T30 = "t-30m/rollback-preparation/"
P2_SECRETS = "t-0/phase2/verify-secrets/confirm-aws-secrets-manager"
FAULT_TAG = {"Key": "golive-fault", "Value": "vpc-quota-exhausted"}


def _ns(sb) -> str:
    return sb.config.kubernetes.app_namespace


def _node_ready(status: str, reason: str):
    def apply(sb):
        node = sb.kube.get("Node", sb.names.node)
        conditions = [dict(c, status=status, reason=reason) if c["type"] == "Ready" else c
                      for c in node["status"]["conditions"]]
        sb.kube.patch("Node", sb.names.node, body={"status": {"conditions": conditions}}, status=True)
    return apply


def _restore_node(sb):
    sb.kube.restore("Node", sb.names.node)


def _set_scaling(minimum, desired, maximum):
    def apply(sb):
        eks = sb.config.eks
        sb.aws("eks").update_nodegroup_config(clusterName=eks.cluster, nodegroupName=eks.nodegroup, scalingConfig={
            "minSize": minimum, "desiredSize": desired, "maxSize": maximum})
    return apply


def _target_group(sb):
    elb = sb.aws("elbv2")
    lb = elb.describe_load_balancers(Names=[sb.config.load_balancer.name])["LoadBalancers"][0]
    return elb, elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"][0]["TargetGroupArn"]


SEEDED_TARGETS = [{"Id": ip, "Port": 8000} for ip in ("10.0.1.101", "10.0.2.102", "10.0.3.103")]


def _deregister_targets(sb):
    elb, tg = _target_group(sb)
    elb.deregister_targets(TargetGroupArn=tg, Targets=SEEDED_TARGETS)


def _register_targets(sb):
    elb, tg = _target_group(sb)
    elb.register_targets(TargetGroupArn=tg, Targets=SEEDED_TARGETS)


def _node_sg(sb):
    """The security group of the cluster's worker nodes (the node group's instances)."""
    ec2, eks = sb.aws("ec2"), sb.config.eks
    reservations = ec2.describe_instances(Filters=[
        {"Name": "tag:eks:cluster-name", "Values": [eks.cluster]},
        {"Name": "tag:eks:nodegroup-name", "Values": [eks.nodegroup]},
        {"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"]
    return ec2, reservations[0]["Instances"][0]["SecurityGroups"][0]["GroupId"]


SSH_WORLD = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def _open_ssh(sb):
    ec2, group = _node_sg(sb)
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=SSH_WORLD)


def _close_ssh(sb):
    ec2, group = _node_sg(sb)
    ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=SSH_WORLD)


def _hpa_inactive(sb):
    name = sb.config.kubernetes.hpa
    hpa = sb.kube.get("HorizontalPodAutoscaler", name, _ns(sb))
    conditions = [dict(c, status="False", reason="FailedGetResourceMetric") if c["type"] == "ScalingActive" else c
                  for c in hpa["status"]["conditions"]]
    sb.kube.patch("HorizontalPodAutoscaler", name, _ns(sb), body={"status": {"conditions": conditions}}, status=True)


def _metrics_api_down(sb):
    sb.kube.patch("APIService", sb.config.kubernetes.metrics_apiservice, body={"status": {"conditions": [
        {"type": "Available", "status": "False", "reason": "FailedDiscoveryCheck",
         "message": "failing or missing response from https://10.100.12.7:443/apis/metrics.k8s.io/v1beta1"}]}},
        status=True)


def _bigger_requests(sb):
    name = sb.config.kubernetes.deployment
    deployment = sb.kube.get("Deployment", name, _ns(sb))
    containers = deployment["spec"]["template"]["spec"]["containers"]
    containers[0]["resources"]["requests"] = {"cpu": "1500m", "memory": "4Gi"}
    sb.kube.patch("Deployment", name, _ns(sb), body={"spec": {"template": {"spec": {"containers": containers}}}})


def restore_deployment(sb):
    """The app's Deployment as seeded."""
    sb.kube.restore("Deployment", sb.config.kubernetes.deployment, _ns(sb))


def reseed_aws(sb):
    from sandbox import seed_aws

    seed_aws.seed(f"http://{sb.host}:{sb.ports['aws']}")


def _secret(call):
    return lambda sb: call(sb.aws("secretsmanager"), sb.names.database_secret)


def _recreate_without_rotation(sb):
    secrets, secret = sb.aws("secretsmanager"), sb.names.database_secret
    secrets.delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
    secrets.create_secret(Name=secret, SecretString=f"golive-canary-{sb.config.secrets.rotation_required[0]}")


def _delete_nodegroup(sb):
    sb.aws("eks").delete_nodegroup(clusterName=sb.config.eks.cluster, nodegroupName=sb.config.eks.nodegroup)


def _delete_cluster(sb):
    _delete_nodegroup(sb)
    sb.aws("eks").delete_cluster(name=sb.config.eks.cluster)


register(
    Fault("kube-api-not-ready", "the Kubernetes API server's etcd readiness check fails",
          breaks=(T2 + "kubectl-cluster-info", T2_INFRA_OK, T2_GREEN), expect="etcd failed",
          inject=lambda sb: sb.kube.unready("etcd"), heal=lambda sb: sb.kube.unready(None)),
    Fault("node-not-ready", "node {node} reports Ready=False (kubelet stopped posting status)",
          breaks=(T2 + "kubectl-get-nodes", T2R + "confirm-sufficient-node-capacity", T2_INFRA_OK, T2_CAPACITY_OK,
                  T2_GREEN, T2_READY, T24 + "verify-eks-cluster-health", T24 + "check-node-capacity-and-scaling",
                  P1 + "verify-node-health"),
          expect="NotReady",
          inject=_node_ready("False", "KubeletNotReady"), heal=_restore_node),
    Fault("node-cordoned", "node {node} cordoned (spec.unschedulable)",
          breaks=(T2 + "kubectl-get-nodes", T2_INFRA_OK), expect="cordoned",
          inject=lambda sb: sb.kube.patch("Node", sb.names.node, body={"spec": {"unschedulable": True}}),
          heal=_restore_node),
    Fault("eks-cluster-missing", "EKS cluster {eks.cluster} and its node group deleted",
          breaks=(T2 + "aws-eks-describe-cluster", T2R + "verify-auto-scaling-configured", T2_INFRA_OK,
                  T24 + "verify-eks-cluster-health"),
          expect="ResourceNotFoundException",
          inject=_delete_cluster, heal=reseed_aws),
    Fault("secret-scheduled-for-deletion", "secret {database_secret} scheduled for deletion",
          breaks=(T2 + "aws-secretsmanager-list-secrets", T2_INFRA_OK, P2_SECRETS), expect="scheduled for deletion",
          inject=_secret(lambda secrets, secret: secrets.delete_secret(SecretId=secret, RecoveryWindowInDays=7)),
          heal=_secret(lambda secrets, secret: secrets.restore_secret(SecretId=secret))),
    # moto cannot cancel rotation without a Lambda, so the fault recreates the secret without it.
    Fault("secret-rotation-disabled", "{database_secret} recreated without rotation",
          breaks=(T2 + "aws-secretsmanager-list-secrets", P2_SECRETS), expect="rotation not enabled",
          inject=_recreate_without_rotation, heal=reseed_aws),
    Fault("deployment-requests-grow", "the deployment's pods request 1500m CPU / 4Gi each",
          breaks=(T2R + "confirm-sufficient-node-capacity", T2_CAPACITY_OK), expect="short by",
          inject=_bigger_requests, heal=restore_deployment),
    Fault("hpa-scaling-inactive", "HPA cannot read its metrics (ScalingActive=False)",
          breaks=(T2R + "verify-auto-scaling-configured", T2_CAPACITY_OK, "t+1h/performance-monitoring/verify-auto-scaling"),
          expect="ScalingActive",
          inject=_hpa_inactive,
          heal=lambda sb: sb.kube.restore("HorizontalPodAutoscaler", sb.config.kubernetes.hpa, _ns(sb))),
    Fault("metrics-api-unavailable", "metrics-server's APIService is not Available",
          breaks=(T2R + "verify-auto-scaling-configured",), expect="metrics API",
          inject=_metrics_api_down,
          heal=lambda sb: sb.kube.restore("APIService", sb.config.kubernetes.metrics_apiservice)),
    Fault("nodegroup-at-max", "node group {eks.nodegroup} max lowered to its desired size",
          breaks=(T2R + "verify-auto-scaling-configured", T24 + "check-node-capacity-and-scaling"),
          expect="cannot grow",
          inject=_set_scaling(3, 3, 3), heal=_set_scaling(3, 3, 10)),
    Fault("alb-targets-deregistered", "every target deregistered from the ALB's target group",
          breaks=(T2R + "check-load-balancer-health", T2_INFRA_OK), expect="0 targets",
          inject=_deregister_targets, heal=_register_targets),
    Fault("world-open-ssh", "port 22 opened to 0.0.0.0/0 on the node security group",
          breaks=(T2R + "validate-security-groups", T2_INFRA_OK, T2_GREEN), expect="opens port 22/tcp to the world",
          inject=_open_ssh, heal=_close_ssh),
)


def _staging_deployment(sb):
    name, (key, _) = sb.names.staging_deployment, sb.names.app_label
    labels = {key: name, "environment": "staging"}
    body = {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": _ns(sb), "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": {key: name}}, "template": {
                "metadata": {"labels": labels}, "spec": {"containers": [{
                    "name": sb.config.kubernetes.container, "image": f"{sb.names.app_image}-rc1"}]}}}}
    sb.kube.http.post(sb.kube.url("Deployment", None, _ns(sb)), json=body, timeout=5).raise_for_status()


def _restart_rollout(sb):
    # `kubectl rollout restart`: the spec changes (generation +1) and no controller runs in the emulator to observe it.
    restarted = {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}
    sb.kube.patch("Deployment", sb.config.kubernetes.deployment, _ns(sb),
                  body={"spec": {"template": {"metadata": {"annotations": restarted}}}})


def _fill_vpc_quota(sb):
    ec2 = sb.aws("ec2")
    limit = sb.aws("service-quotas").get_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]["Value"]
    for n in range(int(limit) - len(ec2.describe_vpcs()["Vpcs"])):
        ec2.create_vpc(CidrBlock=f"172.{16 + n}.0.0/16",
                       TagSpecifications=[{"ResourceType": "vpc", "Tags": [FAULT_TAG]}])


def _free_vpc_quota(sb):
    ec2 = sb.aws("ec2")
    for vpc in ec2.describe_vpcs(Filters=[{"Name": f"tag:{FAULT_TAG['Key']}", "Values": [FAULT_TAG["Value"]]}])["Vpcs"]:
        ec2.delete_vpc(VpcId=vpc["VpcId"])


def script_fault(name: str, script: str, message: str, breaks: tuple[str, ...]) -> Fault:
    """The stand-in deploy script fails while $GOLIVE_SANDBOX_DIR/faults/<script>.fail exists; it prints
    `message` (a template of names, as a description is)."""
    def flag():
        return stack.state_dir() / "faults" / f"{script}.fail"

    def inject(sb):
        flag().parent.mkdir(parents=True, exist_ok=True)
        flag().write_text(fill(message, sb.names))

    return Fault(name, f"{script}.sh fails: {message}", breaks=breaks, expect="exited 1", inject=inject,
                 heal=lambda sb: flag().unlink(missing_ok=True))


register(
    Fault("nodegroup-deleted", "EKS node group {eks.nodegroup} deleted (moto cannot report node group health issues)",
          breaks=(T24 + "verify-eks-cluster-health", T24 + "check-node-capacity-and-scaling",
                  P1 + "check-eks-cluster-status"),
          expect="node group {eks.nodegroup}: ResourceNotFoundException", inject=_delete_nodegroup, heal=reseed_aws),
    # Grafana is reached directly; Prometheus and Alertmanager through the Kubernetes API's service proxy.
    Fault("grafana-down", "the Grafana process is stopped: its port refuses connections",
          breaks=(T24 + "validate-network-connectivity", P1 + "validate-network-connectivity"),
          expect="Grafana ({grafana_url}): TCP", inject=lambda sb: sb.stop("grafana"),
          heal=lambda sb: sb.start_stopped()),
    Fault("alertmanager-down", "the Alertmanager process is stopped: the service proxy cannot reach it",
          breaks=("t-24h/application-validation/test-monitoring-and-alerting",),
          expect="error trying to reach service", inject=lambda sb: sb.stop("alertmanager"),
          heal=lambda sb: sb.start_stopped()),
    Fault("staging-deployment-left",
          "a Deployment {staging_deployment} labelled environment=staging left in {kubernetes.app_namespace}",
          breaks=(T4 + "clear-any-staging-deployments",), expect="deployment {staging_deployment}",
          inject=_staging_deployment,
          heal=lambda sb: sb.kube.delete("Deployment", sb.names.staging_deployment, _ns(sb))),
    Fault("rollout-pending", "the app Deployment was restarted and its controller has not observed the new spec",
          breaks=(T4 + "prepare-production-environment",), expect="not yet observed",
          inject=_restart_rollout, heal=restore_deployment),
    Fault("namespace-label-missing", "namespace {kubernetes.app_namespace} lost its environment label",
          breaks=(T4 + "prepare-production-environment",), expect="environment=<missing>",
          inject=lambda sb: sb.kube.patch("Namespace", _ns(sb), body={"metadata": {"labels": {"environment": None}}}),
          heal=lambda sb: sb.kube.restore("Namespace", _ns(sb))),
    Fault("vpc-quota-exhausted", "extra VPCs fill the region's VPC quota (5)",
          breaks=(T4 + "verify-aws-quotas-and-limits",), expect="0 left, need 1 free",
          inject=_fill_vpc_quota, heal=_free_vpc_quota),
    script_fault("deploy-phase1-fails", "deploy_phase1_infrastructure",
                 "terraform apply: creating EKS Node Group ({eks.nodegroup}): InvalidParameterException",
                 breaks=("t-0/phase1/deploy-infrastructure/deploy-phase1-infrastructure",)),
    Fault("previous-replicaset-deleted", "the app's revision-1 ReplicaSet {previous_replicaset} deleted",
          breaks=(T30 + "verify-rollback-procedures", T30 + "prepare-rollback-commands"), expect="nowhere to go",
          inject=lambda sb: sb.kube.delete("ReplicaSet", sb.names.previous_replicaset, _ns(sb)),
          heal=lambda sb: sb.kube.restore("ReplicaSet", sb.names.previous_replicaset, _ns(sb))),
)
