"""T+1h / T+24h faults: slow answers, errors, memory pressure, a pinned HPA, stale data, a malformed MCP
interface, alert rules and routes that drifted from golive's configuration.

Windowed faults wait until the probes of the checks they break fail on the data those checks query
(the sandbox's short windows from golive.toml). After heal the windows remember the fault until it
ages out: about 2 min for the T+1h checks (`performance_window_minutes`), about 3 min for the T+24h
ones (`review_window_hours`); a critical alert (memory-over-limit, half-requests-fail,
database-stopped) fails the incident review for 3 min after it resolves.
"""
from __future__ import annotations

import threading
import time

import psycopg
import requests
import yaml

from golive.probes import performance as perf
from sandbox import stack
from sandbox.faults import Fault, register

T1 = "t+1h/performance-monitoring/"
UAT = "t+1h/user-acceptance-testing/"
ALERTS = "t+1h/alert-tuning/"
REVIEW = "t+24h/performance-analysis/"
INCIDENTS = "t+24h/incident-review/review-any-incidents"
GAME = "golive-fault-stale"  # game_id of the row the stale-data fault adds


def _range(sb, promql: str, w: perf.Window) -> list[dict]:
    end = time.time()
    r = requests.get(f"http://{sb.host}:{sb.ports['prometheus']}/api/v1/query_range",
                     params={"query": promql, "start": end - w.seconds, "end": end, "step": w.step}, timeout=5)
    r.raise_for_status()
    return r.json()["data"]["result"]


def _all_fail(*findings) -> bool:
    return not any(f.ok for f in findings)


def _slow_everywhere(sb) -> bool:
    """Whether the checks slow-answers breaks fail now: the probes they call, on the data they query."""
    cfg = sb.config
    mon, rev = perf.monitoring_window(cfg), perf.review_window(cfg)
    job, t = cfg.prometheus.app_job, cfg.thresholds
    overall, recent, review = (perf.p95_latency(job, mon.seconds), perf.p95_latency(job, mon.rate),
                               perf.p95_latency(job, rev.rate))
    series = _range(sb, review, rev)
    return _all_fail(
        perf.response_times(sb.prometheus(overall), _range(sb, recent, mon), mon, t.p95_latency_warn_ms, job, overall),
        perf.latency_slo(series, rev, t.p95_latency_rollback_ms, t.slo_compliance_percent, job, review),
        perf.latency_trend(series, rev, t.p95_latency_rollback_ms, t.performance_loss_rollback_percent, job, review))


def _errors_everywhere(sb) -> bool:
    """Whether the checks half-requests-fail breaks fail now: the probes they call, on the data they query."""
    cfg = sb.config
    mon, rev = perf.monitoring_window(cfg), perf.review_window(cfg)
    job, t = cfg.prometheus.app_job, cfg.thresholds
    overall, recent, review = (perf.error_ratio(job, mon.seconds), perf.error_ratio(job, mon.rate),
                               perf.error_ratio(job, rev.rate))
    series = _range(sb, review, rev)
    return _all_fail(
        perf.error_rates(sb.prometheus(overall), _range(sb, recent, mon), mon, t.error_rate_target,
                         t.error_rate_critical, job, overall),
        perf.error_slo(series, rev, t.error_rate_target, t.slo_compliance_percent, job, review),
        perf.error_trend(series, rev, t.error_rate_target, t.performance_loss_rollback_percent, job, review))


def _burst(sb, requests_count: int = 60) -> None:
    """Many requests at once: under a latency fault, slow answers soon dominate the window's p95."""
    url = f"http://{sb.host}:{sb.ports['app']}/ready"
    threads = [threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 10})
               for _ in range(requests_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _until(sb, condition, what: str) -> None:
    try:
        sb.wait_for(condition, what, timeout=90, interval=1)
    except TimeoutError:
        sb.app_faults()  # a fault that never showed leaves the sandbox healthy for what runs next
        raise


def _slow_answers(sb):
    sb.app_faults(latency_ms=1500)

    def seen() -> bool:
        _burst(sb)
        return _slow_everywhere(sb)
    _until(sb, seen, "slow answers across the checks' windows")


def _errors(sb):
    sb.app_faults(error_rate=0.5)
    _until(sb, lambda: _errors_everywhere(sb), "errors across the checks' windows")


def _memory_pressure(sb):
    # 2 GiB on top of the app's own memory: over its 2Gi limit; NBAMCPHighMemoryUsage (critical) fires.
    sb.app_faults(memory_pressure_bytes=2 * 2**30)
    sb.wait_for(lambda: sb.prometheus('ALERTS{alertname="NBAMCPHighMemoryUsage",alertstate="firing"}'),
                "NBAMCPHighMemoryUsage firing", timeout=40)


def _hpa_pinned(sb):
    kube = sb.config.kubernetes
    hpa = sb.kube.get("HorizontalPodAutoscaler", kube.hpa, kube.app_namespace)
    top = hpa["spec"]["maxReplicas"]
    conditions = [dict(c, status="True", reason="TooManyReplicas",
                       message="the desired replica count is more than the maximum replica count")
                  if c["type"] == "ScalingLimited" else c for c in hpa["status"]["conditions"]]
    sb.kube.patch("HorizontalPodAutoscaler", kube.hpa, kube.app_namespace, status=True,
                  body={"status": {"currentReplicas": top, "desiredReplicas": top, "conditions": conditions}})


def _mcp_call(sb, name: str, arguments: dict) -> None:
    url = f"http://{sb.host}:{sb.ports['app']}{sb.config.app.mcp_path}"
    init = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}, timeout=5)
    requests.post(url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                             "params": {"name": name, "arguments": arguments}},
                  headers={"Mcp-Session-Id": init.headers["Mcp-Session-Id"]}, timeout=5).raise_for_status()


