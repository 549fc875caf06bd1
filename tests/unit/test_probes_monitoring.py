"""Table-driven tests of golive/probes/monitoring.py over recorded Prometheus, Alertmanager, Grafana and
Kubernetes answers.

Each table row: id, the input (a recorded base, or a variant derived from it), PASS/FAIL, and the
fragments the Finding's summary must contain (which resource, and why).
"""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from fixtures.http import Response
from golive.probes import monitoring as mon
from tests.unit.recorded import DROP, FAIL, PASS, UNDECIDED, derive, load, prometheus_result, recorded_at, row, verdict

NOW = recorded_at("monitoring")  # these answers were recorded together, at this instant

PROM, AM, GRAFANA = "http://127.0.0.1:18090", "http://127.0.0.1:18093", "http://127.0.0.1:18300"
JOB, APP_NS = "nba-mcp-synthesis", "nba-mcp-synthesis"
KEY = ["http_requests_total", "http_request_duration_seconds_bucket", "database_queries_total", "s3_operations_total",
       "api_calls_total", "active_connections", "memory_usage_bytes", "cpu_usage_percent",
       "secret_validation_failures_total"]
OPTIONAL = ["secret_refresh_total"]
RULE_GROUPS = ["nba-mcp-synthesis.rules"]
PAGING, CHAT, CHANNEL = "pagerduty-critical", "slack-notifications", "#nba-mcp-synthesis-alerts"
REFUSED = 'Get "http://127.0.0.1:18001/metrics": dial tcp 127.0.0.1:18001: connect: connection refused'


def http(status: int, body=None, text: str | None = None, url: str = PROM) -> Response:
    """An answer as fixtures/http.py records it: parsed JSON (None if not JSON) and the text."""
    return Response(url, status, body, text if text is not None else json.dumps(body), 9.8, {})


# --- no_critical_alerts (Prometheus /api/v1/alerts) --------------------------------------------

ALERTS = load("monitoring", "prometheus_alerts")["data"]["alerts"]  # a firing critical and a firing warning
CRITICAL = "[labels.severity=critical]"


@pytest.mark.parametrize("alerts, expected, fragments", [
    row("critical-firing", derive(ALERTS), FAIL,
        f"1 critical alert(s) firing in Prometheus {PROM}: NBAMCPDatabaseConnectionFailures"),
    row("critical-only-pending", derive(ALERTS, {f"{CRITICAL}.state": "pending"}), PASS,
        f"no critical alert firing in Prometheus {PROM} (1 firing of lower severity)"),
    row("nothing-firing", [], PASS, "no critical alert firing in Prometheus"),  # an empty list is Prometheus' answer
])
def test_no_critical_alerts(alerts, expected, fragments):
    verdict(mon.no_critical_alerts(alerts, f"Prometheus {PROM}"), expected, fragments)


# --- prometheus_serving ----------------------------------------------------------------------

HEALTHY, READY = http(200, None, "Prometheus Server is Healthy.\n"), http(200, None, "Prometheus Server is Ready.\n")


@pytest.mark.parametrize("healthy, ready, expected, fragments", [
    row("serving", HEALTHY, READY, PASS, f"Prometheus {PROM} is healthy and ready"),
    row("replaying-wal", HEALTHY, http(503, None, "Service Unavailable"), FAIL,
        f"Prometheus {PROM} is not serving: /-/healthy 200, /-/ready 503 (Service Unavailable)"),
    row("down", http(503, None, ""), http(503, None, ""), FAIL, "/-/healthy 503, /-/ready 503"),
])
def test_prometheus_serving(healthy, ready, expected, fragments):
    verdict(mon.prometheus_serving(healthy, ready, PROM), expected, fragments)


# --- targets_up ------------------------------------------------------------------------------

TARGETS = load("monitoring", "prometheus_targets")["data"]["activeTargets"]  # the app's target and Prometheus'
APP_TARGET = f"[scrapePool={JOB}]"


def targets(changes=None):
    return derive(TARGETS, changes)


