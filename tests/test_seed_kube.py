"""The sandbox's Kubernetes seed is rendered from `[environments.sandbox]` (sandbox/seed_kube.py): a renamed
copy of the environment (other namespaces) moves every seeded object and reference, and golive's own
gatherer finds the app where the renamed configuration says. No sandbox: the emulator runs in-process.
"""
from __future__ import annotations

import re

import yaml

from fixtures.kubernetes import Kubernetes
from golive import config
from golive.gather import Ledger, Source
from golive.probes import kube
from sandbox import kube_api, kube_validation, seed_kube
from tests.harness import ROOT

RENAMED = {"app_namespace": "shop-prod", "monitoring_namespace": "observability",
           "eso_namespace": "eso", "log_agent": {"namespace": "logs"}}


IMAGE = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/shop:v2.0.0"


def renamed_config(tmp_path):
    """golive.toml with the sandbox environment's namespaces, secret prefix, account, ESO role and image renamed."""
    text = (ROOT / "golive.toml").read_text()
    text = text.replace('expected_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.4.0" }',
                        f'expected_image = "{IMAGE}" }}', 1)
    text = re.sub(r'^(\[environments\.sandbox\]\n(?:.*\n)*?)(aws = \{.*)account_id = "123456789012"', r'\1\2account_id = "210987654321"',
                  text, count=1, flags=re.M)
    text = re.sub(r'^(\[environments\.sandbox\]\n)', r'\1secrets = { prefix = "shop/prod/", eso_role_name = "shop-eso" }\n',
                  text, count=1, flags=re.M)
    overrides = ", ".join(f"{k} = {{ namespace = \"{v['namespace']}\" }}" if isinstance(v, dict) else f'{k} = "{v}"'
                          for k, v in RENAMED.items())
    text = re.sub(r'^(\[environments\.sandbox\]\n(?:.*\n)*?kubernetes = \{ )', lambda m: m[1] + overrides + ", ", text,
                  count=1, flags=re.M)
    text = re.sub(r'^runbook = "(?!/)', f'runbook = "{ROOT}/', text, flags=re.M)  # paths are the file's folder's
    path = tmp_path / "golive.toml"
    path.write_text(text)
    return config.load("sandbox", path)


def test_the_sandbox_environment_renders_the_seed_as_written():
    cfg = config.load("sandbox", ROOT / "golive.toml")
    assert seed_kube.renames(cfg) == {}
    assert seed_kube.render(cfg) == [d for d in yaml.safe_load_all(seed_kube.SEED.read_text()) if d]


def test_a_renamed_environment_moves_every_object_and_reference(tmp_path):
    cfg = renamed_config(tmp_path)
    assert cfg.kubernetes.app_namespace == "shop-prod" and cfg.kubernetes.monitoring_namespace == "observability"
    docs = seed_kube.render(cfg)
    text = yaml.safe_dump_all(docs)
    for old in ("namespace: nba-mcp-synthesis", "namespace: monitoring", "namespace: external-secrets-system",
                'namespace="nba-mcp-synthesis"', "kubernetes.io/metadata.name: monitoring", "nba-mcp-synthesis/production/",
                "123456789012", "nba-mcp-synthesis-prod-external-secrets"):
        assert old not in text, old
    external = next(d for d in docs if d["kind"] == "ExternalSecret")
    assert {r["remoteRef"]["key"] for r in external["spec"]["data"]} == {f"shop/prod/{k}" for k in cfg.secrets.keys}
    assert "arn:aws:iam::210987654321:role/shop-eso" in text
    deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == cfg.kubernetes.deployment)
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE
    namespaces = {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"}
    assert {"shop-prod", "observability", "eso", "logs"} <= namespaces
    assert not {"nba-mcp-synthesis", "monitoring", "external-secrets-system", "logging"} & namespaces
    schemas = kube_validation.Schemas()
    for doc in map(kube_api.seeded_owner_uids, kube_api.fill_placeholders(docs, kube_api.datetime.now(kube_api.timezone.utc))):
        validator = schemas.builtin(doc["apiVersion"], doc["kind"])
        assert kube_validation.admit(validator, doc) == [] if validator else True


def test_golive_finds_the_app_where_the_renamed_environment_says(tmp_path):
    cfg = renamed_config(tmp_path)
    seed = seed_kube.write(cfg, tmp_path / "seed.yaml")
    web = kube_api.create_app(kube_api.KubeApi(seed, "127.0.0.1:0")).test_client()

    class InProcess(Kubernetes):  # golive's gatherer, over the emulator's routes instead of a socket
        def _get(self, path, query=(), missing_ok=False, raw=False, object_hook=None):
            answer = web.get(path, query_string=list(query))
            return None if answer.status_code == 404 and missing_ok else answer.get_json()

    k8s = InProcess(None, Source("Kubernetes API", "in-process", Ledger()), (3, 10))
    k = cfg.kubernetes
    assert k8s.get("deployments", k.deployment, k.app_namespace) is not None
    assert len(k8s.list("pods", k.app_namespace, k.app_label)) == 3
    monitor = k8s.get("servicemonitors", k.service_monitor, k.app_namespace)
    assert monitor is not None and kube.namespace(k8s.get("prometheusrules", k.prometheus_rule,
                                                          k.monitoring_namespace)) == "observability"
    assert k8s.get("deployments", k.deployment, "nba-mcp-synthesis") is None


def test_a_synced_external_secret_is_refreshed_as_time_passes_and_an_unready_one_is_not():
    """A sandbox up longer than the allowed refresh age (90 min) must not look stale: External Secrets Operator
    refreshes every spec.refreshInterval; a fault that made it unready keeps it so."""
    from datetime import datetime, timedelta, timezone

    api = kube_api.KubeApi(kube_api.Path(kube_api.__file__).parent / "seed" / "kubernetes.yaml", "127.0.0.1:0")
    (key,) = [k for k in api._objects if k[0].kind == "ExternalSecret"]
    res, namespace, name = key
    before = api.get(res, namespace, name)
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    assert api.refresh_external_secrets(datetime.now(timezone.utc)) == 0  # refreshed 10 min ago, every 1h
    assert api.refresh_external_secrets(later) == 1
    after = api.get(res, namespace, name)
    assert after["status"]["refreshTime"] == kube_api.rfc3339(later)
    assert int(after["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])
    unready = {**after["status"], "conditions": [{"type": "Ready", "status": "False", "reason": "SecretSyncedError"}]}
    api.update(res, namespace, name, "status", lambda obj: {**obj, "status": unready})
    assert api.refresh_external_secrets(later + timedelta(hours=2)) == 0
    assert kube_api.go_duration("1h30m") == timedelta(minutes=90) and not kube_api.go_duration("0")
