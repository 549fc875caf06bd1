"""Self-tests of the rehearsal sandbox's stand-ins and monitoring configs.

Each service runs as a real subprocess on a free loopback port, as in the
sandbox; module-scoped fixtures start them once and stop them afterwards.
PostgreSQL (a throwaway cluster made with initdb) and moto's S3 server are
used when installed; the tests that need them are skipped otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
import requests
import yaml
from mcp import Client
from mcp.shared.exceptions import MCPError
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[1]
PROVISIONING = REPO / "sandbox" / "provisioning"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
BUCKET = "nba-mcp-books-20251011"
BOOK_KEY = "books/basketball-analytics.pdf"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
TIMEOUT = 10  # seconds, for every HTTP call of the tests

APP_METRICS = (
    "http_requests_total",
    "http_request_duration_seconds",
    "database_queries_total",
    "database_query_duration_seconds",
    "database_connection_failures_total",
    "s3_operations_total",
    "api_calls_total",
    "active_connections",
    "secret_validation_failures_total",
    "secret_refresh_total",
    "memory_usage_bytes",
    "cpu_usage_percent",
)
MCP_TOOLS = {"query_database", "list_tables", "get_table_schema", "list_games", "list_players", "list_s3_files"}
DASHBOARD_UIDS = {"nba-mcp-overview", "nba-mcp-secrets-health", "nba-mcp-cluster"}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


# --- process helpers ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port_url() -> str:
    """A loopback URL nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


@contextlib.contextmanager
def running(args: list[str], ready_url: str, log_path: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    """Run ``args`` until the block ends; wait until ``ready_url`` answers."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, cwd=REPO, env={**os.environ, **(env or {})}, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{args[:3]} exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                requests.get(ready_url, timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{ready_url} did not answer:\n{log_path.read_text()}") from None
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def metric_samples(exposition: str) -> dict[str, list[Any]]:
    """Samples by family name, with the _total suffix of counters restored."""
    families = {}
    for family in text_string_to_metric_families(exposition):
        name = f"{family.name}_total" if family.type == "counter" else family.name
        families[name] = family.samples
    return families


# --- backends -----------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_dsn() -> Iterator[str]:
    """A throwaway PostgreSQL cluster holding a tiny nba_simulator database."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 server binaries are not installed")
    # initdb refuses to run as root: then the server runs as user postgres, in a
    # directory it owns (pytest's tmp dirs are 0700 root, so one of its own).
    workdir = Path(tempfile.mkdtemp(prefix="golive-pg-"))
    as_server_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = workdir / "data"
    pg_ctl = [*as_server_user, str(PG_BIN / "pg_ctl"), "-D", str(data)]
    port = free_port()
    try:
        try:
            if as_server_user:
                shutil.chown(workdir, user="postgres")
            subprocess.run(
                [*as_server_user, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                 "--no-sync"],
                check=True, capture_output=True,
            )
            server_options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
            subprocess.run([*pg_ctl, "-o", server_options, "-l", str(workdir / "log"), "-w", "start"],
                           check=True, capture_output=True)
        except (LookupError, subprocess.CalledProcessError) as exc:  # LookupError: there is no user postgres
            pytest.skip(f"cannot start a throwaway PostgreSQL: {exc} {getattr(exc, 'stderr', b'')!r}")
        with psycopg.connect(f"host=127.0.0.1 port={port} dbname=postgres user=postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE nba_simulator")
        dsn = f"host=127.0.0.1 port={port} dbname=nba_simulator user=postgres connect_timeout=2"
        with psycopg.connect(dsn) as conn:
            conn.execute("CREATE TABLE games (game_id int PRIMARY KEY, season int, home_team text, away_team text)")
            conn.execute("INSERT INTO games VALUES (1, 2024, 'BOS', 'NYK'), (2, 2024, 'LAL', 'GSW')")
            conn.execute("CREATE TABLE players (player_id int PRIMARY KEY, name text, team text)")
            conn.execute("INSERT INTO players VALUES (1, 'Jayson Tatum', 'BOS')")
        yield dsn
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server, with the books bucket and one object in it."""
    pytest.importorskip("moto.server")
    endpoint = f"http://127.0.0.1:{free_port()}"
    port = endpoint.rsplit(":", 1)[1]
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with running([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", port], endpoint, log):
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=BOOK_KEY, Body=b"%PDF-1.4\n")
        yield endpoint


@contextlib.contextmanager
def app_process(log_dir: Path, dsn: str, s3: str) -> Iterator[tuple[str, str]]:
    """Run the app; yield (base URL, metrics URL)."""
    port, metrics_port = free_port(), free_port()
    args = [
        sys.executable, "-m", "sandbox.app", "--host", "127.0.0.1", "--port", str(port),
        "--metrics-port", str(metrics_port), "--database-dsn", dsn, "--s3-endpoint", s3, "--s3-bucket", BUCKET,
    ]
    with running(args, f"http://127.0.0.1:{port}/ready", log_dir / "app.log", env=AWS_ENV):
        yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}/metrics"


@pytest.fixture(scope="module")
def app_down(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The app with neither its database nor S3 reachable: (base URL, metrics URL)."""
    dsn = f"host=127.0.0.1 port={free_port()} dbname=nba_simulator user=postgres connect_timeout=1"
    with app_process(tmp_path_factory.mktemp("app-down"), dsn, closed_port_url()) as urls:
        yield urls