@pytest.mark.parametrize("active, expected, fragments", [
    row("up", targets(), PASS, f"all 1 target(s) of job {JOB} are up"),
    row("refused", targets({f"{APP_TARGET}.health": "down", f"{APP_TARGET}.lastError": REFUSED}), FAIL,
        f"1 of 1 targets of job {JOB} down: 127.0.0.1:18001 is down: {REFUSED}"),
    row("metrics-503", targets({f"{APP_TARGET}.health": "down",
                                f"{APP_TARGET}.lastError": "server returned HTTP status 503 Service Unavailable"}),
        FAIL, "127.0.0.1:18001 is down: server returned HTTP status 503 Service Unavailable"),
    # just discovered, never scraped: Prometheus says unknown with no error
    row("not-scraped-yet", targets({f"{APP_TARGET}.health": "unknown", f"{APP_TARGET}.lastScrape":
                                    "0001-01-01T00:00:00Z"}), FAIL, "127.0.0.1:18001 is unknown: no error reported"),
    row("no-targets", [], FAIL, f"Prometheus {PROM} has no active scrape target for job {JOB}"),
    row("only-other-jobs", targets({APP_TARGET: DROP}), FAIL, f"has no active scrape target for job {JOB}"),
])
def test_targets_up(active, expected, fragments):
    verdict(mon.targets_up(active, JOB, PROM), expected, fragments)


# --- metrics_present -------------------------------------------------------------------------

PRESENT = prometheus_result("monitoring", "query_metrics_present")  # count by (__name__), recorded
PRESENT_QUERY = mon.metrics_query(JOB, KEY + OPTIONAL)


@pytest.mark.parametrize("result, expected, fragments", [
    row("all-present", derive(PRESENT), PASS, f"all 9 key metrics have series in job {JOB} (75 series)"),
    row("optional-absent", derive(PRESENT, {"[metric.__name__=secret_refresh_total]": DROP}), PASS,
        "; optional absent: secret_refresh_total"),
    row("key-metric-absent", derive(PRESENT, {"[metric.__name__=cpu_usage_percent]": DROP}), FAIL,
        f"no data for cpu_usage_percent in job {JOB} (8 of 9 key metrics present)"),
    row("nothing", [], FAIL, f"no data for {', '.join(KEY)} in job {JOB} (0 of 9 key metrics present)"),
])
def test_metrics_present(result, expected, fragments):
    verdict(mon.metrics_present(result, PRESENT_QUERY, JOB, KEY, OPTIONAL), expected, fragments)


# --- metrics_fresh ---------------------------------------------------------------------------

SAMPLES = prometheus_result("monitoring", "query_samples")  # the last samples of each key metric, recorded
MAX_AGE = 3 * 30  # fresh_within_scrapes x scrape_interval_seconds (golive.toml)
SAMPLES_QUERY = mon.samples_query(JOB, KEY, MAX_AGE)


def _selector_key(name):
    return f"[metric.__name__={name}]"


@pytest.mark.parametrize("result, active, expected, fragments", [
    row("fresh", SAMPLES, TARGETS, PASS,
        f"all 9 key metrics of job {JOB} are fresh (latest samples at most 3.9 s old, limit 90 s) and its 1 "
        f"target(s) scraped successfully"),
    row("no-samples", [], TARGETS, FAIL, f"metrics of job {JOB} are stale: no sample in the last 90 s of "
                                         f"{', '.join(KEY)}"),
    row("one-metric-gone", derive(SAMPLES, {_selector_key("cpu_usage_percent"): DROP}), TARGETS, FAIL,
        "no sample in the last 90 s of cpu_usage_percent"),
    # defensive: a series without samples counts as no sample
    row("series-without-samples", derive(SAMPLES, {f"{_selector_key('cpu_usage_percent')}.values": []}), TARGETS,
        FAIL, "no sample in the last 90 s of cpu_usage_percent"),
    row("target-down", SAMPLES, targets({f"{APP_TARGET}.health": "down", f"{APP_TARGET}.lastError": REFUSED}), FAIL,
        f"target 127.0.0.1:18001 failing its scrapes ({REFUSED})"),
    row("target-never-scraped", SAMPLES, targets({f"{APP_TARGET}.health": "unknown", f"{APP_TARGET}.lastError": "",
                                                  f"{APP_TARGET}.lastScrape": "0001-01-01T00:00:00Z"}), FAIL,
        "target 127.0.0.1:18001 failing its scrapes (unknown)"),
    row("target-scraped-5-min-ago", SAMPLES, targets({f"{APP_TARGET}.lastScrape": "2026-12-01T09:52:03.5Z"}), FAIL,
        "target 127.0.0.1:18001 last scraped 306 s ago"),
    row("no-target", SAMPLES, targets({APP_TARGET: DROP}), FAIL, f"Prometheus has no scrape target for job {JOB}"),
])
def test_metrics_fresh(result, active, expected, fragments):
    verdict(mon.metrics_fresh(result, SAMPLES_QUERY, active, JOB, KEY, MAX_AGE, queried_at=NOW), expected, fragments)