def _database():
    return psycopg.connect(host=stack.HOST, port=stack.PORTS["postgres"], user="postgres", dbname="nba_simulator",
                           autocommit=True)


def _stale_data(sb):
    # The app's answers freeze (a cache that never invalidates), then a game is added behind its back.
    cfg = sb.config
    sb.app_faults(stale_reads=True)
    _mcp_call(sb, cfg.app.mcp_sql_tool.name, {cfg.app.mcp_sql_tool.argument: cfg.database.read_query})
    with _database() as conn:
        conn.execute("INSERT INTO games VALUES (%s, '2024-10-25', 1610612738, 1610612744, 101, 99)", (GAME,))


def _fresh_data(sb):
    sb.app_faults()
    with _database() as conn:
        conn.execute("DELETE FROM games WHERE game_id = %s", (GAME,))


def _rules_loaded(sb, needle: str) -> bool:
    r = requests.get(f"http://{sb.host}:{sb.ports['prometheus']}/api/v1/rules", timeout=5).json()
    return any(needle in rule.get("query", "") for g in r["data"]["groups"] for rule in g["rules"])


def _error_threshold_drifts(sb):
    sb.edit_config("prometheus", "rules/nba-mcp-synthesis.rules.yml", lambda text: text.replace("> 0.05", "> 0.25"))
    sb.wait_for(lambda: _rules_loaded(sb, "> 0.25"), "the drifted error-rate rule loaded")


def _routes(change):
    def inject(sb):
        def edit(text: str) -> str:
            am = yaml.safe_load(text)
            change(am, sb.config.alertmanager.paging_receiver)
            return yaml.safe_dump(am, sort_keys=False)
        sb.edit_config("alertmanager", "alertmanager.yml", edit)
    return inject


def _drop_paging(am: dict, paging: str) -> None:
    am["route"]["routes"] = [r for r in am["route"].get("routes", []) if r.get("receiver") != paging]
    am["receivers"] = [r for r in am["receivers"] if r["name"] != paging]


def _slow_repeat(am: dict, paging: str) -> None:
    for route in am["route"].get("routes", []):
        if route.get("receiver") == paging:
            route["repeat_interval"] = "4h"


register(
    Fault("slow-answers", "every request waits 1.5 s: p95 latency far above the warning threshold",
          breaks=(T1 + "monitor-response-times", REVIEW + "review-24-hour-metrics",
                  REVIEW + "analyze-performance-trends"),
          expect="above the 500 ms warning threshold",
          inject=_slow_answers, heal=lambda sb: sb.app_faults()),
    Fault("half-requests-fail", "the app answers half its requests with HTTP 500",
          breaks=(T1 + "monitor-error-rates", REVIEW + "review-24-hour-metrics",
                  REVIEW + "analyze-performance-trends"),
          expect="critical line",
          inject=_errors, heal=lambda sb: sb.app_faults()),
    Fault("memory-over-limit", "the app's memory grows past its 2Gi limit; NBAMCPHighMemoryUsage (critical) fires",
          breaks=(T1 + "check-resource-utilization", INCIDENTS), expect="close to being OOM-killed",
          inject=_memory_pressure, heal=lambda sb: sb.app_faults()),
    Fault("hpa-pinned-at-max", "the HPA runs its maximum replicas and wants more (ScalingLimited=True)",
          breaks=(T1 + "verify-auto-scaling",), expect="pinned at its maximum",
          inject=_hpa_pinned,
          heal=lambda sb: sb.kube.restore("HorizontalPodAutoscaler", sb.config.kubernetes.hpa,
                                          sb.config.kubernetes.app_namespace)),
    Fault("tool-without-input-schema", "tools/list publishes a tool without its inputSchema",
          breaks=(UAT + "verify-user-interfaces",), expect="has no inputSchema",
          inject=lambda sb: sb.app_faults(tool_schema_missing=True), heal=lambda sb: sb.app_faults()),
    Fault("stale-app-data", "the app serves frozen answers while a game is added to the database",
          breaks=(UAT + "confirm-data-accuracy",), expect="data mismatch",
          inject=_stale_data, heal=_fresh_data),
    Fault("error-alert-threshold-drift", "the loaded error-rate rule fires at 25 % instead of golive's 5 %",
          breaks=(ALERTS + "adjust-alert-thresholds",), expect="error_rate_critical is 0.05",
          inject=_error_threshold_drifts, heal=lambda sb: sb.restore_config("prometheus")),
    Fault("paging-receiver-removed", "Alertmanager's critical route and PagerDuty receiver are gone",
          breaks=(ALERTS + "verify-escalation-procedures", ALERTS + "confirm-on-call-rotation",
                  ALERTS + "test-notification-channels"),
          expect="not the paging receiver",
          inject=_routes(_drop_paging), heal=lambda sb: sb.restore_config("alertmanager")),
    Fault("page-repeat-too-slow", "critical pages repeat every 4h, past the 15 min P1 escalation",
          breaks=(ALERTS + "verify-escalation-procedures",), expect="longer than the 15 min P1 escalation",
          inject=_routes(_slow_repeat), heal=lambda sb: sb.restore_config("alertmanager")),
)