@pytest.fixture(scope="module")
def app_up(tmp_path_factory: pytest.TempPathFactory, postgres_dsn: str, s3_endpoint: str) -> Iterator[tuple[str, str]]:
    """The app with a real database and a real S3 bucket."""
    with app_process(tmp_path_factory.mktemp("app-up"), postgres_dsn, s3_endpoint) as urls:
        yield urls


def mcp(base_url: str, action, mode: str = "auto"):
    """`action(client)` in one conversation with the app, by the official SDK client (mode: "auto" negotiates,
    "legacy" forces the initialize handshake, "2026-07-28" the stateless revision without a probe)."""
    async def run():
        async with Client(f"{base_url}/mcp", mode=mode, cache=None, read_timeout_seconds=TIMEOUT) as client:
            return await action(client)
    try:
        return asyncio.run(run())
    except BaseExceptionGroup as group:  # the SDK's task group wraps what the server refused
        while isinstance(group, BaseExceptionGroup) and len(group.exceptions) == 1:
            group = group.exceptions[0]
        raise group from None


def tool_payload(base_url: str, name: str, arguments: dict[str, Any] | None = None) -> Any:
    result = mcp(base_url, lambda c: c.call_tool(name, arguments or {}))
    assert result.is_error is False, result
    return json.loads(result.content[0].text)


