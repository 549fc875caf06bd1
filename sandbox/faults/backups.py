"""Backup faults: RDS automated backups and snapshots, AWS Backup recovery points, the backup bucket and its dumps.

No fault removes the AWS Backup plan: moto never frees a deleted plan's name, so it could not be healed.
"""
from __future__ import annotations

from sandbox import seed_aws
from sandbox.faults import Fault, register
from sandbox.faults.infrastructure import reseed_aws

DB = seed_aws.DB_INSTANCE
BUCKET = seed_aws.BACKUP_BUCKET
VAULT = seed_aws.BACKUP_VAULT
DUMPS = "postgres/"
T24 = "t-24h/infrastructure-verification/confirm-backup-systems-operational"
T30 = "t-30m/rollback-preparation/"


def _retention(days: int):
    def apply(sb):
        sb.aws("rds").modify_db_instance(DBInstanceIdentifier=DB, BackupRetentionPeriod=days, ApplyImmediately=True)
    return apply


def _versions(s3, prefix: str = "") -> dict:
    return s3.list_object_versions(Bucket=BUCKET, Prefix=prefix)


def _delete_bucket(sb):
    s3 = sb.aws("s3")
    listed = _versions(s3)
    for version in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
        s3.delete_object(Bucket=BUCKET, Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=BUCKET)


def _hide_dumps(sb):
    s3 = sb.aws("s3")
    for obj in s3.list_objects_v2(Bucket=BUCKET, Prefix=DUMPS).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=obj["Key"])  # versioned: a delete marker hides it


def _unhide_dumps(sb):
    s3 = sb.aws("s3")
    for marker in _versions(s3, DUMPS).get("DeleteMarkers", []):
        s3.delete_object(Bucket=BUCKET, Key=marker["Key"], VersionId=marker["VersionId"])


def _delete_snapshots(sb):
    rds = sb.aws("rds")
    for snapshot in rds.describe_db_snapshots(DBInstanceIdentifier=DB)["DBSnapshots"]:
        rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])


def _delete_recovery_points(sb):
    backup = sb.aws("backup")
    for point in backup.list_recovery_points_by_backup_vault(BackupVaultName=VAULT)["RecoveryPoints"]:
        backup.delete_recovery_point(BackupVaultName=VAULT, RecoveryPointArn=point["RecoveryPointArn"])


def _recreate_database(sb):
    # Only a new instance gets a new automated snapshot: delete it and seed it again (with its manual snapshot).
    rds = sb.aws("rds")
    rds.modify_db_instance(DBInstanceIdentifier=DB, DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_instance(DBInstanceIdentifier=DB, SkipFinalSnapshot=True)
    reseed_aws(sb)


register(
    Fault("rds-backup-retention-zero", f"RDS instance {DB}: automated backups turned off (retention 0)",
          breaks=(T24,), expect="automated backups disabled (retention 0 days)",
          inject=_retention(0), heal=_retention(seed_aws.DB_BACKUP_RETENTION_DAYS)),
    Fault("backup-recovery-points-missing", f"every recovery point in AWS Backup vault {VAULT} deleted",
          breaks=(T24,), expect="no completed recovery point younger than",
          inject=_delete_recovery_points, heal=reseed_aws),
    Fault("backup-bucket-missing", f"backup bucket {BUCKET} deleted with every object version",
          breaks=(T24, T30 + "test-backup-restoration"), expect="NoSuchBucket",
          inject=_delete_bucket, heal=reseed_aws),
    Fault("rds-snapshots-deleted", f"every snapshot of RDS instance {DB} deleted",
          breaks=(T30 + "test-backup-restoration", T24, T30 + "prepare-rollback-commands"), expect="has no snapshot",
          inject=_delete_snapshots, heal=_recreate_database),
    Fault("backup-dump-missing", f"the database dumps under s3://{BUCKET}/{DUMPS} deleted (delete markers)",
          breaks=(T30 + "test-backup-restoration",), expect="no database dump younger than",
          inject=_hide_dumps, heal=_unhide_dumps),
)
