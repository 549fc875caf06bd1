"""golive.probes.infrastructure, one table per probe: recorded answer -> variant -> verdict and sentence.

Inputs are built as the checks build them (checks/t_minus_2h, t_minus_24h, t_zero/phase1, t_minus_4h,
t_minus_30m); each row's `change` mutates the recorded inputs in place.
"""
from __future__ import annotations


import pytest

from fixtures.scripts import ScriptRun
from golive.config import Quota
from golive.probes import infrastructure as infra
from tests.unit.recorded import FAIL, PASS, verdict, aws, condition, derive, drop_condition, k8s, named, plain, row, same

M = "infrastructure"
SERVER = "https://127.0.0.1:18443"
CLUSTER, NODEGROUP, ALB = "nba-mcp-synthesis-prod", "standard-workers", "k8s-nbamcpsy-nbamcpsy-0123456789"
NS, APP, HPA = "nba-mcp-synthesis", "nba-mcp-synthesis", "nba-mcp-synthesis-hpa"
NODE_B = "ip-10-0-2-22.ec2.internal"
PREFIX = "nba-mcp-synthesis/production/"
KEYS = ["google-api-key", "anthropic-api-key", "openai-api-key", "deepseek-api-key", "slack-webhook-url",
        "linear-api-key", "linear-team-id", "linear-project-id", "database-password", "aws-access-key-id",
        "aws-secret-access-key"]  # golive.toml [defaults.secrets]


def node(a, name=NODE_B):
    return named(a["nodes"], name)


def container(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]


# --- api_serving (kubectl cluster-info) -------------------------------------------------------

READYZ_ETCD = "[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed"  # the emulator's failing /readyz


@pytest.mark.parametrize("change, outcome, fragment", [
    row("serving", same, PASS, f"Kubernetes API at {SERVER} is serving v1.28"),
    row("readyz-not-asked", lambda a: a.update(readyz=None), PASS, "is serving v1.28"),
    row("readyz-ok-with-newline", lambda a: a.update(readyz="ok\n"), PASS, "is serving"),
    row("no-version-answer", lambda a: a.update(version=None), FAIL, "answered /version without a gitVersion"),
    row("version-without-gitVersion", lambda a: a["version"].pop("gitVersion"), FAIL, "without a gitVersion"),
    row("readyz-failing", lambda a: a.update(readyz=READYZ_ETCD), FAIL, "is not ready: /readyz said '[+]ping ok"),
    row("readyz-http-500", lambda a: a.update(readyz="HTTP 500: etcd not ready"), FAIL, "'HTTP 500: etcd not ready'"),
])
def test_api_serving(change, outcome, fragment):
    a = {"version": k8s(M, "version"), "readyz": "ok", "server": SERVER}
    change(a)
    verdict(infra.api_serving(**a), outcome, fragment)


KUBE_DNS = {"metadata": {"name": "kube-dns"}, "spec": {"selector": {"k8s-app": "kube-dns"}}}
OTHER = {"metadata": {"name": "metrics-server"}, "spec": {"selector": {"k8s-app": "metrics-server"}}}
HEADLESS = {"metadata": {"name": "no-selector"}, "spec": {}}


@pytest.mark.parametrize("services, outcome, fragment", [
    row("coredns-listed", [OTHER, KUBE_DNS, HEADLESS], PASS, "CoreDNS is listed: Service kube-dns in kube-system"),
    row("empty-api", [], FAIL, f"Kubernetes API at {SERVER} lists no DNS Service in kube-system selecting "
                               f"k8s-app=kube-dns (0 Services there)"),
    row("only-others", [OTHER, HEADLESS], FAIL, "cluster-info would show no CoreDNS"),
])
def test_cluster_dns_listed(services, outcome, fragment):
    verdict(infra.cluster_dns_listed(services, "kube-system", {"k8s-app": "kube-dns"}, SERVER), outcome, fragment)


# --- nodes_ready (kubectl get nodes) ----------------------------------------------------------