def test_metrics_fresh_measures_each_answer_to_its_own_arrival():
    """A cached answer read later is as old as it was when it arrived; the probe never reads the clock."""
    verdict(mon.metrics_fresh(SAMPLES, SAMPLES_QUERY, TARGETS, JOB, KEY, MAX_AGE, queried_at=NOW,
                              listed_at=NOW), PASS, "latest samples at most 3.9 s old")
    # The targets answered 100 s after the samples (fresh, say): their scrape ages are measured to that moment.
    verdict(mon.metrics_fresh(SAMPLES, SAMPLES_QUERY, TARGETS, JOB, KEY, MAX_AGE, queried_at=NOW,
                              listed_at=NOW + timedelta(seconds=100)), FAIL,
            "target 127.0.0.1:18001 last scraped 117 s ago")


# --- rules_loaded, rules_match_object ----------------------------------------------------------

GROUPS = load("monitoring", "prometheus_rules")["data"]["groups"]
GROUP = "[name=nba-mcp-synthesis.rules]"
ERROR_RATE = f"{GROUP}.rules[name=NBAMCPHighErrorRate]"


def groups(changes=None, edit=None):
    return derive(GROUPS, changes, edit)


@pytest.mark.parametrize("loaded, expected, fragments", [
    row("loaded", groups(), PASS, f"Prometheus {PROM} has rule group(s) nba-mcp-synthesis.rules loaded (5 rules, "
                                  f"all health ok)"),
    row("nothing-loaded", [], FAIL, f"Prometheus {PROM}: rule group nba-mcp-synthesis.rules is not loaded"),
    row("other-group-only", groups({f"{GROUP}.name": "kubernetes-apps"}), FAIL,
        "rule group nba-mcp-synthesis.rules is not loaded"),
    row("group-empty", groups({f"{GROUP}.rules": []}), FAIL, "rule group nba-mcp-synthesis.rules is empty"),
    row("rule-erroring", groups({f"{ERROR_RATE}.health": "err", f"{ERROR_RATE}.lastError":
                                 "vector contains metrics with the same labelset after applying alert labels"}),
        FAIL, "rules failing: NBAMCPHighErrorRate (err: vector contains metrics with the same labelset"),
    row("rule-not-evaluated-yet", groups({f"{ERROR_RATE}.health": "unknown"}), FAIL,
        "rules failing: NBAMCPHighErrorRate (not evaluated yet)"),
])
def test_rules_loaded(loaded, expected, fragments):
    verdict(mon.rules_loaded(loaded, RULE_GROUPS, PROM), expected, fragments)


RULE_OBJECT = load("monitoring", "prometheusrule")
RULE_NAME = "nba-mcp-synthesis-alerts"
OBJECT_RULES = "spec.groups[name=nba-mcp-synthesis.rules].rules"


def _new_alert_in_object(obj):
    obj["spec"]["groups"][0]["rules"].append({"alert": "NBAMCPHighLatency", "expr": "p95 > 0.5", "for": "5m",
                                              "labels": {"severity": "warning"}})


def _recording_rule_loaded(g):
    g[0]["rules"].append({"name": "job:http_requests:rate5m", "query": "sum by (job) (rate(http_requests_total[5m]))",
                          "health": "ok", "type": "recording"})


@pytest.mark.parametrize("loaded, obj, expected, fragments", [
    row("agree", GROUPS, RULE_OBJECT, PASS, f"PrometheusRule {RULE_NAME} and Prometheus agree on 5 alerts"),
    row("object-absent", GROUPS, None, FAIL, f"PrometheusRule {RULE_NAME} does not exist in the cluster"),
    row("new-alert-not-loaded", GROUPS, derive(RULE_OBJECT, edit=_new_alert_in_object), FAIL,
        f"PrometheusRule {RULE_NAME} and the loaded rules differ: defined but not loaded: NBAMCPHighLatency"),
    row("loaded-alert-removed-from-object", GROUPS,
        derive(RULE_OBJECT, {f"{OBJECT_RULES}[alert=NBAMCPServiceUnavailable]": DROP}), FAIL,
        "loaded but not in the object: NBAMCPServiceUnavailable"),
    row("object-defines-nothing", [], derive(RULE_OBJECT, {OBJECT_RULES: []}), FAIL,
        "the object defines no alert in group(s) nba-mcp-synthesis.rules"),
    row("recording-rules-ignored", groups(edit=_recording_rule_loaded), RULE_OBJECT, PASS, "agree on 5 alerts"),
])
def test_rules_match_object(loaded, obj, expected, fragments):
    verdict(mon.rules_match_object(loaded, obj, RULE_GROUPS, RULE_NAME), expected, fragments)


# --- servicemonitor_selects ------------------------------------------------------------------

