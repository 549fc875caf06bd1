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
    POST /mcp      MCP streamable HTTP (JSON-RPC 2.0, JSON responses only).
                   ``initialize`` issues an Mcp-Session-Id header, which every
                   later request must send (400 without it, 404 if unknown).
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
    memory_pressure_bytes       int >= 0: added to memory_usage_bytes
    secret_validation_failures  bool: secret_validation_failures_total grows 1/s
    tool_schema_missing         bool: tools/list omits the first tool's inputSchema
    stale_reads                 bool: tools/call answers repeat the first answer given
                                to the same call since the switch was set (a cache
                                that never invalidates)
    hide_tools                  list of tool names: left out of tools/list
                                (still callable: a tool the deploy lost)
"""

from __future__ import annotations

import argparse
import datetime as dt
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
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import boto3
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
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sandbox.latency import INTERNAL_AGENT

log = logging.getLogger("sandbox.app")

APP_NAME = "nba-mcp-synthesis"
MCP_PROTOCOL_VERSION = "2025-03-26"
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
    "tool_schema_missing": False,
    "stale_reads": False,
    "hide_tools": [],
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
    "tool_schema_missing": lambda v: isinstance(v, bool),
    "stale_reads": lambda v: isinstance(v, bool),
    "hide_tools": lambda v: isinstance(v, list) and all(isinstance(t, str) for t in v),
}


class Faults:
    """Thread-safe fault state, changed through the /_sandbox/faults API."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = dict(FAULT_DEFAULTS)

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
            self._state = dict(FAULT_DEFAULTS)
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

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = (
    -32700, -32600, -32601, -32602, -32603,
)
SESSION_REQUIRED, SESSION_NOT_FOUND = -32000, -32001

_LIMIT_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_ROWS, "default": 10}
TOOL_DEFINITIONS = [
    {
        "name": "query_database",
        "description": "Run a read-only SELECT on the NBA database.",
        "inputSchema": {
            "type": "object",
            "properties": {"sql": {"type": "string", "description": "A single SELECT (or WITH) statement"}},
            "required": ["sql"],
        },
    },
    {
        "name": "list_tables",
        "description": "List the tables of a database schema.",
        "inputSchema": {
            "type": "object",
            "properties": {"schema": {"type": "string", "default": "public"}},
        },
    },
    {
        "name": "get_table_schema",
        "description": "Describe the columns of a table.",
        "inputSchema": {
            "type": "object",
            "properties": {"table_name": {"type": "string"}, "schema": {"type": "string", "default": "public"}},
            "required": ["table_name"],
        },
    },
    {
        "name": "list_games",
        "description": "List games.",
        "inputSchema": {"type": "object", "properties": {"limit": _LIMIT_SCHEMA}},
    },
    {
        "name": "list_players",
        "description": "List players.",
        "inputSchema": {"type": "object", "properties": {"limit": _LIMIT_SCHEMA}},
    },
    {
        "name": "list_s3_files",
        "description": "List the files in the books bucket.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "prefix": {"type": "string", "default": ""},
                "max_keys": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
            },
        },
    },
]
TOOL_NAMES = tuple(tool["name"] for tool in TOOL_DEFINITIONS)

PROMPTS = [
    {
        "name": "analyze_team_performance",
        "description": "Analyse a team's results with the database tools.",
        "arguments": [{"name": "team", "description": "Team abbreviation, e.g. BOS", "required": True}],
    }
]
TABLES_RESOURCE_URI = "nba://database/tables"
RESOURCES = [
    {
        "uri": TABLES_RESOURCE_URI,
        "name": "Database tables",
        "description": "The tables of the NBA database",
        "mimeType": "application/json",
    }
]

# First keyword of a statement query_database accepts. A data-modifying CTE
# (WITH ... DELETE) passes this check but fails in the READ ONLY transaction.
_SELECT_STATEMENT = re.compile(r"^(select|with)\b", re.IGNORECASE)


class JsonRpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ToolInputError(ValueError):
    """Bad tool arguments: reported to the client as a tool error."""


def _limit(arguments: dict[str, Any], key: str, default: int, maximum: int) -> int:
    value = arguments.get(key, default)
    if not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= maximum):
        raise ToolInputError(f"{key} must be an integer from 1 to {maximum}")
    return value


def _string(arguments: dict[str, Any], key: str, default: str | None = None) -> str:
    """A string argument; required and non-empty when it has no default."""
    value = arguments.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ToolInputError(f"{key} must be a {'non-empty ' if default is None else ''}string")
    return value


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


@dataclass
class McpReply:
    http_status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None


def _result(request_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


class McpServer:
    """JSON-RPC dispatch for the MCP endpoint, independent of HTTP."""

    def __init__(
        self, version: str, database: Database, store: ObjectStore, metrics: AppMetrics, faults: Faults
    ) -> None:
        self._version = version
        self._db = database
        self._store = store
        self._metrics = metrics
        self._faults = faults
        self._sessions: set[str] = set()
        self._sessions_lock = threading.Lock()
        self._stale: dict[str, dict[str, Any]] = {}  # answers frozen by the stale_reads fault
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "ping": lambda params: {},
            "tools/list": self._visible_tools,
            "tools/call": self._call_tool,
            "prompts/list": lambda params: {"prompts": PROMPTS},
            "prompts/get": self._get_prompt,
            "resources/list": lambda params: {"resources": RESOURCES},
            "resources/read": self._read_resource,
        }
        self._tools: dict[str, Callable[[dict[str, Any]], Any]] = {
            "query_database": self._query_database,
            "list_tables": self._list_tables,
            "get_table_schema": self._get_table_schema,
            "list_games": lambda args: self._select_all("games", args),
            "list_players": lambda args: self._select_all("players", args),
            "list_s3_files": self._list_s3_files,
        }

    def handle(self, message: Any, session_id: str | None) -> McpReply:
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            return McpReply(400, _error(None, INVALID_REQUEST, "Invalid Request: expected one JSON-RPC 2.0 object"))
        request_id = message.get("id")
        method = message.get("method")
        if method == "initialize":
            return self._initialize(request_id)
        if not session_id:
            return McpReply(400, _error(request_id, SESSION_REQUIRED, "Bad Request: Mcp-Session-Id header is required"))
        with self._sessions_lock:
            known = session_id in self._sessions
        if not known:
            return McpReply(404, _error(request_id, SESSION_NOT_FOUND, "Session not found"))
        if "id" not in message:  # a notification, or a response to the server: nothing to answer
            return McpReply(202)
        if not isinstance(method, str):
            return McpReply(400, _error(request_id, INVALID_REQUEST, "Invalid Request: method is missing"))
        handler = self._methods.get(method)
        if handler is None:
            return McpReply(200, _error(request_id, METHOD_NOT_FOUND, f"Method not found: {method}"))
        params = message.get("params") or {}
        if not isinstance(params, dict):
            return McpReply(200, _error(request_id, INVALID_PARAMS, "params must be an object"))
        try:
            return McpReply(200, _result(request_id, handler(params)))
        except JsonRpcError as exc:
            return McpReply(200, _error(request_id, exc.code, exc.message))

    def _initialize(self, request_id: Any) -> McpReply:
        session_id = uuid.uuid4().hex
        with self._sessions_lock:
            self._sessions.add(session_id)
        result = {
            "protocolVersion": MCP_PROTOCOL_VERSION,
            "capabilities": {
                "tools": {"listChanged": False},
                "prompts": {"listChanged": False},
                "resources": {"subscribe": False, "listChanged": False},
            },
            "serverInfo": {"name": APP_NAME, "version": self._version},
        }
        return McpReply(200, _result(request_id, result), {"Mcp-Session-Id": session_id})

    def _visible_tools(self, params: dict[str, Any]) -> dict[str, Any]:
        hidden = self._faults.snapshot()["hide_tools"]
        return {"tools": [t for t in self._list_tools(params)["tools"] if t["name"] not in hidden]}

    def _list_tools(self, params: dict[str, Any]) -> dict[str, Any]:
        if self._faults.snapshot()["tool_schema_missing"]:
            broken = {k: v for k, v in TOOL_DEFINITIONS[0].items() if k != "inputSchema"}
            return {"tools": [broken, *TOOL_DEFINITIONS[1:]]}
        return {"tools": TOOL_DEFINITIONS}

    def _call_tool(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("name")
        tool = self._tools.get(name) if isinstance(name, str) else None
        if tool is None:
            raise JsonRpcError(INVALID_PARAMS, f"Unknown tool: {name}")
        arguments = params.get("arguments") or {}
        if not isinstance(arguments, dict):
            raise JsonRpcError(INVALID_PARAMS, "arguments must be an object")
        self._metrics.api_calls.labels(name).inc()
        if self._faults.snapshot()["mcp_broken"]:
            raise JsonRpcError(INTERNAL_ERROR, "Internal error: tool backend unavailable (sandbox fault mcp_broken)")
        stale = self._faults.snapshot()["stale_reads"]
        key = json.dumps([name, arguments], sort_keys=True, default=str)
        if not stale:
            self._stale.clear()
        elif key in self._stale:
            return self._stale[key]
        try:
            payload = tool(arguments)
        except (ToolInputError, psycopg.Error, BotoCoreError, ClientError) as exc:
            return {"content": [{"type": "text", "text": f"Error: {exc}"}], "isError": True}
        result = {"content": [{"type": "text", "text": json.dumps(payload, default=str)}], "isError": False}
        if stale:
            self._stale[key] = result
        return result

    def _query_database(self, args: dict[str, Any]) -> dict[str, Any]:
        statement = read_only_statement(_string(args, "sql"))
        columns, rows = self._db.query(statement, max_rows=MAX_QUERY_ROWS + 1)
        return {
            "columns": columns,
            "rows": _rows_as_dicts(columns, rows[:MAX_QUERY_ROWS]),
            "row_count": min(len(rows), MAX_QUERY_ROWS),
            "truncated": len(rows) > MAX_QUERY_ROWS,
        }

    def _table_names(self, schema: str) -> list[str]:
        _, rows = self._db.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY table_name",
            (schema,),
        )
        return [row[0] for row in rows]

    def _list_tables(self, args: dict[str, Any]) -> dict[str, Any]:
        schema = _string(args, "schema", "public")
        return {"schema": schema, "tables": self._table_names(schema)}

    def _get_table_schema(self, args: dict[str, Any]) -> dict[str, Any]:
        table, schema = _string(args, "table_name"), _string(args, "schema", "public")
        columns, rows = self._db.query(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (schema, table),
        )
        if not rows:
            raise ToolInputError(f"table {schema}.{table} not found")
        return {"schema": schema, "table": table, "columns": _rows_as_dicts(columns, rows)}

    def _select_all(self, table: str, args: dict[str, Any]) -> dict[str, Any]:
        limit = _limit(args, "limit", 10, MAX_QUERY_ROWS)
        # The table name is one of two constants, never client input.
        columns, rows = self._db.query(f"SELECT * FROM {table} ORDER BY 1 LIMIT %s", (limit,))
        return {table: _rows_as_dicts(columns, rows), "count": len(rows)}

    def _list_s3_files(self, args: dict[str, Any]) -> dict[str, Any]:
        prefix = _string(args, "prefix", "")
        files = self._store.list_keys(prefix, _limit(args, "max_keys", 100, 1000))
        return {"bucket": self._store.bucket, "prefix": prefix, "files": files}

    def _get_prompt(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("name") != PROMPTS[0]["name"]:
            raise JsonRpcError(INVALID_PARAMS, f"Unknown prompt: {params.get('name')}")
        team = (params.get("arguments") or {}).get("team")
        if not team:
            raise JsonRpcError(INVALID_PARAMS, "argument 'team' is required")
        text = f"Using list_games and query_database, summarise how {team} has performed this season."
        return {
            "description": PROMPTS[0]["description"],
            "messages": [{"role": "user", "content": {"type": "text", "text": text}}],
        }

    def _read_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("uri") != TABLES_RESOURCE_URI:
            raise JsonRpcError(INVALID_PARAMS, f"Unknown resource: {params.get('uri')}")
        try:
            tables = self._table_names("public")
        except psycopg.Error as exc:
            raise JsonRpcError(INTERNAL_ERROR, f"database unavailable: {exc}") from exc
        return {
            "contents": [
                {"uri": TABLES_RESOURCE_URI, "mimeType": "application/json", "text": json.dumps(tables)}
            ]
        }


# --- HTTP -------------------------------------------------------------------


@dataclass
class App:
    version: str
    started_at: float
    faults: Faults
    metrics: AppMetrics
    health: HealthChecker
    mcp: McpServer


def accepts_json(accept_header: str | None) -> bool:
    if not accept_header:
        return True
    media_types = {part.split(";")[0].strip().lower() for part in accept_header.split(",")}
    return bool(media_types & {"application/json", "application/*", "*/*"})


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the second waits for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:
        """Silence per-request access logs: stderr is kept for startup and problems."""

    def _read_body(self) -> bytes:
        # Always drain the body: on a kept-alive connection, unread bytes
        # would be parsed as the next request.
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> int:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        return status

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> int:
        return self._send(status, json.dumps(payload).encode(), "application/json", headers)


class AppHandler(JsonHandler):
    server: AppHTTPServer

    def _handle(self) -> None:
        app = self.server.app
        method = self.command
        path = urlsplit(self.path).path
        self.body = self._read_body()
        if path == "/_sandbox/faults":
            self._faults_control(method)
            return
        endpoint = path if path in KNOWN_ENDPOINTS else "other"
        app.metrics.active_connections.inc()
        started = time.perf_counter()
        status = 500
        try:
            status = self._serve(method, path)
        finally:
            app.metrics.active_connections.dec()
            app.metrics.http_duration.labels(method, endpoint).observe(time.perf_counter() - started)
            app.metrics.http_requests.labels(method, endpoint, str(status)).inc()

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def _json_body(self) -> Any:
        """The request body as JSON (None when empty); ValueError when it is not JSON."""
        return json.loads(self.body or b"null")

    def _serve(self, method: str, path: str) -> int:
        app = self.server.app
        faults = app.faults.snapshot()
        if faults["latency_ms"]:
            time.sleep(faults["latency_ms"] / 1000)
        if faults["error_rate"] and random.random() < faults["error_rate"]:
            return self._send_json(500, {"error": "internal server error (sandbox fault error_rate)"})
        if path == "/health" and method == "GET":
            return self._health(faults["health"])
        if path == "/ready" and method == "GET":
            ready = faults["ready"]
            return self._send_json(200 if ready else 503, {"ready": ready})
        if path == "/mcp":
            if method != "POST":
                return self._send_json(405, {"error": "use POST"}, {"Allow": "POST"})
            return self._mcp()
        return self._send_json(404, {"error": "not found"})

    def _health(self, forced_status: str | None) -> int:
        app = self.server.app
        components = app.health.components()
        failing = sum(c["status"] != "healthy" for c in components.values())
        status = forced_status or ("healthy", "degraded", "unhealthy")[min(failing, 2)]
        body = {
            "status": status,
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            "version": app.version,
            "uptime_seconds": round(time.monotonic() - app.started_at, 3),
            "components": components,
        }
        return self._send_json(503 if status == "unhealthy" else 200, body)

    def _mcp(self) -> int:
        if not accepts_json(self.headers.get("Accept")):
            return self._send_json(406, {"error": "this server answers application/json only"})
        try:
            message = self._json_body()
        except ValueError:
            return self._send_json(400, _error(None, PARSE_ERROR, "Parse error"))
        reply = self.server.app.mcp.handle(message, self.headers.get("Mcp-Session-Id"))
        if reply.body is None:
            return self._send(reply.http_status, b"", "application/json", reply.headers)
        return self._send_json(reply.http_status, reply.body, reply.headers)

    def _faults_control(self, method: str) -> None:
        faults = self.server.app.faults
        if method == "GET":
            self._send_json(200, faults.snapshot())
        elif method == "DELETE":
            self._send_json(200, faults.reset())
        elif method == "PUT":
            try:
                self._send_json(200, faults.merge(self._json_body()))
            except ValueError as exc:
                self._send_json(400, {"error": str(exc)})
        else:
            self._send_json(405, {"error": "use GET, PUT or DELETE"}, {"Allow": "GET, PUT, DELETE"})


class MetricsHandler(JsonHandler):
    server: AppHTTPServer

    def do_GET(self) -> None:
        app = self.server.app
        if urlsplit(self.path).path != "/metrics":
            self._send_json(404, {"error": "not found"})
        elif app.faults.snapshot()["metrics_down"]:
            self._send(503, b"metrics unavailable (sandbox fault metrics_down)\n", "text/plain")
        else:
            self._send(200, app.metrics.exposition(), CONTENT_TYPE_LATEST)


class AppHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], app: App) -> None:
        super().__init__(address, handler)
        self.app = app


