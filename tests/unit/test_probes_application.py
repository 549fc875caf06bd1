"""Table-driven tests of golive/probes/application.py: recorded answers in, the verdict and its sentence out.

Each table row: id, the input (a recorded base, or a variant derived from it), PASS/FAIL, and the
fragments the Finding's summary must contain (which resource, and why).
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from fixtures.http import Response
from fixtures.mcp import Step, Transcript
from golive.config import Endpoint
from golive.probes import application as appl
from tests.unit.recorded import DROP, FAIL, PASS, derive, load, recorded_at, row, verdict

NOW = recorded_at("application")  # these answers were recorded together, at this instant

NAME, CONTAINER = "nba-mcp-synthesis", "nba-mcp-synthesis"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.4.0"
OLD_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.3.2"
SERVICE, INGRESS, HOST = "nba-mcp-synthesis-service", "nba-mcp-synthesis-ingress", "nba-mcp-synthesis.example.com"
POD_A, POD_C = "nba-mcp-synthesis-6f7b9d8c5d-2xkqp", "nba-mcp-synthesis-6f7b9d8c5d-9lvwn"
APP = "http://127.0.0.1:18000"
RESTART_WINDOW_MINUTES = 15

DEPLOYMENT = load("application", "deployment")
PODS = load("application", "pods")["items"]


def ago(**delta) -> str:
    return (NOW - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def deployment(changes=None, edit=None):
    return derive(DEPLOYMENT, changes, edit)


def pods(changes=None, edit=None):
    """The three recorded pods; paths start with the pod's index (0 is POD_A)."""
    return derive(PODS, changes, edit)


def http(status: int, body=None, text: str | None = None, ms: float = 12.4, url: str = APP) -> Response:
    """An answer as fixtures/http.py records it: parsed JSON (None if not JSON) and the text."""
    kind = "application/json" if body is not None else "text/plain"
    return Response(url, status, body, text if text is not None else json.dumps(body), ms, {"Content-Type": kind})


# --- rollout_complete ------------------------------------------------------------------------

@pytest.mark.parametrize("obj, expected, fragments", [
    row("rolled-out", deployment(), PASS,
        "deployment nba-mcp-synthesis rolled out: 3 of 3 replicas updated, ready and available (generation 2)"),
    row("absent", None, FAIL, "deployment nba-mcp-synthesis does not exist"),
    row("empty-object", {}, FAIL, ("rollout incomplete", "0 of 1 replicas updated", "Available is absent (no reason)")),
    row("generation-not-observed", deployment({"metadata.generation": 3}), FAIL,
        "the controller has not seen generation 3 yet (observed 2)"),
    # a rollout whose new ReplicaSet never becomes ready: kubectl shows 4 replicas, 1 updated
    row("stuck-rollout", deployment({"metadata.generation": 3, "status.observedGeneration": 3, "status.replicas": 4,
                                     "status.updatedReplicas": 1, "status.unavailableReplicas": 1,
                                     "status.conditions[type=Progressing].status": "False",
                                     "status.conditions[type=Progressing].reason": "ProgressDeadlineExceeded",
                                     "status.conditions[type=Progressing].message":
                                         'ReplicaSet "nba-mcp-synthesis-5c9d7f6b8a" has timed out progressing.'}),
        FAIL, ("1 of 3 replicas updated", "1 old replica(s) still running",
               "Progressing is False (ProgressDeadlineExceeded: ReplicaSet")),
    row("replica-not-ready", deployment({"status.readyReplicas": 2, "status.availableReplicas": 2,
                                         "status.conditions[type=Available].status": "False",
                                         "status.conditions[type=Available].reason": "MinimumReplicasUnavailable"}),
        FAIL, ("2 of 3 replicas ready", "2 of 3 replicas available",
               "Available is False (MinimumReplicasUnavailable)")),
    row("no-available-condition", deployment({"status.conditions[type=Available]": DROP}), FAIL,
        "Available is absent (no reason)"),
])
def test_rollout_complete(obj, expected, fragments):
    verdict(appl.rollout_complete(obj, NAME), expected, fragments)


