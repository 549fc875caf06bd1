"""A renamed environment is rehearsed by configuration alone: a copy of golive.toml whose sandbox environment names
another app namespace, monitoring namespace, EKS cluster, secret prefix, buckets, database, RDS instance and Backup
plan, other Kubernetes object names, Prometheus job and rule group, Alertmanager receivers, ports. A second sandbox,
started from that copy (`golive-sandbox up --config`) in its own network namespace and state folder, is GO in the
smoke and T-2h phases, and what it seeded carries the new names, never the old.

Run as a script (inside the network namespace), this file is the rehearsal: up, the two phases, what was seeded
(JSON), down.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

R = {"namespace": "rehearsal-app", "monitoring": "observability", "cluster": "rehearsal-cluster",
     "prefix": "rehearsal/golive/", "data_bucket": "rehearsal-books", "backup_bucket": "rehearsal-dumps",
     "dbname": "rehearsal_db", "rds": "rehearsal-db", "deployment": "rehearsal-api", "service": "rehearsal-api-svc",
     "external_secret": "rehearsal-secrets", "job": "rehearsal-api"}
# Edits of the shipped sandbox environment (tests/harness.py config_copy: each must still match the file).
CHANGES = (
    ('eks = { cluster = "nba-mcp-synthesis-sandbox" }',
     f'eks = {{ cluster = "{R["cluster"]}" }}\n'
     f'secrets = {{ prefix = "{R["prefix"]}", external_secret = "{R["external_secret"]}", '
     'target_secret = "rehearsal-app-secrets", secret_store = "rehearsal-store" }\n'
     f's3 = {{ data_bucket = "{R["data_bucket"]}", backup_bucket = "{R["backup_bucket"]}" }}\n'
     'backup = { plan = "rehearsal-daily", vault = "rehearsal-vault" }'),
    ('context = "golive-sandbox", ',
     f'context = "golive-sandbox", app_namespace = "{R["namespace"]}", monitoring_namespace = "{R["monitoring"]}", '
     f'deployment = "{R["deployment"]}", container = "{R["deployment"]}", app_label = "app={R["deployment"]}", '
     f'service = "{R["service"]}", ingress = "rehearsal-api-ingress", hpa = "rehearsal-api-hpa", '
     'service_monitor = "rehearsal-api-metrics", prometheus_rule = "rehearsal-api-alerts", '
     f'namespace_labels = {{ name = "{R["namespace"]}", environment = "production" }}, '),
    ('database = { host = "127.0.0.1", port = 18432,',
     f'database = {{ host = "127.0.0.1", port = 18432, dbname = "{R["dbname"]}", rds_instance = "{R["rds"]}",'),
    ('service = "monitoring/kube-prometheus-stack-prometheus:9090", scrape_interval_seconds',
     f'service = "{R["monitoring"]}/rehearsal-prometheus:9090", app_job = "{R["job"]}", '
     f'rule_groups = ["{R["job"]}.rules"], scrape_interval_seconds'),
    ('service = "monitoring/kube-prometheus-stack-alertmanager:9093", chat_receiver = "slack-notifications"',
     f'service = "{R["monitoring"]}/rehearsal-alertmanager:9093", chat_receiver = "rehearsal-chat", '
     'paging_receiver = "rehearsal-pager", slack_channel = "#rehearsal-alerts"'),
)
# ... and every port a URL of the environment names (the API server's and the app's metrics port are no URL's).
MOVED_PORTS = {name: port + 10000 for name, port in (("aws", 18500), ("prometheus", 18090), ("alertmanager", 18093),
                                                     ("grafana", 18300), ("app", 18000), ("webhook", 18055))}
CHANGES += (("port = 18432,", "port = 28432,"),
            *((f"127.0.0.1:{port - 10000}", f"127.0.0.1:{port}") for port in MOVED_PORTS.values()))
PHASES = ("smoke", "t_minus_2")


def _netns_available() -> bool:
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_renamed_environment_is_go_in_smoke_and_t_minus_2h(tmp_path):
    from tests.harness import config_copy

    if not _netns_available():
        pytest.skip("a second sandbox needs its own network namespace (unshare -n): not permitted here")
    # The state folder stays ${GOLIVE_SANDBOX_DIR...}: the second sandbox's, which the rehearsal sets.
    config = config_copy(tmp_path, *CHANGES, pin_state=False)
    out = tmp_path / "observed.json"
    # Not under tmp_path: PostgreSQL's own user must reach its data folder (pytest's folders are root's alone).
    state = Path(tempfile.mkdtemp(prefix="golive-renamed-sandbox-"))
    try:
        done = subprocess.run(["unshare", "-n", sys.executable, __file__, str(config), str(state), str(out)],
                              capture_output=True, text=True, timeout=600, cwd=ROOT)
        recorded = (state / "config.json").exists()
    finally:
        shutil.rmtree(state, ignore_errors=True)
    assert done.returncode == 0 and out.is_file(), f"rehearsal failed ({done.returncode}): {done.stderr[-3000:]}"
    observed = json.loads(out.read_text())

    for phase in PHASES:
        assert observed["phases"][phase]["exit"] == 0, f"{phase} is not GO:\n{observed['phases'][phase]['tail']}"
        assert observed["phases"][phase]["passed"], f"{phase} passed nothing:\n{observed['phases'][phase]['tail']}"
        assert "golive verdict: GO (sandbox)" in observed["phases"][phase]["tail"]
    assert {R["namespace"], R["monitoring"]} <= set(observed["namespaces"])
    assert not {"nba-mcp-synthesis", "monitoring"} & set(observed["namespaces"])
    assert observed["deployments"] == [R["deployment"]]
    assert R["service"] in observed["services"] and "nba-mcp-synthesis-service" not in observed["services"]
    assert observed["external_secrets"] == [R["external_secret"]]
    assert observed["clusters"] == [R["cluster"]]
    assert observed["secrets"] and all(name.startswith(R["prefix"]) for name in observed["secrets"])
    assert set(observed["buckets"]) == {R["data_bucket"], R["backup_bucket"]}
    assert observed["db_instances"] == [R["rds"]]
    assert R["dbname"] in observed["databases"] and "nba_simulator" not in observed["databases"]
    assert observed["ports"] == {**observed["ports"], **MOVED_PORTS, "postgres": 28432}
    # The app under prometheus.app_job; kube-state-metrics under its own job, whatever the environment's names.
    assert observed["jobs"] == sorted([R["job"], "kube-state-metrics"]), \
        "Prometheus scrapes the app under another job than prometheus.app_job"
    # `down` read the recorded choice: it stopped the renamed sandbox's services, and forgot the choice.
    assert "stopped app" in observed["down"] and not recorded


def _renamed(tmp_path, *more):
    from golive import config
    from tests.harness import config_copy

    return config.load("sandbox", config_copy(tmp_path, *CHANGES, *more, pin_state=False))


def test_the_shipped_environment_renders_the_provisioning_as_written(tmp_path):
    from sandbox import render, stack

    rendered = render.copy_tree(stack.PROVISIONING, tmp_path / "out", stack.sandbox_config(), stack.PORTS)
    shipped = sorted(p.relative_to(stack.PROVISIONING) for p in stack.PROVISIONING.rglob("*") if p.is_file())
    assert sorted(p.relative_to(rendered) for p in rendered.rglob("*") if p.is_file()) == shipped
    assert all((rendered / f).read_text() == (stack.PROVISIONING / f).read_text() for f in shipped)


def test_a_renamed_environment_renders_its_names_into_the_provisioning(tmp_path):
    import yaml

    from sandbox import render, stack

    cfg = _renamed(tmp_path)
    out = render.copy_tree(stack.PROVISIONING, tmp_path / "out", cfg, stack.config_ports(cfg))
    prometheus = yaml.safe_load((out / "prometheus" / "prometheus.yml").read_text())
    app_job = next(job for job in prometheus["scrape_configs"] if job["job_name"] == R["job"])
    assert app_job["static_configs"][0]["labels"] == {"namespace": R["namespace"]}
    alertmanager = yaml.safe_load((out / "alertmanager" / "alertmanager.yml").read_text())
    assert [r["name"] for r in alertmanager["receivers"]] == ["rehearsal-chat", "rehearsal-pager"]
    assert alertmanager["route"]["receiver"] == "rehearsal-chat"
    text = "\n".join(p.read_text() for p in out.rglob("*") if p.is_file())
    for old in ('job="nba-mcp-synthesis"', 'job=\\"nba-mcp-synthesis\\"', "slack-notifications", "pagerduty-critical",
                "#nba-mcp-synthesis-alerts", "name: nba-mcp-synthesis.rules"):
        assert old not in text, old


def test_ports_come_from_the_environments_urls(tmp_path):
    from sandbox import render, stack

    cfg = _renamed(tmp_path)
    ports = stack.config_ports(cfg)
    assert ports == {**stack.UNCONFIGURED_PORTS, **MOVED_PORTS, "postgres": 28432}
    out = render.copy_tree(stack.PROVISIONING, tmp_path / "out", cfg, ports)
    text = "\n".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert not any(f"127.0.0.1:{port - 10000}" in text for port in MOVED_PORTS.values())
    assert "127.0.0.1:28093" in text and "127.0.0.1:28055/slack" in text


def test_a_renamed_environment_names_the_seeded_objects_and_their_references(tmp_path):
    from sandbox import seed_kube, stack

    cfg = _renamed(tmp_path)
    docs = seed_kube.render(cfg)
    by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    deployment = by[("Deployment", R["deployment"])]
    assert deployment["metadata"]["namespace"] == R["namespace"]
    assert deployment["spec"]["selector"]["matchLabels"]["app"] == R["deployment"]
    assert [c["name"] for c in deployment["spec"]["template"]["spec"]["containers"]] == [R["deployment"]]
    assert by[("HorizontalPodAutoscaler", "rehearsal-api-hpa")]["spec"]["scaleTargetRef"]["name"] == R["deployment"]
    pods = [d for d in docs if d["kind"] == "Pod" and d["metadata"]["namespace"] == R["namespace"]]
    assert pods and all(p["metadata"]["name"].startswith(R["deployment"] + "-") for p in pods)
    replica_sets = {d["metadata"]["name"] for d in docs if d["kind"] == "ReplicaSet"}
    assert all(p["metadata"]["ownerReferences"][0]["name"] in replica_sets for p in pods)
    external = by[("ExternalSecret", R["external_secret"])]
    assert external["spec"]["target"]["name"] == "rehearsal-app-secrets"
    assert external["spec"]["secretStoreRef"]["name"] == "rehearsal-store"
    assert by[("Secret", "rehearsal-app-secrets")]["metadata"]["ownerReferences"][0]["name"] == R["external_secret"]
    assert by[("Ingress", "rehearsal-api-ingress")]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"][
        "name"] == R["service"]
    rule = by[("PrometheusRule", "rehearsal-api-alerts")]
    assert rule["metadata"]["namespace"] == R["monitoring"]
    assert rule["spec"]["groups"][0]["name"] == "rehearsal-api.rules"
    services = {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs if d["kind"] == "Service"}
    assert services >= {(R["monitoring"], "rehearsal-prometheus"), (R["monitoring"], "rehearsal-alertmanager"),
                        (R["namespace"], R["service"])}
    # Every Service the proxy serves is seeded.
    for service in stack.service_backends(cfg):
        namespace, _, name = service.partition(":")[0].partition("/")
        assert ("Service", name) in by and by[("Service", name)]["metadata"]["namespace"] == namespace, service


# --- the rehearsal, run inside its own network namespace -------------------------------------------------

def _run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, **kw)


def _observe() -> dict:
    """What the renamed sandbox serves, read from its stand-ins (its admin's view, not golive's)."""
    import psycopg

    from sandbox import stack
    from sandbox.control import Sandbox

    sandbox = Sandbox()
    kube, cfg = sandbox.kube, stack.sandbox_config()

    def names(kind: str, namespace: str | None = None) -> list[str]:
        r = kube.http.get(kube.url(kind, namespace=namespace), timeout=5)
        r.raise_for_status()
        return sorted(item["metadata"]["name"] for item in r.json()["items"])

    with psycopg.connect(host=stack.HOST, port=stack.PORTS["postgres"], user="postgres", dbname="postgres") as conn:
        databases = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
    return {
        "namespaces": names("Namespace"),
        "deployments": names("Deployment", cfg.kubernetes.app_namespace),
        "services": names("Service", cfg.kubernetes.app_namespace),
        "external_secrets": names("ExternalSecret", cfg.kubernetes.app_namespace),
        "clusters": sandbox.aws("eks").list_clusters()["clusters"],
        "secrets": [s["Name"] for s in sandbox.aws("secretsmanager").list_secrets()["SecretList"]],
        "buckets": [b["Name"] for b in sandbox.aws("s3").list_buckets()["Buckets"]],
        "db_instances": [d["DBInstanceIdentifier"] for d in sandbox.aws("rds").describe_db_instances()["DBInstances"]],
        "databases": databases,
        "ports": stack.PORTS,
        "jobs": sorted({r["metric"]["job"] for r in sandbox.prometheus("up") if r["metric"]["job"] != "prometheus"}),
    }


def _rehearse(config: str, state: str, out: str) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    reports = Path(state) / "reports"
    os.environ.update(GOLIVE_SANDBOX_DIR=state, GOLIVE_REPORTS_DIR=str(reports), PYTHONPATH=str(ROOT))
    for variable in ("GOLIVE_SANDBOX_CONFIG", "GOLIVE_SANDBOX_ENV", "GOLIVE_CONFIG", "GOLIVE_ENV"):
        os.environ.pop(variable, None)
    up = _run("-m", "sandbox", "up", "--config", config)
    try:
        if up.returncode:
            print(f"golive-sandbox up failed: {up.stderr[-2000:]}", file=sys.stderr)
            return 1
        phases = {}
        for phase in PHASES:
            done = _run("-m", "pytest", "checks", "-m", phase, "--golive-env", "sandbox", "--golive-config", config,
                        "-q", "-p", "no:cacheprovider", "--no-header")
            summary = done.stdout.strip().splitlines()[-1:] or [""]
            phases[phase] = {"exit": done.returncode, "passed": " passed" in summary[0],
                             "tail": "\n".join(done.stdout.splitlines()[-40:])}
        observed = {"phases": phases, **_observe()}
    finally:
        down = _run("-m", "sandbox", "down")
    observed["down"] = down.stdout
    Path(out).write_text(json.dumps(observed, indent=2))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(_rehearse(*sys.argv[1:4]))