@pytest.mark.parametrize("change, outcome, fragment", [
    row("three-ready", same, PASS, "3 of 3 nodes Ready and schedulable (need 3)"),
    row("no-nodes", lambda a: a.update(nodes=[]), FAIL, "expected at least 3 nodes, found 0"),
    row("ready-false", lambda a: condition(node(a), "Ready", status="False", reason="KubeletNotReady"), FAIL,
        f"2 of 3 nodes Ready and schedulable (need 3): {NODE_B} NotReady (KubeletNotReady)"),
    row("ready-unknown", lambda a: condition(node(a), "Ready", status="Unknown", reason="NodeStatusUnknown"), FAIL,
        f"{NODE_B} NotReady (NodeStatusUnknown)"),
    row("no-ready-condition", lambda a: drop_condition(node(a), "Ready"), FAIL, f"{NODE_B} NotReady (no Ready condition)"),
    row("no-status-at-all", lambda a: node(a).pop("status"), FAIL, f"{NODE_B} NotReady (no Ready condition)"),
    row("memory-pressure", lambda a: condition(node(a), "MemoryPressure", status="True"), FAIL,
        f"{NODE_B} under MemoryPressure"),
    row("disk-and-pid-pressure", lambda a: [condition(node(a), k, status="True") for k in ("DiskPressure", "PIDPressure")],
        FAIL, f"{NODE_B} under DiskPressure, PIDPressure"),
    row("cordoned", lambda a: node(a)["spec"].update(unschedulable=True), FAIL, f"{NODE_B} cordoned (SchedulingDisabled)"),
    row("fewer-than-minimum", lambda a: a.update(minimum=4), FAIL, "3 of 3 nodes Ready and schedulable (need 4): only 3 Ready"),
])
def test_nodes_ready(change, outcome, fragment):
    a = {"nodes": k8s(M, "nodes"), "minimum": 3}
    change(a)
    verdict(infra.nodes_ready(**a), outcome, fragment)


# --- eks_cluster_active (aws eks describe-cluster) --------------------------------------------

def cluster(a):
    return a["response"]["cluster"]


@pytest.mark.parametrize("change, outcome, fragment", [
    row("active", same, PASS, f"EKS cluster {CLUSTER} is ACTIVE on Kubernetes 1.28"),
    row("not-found", lambda a: a.update(response=aws(M, "describe_cluster_not_found")), FAIL,
        "EKS cluster nba-mcp-synthesis-prod: ResourceNotFoundException: No cluster found"),
    row("creating", lambda a: cluster(a).update(status="CREATING"), FAIL, f"EKS cluster {CLUSTER} is CREATING, not ACTIVE"),
    row("no-endpoint", lambda a: cluster(a).pop("endpoint"), FAIL, f"EKS cluster {CLUSTER} has no API endpoint"),
    row("other-version", lambda a: cluster(a).update(version="1.29"), FAIL,
        f"EKS cluster {CLUSTER} runs Kubernetes 1.29, expected 1.28"),
    row("expected-but-unsupported", lambda a: [cluster(a).update(version="1.27"), a.update(expected_version="1.27")],
        FAIL, "runs Kubernetes 1.27, older than the oldest supported 1.28"),
])
def test_eks_cluster_active(change, outcome, fragment):
    a = {"response": aws(M, "describe_cluster"), "name": CLUSTER, "expected_version": "1.28", "min_supported": "1.28"}
    change(a)
    verdict(infra.eks_cluster_active(**a), outcome, fragment)


# --- secrets_listed (aws secretsmanager list-secrets) -----------------------------------------

def listed(a, key):
    return next(s for s in a["secrets"] if s["Name"] == PREFIX + key)


@pytest.mark.parametrize("change, outcome, fragment", [
    row("all-listed", same, PASS,
        f"Secrets Manager holds all 11 expected secrets under {PREFIX}, none scheduled for deletion, rotation on for 1"),
    row("none-configured", lambda a: a.update(keys=[], rotation_required=[]), FAIL,
        f"expected secrets to verify under {PREFIX}, found 0 configured"),
    row("nothing-listed", lambda a: a.update(secrets=[]), FAIL,
        f"Secrets Manager (0 of 11 expected secrets under {PREFIX}): missing {PREFIX}google-api-key"),
    row("one-missing", lambda a: a["secrets"].remove(listed(a, "linear-team-id")), FAIL,
        f"(10 of 11 expected secrets under {PREFIX}): missing {PREFIX}linear-team-id"),
    row("scheduled-for-deletion", lambda a: a.update(secrets=aws(M, "list_secrets_one_deleted")), FAIL,
        f"scheduled for deletion: {PREFIX}linear-team-id"),
    row("rotation-off", lambda a: listed(a, "database-password").pop("RotationEnabled"), FAIL,
        f"rotation not enabled: {PREFIX}database-password"),
])
def test_secrets_listed(change, outcome, fragment):
    a = {"secrets": aws(M, "list_secrets"), "prefix": PREFIX, "keys": list(KEYS), "rotation_required": ["database-password"]}
    change(a)
    verdict(infra.secrets_listed(**a), outcome, fragment)