# --- pods_started ----------------------------------------------------------------------------

def _crash_looping(p):
    # as the kubelet reports it: phase stays Running, the container waits in back-off
    cs = p[0]["status"]["containerStatuses"][0]
    cs.update(ready=False, started=False, restartCount=5,
              state={"waiting": {"reason": "CrashLoopBackOff",
                                 "message": f"back-off 2m40s restarting failed container={CONTAINER} pod={POD_A}"}},
              lastState={"terminated": {"exitCode": 1, "reason": "Error", "startedAt": ago(minutes=2),
                                        "finishedAt": ago(minutes=1)}})
    for c in p[0]["status"]["conditions"]:
        if c["type"] in ("Ready", "ContainersReady"):
            c.update(status="False", reason="ContainersNotReady")


def _restarted(minutes_ago):
    def edit(p):
        p[0]["status"]["containerStatuses"][0].update(
            restartCount=2, lastState={"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": ago(hours=5),
                                                      "finishedAt": ago(minutes=minutes_ago)}})
    return edit


def _with_sidecar(p):
    p[0]["spec"]["containers"].append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.20.3"})
    p[0]["status"]["containerStatuses"].append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.20.3",
                                                "ready": True, "restartCount": 0, "state": {"running": {}}})


PENDING = {"0.status.phase": "Pending", "0.status.conditions[type=Ready].status": "False"}

POD_ROWS = [
    row("all-running", pods(), PASS, f"deployment {NAME}: 3 of 3 pods Running and Ready on {IMAGE}, none restarting"),
    row("no-pods", [], FAIL, f"expected 3 pods of {NAME}, found 0"),
    row("one-pod-gone", pods({"2": DROP}), FAIL, f"deployment {NAME}: only 2 of 3 pods Running and Ready"),
    row("unschedulable", pods({**PENDING, "0.status.containerStatuses": DROP,
                               "0.status.conditions[type=PodScheduled].status": "False",
                               "0.status.conditions[type=PodScheduled].reason": "Unschedulable",
                               "0.status.conditions[type=PodScheduled].message":
                                   "0/3 nodes are available: 3 Insufficient cpu."}), FAIL,
        f"pod {POD_A} Pending (Unschedulable: 0/3 nodes are available: 3 Insufficient cpu.)"),
    row("pending-creating", pods({**PENDING, "0.status.containerStatuses.0.state":
                                  {"waiting": {"reason": "ContainerCreating"}}}), FAIL,
        f"pod {POD_A} Pending (scheduled, containers not started yet)"),
    # Kubernetes keeps a pod whose image cannot be pulled Pending: the reason must still show
    row("image-pull-backoff", pods({**PENDING, "0.status.containerStatuses.0.state": {"waiting": {
        "reason": "ImagePullBackOff", "message": f'Back-off pulling image "{IMAGE[:-6]}v1.4.1"'}}}), FAIL,
        f"pod {POD_A} Pending (container {CONTAINER} ImagePullBackOff: Back-off pulling image"),
    row("evicted", pods({"0.status.phase": "Failed", "0.status.reason": "Evicted",
                         "0.status.message": "The node was low on resource: memory. Threshold quantity: 100Mi,\n"
                                             "available: 87Mi."}), FAIL,
        f"pod {POD_A} is Failed (Evicted: The node was low on resource: memory. Threshold quantity: 100Mi, available"),
    row("crash-looping", pods(edit=_crash_looping), FAIL,
        f"pod {POD_A} container {CONTAINER} CrashLoopBackOff after 5 restarts (back-off 2m40s restarting"),
    row("restarted-4-min-ago", pods(edit=_restarted(4)), FAIL,
        f"pod {POD_A} container {CONTAINER} restarting: restarted 2 times, last 4 min ago (OOMKilled, exit 137)"),
    row("restarted-3-h-ago", pods(edit=_restarted(180)), PASS, "3 of 3 pods Running and Ready"),
    row("readiness-failing", pods({"0.status.conditions[type=Ready].status": "False",
                                   "0.status.conditions[type=Ready].reason": "ContainersNotReady",
                                   "0.status.containerStatuses.0.ready": False}), FAIL,
        f"pod {POD_A} not Ready (ContainersNotReady)"),
    row("old-image", pods({"0.spec.containers.0.image": OLD_IMAGE, "0.status.containerStatuses.0.image": OLD_IMAGE}),
        FAIL, f"pod {POD_A} runs image {OLD_IMAGE}, expected {IMAGE}"),
    row("sidecar-on-its-own-image", pods(edit=_with_sidecar), PASS, "3 of 3 pods Running and Ready"),
]


