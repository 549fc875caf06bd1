"""T-2 Hours: Infrastructure Verification / Final Infrastructure Check (DevOps Lead, Infrastructure Engineer).

The runbook's commands, answered by their API equivalents; names come from golive.toml.
"""
from golive.check import expect, runbook
from golive.probes import infrastructure as infra


@runbook("t-2h/final-infrastructure-check/kubectl-cluster-info")
def test_kubectl_cluster_info(k8s, cfg):
    """kubectl cluster-info: the Kubernetes API server answers and is ready, and lists the cluster's DNS (CoreDNS)."""
    dns = cfg.wiring.dns
    expect(infra.api_serving(k8s.version(), k8s.health(), k8s.where),
           infra.cluster_dns_listed(k8s.list("services", dns.namespace), dns.namespace, dns.pod_labels, k8s.where))


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