MONITOR, SERVICE = load("monitoring", "servicemonitor"), load("application", "service")
MONITOR_NAME, SERVICE_NAME = "nba-mcp-synthesis-metrics", "nba-mcp-synthesis-service"


def monitor(changes=None):
    return derive(MONITOR, changes)


def expressions(operator, *values):
    return {"spec.selector": {"matchExpressions": [{"key": "app", "operator": operator, "values": list(values)}]}}


@pytest.mark.parametrize("sm, svc, expected, fragments", [
    row("wired", monitor(), SERVICE, PASS,
        f"ServiceMonitor {MONITOR_NAME} selects Service {SERVICE_NAME} in {APP_NS} and scrapes its port metrics"),
    row("absent", None, SERVICE, FAIL, f"ServiceMonitor {MONITOR_NAME} does not exist"),
    row("service-absent", monitor(), None, FAIL,
        (f"ServiceMonitor {MONITOR_NAME} wiring broken: the Service it should select does not exist",
         "Prometheus scrapes nothing")),
    row("selector-mismatch", monitor({"spec.selector.matchLabels.app": "nba-mcp"}), SERVICE, FAIL,
        f"its selector {{'matchLabels': {{'app': 'nba-mcp'}}}} does not select Service {SERVICE_NAME}"),
    # an empty LabelSelector selects everything: prometheus-operator scrapes every Service in the namespaceSelector's scope
    row("selector-empty", monitor({"spec.selector": {}}), SERVICE, PASS, f"selects Service {SERVICE_NAME}"),
    row("expression-in", monitor(expressions("In", "nba-mcp-synthesis", "nba-mcp-synthesis-canary")), SERVICE, PASS,
        f"selects Service {SERVICE_NAME}"),
    row("expression-not-in", monitor(expressions("NotIn", "nba-mcp-synthesis")), SERVICE, FAIL, "does not select"),
    row("expression-exists", monitor(expressions("Exists")), SERVICE, PASS, f"selects Service {SERVICE_NAME}"),
    row("expression-does-not-exist", monitor(expressions("DoesNotExist")), SERVICE, FAIL, "does not select"),
    row("expression-unknown-operator", monitor(expressions("Equals", "nba-mcp-synthesis")), SERVICE, FAIL,
        "does not select"),
    row("any-namespace", monitor({"spec.namespaceSelector": {"any": True}}), SERVICE, PASS, f"in {APP_NS}"),
    # without a namespaceSelector a ServiceMonitor looks in its own namespace only
    row("no-namespace-selector", monitor({"spec.namespaceSelector": DROP}), SERVICE, FAIL,
        f"its namespaceSelector {{}} leaves out namespace {APP_NS}"),
    row("no-namespace-selector-in-app-namespace", monitor({"spec.namespaceSelector": DROP,
                                                           "metadata.namespace": APP_NS}), SERVICE, PASS,
        f"selects Service {SERVICE_NAME} in {APP_NS}"),
    row("other-namespace", monitor({"spec.namespaceSelector.matchNames": ["nba-mcp-staging"]}), SERVICE, FAIL,
        f"leaves out namespace {APP_NS}"),
    row("port-name-wrong", monitor({"spec.endpoints.0.port": "http-metrics"}), SERVICE, FAIL,
        "it scrapes port(s) ['http-metrics'], which the Service does not name (['http', 'metrics'])"),
    row("no-endpoints", monitor({"spec.endpoints": []}), SERVICE, FAIL, "it scrapes port(s) none"),
])
def test_servicemonitor_selects(sm, svc, expected, fragments):
    verdict(mon.servicemonitor_selects(sm, svc, APP_NS, MONITOR_NAME), expected, fragments)


def test_servicemonitor_absent_says_where_it_was_looked_for():
    verdict(mon.servicemonitor_selects(None, SERVICE, APP_NS, MONITOR_NAME, "in any namespace"), FAIL,
            f"ServiceMonitor {MONITOR_NAME} does not exist (in any namespace)")


# --- alertmanager_receivers ------------------------------------------------------------------

RECEIVERS = load("monitoring", "alertmanager_receivers")
AM_READY = http(200, None, "OK", url=AM)


@pytest.mark.parametrize("ready, receivers, expected, fragments", [
    row("ready-with-receivers", AM_READY, RECEIVERS, PASS,
        f"Alertmanager {AM} is ready with receivers {PAGING}, {CHAT}"),
    row("not-ready", http(503, None, "", url=AM), RECEIVERS, FAIL,
        f"Alertmanager {AM}: not ready (/-/ready answered 503)"),
    row("paging-receiver-missing", AM_READY, derive(RECEIVERS, {f"[name={PAGING}]": DROP}), FAIL,
        f"receiver(s) {PAGING} missing (has {CHAT})"),
    row("no-receivers", AM_READY, [], FAIL, f"receiver(s) {PAGING}, {CHAT} missing (has none)"),
])
def test_alertmanager_receivers(ready, receivers, expected, fragments):
    verdict(mon.alertmanager_receivers(ready, receivers, [PAGING, CHAT], AM), expected, fragments)


