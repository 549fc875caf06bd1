"""AWS Backup jobs and recovery points for the sandbox's moto server (moto 5 has no routes for them).

Installed into the moto server process by sandbox/aws_server.py before the first request. The sandbox has
no backup worker, so a job started with StartBackupJob completes at once: the vault gains a COMPLETED
recovery point, as it would after the real job ran. State lives on moto's Backup backend, so
`/moto-api/reset` clears it with the rest.

Operations (boto3 names): start_backup_job, list_backup_jobs, list_recovery_points_by_backup_vault,
delete_recovery_point. Shapes follow botocore's Backup model (dates as epoch seconds, rest-json).
"""
from __future__ import annotations

import json
from urllib.parse import unquote

from moto.backup import urls
from moto.backup.exceptions import ResourceNotFoundException
from moto.backup.models import BackupBackend
from moto.backup.responses import BackupResponse
from moto.core.utils import unix_time
from moto.moto_api._internal import mock_random

# botocore's URIs exactly (PUT /backup-jobs, GET /backup-jobs/): a Flask rule's trailing slash is strict.
ROUTES = {
    "{0}/backup-jobs$": BackupResponse.dispatch,
    "{0}/backup-jobs/$": BackupResponse.dispatch,
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$": BackupResponse.dispatch,
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/(?P<arn>.+)$": BackupResponse.dispatch,
}
_RESOURCE_TYPES = {"rds": "RDS", "s3": "S3", "dynamodb": "DynamoDB", "ec2": "EC2", "elasticfilesystem": "EFS"}


def _state(backend: BackupBackend) -> dict:
    # Created lazily on the backend instance, so moto's reset (a fresh __init__) wipes it.
    if not hasattr(backend, "golive_jobs"):
        backend.golive_jobs, backend.golive_points = [], {}
    return {"jobs": backend.golive_jobs, "points": backend.golive_points}


def start_backup_job(self: BackupResponse) -> str:
    params = json.loads(self.body or "{}")
    vault = self.backup_backend.describe_backup_vault(params["BackupVaultName"])  # ResourceNotFound if absent
    state, now = _state(self.backup_backend), unix_time()
    job_id = mock_random.uuid4().hex.upper()
    resource = params["ResourceArn"]
    point_arn = (f"arn:aws:backup:{self.region}:{self.current_account}:recovery-point:{mock_random.uuid4()}")
    resource_type = _RESOURCE_TYPES.get(resource.split(":")[2], resource.split(":")[2].upper())
    point = {"RecoveryPointArn": point_arn, "BackupVaultName": vault.backup_vault_name,
             "BackupVaultArn": vault.backup_vault_arn, "ResourceArn": resource, "ResourceType": resource_type,
             "ResourceName": resource.split(":")[-1], "IamRoleArn": params.get("IamRoleArn"),
             "Status": "COMPLETED", "CreationDate": now, "CompletionDate": now, "BackupSizeInBytes": 1 << 20,
             "IsEncrypted": True, "Lifecycle": params.get("Lifecycle") or {}, "CreatedBy": {}}
    state["points"][point_arn] = point
    state["jobs"].append({"BackupJobId": job_id, "BackupVaultName": vault.backup_vault_name,
                          "BackupVaultArn": vault.backup_vault_arn, "RecoveryPointArn": point_arn,
                          "ResourceArn": resource, "ResourceType": resource_type, "State": "COMPLETED",
                          "CreationDate": now, "CompletionDate": now, "PercentDone": "100.0",
                          "IamRoleArn": params.get("IamRoleArn")})
    return json.dumps({"BackupJobId": job_id, "RecoveryPointArn": point_arn, "CreationDate": now})


def list_backup_jobs(self: BackupResponse) -> str:
    vault = self._get_param("backupVaultName")
    jobs = [j for j in _state(self.backup_backend)["jobs"] if vault in (None, j["BackupVaultName"])]
    return json.dumps({"BackupJobs": jobs})


def list_recovery_points_by_backup_vault(self: BackupResponse) -> str:
    name = self._vault_name_from_path()
    self.backup_backend.describe_backup_vault(name)
    points = [p for p in _state(self.backup_backend)["points"].values() if p["BackupVaultName"] == name]
    return json.dumps({"RecoveryPoints": points})


def delete_recovery_point(self: BackupResponse) -> str:
    name = self._vault_name_from_path()
    arn = unquote(self.path.split("/recovery-points/", 1)[1]).rstrip("/")
    points = _state(self.backup_backend)["points"]
    if points.get(arn, {}).get("BackupVaultName") != name:
        raise ResourceNotFoundException(msg=f"Recovery point {arn} not found in vault {name}")
    del points[arn]
    return "{}"


def _vault_name_from_path(self: BackupResponse) -> str:
    return unquote(self.path.split("/backup-vaults/", 1)[1].split("/", 1)[0])


def install() -> None:
    """Add the routes and actions to moto's Backup service (before moto builds its Flask app)."""
    urls.url_paths.update(ROUTES)
    for action in (start_backup_job, list_backup_jobs, list_recovery_points_by_backup_vault,
                   delete_recovery_point, _vault_name_from_path):
        setattr(BackupResponse, action.__name__, action)
