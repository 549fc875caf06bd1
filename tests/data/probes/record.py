"""Re-record the API answers the probe unit tests start from (run by hand; not a test).

    cd <repo> && PYTHONPATH=. .venv/bin/python tests/data/probes/record.py [wiring]

Every answer goes through golive's own gatherers (fixtures/kubernetes.py, fixtures/aws.py,
fixtures/network.py), so the files hold exactly what a check hands a probe:

* Kubernetes: the sandbox emulator (sandbox/kube_api.py) loaded with sandbox/seed/kubernetes.yaml,
  served in-process (no HTTP) to the real `Kubernetes` gatherer, clock fixed at RECORDED_AT.
* AWS: moto (in-process `mock_aws`) seeded by sandbox/seed_aws.py, read by the real `Aws` gatherer
  (ClientErrors become {"Error": ..., "HTTPStatusCode": ...} as there). Timestamps are written as
  ISO 8601 strings; tests/unit/recorded.py turns them back into the datetimes boto3 returns.
* Network: the real `Network._reach` against a socket listening on 127.0.0.1 and failures
  that need no network (a closed local port, an unresolvable .invalid name, a bad port).
* Deploy scripts: the real `Scripts` runner on the sandbox's stand-in scripts (they change nothing).
* Runbook: contact lines as golive's runbook catalogue parses them; Alertmanager's configuration
  as `prometheus-alertmanager` itself echoes it in /api/v2/status (started briefly on 127.0.0.1).

Needs the sandbox extra (moto) and prometheus-alertmanager on PATH. Starts nothing that outlives it.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from fixtures.aws import Aws  # noqa: E402
from fixtures.kubernetes import Kubernetes  # noqa: E402
from fixtures.network import Network  # noqa: E402
from golive import runbook as catalogue  # noqa: E402
from golive.gather import Ledger, Source  # noqa: E402

CFG = SimpleNamespace(aws=SimpleNamespace(region="us-east-1", endpoint_url=None))
NS, ESO_NS = "nba-mcp-synthesis", "external-secrets-system"


def _json(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    raise TypeError(f"cannot write {type(value).__name__}")


def write(module: str, name: str, value) -> None:
    path = HERE / module / f"{name}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(value, indent=1, default=_json, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


# --- Kubernetes ------------------------------------------------------------------------------


def kubernetes(now: dt.datetime) -> Kubernetes:
    import sandbox.kube_api as kube_api

    class Frozen(dt.datetime):  # the emulator stamps seed placeholders from datetime.now()
        @classmethod
        def now(cls, tz=None):
            return now

    kube_api.datetime = Frozen
    api = kube_api.create_app(kube_api.KubeApi(ROOT / "sandbox" / "seed" / "kubernetes.yaml", "127.0.0.1:18443"))
    web = api.test_client()

    class InProcess(Kubernetes):
        def _get(self, path, query=(), missing_ok=False, raw=False):
            answer = web.get(path, query_string=list(query), headers={"Accept": "application/json"})
            if answer.status_code == 404 and missing_ok:
                return None
            if answer.status_code >= 400 and not raw:
                raise RuntimeError(f"GET {path}: HTTP {answer.status_code} {answer.get_data(as_text=True)[:200]}")
            return answer.get_data(as_text=True) if raw else answer.get_json()  # as parsed off the wire

    return InProcess(None, Source("Kubernetes API", "https://127.0.0.1:18443", Ledger()), (3, 10))


def record_kubernetes(now: dt.datetime) -> None:
    k8s = kubernetes(now)
    app = k8s.get("deployments", "nba-mcp-synthesis", NS)
    replicasets = k8s.list("replicasets", NS)
    external_secret = k8s.get("externalsecrets", "nba-mcp-synthesis-secrets", NS)

    write("infrastructure", "version", k8s.version())
    write("infrastructure", "nodes", k8s.list("nodes"))
    write("infrastructure", "pods", k8s.list("pods"))
    write("infrastructure", "deployment", app)
    write("infrastructure", "hpa", k8s.get("horizontalpodautoscalers", "nba-mcp-synthesis-hpa", NS))
    write("infrastructure", "apiservice", k8s.get("apiservices", "v1beta1.metrics.k8s.io"))
    write("infrastructure", "eso_deployment", k8s.get("deployments", "external-secrets", ESO_NS))
    write("infrastructure", "crds", {name: k8s.get("customresourcedefinitions", name) for name in
                                     ("externalsecrets.external-secrets.io", "secretstores.external-secrets.io")})
    write("infrastructure", "namespace", k8s.get("namespaces", NS))
    write("infrastructure", "deployments", k8s.list("deployments", NS))
    write("infrastructure", "replicasets", replicasets)
    # What test_clear_any_staging_deployments gathers on a healthy cluster: every kind, no match.
    write("infrastructure", "staging_workloads", {kind: k8s.list(kind, NS, selector="environment=staging")
                                                  for kind in ("deployments", "statefulsets", "daemonsets", "pods")})

    write("secrets", "external_secret", external_secret)
    write("secrets", "secret_store", k8s.get("secretstores", "aws-secrets-manager", NS))
    write("secrets", "secret", k8s.get("secrets", "nba-mcp-synthesis-secrets", NS))
    write("secrets", "secrets", k8s.list("secrets", NS))
    write("secrets", "deployment", app)
    write("secrets", "service_account", k8s.get("serviceaccounts", "external-secrets-sa", NS))

    write("backups", "deployment", app)
    write("backups", "replicasets", replicasets)
    record_wiring(k8s)


def record_wiring(k8s: Kubernetes) -> None:
    """What the wiring checks gather: the app's objects and every namespace's NetworkPolicies."""
    write("wiring", "deployment", k8s.get("deployments", "nba-mcp-synthesis", NS))
    write("wiring", "services", k8s.list("services", NS))
    write("wiring", "ingress", k8s.get("ingresses", "nba-mcp-synthesis-ingress", NS))
    write("wiring", "hpa", k8s.get("horizontalpodautoscalers", "nba-mcp-synthesis-hpa", NS))
    write("wiring", "apiservice", k8s.get("apiservices", "v1beta1.metrics.k8s.io"))
    write("wiring", "poddisruptionbudgets", k8s.list("poddisruptionbudgets", NS))
    write("wiring", "networkpolicies", k8s.list("networkpolicies"))
    write("wiring", "namespaces", k8s.list("namespaces"))
    write("wiring", "configmaps", k8s.list("configmaps", NS))
    write("wiring", "secrets", k8s.list("secrets", NS))
    write("wiring", "serviceaccounts", k8s.list("serviceaccounts", NS))
    write("wiring", "externalsecrets", k8s.list("externalsecrets", NS))
    write("wiring", "prometheusrule", k8s.get("prometheusrules", "nba-mcp-synthesis-alerts", "monitoring"))


# --- AWS -------------------------------------------------------------------------------------


def record_aws() -> dt.datetime:
    import boto3
    from moto import mock_aws

    from sandbox import seed_aws

    seed_aws.seed_glue = lambda aws: {}  # moto's Glue needs pyparsing (absent from the slim install)
    with mock_aws():
        ids = seed_aws.seed(None, "us-east-1")
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        aws = Aws(session, CFG, Ledger(), (3, 10))
        prefix, cluster = seed_aws.SECRET_PREFIX, seed_aws.CLUSTER_NAME

        write("infrastructure", "describe_cluster", aws.call("eks", "describe_cluster", name=cluster))
        write("infrastructure", "describe_cluster_not_found", aws.call("eks", "describe_cluster", name="no-such-cluster"))
        nodegroup = aws.call("eks", "describe_nodegroup", clusterName=cluster, nodegroupName=seed_aws.NODEGROUP)
        write("infrastructure", "describe_nodegroup", nodegroup)
        write("infrastructure", "describe_nodegroup_not_found",
              aws.call("eks", "describe_nodegroup", clusterName=cluster, nodegroupName="no-such-group"))
        write("infrastructure", "list_secrets", aws.paginate(
            "secretsmanager", "list_secrets", "SecretList", Filters=[{"Key": "name", "Values": [prefix]}],
            IncludePlannedDeletion=True))

        lbs = aws.call("elbv2", "describe_load_balancers", Names=[seed_aws.ALB_NAME])
        write("infrastructure", "describe_load_balancers", lbs)
        write("infrastructure", "describe_load_balancers_not_found",
              aws.call("elbv2", "describe_load_balancers", Names=["no-such-alb"]))
        health = {}
        for lb in lbs["LoadBalancers"]:
            for tg in aws.call("elbv2", "describe_target_groups", LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]:
                health[tg["TargetGroupArn"]] = aws.call("elbv2", "describe_target_health",
                                                        TargetGroupArn=tg["TargetGroupArn"])
        write("infrastructure", "target_health", health)
        write("infrastructure", "security_groups", aws.paginate(
            "ec2", "describe_security_groups", "SecurityGroups", Filters=[{"Name": "vpc-id", "Values": [ids["vpc_id"]]}]))
        # moto knows the default quotas of service code vpc only; golive.toml's "VPCs per Region" is one.
        write("infrastructure", "get_service_quota",
              aws.call("service-quotas", "get_service_quota", ServiceCode="vpc", QuotaCode="L-F678F1CE"))
        write("infrastructure", "get_service_quota_not_found",
              aws.call("service-quotas", "get_service_quota", ServiceCode="eks", QuotaCode="L-1194D53C"))

        # secrets: DescribeSecret for each expected key, plus one that does not exist
        described = {prefix + key: aws.call("secretsmanager", "describe_secret", SecretId=prefix + key)
                     for key in seed_aws.SECRET_KEYS}
        write("secrets", "describe_secret", described)
        write("secrets", "describe_secret_not_found",
              aws.call("secretsmanager", "describe_secret", SecretId=prefix + "no-such-key"))
        write("secrets", "role_policies", aws.role_policies(seed_aws.EXTERNAL_SECRETS_ROLE))
        write("secrets", "role_policies_no_role", aws.role_policies("no-such-role"))
        write("secrets", "get_role", aws.call("iam", "get_role", RoleName=seed_aws.EXTERNAL_SECRETS_ROLE))
        write("secrets", "describe_secret_denied", _parsed(
            "secretsmanager", "DescribeSecret", 400, json.dumps({
                "__type": "AccessDeniedException",
                "Message": f"User: arn:aws:sts::{seed_aws.ACCOUNT_ID}:assumed-role/golive-readonly/golive is not "
                           f"authorized to perform: secretsmanager:DescribeSecret on resource: {prefix}openai-api-key "
                           "because no identity-based policy allows the secretsmanager:DescribeSecret action"}).encode(),
            {"content-type": "application/x-amz-json-1.1"}))
        # A secret scheduled for deletion, as DescribeSecret and ListSecrets(IncludePlannedDeletion) show it.
        # (The gatherer is read-only: the deletion goes through a plain client.)
        session.client("secretsmanager").delete_secret(SecretId=prefix + "linear-team-id", RecoveryWindowInDays=7)
        write("secrets", "describe_secret_scheduled_for_deletion",
              aws.call("secretsmanager", "describe_secret", fresh=True, SecretId=prefix + "linear-team-id"))
        after = Aws(session, CFG, Ledger(), (3, 10))  # a fresh gatherer: the first one caches the listing above
        write("infrastructure", "list_secrets_one_deleted", after.paginate(
            "secretsmanager", "list_secrets", "SecretList", Filters=[{"Key": "name", "Values": [prefix]}],
            IncludePlannedDeletion=True))

        # backups
        db = seed_aws.DB_INSTANCE
        write("backups", "describe_db_instances", aws.call("rds", "describe_db_instances", DBInstanceIdentifier=db))
        write("backups", "describe_db_instances_not_found",
              aws.call("rds", "describe_db_instances", DBInstanceIdentifier="no-such-db"))
        write("backups", "db_snapshots", aws.paginate("rds", "describe_db_snapshots", "DBSnapshots",
                                                      DBInstanceIdentifier=db))
        plans = aws.paginate("backup", "list_backup_plans", "BackupPlansList")
        write("backups", "backup_plans", plans)
        write("backups", "get_backup_plan", {p["BackupPlanId"]: aws.call("backup", "get_backup_plan",
                                                                         BackupPlanId=p["BackupPlanId"]) for p in plans})
        write("backups", "get_backup_plan_not_found", aws.call("backup", "get_backup_plan", BackupPlanId="no-such-plan"))
        write("backups", "get_bucket_versioning", aws.call("s3", "get_bucket_versioning", Bucket=seed_aws.BACKUP_BUCKET))
        write("backups", "get_bucket_versioning_no_bucket", aws.call("s3", "get_bucket_versioning",
                                                                     Bucket="no-such-bucket-golive"))
        write("backups", "dump_objects", aws.paginate("s3", "list_objects_v2", "Contents",
                                                      Bucket=seed_aws.BACKUP_BUCKET, Prefix="postgres/"))
        recorded_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(seconds=1)
        plan = aws.call("backup", "get_backup_plan", BackupPlanId=ids["backup_plan_id"])
        record_recovery_points(ids, plan, recorded_at)
    return recorded_at


def _parsed(service: str, operation: str, status: int, body: bytes, headers: dict) -> dict:
    """What boto3 returns for this HTTP answer: botocore's own parser, ClientErrors as fixtures/aws.py keeps them."""
    import botocore.parsers
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    parsed = botocore.parsers.create_parser(model.protocol).parse(
        {"status_code": status, "headers": headers, "body": body}, model.operation_model(operation).output_shape)
    if "Error" in parsed:
        return {"Error": parsed["Error"], "HTTPStatusCode": parsed["ResponseMetadata"]["HTTPStatusCode"]}
    return parsed


