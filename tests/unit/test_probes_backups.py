"""golive.probes.backups, one table per probe: recorded answer -> variant -> verdict and sentence.

Inputs are built as checks/t_minus_24h/test_infrastructure_verification.py and
checks/t_minus_30m/test_rollback_preparation.py build them; each row's `change` mutates them in place.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from golive.probes import backups as bk
from tests.unit.recorded import FAIL, LATER, NOW, PASS, UNDECIDED, verdict, aws, k8s, named, row, same

M = "backups"
DB, PLAN, VAULT, BUCKET = "nba-mcp-synthesis-db", "nba-mcp-synthesis-daily", "nba-mcp-synthesis-vault", "nba-mcp-synthesis-backups"
PRE_GOLIVE = "nba-mcp-synthesis-db-pre-golive"  # the manual snapshot, newer than the automated one
NS, APP = "nba-mcp-synthesis", "nba-mcp-synthesis"


def db(a):
    return a["response"]["DBInstances"][0]


# --- automated_backups ------------------------------------------------------------------------

@pytest.mark.parametrize("change, outcome, fragment", [
    row("retention-7-days", same, PASS, f"RDS instance {DB}: automated backups on, kept 7 days (need 7), latest restorable"),
    row("instance-not-found", lambda a: a.update(response=aws(M, "describe_db_instances_not_found")), FAIL,
        f"RDS instance {DB}: DBInstanceNotFound: DBInstance no-such-db not found."),
    row("backups-off", lambda a: db(a).update(BackupRetentionPeriod=0), FAIL,
        f"RDS instance {DB}: automated backups disabled (retention 0 days), need 7 days"),
    row("retention-too-short", lambda a: db(a).update(BackupRetentionPeriod=3), FAIL,
        f"RDS instance {DB}: automated backups kept only 3 days, need 7 days"),
])
def test_automated_backups(change, outcome, fragment):
    a = {"response": aws(M, "describe_db_instances"), "instance": DB, "retention_days": 7}
    change(a)
    verdict(bk.automated_backups(**a), outcome, fragment)


# --- snapshot_recent --------------------------------------------------------------------------

def snapshot(a, ident=PRE_GOLIVE):
    return next(s for s in a["snapshots"] if s["DBSnapshotIdentifier"] == ident)


def taking_another(with_time: bool):
    """A manual snapshot started just now and still `creating` (RDS may not have stamped its time yet)."""
    def change(a):
        creating = {**snapshot(a), "DBSnapshotIdentifier": f"{DB}-hotfix", "Status": "creating", "PercentProgress": 0}
        creating.pop("SnapshotCreateTime")
        if with_time:
            creating["SnapshotCreateTime"] = NOW
        a["snapshots"].append(creating)
    return change


@pytest.mark.parametrize("change, outcome, fragment", [
    row("fresh-manual-snapshot", same, PASS,
        f"RDS instance {DB}: newest available snapshot {PRE_GOLIVE} (manual, available, 0.0 h old), within 26 h "
        "(2 snapshots: automated, manual)"),
    row("creating-without-time-ignored", taking_another(with_time=False), PASS, f"snapshot {PRE_GOLIVE} (manual, available"),
    # An older available snapshot in the window is restorable while a newer one is still being taken.
    row("creating-newer-than-available", taking_another(with_time=True), PASS, f"{PRE_GOLIVE} (manual, available"),
    row("no-snapshots", lambda a: a["snapshots"].clear(), FAIL,
        f"RDS instance {DB} has no snapshot (expected one younger than 26 h, found 0)"),
    row("too-old", lambda a: a.update(now=LATER), FAIL,
        f"RDS instance {DB}: newest snapshot {PRE_GOLIVE} (manual, available, 30.0 h old), need an available one "
        "younger than 26 h"),
    row("only-snapshots-failed", lambda a: [s.update(Status="failed") for s in a["snapshots"]], FAIL,
        f"newest snapshot {PRE_GOLIVE} (manual, failed, 0.0 h old), need an available one"),
])
def test_snapshot_recent(change, outcome, fragment):
    a = {"snapshots": aws(M, "db_snapshots"), "instance": DB, "max_age_hours": 26, "now": NOW}
    change(a)
    verdict(bk.snapshot_recent(**a), outcome, fragment)


# --- backup_plan_ready ------------------------------------------------------------------------

def plan_detail(a):
    return next(iter(a["details"].values()))


@pytest.mark.parametrize("change, outcome, fragment", [
    row("daily-rule", same, PASS, f"AWS Backup plan {PLAN} has 1 rule(s): daily cron(0 5 * * ? *) into {VAULT}"),
    row("no-plans", lambda a: a.update(plans=[], details={}), FAIL, f"AWS Backup plan {PLAN} not found (0 plans: none)"),
    row("other-plan-only", lambda a: a.update(name="nba-mcp-synthesis-hourly"), FAIL,
        f"AWS Backup plan nba-mcp-synthesis-hourly not found (1 plans: {PLAN})"),
    row("plan-unreadable", lambda a: a["details"].update({k: aws(M, "get_backup_plan_not_found") for k in a["details"]}),
        FAIL, f"AWS Backup plan {PLAN}: ResourceNotFoundException: Failed reading Backup plan"),
    row("no-rules", lambda a: plan_detail(a)["BackupPlan"].update(Rules=[]), FAIL,
        f"AWS Backup plan {PLAN} has no rule: nothing is ever backed up"),
    row("details-not-fetched", lambda a: a["details"].clear(), FAIL, f"AWS Backup plan {PLAN} has no rule"),
])
def test_backup_plan_ready(change, outcome, fragment):
    a = {"plans": aws(M, "backup_plans"), "details": aws(M, "get_backup_plan"), "name": PLAN}
    change(a)
    verdict(bk.backup_plan_ready(**a), outcome, fragment)


# --- recovery_points_recent -------------------------------------------------------------------
# Recorded: one RUNNING (15 min), COMPLETED 4.9 h and 28.9 h before NOW.

@pytest.mark.parametrize("change, outcome, fragment", [
    row("completed-4.9h-ago", same, PASS,
        f"AWS Backup vault {VAULT}: newest completed recovery point is 4.9 h old (2 completed)"),
    row("access-denied", lambda a: a.update(response=aws(M, "list_recovery_points_denied")), UNDECIDED,
        f"AWS Backup vault {VAULT}: recovery points could not be listed (AccessDeniedException: User:"),
    row("endpoint-lacks-the-api", lambda a: a.update(response=aws(M, "list_recovery_points_html")), UNDECIDED,
        "(HTTP 404 with an HTML page instead of an AWS answer: the endpoint does not implement this operation)"),
    row("empty-vault", lambda a: a["response"]["RecoveryPoints"].clear(), FAIL,
        f"AWS Backup vault {VAULT}: no completed recovery point younger than 26 h (found 0)"),
    row("only-running", lambda a: [p.update(Status="RUNNING") for p in a["response"]["RecoveryPoints"]], FAIL,
        "no completed recovery point younger than 26 h (found 0)"),
    row("too-old", lambda a: a.update(now=LATER), FAIL,
        f"AWS Backup vault {VAULT}: no completed recovery point younger than 26 h (newest is 34.9 h old)"),
])
def test_recovery_points_recent(change, outcome, fragment):
    a = {"response": aws(M, "list_recovery_points"), "vault": VAULT, "max_age_hours": 26, "now": NOW}
    change(a)
    verdict(bk.recovery_points_recent(**a), outcome, fragment)


# --- bucket_versioned -------------------------------------------------------------------------

@pytest.mark.parametrize("change, outcome, fragment", [
    row("enabled", same, PASS, f"backup bucket s3://{BUCKET} exists with versioning Enabled"),
    row("no-bucket", lambda a: a.update(response=aws(M, "get_bucket_versioning_no_bucket")), FAIL,
        f"backup bucket s3://{BUCKET}: NoSuchBucket: The specified bucket does not exist"),
    row("suspended", lambda a: a["response"].update(Status="Suspended"), FAIL,
        f"backup bucket s3://{BUCKET} versioning is Suspended, not Enabled"),
    # S3 answers a bucket that never had versioning with no Status at all.
    row("never-enabled", lambda a: a["response"].pop("Status"), FAIL, f"backup bucket s3://{BUCKET} versioning has never been enabled"),
])
def test_bucket_versioned(change, outcome, fragment):
    a = {"response": aws(M, "get_bucket_versioning"), "bucket": BUCKET}
    change(a)
    verdict(bk.bucket_versioned(**a), outcome, fragment)


# --- dump_recent ------------------------------------------------------------------------------

DUMPS = f"s3://{BUCKET}/postgres/"


@pytest.mark.parametrize("change, outcome, fragment", [
    row("todays-dump", same, PASS, (f"{DUMPS} holds postgres/nba_simulator-", ".dump (33 bytes, 0.0 h old)")),  # dated key
    row("no-objects", lambda a: a["objects"].clear(), FAIL, f"no database dump younger than 26 h in {DUMPS} (found 0 objects)"),
    row("only-empty-objects", lambda a: a["objects"][0].update(Size=0), FAIL, f"in {DUMPS} (1 objects, all empty)"),
    row("too-old", lambda a: a.update(now=LATER), FAIL,
        (f"no database dump younger than 26 h in {DUMPS} (newest postgres/nba_simulator-", ".dump is 30.0 h old)")),
])
def test_dump_recent(change, outcome, fragment):
    a = {"objects": aws(M, "dump_objects"), "bucket": BUCKET, "prefix": "postgres/", "max_age_hours": 26, "now": NOW}
    change(a)
    verdict(bk.dump_recent(**a), outcome, fragment)


# --- rollback_commands ------------------------------------------------------------------------

UNDO = f"kubectl rollout undo deployment/{APP} -n {NS} --to-revision=1"
RESTORE = (f"aws rds restore-db-instance-from-db-snapshot --region us-east-1 --db-instance-identifier {DB}-restored "
           f"--db-snapshot-identifier {PRE_GOLIVE} --db-instance-class db.t3.medium "
           "--db-subnet-group-name nba-mcp-synthesis-db-subnets --vpc-security-group-ids sg-")
CANNOT = "rollback commands cannot be prepared: "


def instance(a):
    return a["instance"]["DBInstances"][0]


@pytest.mark.parametrize("change, outcome, fragment", [
    row("ready", same, PASS, f"rollback commands ready: {UNDO} ; {RESTORE}"),
    row("skips-snapshot-being-taken", taking_another(with_time=True), PASS, f"--db-snapshot-identifier {PRE_GOLIVE} "),
    row("no-deployment", lambda a: a.update(deployment=None), FAIL, CANNOT + "the Deployment does not exist"),
    row("no-previous-revision",
        lambda a: a["replicasets"].remove(named(a["replicasets"], "nba-mcp-synthesis-78bd9c5f4b")), FAIL,
        CANNOT + "the Deployment has no previous ReplicaSet revision"),
    row("instance-not-found", lambda a: a.update(instance=aws(M, "describe_db_instances_not_found")), FAIL,
        CANNOT + "the RDS instance is not readable (DBInstanceNotFound: DBInstance no-such-db not found.)"),
    row("no-subnet-group", lambda a: instance(a).pop("DBSubnetGroup"), FAIL,
        CANNOT + "the RDS instance names no subnet group or security group to restore into"),
    row("no-security-group", lambda a: instance(a).update(VpcSecurityGroups=[]), FAIL, "names no subnet group or security group"),
    row("no-available-snapshot", lambda a: [s.update(Status="creating") for s in a["snapshots"]], FAIL,
        CANNOT + "no available RDS snapshot"),
    row("nothing-at-all", lambda a: a.update(deployment=None, replicasets=[], snapshots=[],
                                             instance=aws(M, "describe_db_instances_not_found")), FAIL,
        CANNOT + "the Deployment does not exist; the RDS instance is not readable (DBInstanceNotFound: DBInstance "
                 "no-such-db not found.); no available RDS snapshot"),
])
def test_rollback_commands(change, outcome, fragment):
    a = {"deployment": k8s(M, "deployment"), "replicasets": k8s(M, "replicasets"),
         "instance": aws(M, "describe_db_instances"), "snapshots": aws(M, "db_snapshots"), "namespace": NS,
         "region": "us-east-1"}
    change(a)
    verdict(bk.rollback_commands(**a), outcome, fragment)


def test_latest_snapshot_is_by_creation_time_not_list_order():
    snapshots = aws(M, "db_snapshots")
    snapshots[0]["SnapshotCreateTime"] += timedelta(days=1)  # the automated one, listed first
    assert bk.latest_snapshot(snapshots)["SnapshotType"] == "automated"
    assert bk.latest_snapshot([]) is None
