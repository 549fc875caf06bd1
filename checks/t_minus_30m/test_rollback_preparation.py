"""T-30 Minutes: Final Smoke Tests / Rollback Preparation (QA Lead, Application Engineer)."""

from golive.check import ATTESTED, CRASH, DATA, expect, runbook, summarise
from golive.probes import backups as bk
from golive.probes import infrastructure as infra

from checks.emergency_contacts import test_external_contacts as external
from checks.emergency_contacts import test_primary_contacts as primary


@runbook("t-30m/rollback-preparation/verify-rollback-procedures")
def test_verify_rollback_procedures(k8s, cfg):
    """Verify rollback procedures: the Deployment keeps its previous revision, so `kubectl rollout undo` can work."""
    kube = cfg.kubernetes
    expect(infra.previous_revision(k8s.get("deployments", kube.deployment, kube.app_namespace),
                                   k8s.list("replicasets", kube.app_namespace), kube.deployment))


@runbook("t-30m/rollback-preparation/test-backup-restoration", impact=DATA)
def test_backup_restoration(aws, cfg):
    """Test backup restoration: a restorable RDS snapshot and a recent database dump exist (metadata only)."""
    db, bucket, prefix = cfg.database, cfg.s3.backup_bucket, cfg.backup.dump_prefix
    # Ages are measured to when each answer arrived (the snapshots are cached from T-24h in a full run).
    snapshots = aws.paginate_dated("rds", "describe_db_snapshots", "DBSnapshots", DBInstanceIdentifier=db.rds_instance)
    dumps = aws.paginate_dated("s3", "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix)
    expect(bk.snapshot_recent(snapshots.value, db.rds_instance, db.snapshot_max_age_hours, snapshots.at),
           bk.dump_recent(dumps.value, bucket, prefix, db.snapshot_max_age_hours, dumps.at))


@runbook("t-30m/rollback-preparation/confirm-emergency-contacts", kind=ATTESTED, area="manual", role="QA Lead",
         impact=CRASH)  # an incident with nobody reachable is a blocker
def test_confirm_emergency_contacts(request, attestation):
    """Confirm emergency contacts: the primary contacts and paging are in place, and were called to confirm."""
    summarise(request, primary.test_deployment_lead, primary.test_technical_lead, primary.test_devops_lead,
              external.test_pagerduty)
    attestation.confirm()


@runbook("t-30m/rollback-preparation/prepare-rollback-commands")
def test_prepare_rollback_commands(k8s, aws, cfg):
    """Prepare rollback commands: `kubectl rollout undo` and the RDS restore, rendered from live state."""
    kube, db = cfg.kubernetes, cfg.database
    expect(bk.rollback_commands(k8s.get("deployments", kube.deployment, kube.app_namespace),
                                k8s.list("replicasets", kube.app_namespace),
                                aws.call("rds", "describe_db_instances", DBInstanceIdentifier=db.rds_instance),
                                aws.paginate("rds", "describe_db_snapshots", "DBSnapshots",
                                             DBInstanceIdentifier=db.rds_instance),
                                kube.app_namespace, cfg.aws.region))