@contextlib.contextmanager
def faults(base_url: str, **changes: Any) -> Iterator[None]:
    response = requests.put(f"{base_url}/_sandbox/faults", json=changes, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    try:
        yield
    finally:
        requests.delete(f"{base_url}/_sandbox/faults", timeout=TIMEOUT).raise_for_status()


# --- app: health, readiness, MCP, faults, metrics -------------------------------


def test_health_is_unhealthy_without_database_and_s3(app_down: tuple[str, str]) -> None:
    base, _ = app_down
    response = requests.get(f"{base}/health", timeout=TIMEOUT)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["version"] and body["timestamp"] and body["uptime_seconds"] >= 0
    for component in ("database", "s3"):
        assert body["components"][component]["status"] == "unhealthy"
        assert body["components"][component]["error"]


def test_health_is_healthy_with_real_backends(app_up: tuple[str, str]) -> None:
    base, _ = app_up
    response = requests.get(f"{base}/health", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "healthy"
    assert {name: c["status"] for name, c in body["components"].items()} == {"database": "healthy", "s3": "healthy"}


def test_ready(app_down: tuple[str, str]) -> None:
    base, _ = app_down
    response = requests.get(f"{base}/ready", timeout=TIMEOUT)
    assert (response.status_code, response.json()) == (200, {"ready": True})


@pytest.mark.parametrize("era, mode, version", [("both", "auto", "2026-07-28"), ("both", "legacy", "2025-11-25"),
                                                ("handshake", "auto", "2025-11-25"),
                                                ("stateless", "auto", "2026-07-28")])
def test_mcp_speaks_each_era_with_the_official_client(app_down: tuple[str, str], era, mode, version) -> None:
    base, _ = app_down

    async def survey(client):
        tools = (await client.list_tools()).tools
        return (client.protocol_version, client.server_info, client.server_capabilities, tools,
                (await client.list_prompts()).prompts, (await client.list_resources()).resources,
                await client.call_tool("list_tables", {}))

    with faults(base, mcp_era=era):
        spoken, server, capabilities, tools, prompts, resources, call = mcp(base, survey, mode)
    assert spoken == version
    assert server.name == "nba-mcp-synthesis"
    assert capabilities.tools and capabilities.prompts and capabilities.resources
    assert {tool.name for tool in tools} == MCP_TOOLS
    assert all(tool.input_schema["type"] == "object" and tool.description for tool in tools)
    assert [p.name for p in prompts] == ["analyze_team_performance"]
    assert [str(r.uri) for r in resources] == ["nba://database/tables"]
    # Without its database, a tool call is a tool error, not a protocol error.
    assert call.is_error is True


def test_mcp_single_era_servers_refuse_the_other_era(app_down: tuple[str, str]) -> None:
    base, _ = app_down
    with faults(base, mcp_era="handshake"), pytest.raises(MCPError, match="Unsupported protocol version"):
        mcp(base, lambda c: c.list_tools(), mode="2026-07-28")
    with faults(base, mcp_era="stateless"), pytest.raises(MCPError, match="Unsupported protocol version"):
        mcp(base, lambda c: c.list_tools(), mode="legacy")
    # The handshake era's session rules are the SDK's: a request without a session, or with an unknown one.
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    with faults(base, mcp_era="handshake"):
        assert requests.post(f"{base}/mcp", json=ping, headers=MCP_HEADERS, timeout=TIMEOUT).status_code == 400
        assert requests.post(f"{base}/mcp", json=ping, headers={**MCP_HEADERS, "Mcp-Session-Id": "unknown"},
                             timeout=TIMEOUT).status_code == 404


def test_mcp_tools_read_the_real_database_and_bucket(app_up: tuple[str, str]) -> None:
    base, _ = app_up
    assert tool_payload(base, "list_tables")["tables"] == ["games", "players"]
    assert [c["column_name"] for c in tool_payload(base, "get_table_schema", {"table_name": "players"})["columns"]] \
        == ["player_id", "name", "team"]
    assert tool_payload(base, "list_games", {"limit": 1})["count"] == 1
    assert tool_payload(base, "list_players")["players"][0]["name"] == "Jayson Tatum"
    assert tool_payload(base, "query_database", {"sql": "SELECT count(*) AS n FROM games;"})["rows"] == [{"n": 2}]
    assert [f["key"] for f in tool_payload(base, "list_s3_files")["files"]] == [BOOK_KEY]

    for statement in ("DELETE FROM games", "SELECT 1; DROP TABLE games",
                      "WITH gone AS (DELETE FROM games RETURNING *) SELECT * FROM gone"):
        result = mcp(base, lambda c, sql=statement: c.call_tool("query_database", {"sql": sql}))
        assert result.is_error is True, statement
    assert tool_payload(base, "query_database", {"sql": "SELECT count(*) AS n FROM games"})["rows"] == [{"n": 2}]


def test_faults_change_the_responses(app_down: tuple[str, str]) -> None:
    base, metrics_url = app_down

    with faults(base, latency_ms=300):
        started = time.monotonic()
        requests.get(f"{base}/ready", timeout=TIMEOUT)
        assert time.monotonic() - started >= 0.3
    with faults(base, error_rate=1):
        assert requests.get(f"{base}/ready", timeout=TIMEOUT).status_code == 500
    with faults(base, health="degraded", ready=False):
        health = requests.get(f"{base}/health", timeout=TIMEOUT)
        assert (health.status_code, health.json()["status"]) == (200, "degraded")
        assert requests.get(f"{base}/ready", timeout=TIMEOUT).status_code == 503
    with faults(base, mcp_broken=True), pytest.raises(MCPError) as broken:
        mcp(base, lambda c: c.call_tool("list_tables", {}))
    assert broken.value.code == -32603
    with faults(base, metrics_down=True):
        assert requests.get(metrics_url, timeout=TIMEOUT).status_code == 503

    def memory() -> float:
        return metric_samples(requests.get(metrics_url, timeout=TIMEOUT).text)["memory_usage_bytes"][0].value

    with faults(base, memory_pressure_bytes=2 * 1024**3):
        assert memory() > 2 * 1024**3
    assert memory() < 2 * 1024**3

    state = requests.get(f"{base}/_sandbox/faults", timeout=TIMEOUT).json()
    assert state["error_rate"] == 0 and state["ready"] is True
    assert requests.put(f"{base}/_sandbox/faults", json={"no_such_fault": 1}, timeout=TIMEOUT).status_code == 400
    assert requests.put(f"{base}/_sandbox/faults", json={"error_rate": 2}, timeout=TIMEOUT).status_code == 400


def test_secret_validation_fault_increments_the_counter(app_down: tuple[str, str]) -> None:
    base, metrics_url = app_down

    def failures() -> float:
        samples = metric_samples(requests.get(metrics_url, timeout=TIMEOUT).text)
        return samples["secret_validation_failures_total"][0].value

    before = failures()
    with faults(base, secret_validation_failures=True):
        time.sleep(2.2)  # the app counts one failure a second
    assert failures() >= before + 2


def test_metrics_expose_every_metric(app_down: tuple[str, str]) -> None:
    base, metrics_url = app_down
    requests.get(f"{base}/health", timeout=TIMEOUT)  # a database connect attempt that fails
    response = requests.get(metrics_url, timeout=TIMEOUT)
    assert response.status_code == 200
    samples = metric_samples(response.text)
    assert set(APP_METRICS) <= set(samples)
    assert not {name for name in samples if name.startswith(("process_", "python_"))}, "no default collectors"

    def value(name: str, **labels: str) -> float:
        return next(s.value for s in samples[name] if s.name == name and labels.items() <= s.labels.items())

    assert value("database_connection_failures_total") >= 1
    assert value("http_requests_total", endpoint="/health", method="GET", status="500") == 0  # pre-initialised
    assert value("memory_usage_bytes") > 10_000_000  # a real RSS, not a placeholder
    buckets = {s.labels["le"] for s in samples["http_request_duration_seconds"] if s.name.endswith("_bucket")}
    assert {"0.005", "0.1", "2.5", "+Inf"} <= buckets
    # The self-traffic thread gives rate() something to work with.
    assert value("http_requests_total", endpoint="/ready", method="GET", status="200") >= 1


# --- webhook sink ---------------------------------------------------------------


def test_webhook_sink_records_posts(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    log = tmp_path / "received.jsonl"
    port = base.rsplit(":", 1)[1]
    with running([sys.executable, "-m", "sandbox.webhook_sink", "--port", port, "--log", str(log)],
                 f"{base}/_sandbox/received", tmp_path / "sink.log"):
        assert requests.post(f"{base}/slack", json={"text": "firing"}, timeout=TIMEOUT).status_code == 200
        assert requests.post(f"{base}/pagerduty", data="not json", timeout=TIMEOUT).status_code == 200
        slack = requests.get(f"{base}/_sandbox/received", params={"path": "/slack"}, timeout=TIMEOUT).json()
        everything = requests.get(f"{base}/_sandbox/received", timeout=TIMEOUT).json()
    assert [(r["path"], r["body"]) for r in slack] == [("/slack", {"text": "firing"})]
    assert [r["body"] for r in everything] == [{"text": "firing"}, "not json"]
    assert len(log.read_text().splitlines()) == 2


# --- Grafana emulator -------------------------------------------------------------


class FakePrometheusHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"status": "success", "data": {"resultType": "scalar", "result": [0, "2"]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def fake_prometheus() -> Iterator[str]:
    """Answers every GET like Prometheus' query API does."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePrometheusHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


GRAFANA_PASSWORD = "rehearsal-password"


@pytest.fixture(scope="module")
def grafana(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    """(base URL, bearer headers, token file) of a running emulator."""
    workdir = tmp_path_factory.mktemp("grafana")
    token_file = workdir / "token"
    base = f"http://127.0.0.1:{free_port()}"
    args = [
        sys.executable, "-m", "sandbox.grafana_api", "--host", "127.0.0.1", "--port", base.rsplit(":", 1)[1],
        "--provisioning", str(PROVISIONING / "grafana"), "--admin-password", GRAFANA_PASSWORD,
        "--token-file", str(token_file),
    ]
    with running(args, f"{base}/api/health", workdir / "grafana.log"):
        yield base, {"Authorization": f"Bearer {token_file.read_text().strip()}"}, token_file


def test_grafana_authentication(grafana: tuple[str, dict[str, str], Path]) -> None:
    base, bearer, token_file = grafana
    health = requests.get(f"{base}/api/health", timeout=TIMEOUT)
    assert health.json() == {"commit": "sandbox", "database": "ok", "version": "11.3.0"}
    assert token_file.stat().st_mode & 0o777 == 0o600

    for auth in ({}, {"auth": ("admin", "admin")}, {"headers": {"Authorization": "Bearer glsa_wrong"}}):
        response = requests.get(f"{base}/api/user", timeout=TIMEOUT, **auth)
        assert (response.status_code, response.json()) == (401, {"message": "Unauthorized"})
    admin = requests.get(f"{base}/api/user", auth=("admin", GRAFANA_PASSWORD), timeout=TIMEOUT)
    assert admin.json()["login"] == "admin"
    assert requests.get(f"{base}/api/org", headers=bearer, timeout=TIMEOUT).status_code == 200
    settings = requests.get(f"{base}/api/frontend/settings", headers=bearer, timeout=TIMEOUT).json()
    assert settings["buildInfo"]["version"] == "11.3.0"

    # Inject and heal the "default admin credentials accepted" fault.
    control = f"{base}/_sandbox/admin-password"
    requests.put(control, json={"password": "admin"}, timeout=TIMEOUT).raise_for_status()
    try:
        assert requests.get(f"{base}/api/user", auth=("admin", "admin"), timeout=TIMEOUT).status_code == 200
    finally:
        requests.put(control, json={"password": GRAFANA_PASSWORD}, timeout=TIMEOUT).raise_for_status()
    assert requests.get(f"{base}/api/user", auth=("admin", "admin"), timeout=TIMEOUT).status_code == 401


def test_grafana_serves_the_provisioned_dashboards(grafana: tuple[str, dict[str, str], Path]) -> None:
    base, bearer, _ = grafana
    params = {"tag": "nba-mcp-synthesis", "type": "dash-db", "folderUIDs": "nba-mcp-synthesis"}
    hits = requests.get(f"{base}/api/search", params=params, headers=bearer, timeout=TIMEOUT).json()
    assert {hit["uid"] for hit in hits} == DASHBOARD_UIDS
    assert {hit["folderTitle"] for hit in hits} == {"NBA MCP Synthesis"}
    assert [h["uid"] for h in requests.get(f"{base}/api/search", params={"query": "secrets"}, headers=bearer,
                                           timeout=TIMEOUT).json()] == ["nba-mcp-secrets-health"]
    folders = requests.get(f"{base}/api/folders", headers=bearer, timeout=TIMEOUT).json()
    assert [f["title"] for f in folders] == ["NBA MCP Synthesis"]

    for uid in DASHBOARD_UIDS:
        body = requests.get(f"{base}/api/dashboards/uid/{uid}", headers=bearer, timeout=TIMEOUT).json()
        assert body["meta"]["provisioned"] is True and body["meta"]["folderTitle"] == "NBA MCP Synthesis"
        assert body["dashboard"]["panels"]
        assert all(p["datasource"] == {"type": "prometheus", "uid": "prometheus"} for p in body["dashboard"]["panels"])
    missing = requests.get(f"{base}/api/dashboards/uid/no-such-dashboard", headers=bearer, timeout=TIMEOUT)
    assert (missing.status_code, missing.json()) == (404, {"message": "Dashboard not found"})


def test_grafana_dashboard_delete_and_restore(grafana: tuple[str, dict[str, str], Path]) -> None:
    base, bearer, _ = grafana
    url = f"{base}/api/dashboards/uid/nba-mcp-overview"
    original = requests.get(url, headers=bearer, timeout=TIMEOUT).json()
    assert requests.delete(url, headers=bearer, timeout=TIMEOUT).status_code == 200
    assert requests.get(url, headers=bearer, timeout=TIMEOUT).status_code == 404
    hits = requests.get(f"{base}/api/search", params={"type": "dash-db"}, headers=bearer, timeout=TIMEOUT).json()
    assert "nba-mcp-overview" not in {hit["uid"] for hit in hits}

    restore = {"dashboard": {**original["dashboard"], "id": None}, "folderUid": original["meta"]["folderUid"],
               "overwrite": True}
    saved = requests.post(f"{base}/api/dashboards/db", json=restore, headers=bearer, timeout=TIMEOUT)
    assert saved.status_code == 200 and saved.json()["status"] == "success", saved.text
    restored = requests.get(url, headers=bearer, timeout=TIMEOUT).json()
    assert restored["dashboard"]["panels"] == original["dashboard"]["panels"]
    assert restored["meta"]["folderTitle"] == "NBA MCP Synthesis"


def test_grafana_datasource_health_and_proxy(grafana: tuple[str, dict[str, str], Path], fake_prometheus: str) -> None:
    base, bearer, _ = grafana
    datasource_url = f"{base}/api/datasources/uid/prometheus"
    datasource = requests.get(datasource_url, headers=bearer, timeout=TIMEOUT).json()
    assert (datasource["type"], datasource["isDefault"]) == ("prometheus", True)
    assert requests.get(f"{base}/api/datasources/uid/nope", headers=bearer, timeout=TIMEOUT).status_code == 404

    def repoint(url: str) -> None:
        requests.put(datasource_url, json={"url": url}, headers=bearer, timeout=TIMEOUT).raise_for_status()

    try:
        repoint(closed_port_url())  # Prometheus down
        down = requests.get(f"{datasource_url}/health", headers=bearer, timeout=TIMEOUT)
        assert (down.status_code, down.json()["status"]) == (400, "ERROR")
        proxied_down = requests.get(f"{base}/api/datasources/proxy/uid/prometheus/api/v1/query",
                                    params={"query": "up"}, headers=bearer, timeout=TIMEOUT)
        assert proxied_down.status_code == 502

        repoint(fake_prometheus)
        up = requests.get(f"{datasource_url}/health", headers=bearer, timeout=TIMEOUT)
        assert up.json() == {"status": "OK", "message": "Successfully queried the Prometheus API."}
        proxied = requests.get(f"{base}/api/datasources/proxy/uid/prometheus/api/v1/query",
                               params={"query": "1+1"}, headers=bearer, timeout=TIMEOUT)
        assert proxied.json()["data"]["result"] == [0, "2"]
    finally:
        repoint(datasource["url"])


def test_grafana_serves_the_provisioned_alert_rules(grafana: tuple[str, dict[str, str], Path]) -> None:
    base, bearer, _ = grafana
    rules = requests.get(f"{base}/api/v1/provisioning/alert-rules", headers=bearer, timeout=TIMEOUT).json()
    assert rules and all(rule["provenance"] == "file" for rule in rules)
    one = requests.get(f"{base}/api/v1/provisioning/alert-rules/{rules[0]['uid']}", headers=bearer, timeout=TIMEOUT)
    assert one.json()["title"] == rules[0]["title"]


def test_grafana_rejects_invalid_provisioning(tmp_path: Path) -> None:
    provisioning = tmp_path / "grafana"
    shutil.copytree(PROVISIONING / "grafana", provisioning)
    (provisioning / "dashboards" / "broken.json").write_text("{not json")
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.grafana_api", "--port", str(free_port()), "--provisioning", str(provisioning),
         "--admin-password", "x", "--token-file", str(tmp_path / "token")],
        cwd=REPO, capture_output=True, text=True, timeout=20,
    )
    assert result.returncode == 2 and "broken.json" in result.stderr


# --- monitoring configs -----------------------------------------------------------


def test_prometheus_config_and_rules_are_valid(tmp_path: Path) -> None:
    promtool = shutil.which("promtool") or pytest.skip("promtool is not installed")
    config = subprocess.run([promtool, "check", "config", str(PROVISIONING / "prometheus" / "prometheus.yml")],
                            capture_output=True, text=True)
    assert config.returncode == 0, config.stdout + config.stderr
    assert "1 rule files found" in config.stdout + config.stderr


ALERT_UNIT_TESTS = """
rule_files: [{rules}]
evaluation_interval: 1s
tests:
  - interval: 1s
    input_series:
      - series: 'up{{job="nba-mcp-synthesis", instance="app:18001"}}'
        values: '1 1 1 0x20'
      - series: 'http_requests_total{{job="nba-mcp-synthesis", status="200"}}'
        values: '0+10x40'
      - series: 'http_requests_total{{job="nba-mcp-synthesis", status="500"}}'
        values: '0+5x40'
    alert_rule_test:
      - eval_time: 20s
        alertname: NBAMCPServiceUnavailable
        exp_alerts:
          - exp_labels:
              {{severity: critical, service: nba-mcp-synthesis, job: nba-mcp-synthesis, instance: "app:18001"}}
            exp_annotations:
              summary: Prometheus cannot scrape NBA MCP Synthesis
              description: Target app:18001 of job nba-mcp-synthesis has been down for more than 5s.
              runbook_url: golive/runbook/GO_LIVE_RUNBOOK.md#critical-issue-response
      - eval_time: 2s
        alertname: NBAMCPServiceUnavailable
        exp_alerts: []
      - eval_time: 30s
        alertname: NBAMCPHighErrorRate
        exp_alerts:
          - exp_labels: {{severity: critical, service: nba-mcp-synthesis}}
            exp_annotations:
              summary: NBA MCP Synthesis is answering more than 5% of requests with 5xx
              description: 33.33% of HTTP requests failed with a 5xx status over the last 30s.
              runbook_url: golive/runbook/GO_LIVE_RUNBOOK.md#critical-issue-response
"""


def test_prometheus_alerts_fire(tmp_path: Path) -> None:
    promtool = shutil.which("promtool") or pytest.skip("promtool is not installed")
    rules = PROVISIONING / "prometheus" / "rules" / "nba-mcp-synthesis.rules.yml"
    check = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True)
    assert check.returncode == 0 and "5 rules found" in check.stdout, check.stdout + check.stderr
    names = {line.split(":", 1)[1].strip() for line in rules.read_text().splitlines() if "- alert:" in line}
    assert names == {"NBAMCPHighErrorRate", "NBAMCPHighMemoryUsage", "NBAMCPSecretValidationFailures",
                     "NBAMCPDatabaseConnectionFailures", "NBAMCPServiceUnavailable"}

    tests = tmp_path / "alerts.test.yml"
    tests.write_text(ALERT_UNIT_TESTS.format(rules=json.dumps(str(rules))))
    result = subprocess.run([promtool, "test", "rules", str(tests)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_config_is_valid() -> None:
    amtool = shutil.which("amtool") or pytest.skip("amtool is not installed")
    config = PROVISIONING / "alertmanager" / "alertmanager.yml"
    result = subprocess.run([amtool, "check-config", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    routes = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config}", "severity=critical", "alertname=X"],
        capture_output=True, text=True,
    )
    assert routes.stdout.strip() == "pagerduty-critical", routes.stdout + routes.stderr


def test_dashboards_and_alerts_query_metrics_the_app_exposes(app_down: tuple[str, str]) -> None:
    _, metrics_url = app_down
    exposed = {"up"} | {
        sample.name for family in text_string_to_metric_families(requests.get(metrics_url, timeout=TIMEOUT).text)
        for sample in family.samples
    }
    expressions = [
        target["expr"]
        for path in (PROVISIONING / "grafana" / "dashboards").glob("*.json")
        for panel in json.loads(path.read_text())["panels"]
        for target in panel["targets"]
    ]
    for path in (PROVISIONING / "prometheus" / "rules").glob("*.yml"):
        expressions += [rule["expr"] for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]
    for path in (PROVISIONING / "grafana" / "alerting").glob("*.yaml"):
        expressions += [
            query["model"]["expr"]
            for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"]
            for query in rule["data"]
            if "expr" in query["model"]
        ]
    # A metric name is what stands right before a label matcher or a range.
    used = {name for expr in expressions for name in re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]", expr)}
    assert used and used <= exposed, used - exposed