@pytest.mark.parametrize("items, expected, fragments", POD_ROWS)
def test_pods_started(items, expected, fragments):
    finding = appl.pods_started(items, DEPLOYMENT, CONTAINER, IMAGE, RESTART_WINDOW_MINUTES, now=NOW)
    verdict(finding, expected, fragments)


@pytest.mark.parametrize("obj, image, expected, fragments", [
    row("no-deployment", None, IMAGE, FAIL, "the app's Deployment does not exist: no pod of it can start"),
    row("no-image-pinned", DEPLOYMENT, None, PASS,
        f"deployment {NAME}: 3 of 3 pods Running and Ready, none restarting"),
])
def test_pods_started_inputs(obj, image, expected, fragments):
    verdict(appl.pods_started(PODS, obj, CONTAINER, image, RESTART_WINDOW_MINUTES, now=NOW), expected, fragments)


# --- service_routes --------------------------------------------------------------------------

SVC, ENDPOINTS = load("application", "service"), load("application", "endpoints")


def service(changes=None):
    return derive(SVC, changes)


def endpoints(changes=None, edit=None):
    return derive(ENDPOINTS, changes, edit)


def _not_ready(e):
    e["subsets"][0]["notReadyAddresses"] = e["subsets"][0].pop("addresses")


@pytest.mark.parametrize("svc, items, eps, expected, fragments", [
    row("routes", service(), PODS, endpoints(), PASS,
        f"Service {SERVICE} selects 3 pods (app=nba-mcp-synthesis), its ports reach container ports, and its "
        f"Endpoints list all 3 ready pods"),
    row("absent", None, PODS, None, FAIL, f"Service {SERVICE} does not exist"),
    row("selector-typo", service({"spec.selector.app": "nba-mcp-synthesys"}), PODS, endpoints(), FAIL,
        f"Service {SERVICE}: selector app=nba-mcp-synthesys selects no pod"),
    row("no-selector", service({"spec.selector": DROP}), PODS, endpoints(), FAIL, "selector (empty) selects no pod"),
    row("no-pods", service(), [], endpoints(), FAIL, "selector app=nba-mcp-synthesis selects no pod"),
    row("target-port-wrong", service({"spec.ports.0.targetPort": 8080}), PODS, endpoints(), FAIL,
        "port(s) http -> 8080 match no container port"),
    row("target-port-by-name", service({"spec.ports.0.targetPort": "http"}), PODS, endpoints(), PASS,
        "its ports reach container ports"),
    row("no-endpoints-object", service(), PODS, None, FAIL, f"Endpoints {SERVICE} has no ready addresses"),
    row("endpoints-not-ready", service(), PODS, endpoints(edit=_not_ready), FAIL,
        f"Endpoints {SERVICE} has no ready addresses"),
    row("ready-pod-missing", service(), PODS, endpoints({"subsets.0.addresses.2": DROP}), FAIL,
        f"ready pod(s) {POD_C} missing from its Endpoints"),
])
def test_service_routes(svc, items, eps, expected, fragments):
    verdict(appl.service_routes(svc, items, eps, SERVICE), expected, fragments)


