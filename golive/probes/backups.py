"""Backup and rollback probes: RDS backups and snapshots, AWS Backup, the backup bucket. No I/O here."""
from __future__ import annotations

import shlex
from datetime import datetime

from golive.check import Finding, failed, passed, undecided
from golive.probes.infrastructure import revision, rollout_history


def _error(response: dict) -> str:
    err = response.get("Error") or {}
    message = (err.get("Message") or "").strip()
    if message.startswith("<"):  # an HTML page, not an AWS error: the endpoint does not serve this API
        return f"HTTP {response.get('HTTPStatusCode') or err.get('Code')} with an HTML page instead of an AWS " \
               "answer: the endpoint does not implement this operation"
    return f"{err.get('Code')}: {message}"


def _hours(moment: datetime, now: datetime) -> float:
    return round((now - moment).total_seconds() / 3600, 1)


def automated_backups(response: dict, instance: str, retention_days: int) -> Finding:
    """RDS automated backups are on with at least the configured retention."""
    if "Error" in response:
        return failed(f"RDS instance {instance}: {_error(response)}", resource=instance, observed=response["Error"],
                      expected=f"retention >= {retention_days} days")
    db = (response.get("DBInstances") or [{}])[0]
    days = db.get("BackupRetentionPeriod", 0)
    observed = {"retention_days": days, "backup_window": db.get("PreferredBackupWindow"),
                "latest_restorable": str(db.get("LatestRestorableTime"))}
    if days < retention_days:
        what = "disabled (retention 0 days)" if days == 0 else f"kept only {days} days"
        return failed(f"RDS instance {instance}: automated backups {what}, need {retention_days} days",
                      resource=instance, observed=observed, expected=f"retention >= {retention_days} days",
                      hint=f"aws rds modify-db-instance --db-instance-identifier {instance} "
                           f"--backup-retention-period {retention_days} --apply-immediately")
    return passed(f"RDS instance {instance}: automated backups on, kept {days} days (need {retention_days}), "
                  f"latest restorable time {observed['latest_restorable']}", resource=instance, observed=observed,
                  expected=f"retention >= {retention_days} days")


def latest_snapshot(snapshots: list[dict]) -> dict | None:
    """The newest snapshot, automated or manual."""
    dated = [s for s in snapshots if s.get("SnapshotCreateTime")]
    return max(dated, key=lambda s: s["SnapshotCreateTime"]) if dated else None


def snapshot_recent(snapshots: list[dict], instance: str, max_age_hours: float, now: datetime) -> Finding:
    """The newest available RDS snapshot (automated or manual) is younger than the window.

    One still being taken does not hide an older available one; with none available, the newest is named.
    """
    latest = latest_snapshot([s for s in snapshots if s.get("Status") == "available"]) or latest_snapshot(snapshots)
    kinds = sorted({s.get("SnapshotType") for s in snapshots})
    expected = f"an available snapshot younger than {max_age_hours:g} h"
    if latest is None:
        return failed(f"RDS instance {instance} has no snapshot (expected one younger than {max_age_hours:g} h, "
                      "found 0)", resource=instance, observed={"snapshots": 0}, expected=expected,
                      hint=f"Take one now: aws rds create-db-snapshot --db-instance-identifier {instance} "
                           f"--db-snapshot-identifier {instance}-pre-golive")
    age = _hours(latest["SnapshotCreateTime"], now)
    observed = {"latest": latest.get("DBSnapshotIdentifier"), "type": latest.get("SnapshotType"),
                "status": latest.get("Status"), "age_hours": age, "snapshots": len(snapshots), "types": kinds}
    described = (f"{latest.get('DBSnapshotIdentifier')} ({latest.get('SnapshotType')}, {latest.get('Status')}, "
                 f"{age} h old)")
    if latest.get("Status") != "available" or age > max_age_hours:
        return failed(f"RDS instance {instance}: newest snapshot {described}, need an available one younger than "
                      f"{max_age_hours:g} h", resource=instance, observed=observed, expected=expected,
                      hint=f"Take a manual snapshot before go-live: aws rds create-db-snapshot "
                           f"--db-instance-identifier {instance} --db-snapshot-identifier {instance}-pre-golive")
    return passed(f"RDS instance {instance}: newest available snapshot {described}, within {max_age_hours:g} h "
                  f"({len(snapshots)} snapshots: {', '.join(map(str, kinds))})", resource=instance,
                  observed=observed, expected=expected)