# --- capacity_fits ----------------------------------------------------------------------------
# Recorded: 3 m5.large nodes (1930m CPU, ~6.9Gi allocatable each) running 3 pods of 500m/1Gi;
# the HPA may add 7 more: 3500m and 7Gi needed, 4290m and ~17.7Gi free.

@pytest.mark.parametrize("change, outcome, fragment", [
    row("fits", same, PASS, f"3 schedulable nodes fit {APP} at its HPA maximum of 10 (+7 pods need 3500m CPU, 7.0Gi"),
    row("no-hpa-sizes-for-current", lambda a: a.update(hpa=None), PASS, f"fit {APP} at its HPA maximum of 3 (+0 pods"),
    row("finished-pods-free-their-requests", lambda a: [p["status"].update(phase="Succeeded") for p in a["pods"]],
        PASS, "free 5790m"),
    row("replicas-from-spec-before-status", lambda a: a["deployment"]["status"].pop("replicas"), PASS, "+7 pods"),
    row("no-deployment", lambda a: a.update(deployment=None), FAIL, "the deployment to size for does not exist"),
    row("cpu-short", lambda a: a["hpa"]["spec"].update(maxReplicas=20), FAIL,
        f"3 schedulable nodes cannot fit {APP} at its HPA maximum of 20 (+17 pods need 8500m CPU"),
    row("memory-short", lambda a: container(a["deployment"])["resources"]["requests"].update(memory="4Gi"), FAIL,
        "memory short by 10.3Gi"),
    row("cpu-and-memory-short", lambda a: a["hpa"]["spec"].update(maxReplicas=40), FAIL, "CPU short by"),
    row("cordoned-node-does-not-count", lambda a: node(a)["spec"].update(unschedulable=True), FAIL,
        f"2 schedulable nodes cannot fit {APP}"),
    row("notready-node-does-not-count", lambda a: condition(node(a), "Ready", status="False"), FAIL,
        "2 schedulable nodes cannot fit"),
    # Nothing to add (HPA already at its maximum) must still not pass with no node to run on.
    row("no-schedulable-node-at-hpa-max",
        lambda a: [a["hpa"]["spec"].update(maxReplicas=3), [n["spec"].update(unschedulable=True) for n in a["nodes"]]],
        FAIL, f"0 schedulable nodes cannot fit {APP} at its HPA maximum of 3"),
])
def test_capacity_fits(change, outcome, fragment):
    a = {"nodes": k8s(M, "nodes"), "pods": k8s(M, "pods"), "deployment": k8s(M, "deployment"), "hpa": k8s(M, "hpa")}
    change(a)
    verdict(infra.capacity_fits(**a), outcome, fragment)


class Passes(list):
    """A list that counts how often it is iterated: a probe that loops over it per node shows up here."""

    passes = 0

    def __iter__(self):
        self.passes += 1
        return super().__iter__()


def test_capacity_fits_at_cluster_scale():
    """500 more m5.large nodes, 10,000 more pods of 50m/128Mi (20 a node): the pods are read in one pass."""
    nodes, pods = k8s(M, "nodes"), k8s(M, "pods")
    # Shallow copies that share what the probe only reads: generating 10,000 deep copies would dwarf the probe.
    node, pod = nodes[0], derive(pods[0], {"spec.containers.0.resources.requests": {"cpu": "50m", "memory": "128Mi"}})
    extra_nodes = [{**node, "metadata": {**node["metadata"], "name": f"ip-10-1-{i // 250}-{i % 250}.ec2.internal"}}
                   for i in range(500)]
    nodes += extra_nodes
    pods += [{**pod, "metadata": {**pod["metadata"], "name": f"worker-{i}"},
              "spec": {**pod["spec"], "nodeName": extra_nodes[i % 500]["metadata"]["name"]}} for i in range(10_000)]
    pods = Passes(pods)
    finding = infra.capacity_fits(nodes, pods, k8s(M, "deployment"), k8s(M, "hpa"))
    # Free CPU: the recorded 4290m, plus 500 x (1930m - 20 x 50m).
    verdict(finding, PASS, (f"503 schedulable nodes fit {APP} at its HPA maximum of 10", "free 469290m, "))
    assert pods.passes == 1