# --- ingress_routes --------------------------------------------------------------------------

ING = load("application", "ingress")
LB = "k8s-nbamcpsy-nbamcpsy-0123456789-1234567890.us-east-1.elb.amazonaws.com"
BACKEND = "spec.rules.0.http.paths.0.backend.service"


def ingress(changes=None):
    return derive(ING, changes)


@pytest.mark.parametrize("ing, svc, host, expected, fragments", [
    row("routes", ingress(), SVC, HOST, PASS,
        f"Ingress {INGRESS} is served by {LB} and routes {HOST}/ to {SERVICE}:80"),
    row("absent", None, SVC, HOST, FAIL, f"Ingress {INGRESS} does not exist"),
    row("no-load-balancer-yet", ingress({"status.loadBalancer": {}}), SVC, HOST, FAIL,
        f"Ingress {INGRESS} has no load-balancer hostname (the ALB controller has not provisioned it)"),
    row("load-balancer-ip", ingress({"status.loadBalancer.ingress": [{"ip": "52.4.91.7"}]}), SVC, HOST, PASS,
        "is served by 52.4.91.7"),
    row("other-host", ingress({"spec.rules.0.host": "nba.example.org"}), SVC, HOST, FAIL,
        f"routes no path for host {HOST} to a port of Service {SERVICE}"),
    row("any-host-rule", ingress({"spec.rules.0.host": DROP}), SVC, None, PASS, f"routes */ to {SERVICE}:80"),
    row("other-service", ingress({f"{BACKEND}.name": "nba-mcp-synthesis-canary"}), SVC, HOST, FAIL,
        f"routes no path for host {HOST} to a port of Service {SERVICE}"),
    row("port-by-name", ingress({f"{BACKEND}.port": {"name": "http"}}), SVC, HOST, PASS, f"to {SERVICE}:http"),
    row("container-port-not-service-port", ingress({f"{BACKEND}.port.number": 8000}), SVC, HOST, FAIL,
        "routes no path for host"),
    row("service-missing", ingress(), None, HOST, FAIL, "to a port of Service (missing)"),
    row("no-rules", ingress({"spec.rules": []}), SVC, HOST, FAIL, "(routes: none)"),
])
def test_ingress_routes(ing, svc, host, expected, fragments):
    verdict(appl.ingress_routes(ing, svc, host, INGRESS), expected, fragments)


# --- health_endpoint, component_healthy, ready_endpoint, answers ------------------------------

HEALTH = load("application", "health")
HEALTH_URL = f"{APP}/health"
DB_DOWN = {"status": "unhealthy", "latency_ms": 2.13,
           "error": 'OperationalError: connection failed: connection to server at "127.0.0.1", port 18432 failed: '
                    "Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?"}
S3_DOWN = {"status": "unhealthy", "latency_ms": 31.0,
           "error": "ClientError: An error occurred (403) when calling the HeadBucket operation: Forbidden"}
PROXY_502 = http(502, None, "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>")


def health(status=200, changes=None) -> Response:
    return http(status, derive(HEALTH, changes), url=HEALTH_URL)