def backup_plan_ready(plans: list[dict], details: dict[str, dict], name: str) -> Finding:
    """The AWS Backup plan exists and has at least one rule (schedule into a vault)."""
    matching = [p for p in plans if p.get("BackupPlanName") == name]
    if not matching:
        return failed(f"AWS Backup plan {name} not found ({len(plans)} plans: "
                      f"{', '.join(p.get('BackupPlanName', '?') for p in plans) or 'none'})", resource=name,
                      observed=[p.get("BackupPlanName") for p in plans], expected=f"plan {name} with a rule",
                      hint="Recreate the backup plan (Terraform) and assign the database to it.")
    plan = details.get(matching[0]["BackupPlanId"]) or {}
    if "Error" in plan:
        return failed(f"AWS Backup plan {name}: {_error(plan)}", resource=name, observed=plan["Error"],
                      expected="a readable plan with a rule")
    rules = [{"rule": r.get("RuleName"), "schedule": r.get("ScheduleExpression"),
              "vault": r.get("TargetBackupVaultName")} for r in (plan.get("BackupPlan") or {}).get("Rules") or []]
    if not rules:
        return failed(f"AWS Backup plan {name} has no rule: nothing is ever backed up", resource=name,
                      observed=rules, expected=">= 1 rule", hint="Add a scheduled rule to the plan.")
    return passed(f"AWS Backup plan {name} has {len(rules)} rule(s): "
                  + ", ".join(f"{r['rule']} {r['schedule']} into {r['vault']}" for r in rules),
                  resource=name, observed=rules, expected=">= 1 rule")


def recovery_points_recent(response: dict, vault: str, max_age_hours: float, now: datetime) -> Finding:
    """The backup vault holds a completed recovery point younger than the window."""
    resource = f"AWS Backup vault {vault}"
    expected = f"a COMPLETED recovery point younger than {max_age_hours:g} h"
    if "Error" in response:
        return undecided(f"{resource}: recovery points could not be listed ({_error(response)}), so no backup in it "
                      "can be confirmed", resource=resource, observed=response["Error"], expected=expected,
                      hint="Check backup:ListRecoveryPointsByBackupVault permission and the vault name.")
    points = [p for p in response.get("RecoveryPoints") or []
              if p.get("Status") == "COMPLETED" and p.get("CreationDate")]
    latest = max(points, key=lambda p: p["CreationDate"]) if points else None
    observed = {"completed": len(points), "latest": str(latest["CreationDate"]) if latest else None}
    if latest is None or _hours(latest["CreationDate"], now) > max_age_hours:
        what = f"newest is {_hours(latest['CreationDate'], now)} h old" if latest else "found 0"
        return failed(f"{resource}: no completed recovery point younger than {max_age_hours:g} h ({what})",
                      resource=resource, observed=observed, expected=expected,
                      hint="Check the backup plan's jobs in the AWS Backup console; start an on-demand backup.")
    return passed(f"{resource}: newest completed recovery point is {_hours(latest['CreationDate'], now)} h old "
                  f"({len(points)} completed)", resource=resource, observed=observed, expected=expected)


def bucket_versioned(response: dict, bucket: str) -> Finding:
    """The backup bucket exists and has versioning Enabled (deleted dumps stay recoverable)."""
    resource = f"s3://{bucket}"
    if "Error" in response:
        return failed(f"backup bucket {resource}: {_error(response)}", resource=resource, observed=response["Error"],
                      expected="exists, versioning Enabled", hint="Recreate the bucket (Terraform) with versioning.")
    status = response.get("Status")
    if status != "Enabled":
        what = f"is {status}, not Enabled" if status else "has never been enabled"
        return failed(f"backup bucket {resource} versioning {what}", resource=resource,
                      observed=status, expected="Enabled",
                      hint=f"aws s3api put-bucket-versioning --bucket {bucket} "
                           "--versioning-configuration Status=Enabled")
    return passed(f"backup bucket {resource} exists with versioning Enabled", resource=resource, observed=status,
                  expected="Enabled")