# --- alert_routing (and routes / receivers_for under it) ---------------------------------------

# The running configuration, parsed as fixtures/http.py::Alertmanager.config() does.
CONFIG = yaml.safe_load(load("monitoring", "alertmanager_status")["config"]["original"])
PAGE_ROUTE = "route.routes.0"


def config(changes=None, edit=None):
    return derive(CONFIG, changes, edit)


def _null_receiver(c):
    c["receivers"].append({"name": "null"})


def _chat_by_negative_matchers(c):
    # default receiver null; warnings reach chat through != and !~ matchers
    _null_receiver(c)
    c["route"]["receiver"] = "null"
    c["route"]["routes"].append({"receiver": CHAT, "matchers": ['severity!="critical"', 'severity!~"info|none"']})


def _page_and_continue(c):
    c["route"]["routes"][0]["continue"] = True
    c["route"]["routes"].append({"receiver": CHAT, "matchers": ['severity=~".+"']})


@pytest.mark.parametrize("cfg, expected, fragments", [
    row("routes", config(), PASS,
        f"Alertmanager {AM} routes critical alerts to {PAGING} and the rest to {CHAT} ({CHANNEL})"),
    row("no-paging-route", config({"route.routes": []}), FAIL,
        f"Alertmanager {AM} routing: severity=critical alerts go to {CHAT}, not {PAGING}"),
    row("paging-receiver-missing", config({f"receivers[name={PAGING}]": DROP}), FAIL,
        f"receiver {PAGING} is missing"),
    row("default-receiver-null", config({"route.receiver": "null"}, _null_receiver), FAIL,
        f"other alerts go to null, not {CHAT}"),
    row("wrong-channel", config({f"receivers[name={CHAT}].slack_configs.0.channel": "#general"}), FAIL,
        f"{CHAT} posts to #general, not {CHANNEL}"),
    row("chat-without-slack", config({f"receivers[name={CHAT}]": {"name": CHAT, "webhook_configs": [
        {"url": "http://127.0.0.1:18055/hook"}]}}), FAIL, f"{CHAT} posts to no Slack channel, not {CHANNEL}"),
    row("empty-config", {}, FAIL, (f"receiver {PAGING} is missing", f"receiver {CHAT} is missing")),
    row("match-old-style", config({f"{PAGE_ROUTE}.matchers": DROP, f"{PAGE_ROUTE}.match": {"severity": "critical"}}),
        PASS, f"routes critical alerts to {PAGING}"),
    row("match-re", config({f"{PAGE_ROUTE}.matchers": DROP, f"{PAGE_ROUTE}.match_re": {"severity": "critical|page"}}),
        PASS, f"routes critical alerts to {PAGING}"),
    row("matcher-regex", config({f"{PAGE_ROUTE}.matchers": ['severity=~"critical|page"']}), PASS,
        f"routes critical alerts to {PAGING}"),
    row("negative-matchers", config(edit=_chat_by_negative_matchers), PASS, f"the rest to {CHAT}"),
    row("continue-to-chat-too", config(edit=_page_and_continue), PASS, f"routes critical alerts to {PAGING}"),
])
def test_alert_routing(cfg, expected, fragments):
    verdict(mon.alert_routing(cfg, PAGING, CHAT, CHANNEL, AM), expected, fragments)


@pytest.mark.parametrize("cfg, labels, receivers", [
    row("critical-pages", config(), {"severity": "critical"}, [PAGING]),
    row("warning-to-default", config(), {"severity": "warning"}, [CHAT]),
    row("continue-reaches-both", config(edit=_page_and_continue), {"severity": "critical"}, [PAGING, CHAT]),
    row("no-tree", {}, {"severity": "critical"}, [None]),
])
def test_receivers_for(cfg, labels, receivers):
    assert mon.receivers_for(cfg.get("route") or {}, labels) == receivers


# --- grafana_healthy, panel_datasources, dashboards_ok -----------------

GRAFANA_HEALTH = load("monitoring", "grafana_health")