def record_recovery_points(ids: dict, plan: dict, now: dt.datetime) -> None:
    """moto does not implement ListRecoveryPointsByBackupVault: the answers AWS gives, run through botocore.

    The bodies follow the API reference (timestamps as epoch seconds on the wire); botocore's parser drops
    anything its model does not know, so what lands in the files has exactly boto3's shape.
    """
    from sandbox import seed_aws

    op, region, account = "ListRecoveryPointsByBackupVault", "us-east-1", seed_aws.ACCOUNT_ID
    vault_arn = f"arn:aws:backup:{region}:{account}:backup-vault:{seed_aws.BACKUP_VAULT}"
    db_arn = f"arn:aws:rds:{region}:{account}:db:{seed_aws.DB_INSTANCE}"

    def point(job: str, hours_ago: float, status: str) -> dict:
        created = (now - dt.timedelta(hours=hours_ago)).timestamp()
        return {"RecoveryPointArn": f"arn:aws:rds:{region}:{account}:snapshot:awsbackup:job-{job}",
                "BackupVaultName": seed_aws.BACKUP_VAULT, "BackupVaultArn": vault_arn, "ResourceArn": db_arn,
                "ResourceType": "RDS", "ResourceName": seed_aws.DB_INSTANCE,
                "CreatedBy": {"BackupPlanId": ids["backup_plan_id"], "BackupPlanArn": ids["backup_plan_arn"],
                              "BackupPlanVersion": plan["VersionId"],
                              "BackupRuleId": plan["BackupPlan"]["Rules"][0]["RuleId"]},
                "IamRoleArn": f"arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole",
                "Status": status, "CreationDate": created,
                **({"CompletionDate": created + 540, "BackupSizeInBytes": 0,
                    "CalculatedLifecycle": {"DeleteAt": created + 30 * 86400}} if status == "COMPLETED" else {}),
                "Lifecycle": {"DeleteAfterDays": 30}, "IsEncrypted": True,
                "EncryptionKeyArn": f"arn:aws:kms:{region}:{account}:key/6c1b8f2e-4f1a-4b7e-9d3c-2a5e8f0b7c41",
                "VaultType": "BACKUP_VAULT"}

    body = {"RecoveryPoints": [point("7d3f0c2a-61b1-4f7e-a0c8-3e9d5b2f1a40", 0.25, "RUNNING"),
                               point("b41e9a7c-2d5f-4c3b-8e1a-9f0d6c7b2e58", 4.9, "COMPLETED"),
                               point("0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f", 28.9, "COMPLETED")]}
    json_headers = {"content-type": "application/json", "x-amzn-requestid": "3f2b7c1e-9a4d-4e8b-b6f0-1c2d3e4f5a6b"}
    write("backups", "list_recovery_points", _parsed("backup", op, 200, json.dumps(body).encode(), json_headers))
    denied = {"Message": f"User: arn:aws:sts::{account}:assumed-role/golive-readonly/golive is not authorized to "
                         f"perform: backup:ListRecoveryPointsByBackupVault on resource: {vault_arn}"}
    write("backups", "list_recovery_points_denied", _parsed(
        "backup", op, 403, json.dumps(denied).encode(), {**json_headers, "x-amzn-errortype": "AccessDeniedException"}))
    # moto_server (the sandbox) answers an operation it lacks with its web framework's 404 page.
    from werkzeug.exceptions import NotFound

    write("backups", "list_recovery_points_html", _parsed(
        "backup", op, 404, NotFound().get_body().encode(), {"content-type": "text/html; charset=utf-8"}))