@pytest.mark.parametrize("response, expected, fragments", [
    row("healthy", health(), PASS, f"{HEALTH_URL} answered 200: healthy, components database, s3 healthy"),
    row("database-down", health(503, {"status": "unhealthy", "components.database": DB_DOWN}), FAIL,
        (f"{HEALTH_URL} answered HTTP 503 with status unhealthy (database unhealthy: OperationalError",
         "Connection refused Is the server running")),  # the driver's newline and tab on one line
    row("degraded", health(200, {"status": "degraded", "components.s3": S3_DOWN}), FAIL,
        "answered HTTP 200 with status degraded (s3 unhealthy: ClientError: An error occurred (403)"),
    row("proxy-error-page", PROXY_502, FAIL, "answered HTTP 502 without a health report: '<html>"),
    # the app's error handler answers JSON without a health report
    row("error-body", http(500, {"error": "internal server error (sandbox fault error_rate)"}), FAIL,
        "answered HTTP 500 with status None"),
    row("no-components", health(200, {"components": {}}), FAIL, "reports healthy but lists no components"),
    row("components-not-an-object", health(200, {"components": ["database", "s3"]}), FAIL,
        "reports healthy but lists no components"),
    row("healthy-but-component-is-not", health(200, {"components.s3": {"status": "degraded"}}), FAIL,
        "reports healthy but components are not: s3 degraded: no detail"),
])
def test_health_endpoint(response, expected, fragments):
    verdict(appl.health_endpoint(response, HEALTH_URL), expected, fragments)


@pytest.mark.parametrize("response, component, expected, fragments", [
    row("database-healthy", health(), appl.DATABASE_COMPONENT, PASS, "the app reports its database healthy (5.01 ms)"),
    row("s3-healthy", health(), appl.S3_COMPONENT, PASS, "the app reports its s3 healthy (9.6 ms)"),
    row("database-down", health(503, {"status": "unhealthy", "components.database": DB_DOWN}),
        appl.DATABASE_COMPONENT, FAIL, "the app reports its database unhealthy: OperationalError: connection failed"),
    row("not-reported", health(200, {"components.s3": DROP}), appl.S3_COMPONENT, FAIL,
        f"{HEALTH_URL} does not report a s3 component (HTTP 200)"),
    row("no-health-report", PROXY_502, appl.DATABASE_COMPONENT, FAIL,
        "does not report a database component (HTTP 502)"),
])
def test_component_healthy(response, component, expected, fragments):
    verdict(appl.component_healthy(response, component, HEALTH_URL), expected, fragments)


READY_URL = f"{APP}/ready"


@pytest.mark.parametrize("response, expected, fragments", [
    row("ready", http(200, load("application", "ready"), ms=3.2), PASS, f"{READY_URL} answered 200 ready in 3 ms"),
    row("not-ready", http(503, {"ready": False}), FAIL, f"{READY_URL} answered HTTP 503 {{'ready': False}}, not ready"),
    row("not-json", http(200, None, "OK"), FAIL, "answered HTTP 200 'OK', not ready"),
    row("ready-as-text", http(200, {"ready": "true"}), FAIL, "not ready"),
])
def test_ready_endpoint(response, expected, fragments):
    verdict(appl.ready_endpoint(response, READY_URL), expected, fragments)


PUBLIC = "https://nba-mcp-synthesis.example.com/health"


@pytest.mark.parametrize("response, expected, fragments", [
    row("answers", http(200, HEALTH, ms=41.0, url=PUBLIC), PASS, f"{PUBLIC} answered 200 in 41 ms"),
    row("not-configured", None, FAIL, "app.ingress_url is not configured, so the public URL was not tried"),
    row("bad-gateway", PROXY_502, FAIL, f"{PUBLIC} answered HTTP 502, expected 200"),
])
def test_answers(response, expected, fragments):
    verdict(appl.answers(response, PUBLIC), expected, fragments)


WELCOME = Response(PUBLIC, 200, None, "<!DOCTYPE html><html><head><title>Welcome to nginx!</title>", 2.0,
                   {"Content-Type": "text/html"})


@pytest.mark.parametrize("response, expected, fragments", [
    row("health-document", http(200, HEALTH, ms=41.0, url=PUBLIC), PASS, f"{PUBLIC} answered 200 in 41 ms"),
    row("welcome-page", WELCOME, FAIL, f"{PUBLIC} answered 200 with text/html '<!DOCTYPE html>"),
    row("json-without-status", http(200, {"hello": "world"}, url=PUBLIC), FAIL, "a JSON document without status"),
])
def test_answers_with_the_apps_document(response, expected, fragments):
    verdict(appl.answers(response, PUBLIC, keys=("status",)), expected, fragments)


