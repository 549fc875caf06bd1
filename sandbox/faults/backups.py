"""Backup faults: RDS automated backups and snapshots, AWS Backup recovery points, the backup bucket and its dumps.

No fault removes the AWS Backup plan: moto never frees a deleted plan's name, so it could not be healed.
"""
from __future__ import annotations

from sandbox.faults import Fault, register
from sandbox.faults.infrastructure import reseed_aws

T24 = "t-24h/infrastructure-verification/confirm-backup-systems-operational"
T30 = "t-30m/rollback-preparation/"


def _retention(days: int | None):
    """Set the database's backup retention (None: as seeded)."""
    def apply(sb):
        from sandbox import seed_aws

        retention = seed_aws.DB_BACKUP_RETENTION_DAYS if days is None else days
        sb.aws("rds").modify_db_instance(DBInstanceIdentifier=sb.config.database.rds_instance,
                                         BackupRetentionPeriod=retention, ApplyImmediately=True)
    return apply


def _versions(sb, prefix: str = "") -> dict:
    return sb.aws("s3").list_object_versions(Bucket=sb.config.s3.backup_bucket, Prefix=prefix)


def _delete_bucket(sb):
    s3, bucket = sb.aws("s3"), sb.config.s3.backup_bucket
    listed = _versions(sb)
    for version in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=bucket)


def _hide_dumps(sb):
    s3, bucket = sb.aws("s3"), sb.config.s3.backup_bucket
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix=sb.config.backup.dump_prefix).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=obj["Key"])  # versioned: a delete marker hides it


def _unhide_dumps(sb):
    s3, bucket = sb.aws("s3"), sb.config.s3.backup_bucket
    for marker in _versions(sb, sb.config.backup.dump_prefix).get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=marker["Key"], VersionId=marker["VersionId"])


def _delete_snapshots(sb):
    rds = sb.aws("rds")
    for snapshot in rds.describe_db_snapshots(DBInstanceIdentifier=sb.config.database.rds_instance)["DBSnapshots"]:
        rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])


def _delete_recovery_points(sb):
    backup, vault = sb.aws("backup"), sb.config.backup.vault
    for point in backup.list_recovery_points_by_backup_vault(BackupVaultName=vault)["RecoveryPoints"]:
        backup.delete_recovery_point(BackupVaultName=vault, RecoveryPointArn=point["RecoveryPointArn"])


def _recreate_database(sb):
    # Only a new instance gets a new automated snapshot: delete it and seed it again (with its manual snapshot).
    rds, db = sb.aws("rds"), sb.config.database.rds_instance
    rds.modify_db_instance(DBInstanceIdentifier=db, DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_instance(DBInstanceIdentifier=db, SkipFinalSnapshot=True)
    reseed_aws(sb)


register(
    Fault("rds-backup-retention-zero", "RDS instance {database.rds_instance}: automated backups turned off (retention 0)",
          breaks=(T24,), expect="automated backups disabled (retention 0 days)",
          inject=_retention(0), heal=_retention(None)),
    Fault("backup-recovery-points-missing", "every recovery point in AWS Backup vault {backup.vault} deleted",
          breaks=(T24,), expect="no completed recovery point younger than",
          inject=_delete_recovery_points, heal=reseed_aws),
    Fault("backup-bucket-missing", "backup bucket {s3.backup_bucket} deleted with every object version",
          breaks=(T24, T30 + "test-backup-restoration"), expect="NoSuchBucket",
          inject=_delete_bucket, heal=reseed_aws),
    Fault("rds-snapshots-deleted", "every snapshot of RDS instance {database.rds_instance} deleted",
          breaks=(T30 + "test-backup-restoration", T24, T30 + "prepare-rollback-commands"), expect="has no snapshot",
          inject=_delete_snapshots, heal=_recreate_database),
    Fault("backup-dump-missing",
          "the database dumps under s3://{s3.backup_bucket}/{backup.dump_prefix} deleted (delete markers)",
          breaks=(T30 + "test-backup-restoration",), expect="no database dump younger than",
          inject=_hide_dumps, heal=_unhide_dumps),
)