def dump_recent(objects: list[dict], bucket: str, prefix: str, max_age_hours: float, now: datetime) -> Finding:
    """The backup bucket holds a non-empty database dump younger than the window (metadata only)."""
    resource = f"s3://{bucket}/{prefix}"
    dumps = [o for o in objects if o.get("Size", 0) > 0]
    latest = max(dumps, key=lambda o: o["LastModified"]) if dumps else None
    expected = f"a non-empty dump younger than {max_age_hours:g} h"
    observed = {"objects": len(objects), "latest": latest.get("Key") if latest else None,
                "age_hours": _hours(latest["LastModified"], now) if latest else None,
                "bytes": latest.get("Size") if latest else None}
    if latest is None or observed["age_hours"] > max_age_hours:
        what = (f"newest {latest['Key']} is {observed['age_hours']} h old" if latest else
                f"{len(objects)} objects, all empty" if objects else "found 0 objects")
        return failed(f"no database dump younger than {max_age_hours:g} h in {resource} ({what})", resource=resource,
                      observed=observed, expected=expected, query=f"aws s3api list-objects-v2 --bucket {bucket} "
                      f"--prefix {prefix}", hint="Run the backup job (pg_dump to the bucket) and check why it stopped.")
    return passed(f"{resource} holds {latest['Key']} ({latest['Size']} bytes, {observed['age_hours']} h old)",
                  resource=resource, observed=observed, expected=expected)


def rollback_commands(deployment: dict | None, replicasets: list[dict], instance: dict, snapshots: list[dict],
                      namespace: str, region: str) -> Finding:
    """The exact rollback commands, rendered from live state: rollout undo and an RDS restore."""
    missing = []
    previous = rollout_history(deployment, replicasets)[1] if deployment else None
    if deployment is None:
        missing.append("the Deployment does not exist")
    elif previous is None:
        missing.append("the Deployment has no previous ReplicaSet revision")
    db = (instance.get("DBInstances") or [{}])[0]
    subnet_group = (db.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
    groups = [g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups") or []]
    if "Error" in instance:
        missing.append(f"the RDS instance is not readable ({_error(instance)})")
    elif not (subnet_group and groups):
        missing.append("the RDS instance names no subnet group or security group to restore into")
    snapshot = latest_snapshot([s for s in snapshots if s.get("Status") == "available"])
    if snapshot is None:
        missing.append("no available RDS snapshot")
    if missing:
        return failed("rollback commands cannot be prepared: " + "; ".join(missing), resource="rollback",
                      observed={"missing": missing}, expected="a previous revision and an available snapshot",
                      hint="Fix the named inputs; until then a rollback means redeploying by hand.")
    # A restore makes a new instance (the old one stays for forensics); the app is then pointed at it.
    restore = ["aws", "rds", "restore-db-instance-from-db-snapshot", "--region", region,
               "--db-instance-identifier", f"{db['DBInstanceIdentifier']}-restored",
               "--db-snapshot-identifier", snapshot["DBSnapshotIdentifier"], "--db-instance-class",
               db["DBInstanceClass"], "--db-subnet-group-name", subnet_group, "--vpc-security-group-ids", *groups]
    commands = [f"kubectl rollout undo deployment/{deployment['metadata']['name']} -n {namespace} "
                f"--to-revision={revision(previous)}", shlex.join(restore)]
    return passed(f"rollback commands ready: {commands[0]} ; {commands[1]}", resource="rollback",
                  observed={"commands": commands, "snapshot_time": str(snapshot["SnapshotCreateTime"])},
                  expected="a previous revision and an available snapshot")