# --- endpoints_ok ----------------------------------------------------------------------------

ENDPOINTS_CFG = [Endpoint(name="health", path="/health", expect_status=200, budget_ms=500, expect_keys=["status"]),
                 Endpoint(name="ready", path="/ready", expect_status=200, budget_ms=500)]


def measured(health_answer=None, ready_answer=None):
    return list(zip(ENDPOINTS_CFG, [health_answer or http(200, HEALTH, ms=12.4),
                                    ready_answer or http(200, {"ready": True}, ms=3.2)]))


@pytest.mark.parametrize("results, expected, fragments", [
    row("within-budget", measured(), PASS,
        f"2 endpoints at {APP} answered as expected within budget: health 200 in 12 ms, ready 200 in 3 ms"),
    row("none-configured", [], FAIL, "expected configured endpoints (app.endpoints), found 0"),
    row("wrong-status", measured(ready_answer=http(503, {"ready": False})), FAIL,
        f"1 of 2 endpoints at {APP} failed: GET /ready answered 503 (expected 200)"),
    row("over-budget", measured(health_answer=http(200, HEALTH, ms=812.3)), FAIL,
        "GET /health took 812 ms, over its 500 ms budget"),
    row("welcome-page", measured(health_answer=WELCOME), FAIL,
        "GET /health answered 200 with text/html '<!DOCTYPE html>"),
    row("text-for-json", measured(ready_answer=http(200, None, "ready")), FAIL,
        "GET /ready answered 200 with text/plain 'ready', not the app's JSON document"),
    row("document-without-keys", measured(health_answer=http(200, {"ok": 1})), FAIL,
        "GET /health answered 200 with a JSON document without status"),
])
def test_endpoints_ok(results, expected, fragments):
    verdict(appl.endpoints_ok(results, APP), expected, fragments)


# --- mcp_works -------------------------------------------------------------------------------

SESSION = load("application", "mcp_session")  # the handshake era, after the refused server/discover probe
STATELESS = load("application", "mcp_session_stateless")  # 2026-07-28: server/discover, no session
MCP = f"MCP at {SESSION['url']}"
TOOLS = ["query_database", "list_tables", "get_table_schema", "list_games", "list_players", "list_s3_files"]
CALL = "tools/call"
SERVER_IN_META = "steps[method=server/discover].message.result._meta"


def transcript(changes=None, edit=None, base=SESSION) -> Transcript:
    """A recorded MCP conversation (the lists, then tools/call list_tables), or a variant of it."""
    data = derive(base, changes, edit)
    return Transcript(data["url"], [Step(**s) for s in data["steps"]], data["session"], data.get("era"),
                      data.get("protocol_version"), data.get("problem"))


def _only_initialize_refused(s):
    probe, initialize = s["steps"][:2]
    s["steps"] = [probe, {**initialize, "status": 406, "message": None, "headers": {},
                          "text": '{"error": "this server answers application/json only"}'}]


def _tool_result(content, is_error):
    return {f"steps[method={CALL}].message.result": {"content": content, "isError": is_error}}