# --- background work --------------------------------------------------------


def self_traffic(base_url: str, stop: threading.Event) -> None:
    """Send the app a steady trickle of real requests until ``stop`` is set."""
    session_id: str | None = None

    def post_mcp(message: dict[str, Any]) -> urllib.request.Request:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if session_id:
            headers["Mcp-Session-Id"] = session_id
        return urllib.request.Request(f"{base_url}/mcp", json.dumps(message).encode(), headers, method="POST")

    call_list_tables = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_tables"}}
    step = 0
    while not stop.wait(SELF_TRAFFIC_INTERVAL):
        step += 1
        try:
            if step % 3 == 0:
                if session_id is None:
                    with urllib.request.urlopen(
                        post_mcp({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}}), timeout=10
                    ) as response:
                        session_id = response.headers["Mcp-Session-Id"]
                urllib.request.urlopen(post_mcp(call_list_tables), timeout=10).close()
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
    faults = Faults()
    metrics = AppMetrics(faults)
    database = Database(args.database_dsn, metrics)
    store = ObjectStore(args.s3_endpoint, args.s3_bucket, metrics)
    app = App(
        version=args.app_version,
        started_at=time.monotonic(),
        faults=faults,
        metrics=metrics,
        health=HealthChecker(database, store),
        mcp=McpServer(args.app_version, database, store, metrics, faults),
    )
    servers = [
        AppHTTPServer((args.host, args.port), AppHandler, app),
        AppHTTPServer((args.host, args.metrics_port), MetricsHandler, app),
    ]
    stop = threading.Event()
    # Serve from threads so that the signal handler only has to set ``stop``:
    # shutdown() called from the thread running serve_forever would deadlock.
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    threads.append(threading.Thread(target=self_traffic, args=(f"http://{args.host}:{args.port}", stop), daemon=True))
    threads.append(threading.Thread(target=housekeeping, args=(metrics, faults, stop), daemon=True))
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    for thread in threads:
        thread.start()
    log.info("serving on http://%s:%d (metrics on port %d)", args.host, args.port, args.metrics_port)
    stop.wait()
    # The background threads are daemons: they end with the process, and an
    # in-flight self request (possibly slowed by a latency fault) is not waited for.
    for server in servers:
        server.shutdown()
        server.server_close()
    log.info("stopped")


if __name__ == "__main__":
    main()
