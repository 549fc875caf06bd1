"""Stand-in for the NBA MCP Synthesis application, for the rehearsal sandbox.

It exposes what golive checks on the production service, backed by real
dependencies: /health runs ``SELECT 1`` on PostgreSQL and ``head_bucket`` on
S3, the MCP tools query the real database and bucket, and /metrics is a real
prometheus_client exposition that Prometheus scrapes.

Usage:
    python -m sandbox.app --host 127.0.0.1 --port 18000 --metrics-port 18001 \\
        --database-dsn "host=127.0.0.1 port=18432 dbname=nba_simulator user=postgres connect_timeout=2" \\
        --s3-endpoint http://127.0.0.1:18500 --s3-bucket nba-mcp-books-20251011

AWS credentials come from the environment as usual (the sandbox sets
AWS_ACCESS_KEY_ID=testing and friends); the region is us-east-1.

Application port:
    GET  /health   JSON status of the app and its components; 200 when
                   healthy or degraded, 503 when unhealthy.
    GET  /ready    200 {"ready": true} or 503 {"ready": false}.
    /mcp           MCP over streamable HTTP, served by the official SDK (mcp 2.x
                   MCPServer, FastMCP's successor): tools, a prompt and a resource,
                   in both protocol eras: the initialize handshake with an
                   Mcp-Session-Id (2025-03-26 .. 2025-11-25), and the stateless
                   2026-07-28 revision (server/discover, _meta in every request).
Metrics port:
    GET  /metrics  Prometheus text exposition.

A background thread sends the app about five requests a second (/health,
/ready and an MCP ``tools/call list_tables``) over loopback, so that rate()
and histogram_quantile() queries have data without an external load.

Sandbox-only fault control (application port; not counted in the metrics and
not subject to the faults themselves):
    GET    /_sandbox/faults   current fault state
    PUT    /_sandbox/faults   merge a JSON object into the state (400 on an
                              unknown key or a value of the wrong type)
    DELETE /_sandbox/faults   reset every fault
Fault keys:
    latency_ms                  int >= 0: delay added to every non-control request
    error_rate                  0..1: fraction of non-control requests answered 500
    health                      null | "degraded" | "unhealthy": forces /health
    ready                       bool: what /ready reports
    metrics_down                bool: /metrics answers 503 (Prometheus: target down)
    mcp_broken                  bool: tools/call answers JSON-RPC error -32603
    mcp_era                     "both" | "handshake" | "stateless": the protocol eras /mcp
                                speaks (a server on mcp 1.x, or one on 2026-07-28 only);
                                reset to what `golive-sandbox up --mcp-era` chose ("both")
    memory_pressure_bytes       int >= 0: added to memory_usage_bytes
    secret_validation_failures  bool: secret_validation_failures_total grows 1/s
    tool_description_missing    bool: tools/list publishes the first tool without its description
    stale_reads                 bool: tools/call answers repeat the first answer given
                                to the same call since the switch was set (a cache
                                that never invalidates)
    resources_broken            bool: resources/list answers JSON-RPC error -32603
    hide_tools                  list of tool names: left out of tools/list
                                (still callable: a tool the deploy lost)
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import logging
import os
import random
import re
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import anyio
import boto3
import uvicorn
import psycopg
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_REQUEST, UNSUPPORTED_PROTOCOL_VERSION
from mcp_types.version import (HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION, LATEST_MODERN_VERSION,
                               MODERN_PROTOCOL_VERSIONS)
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pydantic import Field
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox import latency, mcp_era
from sandbox.latency import INTERNAL_AGENT

log = logging.getLogger("sandbox.app")

APP_NAME = "nba-mcp-synthesis"
HEALTH_CACHE_SECONDS = 1.0
SELF_TRAFFIC_INTERVAL = 0.2  # seconds between self requests: ~5 requests/s in total
SECRET_REFRESH_INTERVAL = 30.0
MAX_QUERY_ROWS = 1000
# Endpoints get their own label value; anything else is "other", so that
# scanners probing random paths cannot blow up the label cardinality.
KNOWN_ENDPOINTS = ("/health", "/ready", "/mcp")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


# --- faults -----------------------------------------------------------------

FAULT_DEFAULTS: dict[str, Any] = {
    "latency_ms": 0,
    "error_rate": 0.0,
    "health": None,
    "ready": True,
    "metrics_down": False,
    "mcp_broken": False,
    "memory_pressure_bytes": 0,
    "secret_validation_failures": False,
    "tool_description_missing": False,
    "stale_reads": False,
    "hide_tools": [],
    "mcp_era": "both",
    "resources_broken": False,
}


def _non_negative_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


FAULT_VALIDATORS: dict[str, Callable[[Any], bool]] = {
    "latency_ms": _non_negative_int,
    "error_rate": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1,
    "health": lambda v: v in (None, "degraded", "unhealthy"),
    "ready": lambda v: isinstance(v, bool),
    "metrics_down": lambda v: isinstance(v, bool),
    "mcp_broken": lambda v: isinstance(v, bool),
    "memory_pressure_bytes": _non_negative_int,
    "secret_validation_failures": lambda v: isinstance(v, bool),
    "tool_description_missing": lambda v: isinstance(v, bool),
    "stale_reads": lambda v: isinstance(v, bool),
    "hide_tools": lambda v: isinstance(v, list) and all(isinstance(t, str) for t in v),
    "mcp_era": lambda v: v in ERAS,
    "resources_broken": lambda v: isinstance(v, bool),
}


class Faults:
    """Thread-safe fault state, changed through the /_sandbox/faults API."""

    def __init__(self, default_era: Callable[[], str] = lambda: mcp_era.DEFAULT) -> None:
        self._lock = threading.Lock()
        self._default_era = default_era  # read at each reset: `up --mcp-era` may change it while the app runs
        self._state = self._defaults()

    def _defaults(self) -> dict[str, Any]:
        return {**FAULT_DEFAULTS, "mcp_era": self._default_era()}

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state)

    def merge(self, changes: Any) -> dict[str, Any]:
        """Apply all of ``changes`` or, if any is invalid, none (ValueError)."""
        if not isinstance(changes, dict):
            raise ValueError("expected a JSON object")
        for key, value in changes.items():
            if key not in FAULT_VALIDATORS:
                raise ValueError(f"unknown fault {key!r}; known: {sorted(FAULT_VALIDATORS)}")
            if not FAULT_VALIDATORS[key](value):
                raise ValueError(f"invalid value for {key!r}: {value!r}")
        with self._lock:
            self._state.update(changes)
            return dict(self._state)

    def reset(self) -> dict[str, Any]:
        with self._lock:
            self._state = self._defaults()
            return dict(self._state)


# --- metrics ----------------------------------------------------------------


def rss_bytes() -> int:
    """Current resident set size of this process (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


class AppMetrics:
    """The application's metrics, in a registry of their own.

    A private registry keeps prometheus_client's default process/platform
    collectors out of the exposition: the app reports memory and CPU itself.
    """

    def __init__(self, faults: Faults) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "http_requests_total", "HTTP requests served", ["method", "endpoint", "status"], registry=r
        )
        self.http_duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration",
            ["method", "endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.db_queries = Counter("database_queries_total", "Database queries attempted", registry=r)
        self.db_duration = Histogram(
            "database_query_duration_seconds", "Database query duration", buckets=LATENCY_BUCKETS, registry=r
        )
        self.db_connection_failures = Counter(
            "database_connection_failures_total", "Failed attempts to connect to the database", registry=r
        )
        self.s3_operations = Counter(
            "s3_operations_total", "S3 operations", ["operation", "status"], registry=r
        )
        self.api_calls = Counter("api_calls_total", "MCP tool calls", ["tool"], registry=r)
        self.active_connections = Gauge(
            "active_connections", "HTTP requests being served right now", registry=r
        )
        self.secret_validation_failures = Counter(
            "secret_validation_failures_total", "Failed validations of the app's secrets", registry=r
        )
        self.secret_refreshes = Counter("secret_refresh_total", "Secret refreshes", registry=r)
        self.memory_usage = Gauge("memory_usage_bytes", "Resident memory of the app", registry=r)
        self.memory_usage.set_function(lambda: rss_bytes() + faults.snapshot()["memory_pressure_bytes"])
        self.cpu_usage = Gauge("cpu_usage_percent", "CPU used by the app over the last second", registry=r)

        # Series that alerts and dashboards divide by or match on must exist
        # (at 0) before the first error, or the expressions return no data.
        for endpoint, method in (("/health", "GET"), ("/ready", "GET"), ("/mcp", "POST")):
            for status in ("200", "500", "503"):
                self.http_requests.labels(method, endpoint, status)
        for operation in ("head_bucket", "list_objects_v2"):
            for status in ("success", "error"):
                self.s3_operations.labels(operation, status)
        for tool in TOOL_NAMES:
            self.api_calls.labels(tool)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


# --- backends ---------------------------------------------------------------


class Database:
    """Runs queries on a fresh connection each time.

    A connection per query costs a few milliseconds on loopback and makes
    reconnection after a database outage automatic, which is what the health
    check is meant to observe.
    """

    def __init__(self, dsn: str, metrics: AppMetrics) -> None:
        params = conninfo_to_dict(dsn)
        params.setdefault("connect_timeout", 2)
        # Bound every query, including arbitrary SELECTs from query_database.
        params.setdefault("options", "-c statement_timeout=5000")
        self._conninfo = make_conninfo(**params)
        self._metrics = metrics

    def query(
        self, sql: str, params: tuple | None = None, *, max_rows: int | None = None
    ) -> tuple[list[str], list[tuple]]:
        """Run one statement in a READ ONLY transaction; return (columns, rows)."""
        started = time.perf_counter()
        try:
            try:
                conn = psycopg.connect(self._conninfo)
            except psycopg.OperationalError:
                self._metrics.db_connection_failures.inc()
                raise
            with conn:
                # Every query the app runs only reads; the database enforces it.
                conn.read_only = True
                with conn.cursor() as cur:
                    cur.execute(sql, params)
                    columns = [c.name for c in cur.description] if cur.description else []
                    rows = cur.fetchmany(max_rows) if max_rows else cur.fetchall()
            return columns, rows
        finally:
            self._metrics.db_queries.inc()
            self._metrics.db_duration.observe(time.perf_counter() - started)

    def probe(self) -> dict[str, Any]:
        self.query("SELECT 1")
        return {}


class ObjectStore:
    """The S3 bucket the app reads books from."""

    def __init__(self, endpoint: str, bucket: str, metrics: AppMetrics) -> None:
        self.bucket = bucket
        self._metrics = metrics
        self._s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            config=Config(
                connect_timeout=2,
                read_timeout=5,
                retries={"max_attempts": 1},
                s3={"addressing_style": "path"},
                user_agent_extra=INTERNAL_AGENT,  # in-region: latency mode never delays it (sandbox/latency.py)
            ),
        )

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = getattr(self._s3, operation)(Bucket=self.bucket, **kwargs)
        except (BotoCoreError, ClientError):
            self._metrics.s3_operations.labels(operation, "error").inc()
            raise
        self._metrics.s3_operations.labels(operation, "success").inc()
        return response

    def probe(self) -> dict[str, Any]:
        self._call("head_bucket")
        return {"bucket": self.bucket}

    def list_keys(self, prefix: str, max_keys: int) -> list[dict[str, Any]]:
        response = self._call("list_objects_v2", Prefix=prefix, MaxKeys=max_keys)
        return [
            {"key": o["Key"], "size": o["Size"], "last_modified": o["LastModified"].isoformat()}
            for o in response.get("Contents", [])
        ]