@pytest.mark.parametrize("session, call, expected, fragments", [
    row("works", transcript(), "list_tables", PASS,
        (f"{MCP}: conversation opened (handshake 2025-11-25 (session); nba-mcp-synthesis 1.0.0), tools/list has "
         "all 6 expected tools", "list_tables answered (isError false) in 12 ms")),
    row("works-stateless", transcript(base=STATELESS), "list_tables", PASS,
        f"{MCP}: conversation opened (stateless 2026-07-28; nba-mcp-synthesis 1.0.0), tools/list has all 6"),
    row("server-unnamed", transcript({SERVER_IN_META: DROP}, base=STATELESS), None, PASS,
        f"{MCP}: conversation opened (stateless 2026-07-28), tools/list"),
    row("resources-refused-is-not-the-tools-concern", transcript({"steps[method=resources/list].message": {
        "jsonrpc": "2.0", "id": 5, "error": {"code": -32603, "message": "Internal error"}}}), "list_tables", PASS,
        "list_tables answered (isError false)"),
    row("works-without-call", transcript({f"steps[method={CALL}]": DROP}), None, PASS,
        "tools/list has all 6 expected tools"),
    row("empty-transcript", transcript({"steps": []}), None, FAIL,
        f"{MCP}: tools/list lacks query_database, list_tables, get_table_schema, list_games, list_players, "
        f"list_s3_files (listed 0: none)"),
    row("initialize-refused", transcript(edit=_only_initialize_refused), "list_tables", FAIL,
        f"{MCP}: initialize answered HTTP 406"),
    row("discover-refused-no-fallback", transcript({"steps.0.fallback": False}), "list_tables", FAIL,
        f"{MCP}: server/discover answered HTTP 400"),
    row("client-refused", transcript({"problem": "ValidationError: 1 validation error for ListToolsResult",
                                      f"steps[method={CALL}]": DROP}), None, FAIL,
        f"{MCP}: the MCP client refused the server's answer: ValidationError: 1 validation error"),
    row("tool-backend-broken", transcript({f"steps[method={CALL}].message": {
        "jsonrpc": "2.0", "id": 3, "error": {"code": -32603, "message": "Internal error: tool backend unavailable"}}}),
        "list_tables", FAIL,
        f"{MCP}: tools/call list_tables failed with JSON-RPC error -32603: Internal error: tool backend unavailable"),
    row("tool-hidden", transcript({"steps[method=tools/list].message.result.tools.5": DROP}), None, FAIL,
        f"{MCP}: tools/list lacks list_s3_files (listed 5: query_database,"),
    row("call-never-made", transcript({f"steps[method={CALL}]": DROP}), "list_tables", FAIL,
        f"{MCP}: tools/call list_tables got no result"),
    row("tool-error", transcript(_tool_result([{"type": "text", "text": 'Error: relation "games" does not exist'}],
                                              True)), "list_tables", FAIL,
        f"{MCP}: tools/call list_tables returned isError True: Error: relation \"games\" does not exist"),
    row("empty-content", transcript(_tool_result([], False)), "list_tables", FAIL,
        "tools/call list_tables returned isError False"),
])
def test_mcp_works(session, call, expected, fragments):
    verdict(appl.mcp_works(session, TOOLS, call), expected, fragments)


# --- database_answers ------------------------------------------------------------------------

PG = load("application", "postgres")
QUERY, DB = "SELECT count(*) FROM games", "127.0.0.1:18432/nba_simulator"
ROWS = [tuple(r) for r in PG["queries"][QUERY]]  # psycopg's fetchall() gives tuples


@pytest.mark.parametrize("rows, tables, expected, fragments", [
    row("answers", ROWS, PG["tables"], PASS,
        f"PostgreSQL {DB} answered {QUERY!r} with 3; tables games, players exist"),
    row("no-rows", [], PG["tables"], FAIL, f"PostgreSQL {DB}: {QUERY!r} returned no rows"),
    row("count-zero", [(0,)], PG["tables"], FAIL, f"{QUERY!r} returned 0"),
    row("many-rows", [(1, "BOS"), (2, "LAL")], PG["tables"], PASS, "with 2 rows"),
    row("table-missing", ROWS, ["games", "teams"], FAIL, "table(s) players missing (2 tables in public)"),
    row("empty-schema", ROWS, [], FAIL, "table(s) games, players missing (0 tables in public)"),
])
def test_database_answers(rows, tables, expected, fragments):
    verdict(appl.database_answers(rows, QUERY, tables, ["games", "players"], DB), expected, fragments)


# --- buckets_reachable -----------------------------------------------------------------------

