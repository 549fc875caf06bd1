"""T-24 Hours: Final Pre-Checks / Infrastructure Verification (DevOps Lead, Technical Lead).

Checks marked `manifests=True` also run before the deploy against the team's manifests (`--golive-manifests`).
"""
import ipaddress

from golive.check import DATA, after_deploy, expect, independently, runbook
from golive.probes import backups as bk
from golive.probes import infrastructure as infra
from golive.probes import network as net
from golive.probes import wiring


def peer(config, label: str, default_namespace: str | None = None) -> wiring.Peer:
    """A wiring.Peer from golive.toml: pods when it names a namespace or labels, else addresses (its cidr)."""
    pods = config.namespace or config.pod_labels
    return wiring.Peer(label, (config.namespace or default_namespace) if pods else None, dict(config.pod_labels),
                       config.cidr)


def database_cidr(cfg) -> str | None:
    """Where the database answers: wiring.database_cidr, else database.host when it is an IP address."""
    if cfg.wiring.database_cidr:
        return cfg.wiring.database_cidr
    try:
        return str(ipaddress.ip_network(cfg.database.host))
    except ValueError:
        return None


def app_connectivity(k8s, cfg):
    """Finding: every namespace's NetworkPolicies let Prometheus, the load balancer, the database and DNS traffic through."""
    kube, w = cfg.kubernetes, cfg.wiring
    where = database_cidr(cfg)
    return wiring.app_connectivity(
        k8s.get("deployments", kube.deployment, kube.app_namespace), f"Deployment {kube.deployment}",
        k8s.list("networkpolicies"), k8s.list("namespaces"),
        prometheus=peer(w.prometheus, f"Prometheus ({w.prometheus.namespace or kube.monitoring_namespace})",
                        kube.monitoring_namespace),
        load_balancer=peer(w.load_balancer, f"the load balancer ({w.load_balancer.cidr or 'pods'})"),
        database=wiring.Peer(f"the database ({where or cfg.database.host})", cidr=where),
        dns=peer(w.dns, f"cluster DNS ({w.dns.namespace})"), metrics_port=w.metrics_port,
        serving_port=w.serving_port, database_port=w.database_port or cfg.database.port)


@runbook("t-24h/infrastructure-verification/verify-eks-cluster-health")
def test_verify_eks_cluster_health(aws, k8s, cfg):
    """Verify EKS cluster health: cluster ACTIVE on a supported version, node group ACTIVE and healthy, nodes Ready."""
    eks = cfg.eks
    expect(infra.eks_cluster_active(aws.call("eks", "describe_cluster", name=eks.cluster), eks.cluster,
                                    eks.expected_version, eks.min_supported_version),
           infra.nodegroup_healthy(aws.call("eks", "describe_nodegroup", clusterName=eks.cluster,
                                            nodegroupName=eks.nodegroup), eks.nodegroup),
           infra.nodes_ready(k8s.list("nodes"), eks.min_ready_nodes))


@runbook("t-24h/infrastructure-verification/check-node-capacity-and-scaling", manifests=True)
def test_check_node_capacity_and_scaling(aws, k8s, cfg):
    """Check node capacity and scaling: the HPA targets the app, a disruption budget lets nodes drain; the deployment
    fits at its HPA maximum, and auto-scaling can add more."""
    kube = cfg.kubernetes
    hpa = k8s.get("horizontalpodautoscalers", kube.hpa, kube.app_namespace)
    deployment, what = k8s.get("deployments", kube.deployment, kube.app_namespace), f"Deployment {kube.deployment}"

    def live():
        nodegroup = aws.call("eks", "describe_nodegroup", clusterName=cfg.eks.cluster, nodegroupName=cfg.eks.nodegroup)
        return (infra.capacity_fits(k8s.list("nodes"), k8s.list("pods"), deployment, hpa),
                infra.autoscaling_configured(hpa, k8s.get("apiservices", kube.metrics_apiservice), nodegroup, kube.hpa))

    expect(wiring.hpa_targets(hpa, deployment, kube.hpa, what),
           wiring.disruption_budget(k8s.list("poddisruptionbudgets", kube.app_namespace), deployment, hpa, what),
           after_deploy("node capacity at the HPA maximum, the HPA active and the node group able to grow", live))


@runbook("t-24h/infrastructure-verification/validate-network-connectivity", manifests=True)
def test_validate_network_connectivity(network, k8s, cfg):
    """Validate network connectivity: NetworkPolicies let Prometheus, the load balancer, the database and DNS
    through; every configured endpoint resolves and accepts TCP from this runner."""
    expect(app_connectivity(k8s, cfg),
           after_deploy("DNS and TCP reachability of every endpoint from this runner", lambda: net.endpoints_reachable(
               independently(*(lambda name=name, url=url: network.reach(name, url)
                               for name, url in network.endpoints(k8s.where).items())))))


@runbook("t-24h/infrastructure-verification/confirm-backup-systems-operational", impact=DATA)
def test_confirm_backup_systems_operational(aws, cfg):
    """Confirm backup systems operational: RDS backups and snapshots, AWS Backup plan and recovery points, bucket.

    AWS Backup recovery points are always asked for; an endpoint that cannot list them fails the check by name.
    """
    db, backup, bucket = cfg.database, cfg.backup, cfg.s3.backup_bucket
    def plan_details():
        plans = aws.paginate("backup", "list_backup_plans", "BackupPlansList")
        chosen = [p["BackupPlanId"] for p in plans if p.get("BackupPlanName") == backup.plan]
        return plans, dict(zip(chosen, independently(*(lambda i=i: aws.call("backup", "get_backup_plan", BackupPlanId=i)
                                                       for i in chosen))))

    # Ages are measured to when each answer arrived (it may be cached from earlier in the run).
    (plans, details), instance, snapshots, points, versioning = independently(
        plan_details, lambda: aws.call("rds", "describe_db_instances", DBInstanceIdentifier=db.rds_instance),
        lambda: aws.paginate_dated("rds", "describe_db_snapshots", "DBSnapshots", DBInstanceIdentifier=db.rds_instance),
        lambda: aws.call_dated("backup", "list_recovery_points_by_backup_vault", BackupVaultName=backup.vault),
        lambda: aws.call("s3", "get_bucket_versioning", Bucket=bucket))
    expect(bk.automated_backups(instance, db.rds_instance, db.backup_retention_days),
           bk.snapshot_recent(snapshots.value, db.rds_instance, db.snapshot_max_age_hours, snapshots.at),
           bk.backup_plan_ready(plans, details, backup.plan),
           bk.recovery_points_recent(points.value, backup.vault, db.snapshot_max_age_hours, points.at),
           bk.bucket_versioned(versioning, bucket))