# --- autoscaling_configured -------------------------------------------------------------------

def scaling(a):
    return a["nodegroup"]["nodegroup"]["scalingConfig"]


@pytest.mark.parametrize("change, outcome, fragment", [
    row("ready", same, PASS, f"HPA {HPA} active (3-10 replicas on cpu, memory), metrics API Available, node group can "
                             "grow to 10"),
    row("no-hpa", lambda a: a.update(hpa=None), FAIL, f"auto-scaling not ready: HPA {HPA} does not exist"),
    row("no-metric-targets", lambda a: a["hpa"]["spec"].pop("metrics"), FAIL, f"HPA {HPA} has no metric targets"),
    row("max-not-above-min", lambda a: a["hpa"]["spec"].update(maxReplicas=3), FAIL,
        f"HPA {HPA} cannot scale (max 3 <= min 3)"),
    row("scaling-inactive", lambda a: condition(a["hpa"], "ScalingActive", status="False", reason="FailedGetResourceMetric"),
        FAIL, f"HPA {HPA} ScalingActive is False (FailedGetResourceMetric)"),
    row("no-scaling-active-condition", lambda a: drop_condition(a["hpa"], "ScalingActive"), FAIL,
        f"HPA {HPA} ScalingActive is absent (no reason)"),
    row("no-metrics-apiservice", lambda a: a.update(apiservice=None), FAIL,
        "metrics API v1beta1.metrics.k8s.io is not Available (missing)"),
    row("metrics-apiservice-unavailable",
        lambda a: condition(a["apiservice"], "Available", status="False", reason="MissingEndpoints"), FAIL,
        "metrics API v1beta1.metrics.k8s.io is not Available (MissingEndpoints)"),
    row("nodegroup-not-found", lambda a: a.update(nodegroup=aws(M, "describe_nodegroup_not_found")), FAIL,
        "node group: ResourceNotFoundException: No node group found for name: no-such-group."),
    row("nodegroup-inconsistent", lambda a: scaling(a).update(minSize=4), FAIL,
        "node group scaling is inconsistent (min 4, desired 3, max 10)"),
    row("nodegroup-at-max", lambda a: scaling(a).update(desiredSize=10), FAIL,
        "node group cannot grow: desired 10 is already its max 10"),
])
def test_autoscaling_configured(change, outcome, fragment):
    a = {"hpa": k8s(M, "hpa"), "apiservice": k8s(M, "apiservice"), "nodegroup": aws(M, "describe_nodegroup"),
         "hpa_name": HPA}
    change(a)
    verdict(infra.autoscaling_configured(**a), outcome, fragment)


# --- load_balancer_healthy --------------------------------------------------------------------

def targets(a):
    return next(iter(a["health_by_tg"].values()))["TargetHealthDescriptions"]


UNHEALTHY = {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch",
             "Description": "Health checks failed with these codes: [502]"}


