"""T-0 Phase 1: Infrastructure / Verify Infrastructure (DevOps Lead, Infrastructure Engineer).

The deployment just happened: states that converge (cluster and node group ACTIVE, nodes joining,
the operator rolling out) are retried until timeouts.settle_seconds.
"""
from golive.check import expect, independently, runbook, settle
from golive.probes import infrastructure as infra
from golive.probes import network as net


@runbook("t-0/phase1/verify-infrastructure/check-eks-cluster-status")
def test_check_eks_cluster_status(aws, cfg):
    """Check EKS cluster status: the cluster is ACTIVE on the expected version and its node group ACTIVE."""
    eks, t = cfg.eks, cfg.timeouts

    def cluster(fresh):
        return infra.eks_cluster_active(aws.call("eks", "describe_cluster", fresh, name=eks.cluster), eks.cluster,
                                        eks.expected_version, eks.min_supported_version)

    def nodegroup(fresh):
        return infra.nodegroup_healthy(aws.call("eks", "describe_nodegroup", fresh, clusterName=eks.cluster,
                                                nodegroupName=eks.nodegroup), eks.nodegroup)

    expect(settle(cluster, deadline_s=t.settle_seconds, interval_s=t.settle_interval_seconds),
           settle(nodegroup, deadline_s=t.settle_seconds, interval_s=t.settle_interval_seconds))


@runbook("t-0/phase1/verify-infrastructure/verify-node-health")
def test_verify_node_health(k8s, cfg):
    """Verify node health: enough nodes Ready, none cordoned or under pressure."""
    t = cfg.timeouts
    expect(settle(lambda fresh: infra.nodes_ready(k8s.list("nodes", fresh=fresh), cfg.eks.min_ready_nodes),
                  deadline_s=t.settle_seconds, interval_s=t.settle_interval_seconds))


@runbook("t-0/phase1/verify-infrastructure/confirm-external-secrets-operator", area="secrets")
def test_confirm_external_secrets_operator(k8s, cfg):
    """Confirm External Secrets Operator: its Deployment is Available and its CRDs are served."""
    kube, t = cfg.kubernetes, cfg.timeouts

    def operator(fresh):
        return infra.deployment_available(k8s.get("deployments", kube.eso_deployment, kube.eso_namespace, fresh=fresh),
                                          kube.eso_deployment, kube.eso_namespace)

    expect(settle(operator, deadline_s=t.settle_seconds, interval_s=t.settle_interval_seconds),
           infra.crds_served({name: k8s.get("customresourcedefinitions", name) for name in kube.eso_crds}))


@runbook("t-0/phase1/verify-infrastructure/validate-network-connectivity")
def test_validate_network_connectivity(network, k8s):
    """Validate network connectivity: every configured endpoint resolves and accepts TCP from this runner."""
    expect(net.endpoints_reachable(independently(*(lambda name=name, url=url: network.reach(name, url)
                                                   for name, url in network.endpoints(k8s.where).items()))))