@pytest.mark.parametrize("response, expected, fragments", [
    row("healthy", http(200, GRAFANA_HEALTH, url=GRAFANA), PASS, f"Grafana {GRAFANA} 11.3.0 is healthy"),
    row("database-failing", http(503, {**GRAFANA_HEALTH, "database": "failing"}, url=GRAFANA), FAIL,
        f"Grafana {GRAFANA} is not healthy: HTTP 503, database failing"),
    row("proxy-error-page", http(502, None, "<html>502 Bad Gateway</html>", url=GRAFANA), FAIL,
        "is not healthy: HTTP 502, database None"),
    row("no-version", http(200, {"database": "ok"}, url=GRAFANA), PASS, f"Grafana {GRAFANA} is healthy"),
])
def test_grafana_healthy(response, expected, fragments):
    verdict(mon.grafana_healthy(response, GRAFANA), expected, fragments)


BOARDS = load("monitoring", "grafana_dashboards")  # uid -> /api/dashboards/uid/<uid> body
OVERVIEW = "nba-mcp-overview"
NOT_FOUND = http(404, {"message": "Dashboard not found"}, url=GRAFANA)


def dashboards(changes=None, edit=None, status=None) -> dict:
    """uid -> the answer to GET /api/dashboards/uid/<uid> (status per uid, 200 unless given)."""
    bodies = derive(BOARDS, changes, edit)
    return {uid: http((status or {}).get(uid, 200), body, url=GRAFANA) for uid, body in bodies.items()}


def _odd_datasource_refs(boards):
    panels = boards[OVERVIEW]["dashboard"]["panels"]
    panels[0]["datasource"] = {"type": "datasource", "uid": "grafana"}
    panels[0]["targets"] = [{"refId": "A", "datasource": {"type": "__expr__", "uid": "__expr__"}}]
    panels[1]["datasource"] = "-- Mixed --"
    panels[1]["targets"] = [{"refId": "A", "datasource": {"uid": "${DS_PROMETHEUS}"}}]
    for panel in panels[2:]:
        panel["datasource"] = "$datasource"
        panel["targets"] = []
    # a legacy datasource named by a string, and a collapsed row holding a panel of its own
    panels.append({"type": "row", "title": "Logs", "collapsed": True, "panels": [
        {"type": "logs", "title": "App logs", "datasource": "loki-logs", "targets": [{"refId": "A"}]}]})


@pytest.mark.parametrize("boards, uids", [
    row("provisioned", dashboards(), ["prometheus"]),
    row("builtins-variables-and-rows", dashboards({"nba-mcp-cluster": DROP, "nba-mcp-secrets-health": DROP},
                                                  _odd_datasource_refs), ["loki-logs"]),
    row("not-found-or-not-json", {OVERVIEW: NOT_FOUND, "x": http(502, None, "<html>", url=GRAFANA)}, []),
    row("none", {}, []),
])
def test_panel_datasources(boards, uids):
    assert mon.panel_datasources(boards) == uids


DS_OK = {"prometheus": http(200, load("monitoring", "grafana_datasource_health"), url=GRAFANA)}
DS_ERROR = {"status": "ERROR", "message": 'Get "http://127.0.0.1:18090/api/v1/query?query=1%2B1": dial tcp '
                                          "127.0.0.1:18090: connect: connection refused - There was an error "
                                          "returned querying the Prometheus API."}
TITLES = "NBA MCP Synthesis - Cluster Resources, NBA MCP Synthesis - Overview, NBA MCP Synthesis - Secrets Health"


@pytest.mark.parametrize("boards, health, expected, fragments", [
    row("present-and-healthy", dashboards(), DS_OK, PASS,
        f"Grafana {GRAFANA}: 3 dashboards present ({TITLES}); datasource(s) prometheus healthy"),
    row("dashboard-deleted", {**dashboards(), OVERVIEW: NOT_FOUND}, DS_OK, FAIL,
        f"Grafana {GRAFANA}: dashboard {OVERVIEW} not found"),
    row("dashboard-forbidden", dashboards(status={OVERVIEW: 403}), DS_OK, FAIL, f"dashboard {OVERVIEW}: HTTP 403"),
    row("dashboard-without-panels", dashboards({f"{OVERVIEW}.dashboard.panels": []}), DS_OK, FAIL,
        f"dashboard {OVERVIEW} (NBA MCP Synthesis - Overview) has no panels"),
    row("datasource-deleted", dashboards(), {"prometheus": http(404, {"message": "Data source not found"})}, FAIL,
        "datasource prometheus used by the panels does not exist"),
    row("datasource-failing", dashboards(), {"prometheus": http(400, DS_ERROR)}, FAIL,
        "datasource prometheus is unhealthy: Get \"http://127.0.0.1:18090/api/v1/query?query=1%2B1\": dial tcp"),
    row("datasource-health-not-json", dashboards(), {"prometheus": http(502, None, "<html>")}, FAIL,
        "datasource prometheus is unhealthy: HTTP 502"),
    row("none-configured", {}, {}, FAIL, "expected dashboards (grafana.dashboards), found 0 configured"),
    row("panels-name-no-datasource", dashboards(), {}, FAIL, "the dashboards' panels name no datasource"),
])
def test_dashboards_ok(boards, health, expected, fragments):
    verdict(mon.dashboards_ok(boards, health, GRAFANA), expected, fragments)