class HealthChecker:
    """Probes the components, at most once per HEALTH_CACHE_SECONDS."""

    def __init__(self, database: Database, store: ObjectStore) -> None:
        self._probes = {"database": database.probe, "s3": store.probe}
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._components: dict[str, dict[str, Any]] = {}

    def components(self) -> dict[str, dict[str, Any]]:
        # Holding the lock while probing makes concurrent callers share one probe.
        with self._lock:
            if time.monotonic() - self._checked_at >= HEALTH_CACHE_SECONDS:
                self._components = {name: self._run(probe) for name, probe in self._probes.items()}
                self._checked_at = time.monotonic()
            return self._components

    @staticmethod
    def _run(probe: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            details = probe()
        except Exception as exc:  # any failure of the dependency is the finding
            result = {"status": "unhealthy", "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            result = {"status": "healthy", **details}
        result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return result


# --- MCP --------------------------------------------------------------------
# The official SDK's MCPServer (FastMCP in mcp 1.x), as the target runs it: tools, prompts and resources over
# streamable HTTP at /mcp. It speaks both protocol eras on one endpoint: the initialize handshake
# (2025-03-26 .. 2025-11-25, Mcp-Session-Id) and the stateless 2026-07-28 revision (server/discover, _meta).

LIMIT = Annotated[int, Field(ge=1, le=MAX_QUERY_ROWS, description="rows to return")]
TABLES_RESOURCE_URI = "nba://database/tables"
TOOL_NAMES = ("query_database", "list_tables", "get_table_schema", "list_games", "list_players", "list_s3_files")
ERAS = mcp_era.ERAS  # the mcp_era fault: what the endpoint speaks (its default: `up --mcp-era`, sandbox/mcp_era.py)

# First keyword of a statement query_database accepts. A data-modifying CTE
# (WITH ... DELETE) passes this check but fails in the READ ONLY transaction.
_SELECT_STATEMENT = re.compile(r"^(select|with)\b", re.IGNORECASE)


class ToolInputError(ValueError):
    """Bad tool arguments: reported to the client as a tool error."""


def read_only_statement(sql: str) -> str:
    """The single SELECT in ``sql``, or ToolInputError."""
    statement = sql.strip().rstrip(";").strip()
    if ";" in statement:  # also rejects ';' inside literals: a safe false positive
        raise ToolInputError("only a single statement is allowed")
    if not _SELECT_STATEMENT.match(statement):
        raise ToolInputError("only SELECT queries are allowed")
    return statement


def _rows_as_dicts(columns: list[str], rows: list[tuple]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


class SandboxMcp(MCPServer):
    """The app's MCP server, with the sandbox's MCP faults applied where a broken deploy would show them."""

    def __init__(self, version: str, database: Database, store: ObjectStore, metrics: AppMetrics,
                 faults: Faults) -> None:
        super().__init__(APP_NAME, version=version, log_level="WARNING")
        self._db, self._store, self._metrics, self._faults = database, store, metrics, faults
        self._stale: dict[str, Any] = {}  # answers frozen by the stale_reads fault
        self._register()

    async def list_tools(self):
        faults = self._faults.snapshot()
        tools = [t for t in await super().list_tools() if t.name not in faults["hide_tools"]]
        if faults["tool_description_missing"] and tools:
            tools[0] = tools[0].model_copy(update={"description": None})  # registered without its docstring
        return tools

    async def list_resources(self):
        if self._faults.snapshot()["resources_broken"]:
            raise MCPError(INTERNAL_ERROR, "Internal error: resource registry unavailable (sandbox fault "
                                           "resources_broken)")
        return await super().list_resources()

    async def call_tool(self, name, arguments, context=None):
        if name in TOOL_NAMES:
            self._metrics.api_calls.labels(name).inc()
        if self._faults.snapshot()["mcp_broken"]:
            raise MCPError(INTERNAL_ERROR, "Internal error: tool backend unavailable (sandbox fault mcp_broken)")
        if not self._faults.snapshot()["stale_reads"]:
            self._stale.clear()
            return await super().call_tool(name, arguments, context)
        key = json.dumps([name, arguments], sort_keys=True, default=str)
        if key not in self._stale:
            self._stale[key] = await super().call_tool(name, arguments, context)
        return self._stale[key]

    def _register(self) -> None:
        db, store = self._db, self._store

        def guarded(fn):
            # A failure the tool expects (bad input, the database or bucket down) is a tool error (isError true).
            @functools.wraps(fn)
            def run(*args, **kwargs):
                try:
                    return fn(*args, **kwargs)
                except (ToolInputError, psycopg.Error, BotoCoreError, ClientError) as exc:
                    raise ToolError(f"Error: {exc}") from exc
            return run

        def table_names(schema: str) -> list[str]:
            _, rows = db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                               "ORDER BY table_name", (schema,))
            return [row[0] for row in rows]

        def select_all(table: str, limit: int) -> dict[str, Any]:
            # The table name is one of two constants, never client input.
            columns, rows = db.query(f"SELECT * FROM {table} ORDER BY 1 LIMIT %s", (limit,))
            return {table: _rows_as_dicts(columns, rows), "count": len(rows)}

        @self.tool(description="Run a read-only SELECT on the NBA database.")
        @guarded
        def query_database(sql: Annotated[str, Field(description="A single SELECT (or WITH) statement")]) -> dict:
            statement = read_only_statement(sql)
            columns, rows = db.query(statement, max_rows=MAX_QUERY_ROWS + 1)
            return {"columns": columns, "rows": _rows_as_dicts(columns, rows[:MAX_QUERY_ROWS]),
                    "row_count": min(len(rows), MAX_QUERY_ROWS), "truncated": len(rows) > MAX_QUERY_ROWS}

        @self.tool(description="List the tables of a database schema.")
        @guarded
        def list_tables(schema: str = "public") -> dict:
            return {"schema": schema, "tables": table_names(schema)}

        @self.tool(description="Describe the columns of a table.")
        @guarded
        def get_table_schema(table_name: str, schema: str = "public") -> dict:
            columns, rows = db.query("SELECT column_name, data_type, is_nullable FROM information_schema.columns"
                                     " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                                     (schema, table_name))
            if not rows:
                raise ToolInputError(f"table {schema}.{table_name} not found")
            return {"schema": schema, "table": table_name, "columns": _rows_as_dicts(columns, rows)}

        @self.tool(description="List games.")
        @guarded
        def list_games(limit: LIMIT = 10) -> dict:
            return select_all("games", limit)

        @self.tool(description="List players.")
        @guarded
        def list_players(limit: LIMIT = 10) -> dict:
            return select_all("players", limit)

        @self.tool(description="List the files in the books bucket.")
        @guarded
        def list_s3_files(prefix: str = "", max_keys: Annotated[int, Field(ge=1, le=1000)] = 100) -> dict:
            return {"bucket": store.bucket, "prefix": prefix, "files": store.list_keys(prefix, max_keys)}

        @self.prompt(description="Analyse a team's results with the database tools.")
        def analyze_team_performance(team: Annotated[str, Field(description="Team abbreviation, e.g. BOS")]) -> str:
            return f"Using list_games and query_database, summarise how {team} has performed this season."

        @self.resource(TABLES_RESOURCE_URI, name="Database tables", description="The tables of the NBA database",
                       mime_type="application/json")
        def database_tables() -> str:
            return json.dumps(table_names("public"))


def _jsonrpc_rejection(status: int, code: int, message: str, data: Any = None) -> Response:
    error = {"code": code, "message": message, **({"data": data} if data is not None else {})}
    return JSONResponse({"jsonrpc": "2.0", "id": None, "error": error}, status_code=status)


def era_gate(mcp_app, faults: Faults):
    """The mcp_era fault in front of the SDK's endpoint: serve both eras (the SDK's default) or one of them.

    "handshake" answers a 2026-07-28 request as an mcp 1.x server does (400, unsupported protocol version);
    "stateless" answers a handshake-era request as a 2026-07-28-only server does (-32022 naming its versions).
    """
    async def app(scope, receive, send):
        era = faults.snapshot()["mcp_era"]
        if scope["type"] == "http" and era != "both" and scope["path"].startswith("/mcp"):
            version = Headers(scope=scope).get("mcp-protocol-version")
            modern = version in MODERN_PROTOCOL_VERSIONS
            if era == "handshake" and modern:
                return await _jsonrpc_rejection(
                    400, INVALID_REQUEST, f"Bad Request: Unsupported protocol version: {version}. Supported "
                    f"versions: {', '.join(HANDSHAKE_PROTOCOL_VERSIONS)}")(scope, receive, send)
            if era == "stateless" and not modern:
                return await _jsonrpc_rejection(
                    400, UNSUPPORTED_PROTOCOL_VERSION, f"Unsupported protocol version: {version or 'none'}",
                    {"supported": list(MODERN_PROTOCOL_VERSIONS), "requested": version})(scope, receive, send)
        await mcp_app(scope, receive, send)
    return app


# --- HTTP -------------------------------------------------------------------


@dataclass
class App:
    version: str
    started_at: float
    faults: Faults
    metrics: AppMetrics
    health: HealthChecker
    mcp: SandboxMcp


def application(app: App):
    """The application port: the MCP server's Starlette app with /health, /ready and the fault control routes,
    behind the request faults (latency, error_rate) and the HTTP metrics."""
    mcp = app.mcp

    @mcp.custom_route("/health", methods=["GET"])
    async def health(request: Request) -> Response:
        components = await anyio.to_thread.run_sync(app.health.components)
        failing = sum(c["status"] != "healthy" for c in components.values())
        status = app.faults.snapshot()["health"] or ("healthy", "degraded", "unhealthy")[min(failing, 2)]
        return JSONResponse({"status": status, "timestamp": dt.datetime.now(dt.UTC).isoformat(),
                             "version": app.version, "uptime_seconds": round(time.monotonic() - app.started_at, 3),
                             "components": components}, status_code=503 if status == "unhealthy" else 200)

    @mcp.custom_route("/ready", methods=["GET"])
    async def ready(request: Request) -> Response:
        is_ready = app.faults.snapshot()["ready"]
        return JSONResponse({"ready": is_ready}, status_code=200 if is_ready else 503)

    @mcp.custom_route("/_sandbox/faults", methods=["GET", "PUT", "DELETE"])
    async def faults_control(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(app.faults.snapshot())
        if request.method == "DELETE":
            return JSONResponse(app.faults.reset())
        try:
            return JSONResponse(app.faults.merge(json.loads(await request.body() or b"null")))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    # Any Host: the app is reached directly and through the Kubernetes API's service proxy.
    inner = mcp.streamable_http_app(
        streamable_http_path="/mcp", transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
    gated = era_gate(inner, app.faults)

    async def served(scope, receive, send):
        if scope["type"] != "http" or scope["path"] == "/_sandbox/faults":
            return await inner(scope, receive, send)
        # Latency mode (sandbox/latency.py): the runner is far from the region; the wait is not the app's own latency.
        delay = latency.delay_seconds(Headers(scope=scope).get("user-agent", ""))
        if delay:
            await anyio.sleep(delay)
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        endpoint = path if path in KNOWN_ENDPOINTS else "other"
        status = [500]

        async def send_status(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        app.metrics.active_connections.inc()
        started = time.perf_counter()
        try:
            faults = app.faults.snapshot()
            if faults["latency_ms"]:
                await anyio.sleep(faults["latency_ms"] / 1000)
            if faults["error_rate"] and random.random() < faults["error_rate"]:
                await JSONResponse({"error": "internal server error (sandbox fault error_rate)"},
                                   status_code=500)(scope, receive, send_status)
            else:
                await gated(scope, receive, send_status)
        finally:
            app.metrics.active_connections.dec()
            app.metrics.http_duration.labels(method, endpoint).observe(time.perf_counter() - started)
            app.metrics.http_requests.labels(method, endpoint, str(status[0])).inc()
    return served


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the second waits for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:
        """Silence per-request access logs: stderr is kept for startup and problems."""

    def _send(self, status: int, body: bytes, content_type: str) -> int:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return status


class MetricsHandler(JsonHandler):
    server: MetricsHTTPServer

    def do_GET(self) -> None:
        app = self.server.app
        if urlsplit(self.path).path != "/metrics":
            self._send(404, b'{"error": "not found"}', "application/json")
        elif app.faults.snapshot()["metrics_down"]:
            self._send(503, b"metrics unavailable (sandbox fault metrics_down)\n", "text/plain")
        else:
            self._send(200, app.metrics.exposition(), CONTENT_TYPE_LATEST)


class MetricsHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], app: App) -> None:
        super().__init__(address, handler)
        self.app = app


# --- background work --------------------------------------------------------


def self_traffic(base_url: str, faults: Faults, stop: threading.Event) -> None:
    """Send the app a steady trickle of real requests until ``stop`` is set (an MCP tools/call every third)."""
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
               "User-Agent": INTERNAL_AGENT}  # from within the region: latency mode never delays it
    session: dict[str, str] = {}  # the handshake-era session, while the endpoint speaks only that era

    def post_mcp(method: str, params: dict[str, Any], extra: dict[str, str]) -> urllib.request.Request:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        return urllib.request.Request(f"{base_url}/mcp", json.dumps(body).encode(), {**headers, **extra}, method="POST")

    def call_list_tables() -> None:
        if faults.snapshot()["mcp_era"] != "handshake":  # stateless: one self-contained POST
            meta = {"io.modelcontextprotocol/protocolVersion": LATEST_MODERN_VERSION,
                    "io.modelcontextprotocol/clientCapabilities": {}}
            urllib.request.urlopen(post_mcp("tools/call", {"name": "list_tables", "arguments": {}, "_meta": meta}, {
                "MCP-Protocol-Version": LATEST_MODERN_VERSION, "Mcp-Method": "tools/call", "Mcp-Name": "list_tables"}),
                timeout=10).close()
            return
        if not session:
            with urllib.request.urlopen(post_mcp("initialize", {
                    "protocolVersion": LATEST_HANDSHAKE_VERSION, "capabilities": {},
                    "clientInfo": {"name": "self-traffic", "version": "1"}}, {}), timeout=10) as response:
                session.update({"Mcp-Session-Id": response.headers["Mcp-Session-Id"],
                                "MCP-Protocol-Version": LATEST_HANDSHAKE_VERSION})
        try:
            urllib.request.urlopen(post_mcp("tools/call", {"name": "list_tables", "arguments": {}}, session),
                                   timeout=10).close()
        except urllib.error.HTTPError:
            session.clear()  # the session expired or the era changed: start again next time
            raise

    step = 0
    while not stop.wait(SELF_TRAFFIC_INTERVAL):
        step += 1
        try:
            if step % 3 == 0:
                call_list_tables()
            else:
                urllib.request.urlopen(f"{base_url}/{'health' if step % 3 == 1 else 'ready'}", timeout=10).close()
        except urllib.error.HTTPError as exc:
            exc.close()  # 500s and 503s are expected under faults
        except OSError as exc:
            log.debug("self-traffic request failed: %s", exc)


def housekeeping(metrics: AppMetrics, faults: Faults, stop: threading.Event) -> None:
    """Once a second: sample CPU, and play the secret lifecycle."""
    last_cpu, last_wall = time.process_time(), time.monotonic()
    last_refresh = float("-inf")
    while not stop.wait(1.0):
        cpu, wall = time.process_time(), time.monotonic()
        metrics.cpu_usage.set(round(100 * (cpu - last_cpu) / (wall - last_wall), 2))
        last_cpu, last_wall = cpu, wall
        # The stand-in has no secret store: refreshes happen on a timer, and
        # validation fails only when the fault asks for it.
        if wall - last_refresh >= SECRET_REFRESH_INTERVAL:
            metrics.secret_refreshes.inc()
            last_refresh = wall
        if faults.snapshot()["secret_validation_failures"]:
            metrics.secret_validation_failures.inc()


# --- entry point ------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18000)
    parser.add_argument("--metrics-port", type=int, default=18001)
    parser.add_argument("--database-dsn", required=True, help="libpq connection string")
    parser.add_argument("--s3-endpoint", required=True)
    parser.add_argument("--s3-bucket", required=True)
    parser.add_argument("--app-version", default="1.0.0", help="version reported by /health and MCP")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    log.setLevel(logging.INFO)
    # The *_created series would double the exposition for no use here.
    disable_created_metrics()
    state = os.environ.get("GOLIVE_SANDBOX_DIR")  # set by sandbox.latency, which every stand-in runs under
    faults = Faults(lambda: mcp_era.configured(Path(state) if state else None))
    metrics = AppMetrics(faults)
    database = Database(args.database_dsn, metrics)
    store = ObjectStore(args.s3_endpoint, args.s3_bucket, metrics)
    app = App(
        version=args.app_version,
        started_at=time.monotonic(),
        faults=faults,
        metrics=metrics,
        health=HealthChecker(database, store),
        mcp=SandboxMcp(args.app_version, database, store, metrics, faults),
    )
    web = uvicorn.Server(uvicorn.Config(application(app), host=args.host, port=args.port, log_level="warning",
                                        lifespan="on", access_log=False))
    servers = [MetricsHTTPServer((args.host, args.metrics_port), MetricsHandler, app)]
    stop = threading.Event()
    # Serve from threads so that the signal handler only has to set ``stop``:
    # shutdown() called from the thread running serve_forever would deadlock.
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    threads.append(threading.Thread(target=web.run, daemon=True))
    threads.append(threading.Thread(target=self_traffic, args=(f"http://{args.host}:{args.port}", faults, stop),
                                    daemon=True))
    threads.append(threading.Thread(target=housekeeping, args=(metrics, faults, stop), daemon=True))
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    for thread in threads:
        thread.start()
    log.info("serving on http://%s:%d (metrics on port %d)", args.host, args.port, args.metrics_port)
    stop.wait()
    # The background threads are daemons: they end with the process, and an
    # in-flight self request (possibly slowed by a latency fault) is not waited for.
    web.should_exit = True
    for server in servers:
        server.shutdown()
        server.server_close()
    log.info("stopped")


if __name__ == "__main__":
    main()