S3 = load("application", "s3")
DATA_BUCKET, BACKUPS = "nba-mcp-books-20251011", "nba-mcp-synthesis-backups"


def s3(changes=None):
    """bucket -> (head_bucket answer, list_objects_v2 answer), as the check passes them."""
    data = derive(S3, changes)
    return {b: (answers["head_bucket"], answers["list_objects_v2"]) for b, answers in data.items()}


def client_error(code, message, status):
    # fixtures/aws.py returns a ClientError as the answer
    return {"Error": {"Code": code, "Message": message}, "HTTPStatusCode": status}


@pytest.mark.parametrize("results, expected, fragments", [
    row("reachable", s3(), PASS,
        f"S3: 2 buckets answer head_bucket and list a key: {DATA_BUCKET} (books/basketball-analytics.pdf), "
        f"{BACKUPS} (postgres/nba_simulator-2026-12-01.dump)"),
    row("none", {}, FAIL, "expected buckets to check, found 0"),
    row("bucket-missing", s3({f"{BACKUPS}.head_bucket": client_error("404", "Not Found", 404),
                              f"{BACKUPS}.list_objects_v2": client_error("NoSuchBucket", "The specified bucket "
                                                                         "does not exist", 404)}), FAIL,
        f"bucket {BACKUPS} does not exist (head_bucket: 404 Not Found)"),
    row("access-denied", s3({f"{DATA_BUCKET}.head_bucket": client_error("403", "Forbidden", 403)}), FAIL,
        f"bucket {DATA_BUCKET} is not accessible (head_bucket: 403 Forbidden)"),
    row("listing-denied", s3({f"{DATA_BUCKET}.list_objects_v2": client_error("AccessDenied", "Access Denied", 403)}),
        FAIL, f"bucket {DATA_BUCKET} cannot be listed (AccessDenied)"),
    row("bucket-empty", s3({f"{BACKUPS}.list_objects_v2.Contents": DROP, f"{BACKUPS}.list_objects_v2.KeyCount": 0,
                            f"{BACKUPS}.list_objects_v2.IsTruncated": False}), FAIL, f"bucket {BACKUPS} is empty"),
])
def test_buckets_reachable(results, expected, fragments):
    verdict(appl.buckets_reachable(results), expected, fragments)


# --- integrations_answer ---------------------------------------------------------------------

INTEGRATIONS = ["https://generativelanguage.googleapis.com", "https://api.anthropic.com", "https://api.openai.com",
                "https://api.deepseek.com", "https://hooks.slack.com", "https://api.linear.app"]
# What each root URL answers a bare GET (any status below 500 means it is there).
ANSWERS = dict(zip(INTEGRATIONS, [404, 404, 421, 404, 400, 400]))


@pytest.mark.parametrize("answers, configured, expected, fragments", [
    row("all-answer", ANSWERS, INTEGRATIONS, PASS,
        "all 6 external integrations answer: https://generativelanguage.googleapis.com 404"),
    row("not-set", {}, None, FAIL, "app.external_integrations is not set, so no external integration was checked"),
    row("explicitly-none", {}, [], PASS, "the configuration explicitly lists no external integrations"),
    row("server-error", {**ANSWERS, "https://api.linear.app": 503}, INTEGRATIONS, FAIL,
        "1 of 6 external integrations failing: https://api.linear.app answered HTTP 503"),
    row("refused", {**ANSWERS, "https://hooks.slack.com": "no answer (ConnectionError: Connection refused)"},
        INTEGRATIONS, FAIL, "https://hooks.slack.com: no answer (ConnectionError: Connection refused)"),
    row("never-asked", {}, INTEGRATIONS, FAIL,
        ("6 of 6 external integrations failing", "https://api.anthropic.com: not asked")),
])
def test_integrations_answer(answers, configured, expected, fragments):
    verdict(appl.integrations_answer(answers, configured), expected, fragments)