# --- daemonset_ready -------------------------------------------------------------------------

DAEMONSET = load("monitoring", "daemonset")


@pytest.mark.parametrize("ds, expected, fragments", [
    row("ready", derive(DAEMONSET), PASS, "DaemonSet fluent-bit is ready on all 3 nodes"),
    row("absent", None, FAIL, "DaemonSet fluent-bit does not exist: no logs are being shipped"),
    row("one-pod-not-ready", derive(DAEMONSET, {"status.numberReady": 2, "status.numberAvailable": 2,
                                                "status.numberUnavailable": 1}), FAIL,
        "DaemonSet fluent-bit 2 of 3 ready; 2 of 3 available: logs from some nodes are not collected"),
    row("rolling-update", derive(DAEMONSET, {"status.updatedNumberScheduled": 1}), FAIL, "1 of 3 updated"),
    row("no-node-selected", derive(DAEMONSET, {"status": {"currentNumberScheduled": 0, "desiredNumberScheduled": 0,
                                                          "numberMisscheduled": 0, "numberReady": 0}}), FAIL,
        "DaemonSet fluent-bit schedules no pod"),
    row("no-status-yet", derive(DAEMONSET, {"status": {}}), FAIL, "DaemonSet fluent-bit schedules no pod"),
])
def test_daemonset_ready(ds, expected, fragments):
    verdict(mon.daemonset_ready(ds, "fluent-bit"), expected, fragments)


# --- alerts_acknowledged (Alertmanager /api/v2/alerts) ----------------------------------------

AM_ALERTS = load("monitoring", "alertmanager_alerts")  # one active critical, recorded during a fault run
SOURCE = f"Alertmanager {AM}"


@pytest.mark.parametrize("alerts, expected, fragments", [
    row("active", derive(AM_ALERTS), FAIL,
        f"1 alert(s) firing in {SOURCE} with nobody responding (not silenced): NBAMCPDatabaseConnectionFailures"),
    row("silenced", derive(AM_ALERTS, {"0.status": {"state": "suppressed", "inhibitedBy": [],
                                                    "silencedBy": ["6f0e2b1a-59c4-4d7e-9a1f-3c8b2d4e5f60"]}}), PASS,
        f"no unacknowledged alert in {SOURCE} (1 silenced, 0 inhibited)"),
    row("inhibited", derive(AM_ALERTS, {"0.status": {"state": "suppressed", "silencedBy": [],
                                                     "inhibitedBy": ["5b7f3c2d1e0a9f48"]}}), PASS,
        "(0 silenced, 1 inhibited)"),
    row("none", [], PASS, f"no unacknowledged alert in {SOURCE} (0 silenced, 0 inhibited)"),
    row("not-a-list", {"code": 601, "message": "unexpected"}, FAIL,
        f"{SOURCE} answered /api/v2/alerts with dict, not a list of alerts"),
])
def test_alerts_acknowledged(alerts, expected, fragments):
    verdict(mon.alerts_acknowledged(alerts, SOURCE), expected, fragments)


# --- alerting_rules_loaded (Prometheus /api/v1/rules) and no_critical_alerts_routed (Alertmanager) -----

RULE = {"type": "alerting", "name": "NBAMCPServiceUnavailable", "labels": {"severity": "critical"}}
WARNING_RULE = {"type": "alerting", "name": "NBAMCPHighLatency", "labels": {"severity": "warning"}}


@pytest.mark.parametrize("groups, expected, fragments", [
    row("critical-rule", [{"rules": [RULE, WARNING_RULE, {"type": "recording"}]}], PASS,
        f"Prometheus {PROM} evaluates 2 alerting rules, 1 of severity critical"),
    row("no-groups", [], FAIL, f"Prometheus {PROM} evaluates no alerting rule: no firing alert proves nothing"),
    row("only-recording", [{"rules": [{"type": "recording"}]}], FAIL, "evaluates no alerting rule"),
    row("no-critical", [{"rules": [WARNING_RULE]}], FAIL, "1 alerting rules, none of severity critical"),
])
def test_alerting_rules_loaded(groups, expected, fragments):
    verdict(mon.alerting_rules_loaded(groups, f"Prometheus {PROM}"), expected, fragments)