@pytest.mark.parametrize("change, outcome, fragment", [
    row("active-all-healthy", same, PASS, f"load balancer {ALB} active with 3 healthy targets"),
    row("not-found", lambda a: a.update(lbs=aws(M, "describe_load_balancers_not_found")), FAIL,
        f"load balancer {ALB}: LoadBalancerNotFound"),
    row("other-name-only", lambda a: a.update(name="k8s-other-alb"), FAIL, "load balancer k8s-other-alb: not found"),
    row("provisioning", lambda a: a["lbs"]["LoadBalancers"][0]["State"].update(Code="provisioning"), FAIL,
        f"load balancer {ALB} unhealthy: state provisioning"),
    row("no-target-groups", lambda a: a.update(health_by_tg={}), FAIL, f"load balancer {ALB} unhealthy: no target groups"),
    row("target-group-empty", lambda a: targets(a).clear(), FAIL, "target group k8s-nbamcpsy-nbamcpsy-tg has 0 targets"),
    row("target-unhealthy", lambda a: targets(a)[1].update(TargetHealth=UNHEALTHY), FAIL,
        "target 10.0.2.102:8000 unhealthy (Target.ResponseCodeMismatch)"),
    row("target-draining-description-only",
        lambda a: targets(a)[0].update(TargetHealth={"State": "draining", "Description": "Target deregistration is in progress"}),
        FAIL, "target 10.0.1.101:8000 draining (Target deregistration is in progress)"),
])
def test_load_balancer_healthy(change, outcome, fragment):
    a = {"lbs": aws(M, "describe_load_balancers"), "health_by_tg": aws(M, "target_health"), "name": ALB}
    change(a)
    verdict(infra.load_balancer_healthy(**a), outcome, fragment)


# --- security_groups_closed -------------------------------------------------------------------

def group(a, name):
    return next(g for g in a["groups"] if g["GroupName"] == name)