# --- Deploy scripts (the sandbox's stand-ins: they print their plan and change nothing) -------------


def record_scripts() -> None:
    import dataclasses
    import os

    from fixtures.scripts import Scripts

    workdir = ROOT / "sandbox" / "scripts"
    cfg = SimpleNamespace(path=lambda p: workdir / p, scripts=SimpleNamespace(
        workdir=".", timeout_seconds=60, validator="scripts/validate_deployment.py",
        deploy_phases=[f"scripts/deploy_phase{n}.sh" for n in ("1_infrastructure", "2_secrets")]))
    scripts = Scripts(cfg)

    def kept(run) -> dict:  # the command as run from the repository root, not this machine's checkout
        return {**dataclasses.asdict(run), "command": [c.replace(str(ROOT), ".") for c in run.command]}

    with tempfile.TemporaryDirectory() as sandbox_dir:
        (Path(sandbox_dir) / "faults").mkdir()
        (Path(sandbox_dir) / "faults" / "deploy_phase2_secrets.fail").write_text(
            "AccessDeniedException: secretsmanager:PutSecretValue on nba-mcp-synthesis/production/openai-api-key")
        os.environ["GOLIVE_SANDBOX_DIR"] = sandbox_dir
        write("infrastructure", "script_ok", kept(scripts.deploy_phase(1)))
        write("infrastructure", "script_failed", kept(scripts.deploy_phase(2)))
        write("infrastructure", "script_silent", kept(scripts.validator("--skip-application")))  # prints nothing
        del os.environ["GOLIVE_SANDBOX_DIR"]