AM = "Alertmanager http://127.0.0.1:18093"


def am_alert(name, severity, state="active", **labels):
    return {"labels": {"alertname": name, "severity": severity, **labels}, "status": {"state": state},
            "startsAt": "2026-12-01T09:00:00Z", "generatorURL": "http://grafana/alerting"}


@pytest.mark.parametrize("alerts, expected, fragments", [
    row("from-grafana", [am_alert("GrafanaDatabaseLatencyCritical", "critical")], FAIL,
        f"1 critical alert(s) active in {AM}: GrafanaDatabaseLatencyCritical"),
    row("warning-only", [am_alert("NBAMCPHighLatency", "warning")], PASS,
        f"no critical alert active in {AM} (1 active of lower severity)"),
    row("suppressed", [am_alert("X", "critical", state="suppressed")], PASS, "no critical alert active"),
    row("golive-test-alert", [am_alert("GoliveTestAlert", "critical", golive_run="r1")], PASS, "0 active"),
    row("none", [], PASS, "no critical alert active"),
    row("not-a-list", {"error": "x"}, UNDECIDED, "answered /api/v2/alerts with dict, not a list of alerts"),
])
def test_no_critical_alerts_routed(alerts, expected, fragments):
    verdict(mon.no_critical_alerts_routed(alerts, AM), expected, fragments)


# --- values_admin_password (Helm values, before the deploy) ----------------------------------------

# kube-prometheus-stack values as the target keeps them, wired right (tests/data/helm/healthy).
HELM = yaml.safe_load((Path(__file__).resolve().parents[1] / "data" / "helm" / "healthy" / "prometheus-values.yaml")
                      .read_text())
WEAK = ["admin:admin", "admin:prom-operator"]  # golive.toml grafana.weak_logins
WHERE = "k8s/values.yaml"


@pytest.mark.parametrize("change, key, chart_default, expected, fragments", [
    row("from-a-secret", {}, "grafana", "prom-operator", PASS,
        "Helm values k8s/values.yaml: Grafana's admin password comes from Secret grafana-admin"),
    row("strong-password", {"admin": DROP, "adminPassword": "c0rrect-h0rse"}, "grafana", "prom-operator", PASS,
        "grafana.adminPassword is set and is none of the well-known defaults (the value is not shown)"),
    row("unset-random-chart", {"admin": DROP}, "", None, PASS, "no adminPassword, so the chart generates a random one"),
    row("unset-chart-default", {"admin.existingSecret": ""}, "grafana", "prom-operator", FAIL,
        "set neither grafana.adminPassword nor grafana.admin.existingSecret, so the chart's well-known default "
        "password applies: anyone can log in as admin"),
    row("chart-default-written", {"admin": DROP, "adminPassword": "prom-operator"}, "grafana", None, FAIL,
        "set grafana.adminPassword to a well-known default"),
    row("grafana-default-other-user", {"admin": "none", "adminUser": "root", "adminPassword": "admin"}, "", None, FAIL,
        "set adminPassword to a well-known default (grafana.weak_logins or the chart's own): anyone can log in as root"),
    row("chart-default-not-in-list", {"admin": DROP, "adminPassword": "s3cr3t"}, "grafana", "s3cr3t", FAIL,
        "to a well-known default"),
])
def test_values_admin_password(change, key, chart_default, expected, fragments):
    finding = mon.values_admin_password(derive(HELM["grafana"], change), key, WEAK, chart_default, WHERE)
    verdict(finding, expected, fragments)
    for shown in (change.get("adminPassword"), chart_default):  # the password in use is never in the report
        assert not shown or f"'{shown}'" not in finding.summary + str(finding.observed)
    assert "c0rrect-h0rse" not in json.dumps(finding.as_evidence())  # a set password is never reported


@pytest.mark.parametrize("change, expected, fragments", [
    row("values-route-right", {}, PASS, "routes critical alerts to pagerduty-critical and the rest to slack-warnings"),
    row("values-wrong-channel", {"receivers[name=slack-warnings].slack_configs.0.channel": "#general"}, FAIL,
        "slack-warnings posts to #general, not #nba-mcp-synthesis-alerts"),
])
def test_alert_routing_in_helm_values(change, expected, fragments):
    config = derive(HELM["alertmanager"]["config"], change)
    verdict(mon.alert_routing(config, PAGING, "slack-warnings", CHANNEL, f"in the Helm values {WHERE}"), expected,
            fragments)


def test_no_weak_logins_to_try_cannot_pass():
    verdict(mon.weak_logins_rejected([], "http://grafana"), FAIL, "expected well-known logins to try")