def world_open(a, name, protocol="tcp", ports=(22, 22), ipv6=False):
    rule = {"IpProtocol": protocol, "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}
    if protocol != "-1":
        rule.update(FromPort=ports[0], ToPort=ports[1])
    rule["Ipv6Ranges" if ipv6 else "IpRanges"].append({"CidrIpv6": "::/0"} if ipv6 else {"CidrIp": "0.0.0.0/0"})
    group(a, name)["IpPermissions"].append(rule)


@pytest.mark.parametrize("change, outcome, fragment", [
    row("only-alb-80-443", same, PASS, "5 security groups: nothing world-open except 80/443 on the load balancer"),
    row("no-groups", lambda a: a.update(groups=[]), FAIL, "expected security groups in the cluster's VPC, found 0"),
    row("ssh-open-on-nodes", lambda a: world_open(a, "nba-mcp-synthesis-node-sg"), FAIL,
        ("nba-mcp-synthesis-node-sg (sg-", ") opens port 22/tcp to the world")),  # group ids are generated
    row("all-traffic-ipv6", lambda a: world_open(a, "nba-mcp-synthesis-rds-sg", protocol="-1", ipv6=True), FAIL,
        "opens all ports/-1 to the world"),
    row("port-range-on-alb", lambda a: world_open(a, "nba-mcp-synthesis-alb-sg", ports=(8000, 8100)), FAIL,
        ("nba-mcp-synthesis-alb-sg (sg-", ") opens ports 8000-8100/tcp to the world")),
    row("443-on-non-alb-group", lambda a: world_open(a, "nba-mcp-synthesis-cluster-sg", ports=(443, 443)), FAIL,
        ("nba-mcp-synthesis-cluster-sg (sg-", ") opens port 443/tcp to the world")),
    row("alb-not-identified", lambda a: a.update(alb_group_ids=set()), FAIL,
        ("nba-mcp-synthesis-alb-sg (sg-", ") opens port 443/tcp to the world")),
])
def test_security_groups_closed(change, outcome, fragment):
    lbs = aws(M, "describe_load_balancers")  # as test_validate_security_groups derives the ALB's groups
    a = {"groups": aws(M, "security_groups"), "alb_group_ids": {sg for lb in lbs["LoadBalancers"] for sg in lb["SecurityGroups"]},
         "allowed_ports": [80, 443]}
    change(a)
    verdict(infra.security_groups_closed(**a), outcome, fragment)


# --- nodegroup_healthy (aws eks describe-nodegroup) -------------------------------------------

LAUNCH_FAILURE = {"code": "AsgInstanceLaunchFailures", "message": "Instance launch failed: insufficient capacity",
                  "resourceIds": ["eks-standard-workers-nba-mcp-synthesis-prod"]}  # the API reference's Issue shape


@pytest.mark.parametrize("change, outcome, fragment", [
    row("active", same, PASS, f"EKS node group {NODEGROUP} is ACTIVE with no health issues"),
    row("not-found", lambda a: a.update(response=aws(M, "describe_nodegroup_not_found")), FAIL,
        f"EKS node group {NODEGROUP}: ResourceNotFoundException"),
    row("degraded-with-issues", lambda a: a["response"]["nodegroup"].update(status="DEGRADED",
                                                                           health={"issues": [LAUNCH_FAILURE]}), FAIL,
        f"EKS node group {NODEGROUP} is DEGRADED, not ACTIVE with health issues: AsgInstanceLaunchFailures: Instance"),
    row("active-with-issues", lambda a: a["response"]["nodegroup"].update(health={"issues": [LAUNCH_FAILURE]}), FAIL,
        f"EKS node group {NODEGROUP} is ACTIVE with health issues: AsgInstanceLaunchFailures"),
    row("updating", lambda a: a["response"]["nodegroup"].update(status="UPDATING"), FAIL,
        f"EKS node group {NODEGROUP} is UPDATING, not ACTIVE"),
])
def test_nodegroup_healthy(change, outcome, fragment):
    a = {"response": aws(M, "describe_nodegroup"), "name": NODEGROUP}
    change(a)
    verdict(infra.nodegroup_healthy(**a), outcome, fragment)


# --- deployment_available (the External Secrets Operator) ------------------------------------

ESO = "external-secrets-system/external-secrets"


@pytest.mark.parametrize("change, outcome, fragment", [
    row("available", same, PASS, f"Deployment {ESO} is Available with 1 of 1 replicas ready"),
    row("missing", lambda a: a.update(deployment=None), FAIL, f"Deployment {ESO} does not exist"),
    row("unavailable",
        lambda a: [condition(a["deployment"], "Available", status="False", reason="MinimumReplicasUnavailable"),
                   a["deployment"]["status"].pop("readyReplicas")], FAIL,
        f"Deployment {ESO} is not Available (MinimumReplicasUnavailable: 0 of 1 replicas ready)"),
    row("available-but-rolling", lambda a: a["deployment"]["spec"].update(replicas=2), FAIL,
        f"Deployment {ESO} is not Available (MinimumReplicasAvailable: 1 of 2 replicas ready)"),
    row("no-conditions-yet", lambda a: a["deployment"]["status"].pop("conditions"), FAIL,
        f"Deployment {ESO} is not Available (no Available condition"),
    # Kubernetes reports a Deployment scaled to 0 as Available=True: nothing runs the operator, though.
    row("scaled-to-zero", lambda a: [a["deployment"]["spec"].update(replicas=0),
                                     [a["deployment"]["status"].pop(k) for k in ("replicas", "readyReplicas",
                                                                                 "availableReplicas", "updatedReplicas")]],
        FAIL, f"Deployment {ESO} is scaled to 0 replicas"),
])
def test_deployment_available(change, outcome, fragment):
    a = {"deployment": k8s(M, "eso_deployment"), "name": "external-secrets", "namespace": "external-secrets-system"}
    change(a)
    verdict(infra.deployment_available(**a), outcome, fragment)


# --- crds_served ------------------------------------------------------------------------------

STORES = "secretstores.external-secrets.io"


@pytest.mark.parametrize("change, outcome, fragment", [
    row("established-and-served", same, PASS, "2 CustomResourceDefinitions Established and served "
                                              "(externalsecrets.external-secrets.io v1beta1, secretstores"),
    row("none-configured", lambda a: a["crds"].clear(), FAIL, "expected CustomResourceDefinitions to check, found 0"),
    row("missing", lambda a: a["crds"].update({STORES: None}), FAIL,
        f"CustomResourceDefinitions not served: {STORES} does not exist"),
    row("not-established", lambda a: condition(a["crds"][STORES], "Established", status="False"), FAIL,
        f"{STORES} is not Established"),
    row("no-served-version", lambda a: a["crds"][STORES]["spec"]["versions"][0].update(served=False), FAIL,
        f"{STORES} is serving no version"),
])
def test_crds_served(change, outcome, fragment):
    a = {"crds": k8s(M, "crds")}
    change(a)
    verdict(infra.crds_served(**a), outcome, fragment)


# --- no_workloads_labelled (clear any staging deployments) ------------------------------------

def staging_deployment(a):
    leftover = k8s(M, "deployment")
    leftover["metadata"].update(name="nba-mcp-synthesis-staging", labels={"app": APP, "environment": "staging"})
    a["found"]["deployments"].append(leftover)


@pytest.mark.parametrize("change, outcome, fragment", [
    row("none-labelled", same, PASS,
        f"namespace {NS} holds no deployments, statefulsets, daemonsets, pods labelled environment=staging"),
    row("nothing-searched", lambda a: a["found"].clear(), FAIL,
        f"expected workload kinds to search for environment=staging in namespace {NS}, found 0"),
    row("staging-deployment-left", staging_deployment, FAIL,
        f"namespace {NS} still holds workloads labelled environment=staging: deployment nba-mcp-synthesis-staging"),
    row("no-namespace", lambda a: a.update(namespace_obj=None), FAIL,
        f"namespace {NS} does not exist, so finding no environment=staging workloads in it proves nothing"),
])
def test_no_workloads_labelled(change, outcome, fragment):
    a = {"found": k8s(M, "staging_workloads"), "namespace": NS, "selector": "environment=staging",
         "namespace_obj": k8s(M, "namespace")}
    change(a)
    verdict(infra.no_workloads_labelled(**a), outcome, fragment)


# --- namespace_labelled -----------------------------------------------------------------------

LABELS = {"environment": "production", "app.kubernetes.io/part-of": "nba-mcp-synthesis"}  # golive.toml


@pytest.mark.parametrize("change, outcome, fragment", [
    row("active-labelled", same, PASS,
        f"namespace {NS} is Active with its labels (environment=production, app.kubernetes.io/part-of=nba-mcp-synthesis)"),
    row("no-labels-required", lambda a: a.update(labels={}), PASS, f"namespace {NS} is Active with its labels (none required)"),
    row("missing", lambda a: a.update(namespace=None), FAIL, f"namespace {NS} does not exist"),
    row("terminating", lambda a: a["namespace"]["status"].update(phase="Terminating"), FAIL, f"namespace {NS} is Terminating"),
    row("wrong-label", lambda a: a["namespace"]["metadata"]["labels"].update(environment="staging"), FAIL,
        f"namespace {NS} has wrong labels: environment=staging (want production)"),
    row("label-missing", lambda a: a["namespace"]["metadata"]["labels"].pop("environment"), FAIL,
        "environment=<missing> (want production)"),
])
def test_namespace_labelled(change, outcome, fragment):
    a = {"namespace": k8s(M, "namespace"), "name": NS, "labels": dict(LABELS)}
    change(a)
    verdict(infra.namespace_labelled(**a), outcome, fragment)


# --- rollouts_complete ------------------------------------------------------------------------

@pytest.mark.parametrize("change, outcome, fragment", [
    row("all-rolled-out", same, PASS, f"no rollout pending in namespace {NS}: each of its 1 Deployments observed"),
    # T-4h prepares the namespace before the app is deployed: no Deployment is no pending rollout.
    row("no-deployments-yet", lambda a: a["deployments"].clear(), PASS, "it has no Deployments yet"),
    row("generation-not-observed", lambda a: a["deployments"][0]["metadata"].update(generation=3), FAIL,
        f"rollouts pending in namespace {NS}: {APP} (generation 3 not yet observed, controller at 2)"),
    row("replicas-not-updated", lambda a: a["deployments"][0]["status"].update(updatedReplicas=1), FAIL,
        f"{APP} (1 of 3 replicas updated)"),
])
def test_rollouts_complete(change, outcome, fragment):
    a = {"deployments": k8s(M, "deployments"), "namespace": NS}
    change(a)
    verdict(infra.rollouts_complete(**a), outcome, fragment)


# --- quotas_headroom --------------------------------------------------------------------------

VPCS = Quota(name="VPCs per Region", service_code="vpc", quota_code="L-F678F1CE", usage="vpcs", headroom=1)
EKS = Quota(name="EKS clusters per Region", service_code="eks", quota_code="L-1194D53C", usage="eks_clusters", headroom=1)


@pytest.mark.parametrize("change, outcome, fragment", [
    row("headroom-left", same, PASS,
        "all 1 AWS quotas leave their headroom: VPCs per Region (vpc/L-F678F1CE): 2 of 5 used, 3 left, need 1 free"),
    row("none-configured", lambda a: a["readings"].clear(), FAIL, "expected quotas to verify, found 0 configured"),
    row("no-headroom", lambda a: a.update(readings=[(VPCS, aws(M, "get_service_quota"), 5)]), FAIL,
        "1 of 1 AWS quotas lack headroom or cannot be read: VPCs per Region (vpc/L-F678F1CE): 5 of 5 used, 0 left"),
    row("unreadable", lambda a: a["readings"].append((EKS, aws(M, "get_service_quota_not_found"), 1)), FAIL,
        "EKS clusters per Region (eks/L-1194D53C) could not be read: NoSuchResourceException"),
])
def test_quotas_headroom(change, outcome, fragment):
    a = {"readings": [(VPCS, aws(M, "get_service_quota"), 2)]}
    change(a)
    verdict(infra.quotas_headroom(**a), outcome, fragment)


# --- script_succeeded -------------------------------------------------------------------------

def timed_out(run):  # what fixtures.scripts makes of subprocess.TimeoutExpired
    run.update(exit_code=-1, seconds=600.0, output="timed out after 600 s\n" + run["output"])


@pytest.mark.parametrize("recording, change, outcome, fragment", [
    pytest.param("script_ok", same, PASS,
                 "deploy_phase1_infrastructure.sh exited 0 in 0.0 s: Phase 1 (infrastructure): all steps OK", id="exit-0"),
    pytest.param("script_silent", same, PASS, ("validate_deployment.py exited 0 in", " s: no output"),
                 id="python-script-no-output"),
    pytest.param("script_failed", same, FAIL, "deploy_phase2_secrets.sh exited 1 after 0.0 s: ERROR: AccessDeniedException",
                 id="exit-1"),
    pytest.param("script_ok", timed_out, FAIL, "deploy_phase1_infrastructure.sh timed out after 600.0 s", id="timed-out"),
])
def test_script_succeeded(recording, change, outcome, fragment):
    run = plain(M, recording)  # a ScriptRun as a dict
    change(run)
    verdict(infra.script_succeeded(ScriptRun(**run)), outcome, fragment)


# --- previous_revision (verify rollback procedures) -------------------------------------------

CURRENT_RS, PREVIOUS_RS = "nba-mcp-synthesis-6f7b9d8c5d", "nba-mcp-synthesis-78bd9c5f4b"


def drop_rs(a, name):
    a["replicasets"].remove(named(a["replicasets"], name))


def owner_recreated(a):  # a Deployment deleted and re-created under the same name has a new uid
    a["deployment"]["metadata"]["uid"] = "0b9e2c4a-1d3f-4e5a-8b7c-6d5e4f3a2b1c"


@pytest.mark.parametrize("change, outcome, fragment", [
    row("previous-kept", same, PASS,
        f"Deployment {APP} is at revision 2 (123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.4.0) "
        f"in ReplicaSet {CURRENT_RS}; rollback target revision 1 is ReplicaSet {PREVIOUS_RS} "
        "(123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.3.2)"),
    row("current-replicaset-gone", lambda a: drop_rs(a, CURRENT_RS), PASS, "in ReplicaSet (missing); rollback target revision 1"),
    row("missing", lambda a: a.update(deployment=None), FAIL, f"Deployment {APP} does not exist: nothing to roll back"),
    row("old-replicaset-deleted", lambda a: drop_rs(a, PREVIOUS_RS), FAIL,
        f"Deployment {APP} is at revision 2 (123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.4.0) with "
        "no previous ReplicaSet revision"),
    row("no-replicasets", lambda a: a["replicasets"].clear(), FAIL, "with no previous ReplicaSet revision"),
    row("replicasets-of-an-earlier-deployment", owner_recreated, FAIL, "with no previous ReplicaSet revision"),
])
def test_previous_revision(change, outcome, fragment):
    a = {"deployment": k8s(M, "deployment"), "replicasets": k8s(M, "replicasets"), "name": APP}
    change(a)
    verdict(infra.previous_revision(**a), outcome, fragment)


def test_revision_is_zero_without_annotation():
    deployment = k8s(M, "deployment")
    deployment["metadata"].pop("annotations")
    assert (infra.revision(deployment), infra.revision(k8s(M, "deployment"))) == (0, 2)