# --- Network ---------------------------------------------------------------------------------


def record_network() -> None:
    net = Network(None, Ledger(), (1.0, 1.0))
    listeners = [socket.create_server(("127.0.0.1", 0)) for _ in range(3)]
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: connect is refused
    try:
        ok = [net.reach(name, f"{scheme}://127.0.0.1:{s.getsockname()[1]}{path}")
              for (name, scheme, path), s in zip((("app", "http", ""), ("Prometheus", "http", ""),
                                                  ("database", "postgresql", "")), listeners)]
    finally:
        for s in listeners:
            s.close()
    write("network", "reach_ok", ok)
    write("network", "reach_failed", {
        "tcp": net.reach("Grafana", f"http://127.0.0.1:{closed_port}"),
        "dns": net.reach("Alertmanager", "http://alertmanager.golive.invalid:9093"),
        "config": net.reach("Kubernetes API", "https://kube.example.com:99999"),
    })


# --- Runbook ---------------------------------------------------------------------------------


def record_runbook() -> None:
    for name, path in (("contacts_template", None), ("contacts_filled", ROOT / "sandbox" / "runbook" / "GO_LIVE_RUNBOOK.md")):
        write("runbook", name, {i.id: i.text for i in catalogue.load(path).items if i.id.startswith("contacts/")})
    binary = shutil.which("prometheus-alertmanager")
    if not binary:
        print("prometheus-alertmanager not on PATH: runbook/alertmanager_status.json not re-recorded")
        return
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as storage:
        proc = subprocess.Popen([binary, f"--config.file={ROOT / 'sandbox/provisioning/alertmanager/alertmanager.yml'}",
                                 f"--storage.path={storage}", f"--web.listen-address=127.0.0.1:{port}",
                                 "--cluster.listen-address="], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    status = requests.get(f"http://127.0.0.1:{port}/api/v2/status", timeout=1).json()
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            else:
                raise SystemExit("Alertmanager did not answer within 10 s")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    write("runbook", "alertmanager_status", {"config": status["config"]})  # cluster/uptime: not what probes read


def main() -> int:
    if sys.argv[1:] == ["wiring"]:  # only the wiring answers, stamped in their own folder
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        record_wiring(kubernetes(now))
        (HERE / "wiring" / "RECORDED_AT").write_text(now.isoformat() + "\n")
        return 0
    recorded_at = record_aws()
    record_kubernetes(recorded_at)
    record_scripts()
    record_network()
    record_runbook()
    (HERE / "RECORDED_AT").write_text(recorded_at.isoformat() + "\n")
    print(f"recorded at {recorded_at.isoformat()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
