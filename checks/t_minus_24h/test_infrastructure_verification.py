"""T-24 Hours: Final Pre-Checks / Infrastructure Verification (DevOps Lead, Technical Lead)."""

from golive.check import DATA, expect, runbook
from golive.probes import backups as bk
from golive.probes import infrastructure as infra
from golive.probes import network as net


@runbook("t-24h/infrastructure-verification/verify-eks-cluster-health")
def test_verify_eks_cluster_health(aws, k8s, cfg):
    """Verify EKS cluster health: cluster ACTIVE on a supported version, node group ACTIVE and healthy, nodes Ready."""
    eks = cfg.eks
    expect(infra.eks_cluster_active(aws.call("eks", "describe_cluster", name=eks.cluster), eks.cluster,
                                    eks.expected_version, eks.min_supported_version),
           infra.nodegroup_healthy(aws.call("eks", "describe_nodegroup", clusterName=eks.cluster,
                                            nodegroupName=eks.nodegroup), eks.nodegroup),
           infra.nodes_ready(k8s.list("nodes"), eks.min_ready_nodes))


@runbook("t-24h/infrastructure-verification/check-node-capacity-and-scaling")
def test_check_node_capacity_and_scaling(aws, k8s, cfg):
    """Check node capacity and scaling: the deployment fits at its HPA maximum, and auto-scaling can add more."""
    kube = cfg.kubernetes
    hpa = k8s.get("horizontalpodautoscalers", kube.hpa, kube.app_namespace)
    nodegroup = aws.call("eks", "describe_nodegroup", clusterName=cfg.eks.cluster, nodegroupName=cfg.eks.nodegroup)
    expect(infra.capacity_fits(k8s.list("nodes"), k8s.list("pods"),
                               k8s.get("deployments", kube.deployment, kube.app_namespace), hpa),
           infra.autoscaling_configured(hpa, k8s.get("apiservices", kube.metrics_apiservice), nodegroup, kube.hpa))


@runbook("t-24h/infrastructure-verification/validate-network-connectivity")
def test_validate_network_connectivity(network, k8s):
    """Validate network connectivity: every configured endpoint resolves and accepts TCP from this runner."""
    expect(net.endpoints_reachable([network.reach(name, url) for name, url in network.endpoints(k8s.where).items()]))


@runbook("t-24h/infrastructure-verification/confirm-backup-systems-operational", impact=DATA)
def test_confirm_backup_systems_operational(aws, cfg):
    """Confirm backup systems operational: RDS backups and snapshots, AWS Backup plan and recovery points, bucket.

    AWS Backup recovery points are always asked for; an endpoint that cannot list them fails the check by name.
    """
    db, backup, bucket = cfg.database, cfg.backup, cfg.s3.backup_bucket
    plans = aws.paginate("backup", "list_backup_plans", "BackupPlansList")
    details = {p["BackupPlanId"]: aws.call("backup", "get_backup_plan", BackupPlanId=p["BackupPlanId"])
               for p in plans if p.get("BackupPlanName") == backup.plan}
    instance = aws.call("rds", "describe_db_instances", DBInstanceIdentifier=db.rds_instance)
    # Ages are measured to when each answer arrived (it may be cached from earlier in the run).
    snapshots = aws.paginate_dated("rds", "describe_db_snapshots", "DBSnapshots", DBInstanceIdentifier=db.rds_instance)
    points = aws.call_dated("backup", "list_recovery_points_by_backup_vault", BackupVaultName=backup.vault)
    expect(bk.automated_backups(instance, db.rds_instance, db.backup_retention_days),
           bk.snapshot_recent(snapshots.value, db.rds_instance, db.snapshot_max_age_hours, snapshots.at),
           bk.backup_plan_ready(plans, details, backup.plan),
           bk.recovery_points_recent(points.value, backup.vault, db.snapshot_max_age_hours, points.at),
           bk.bucket_versioned(aws.call("s3", "get_bucket_versioning", Bucket=bucket), bucket))
