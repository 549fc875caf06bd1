"""T+1h / T+24h faults: slow answers, errors, memory pressure, a pinned HPA or its series unscraped, stale data,
a malformed MCP interface, alert rules and routes that drifted from golive's configuration.

Windowed faults wait until Prometheus shows their effect where the checks they break look (the
sandbox's short windows from golive.toml), judged here from the app's metrics, not by golive's
probes. After heal the windows remember the fault until it ages out: about 2 min for the T+1h
checks (`performance_window_minutes`), about 3 min for the T+24h ones (`review_window_hours`); a
critical alert (memory-over-limit, half-requests-fail, database-stopped) fails the incident review
for 3 min after it resolves.
"""
from __future__ import annotations

import asyncio
import math
import threading
import time

import psycopg
import requests
import yaml

from sandbox import stack
from sandbox.faults import Fault, register

T1 = "t+1h/performance-monitoring/"
UAT = "t+1h/user-acceptance-testing/"
ALERTS = "t+1h/alert-tuning/"
REVIEW = "t+24h/performance-analysis/"
INCIDENTS = "t+24h/incident-review/review-any-incidents"
GAME = "golive-fault-stale"  # game_id of the row the stale-data fault adds


# The stand-in app's instrumentation (sandbox/app.py): the metrics the windowed checks read.
LATENCY_BUCKETS = "http_request_duration_seconds_bucket"
REQUESTS = "http_requests_total"


def _p95_seconds(job: str, lookback: float) -> str:
    return f'histogram_quantile(0.95, sum by (le) (rate({LATENCY_BUCKETS}{{job="{job}"}}[{int(lookback)}s])))'


def _error_ratio(job: str, lookback: float) -> str:
    return (f'sum(rate({REQUESTS}{{job="{job}", status=~"5.."}}[{int(lookback)}s])) / '
            f'sum(rate({REQUESTS}{{job="{job}"}}[{int(lookback)}s]))')


def _windows(cfg) -> tuple[float, float, float]:
    """Seconds of the T+1h window, of the T+24h one, and of each sample's rate() (10 scrapes, like the checks')."""
    return (cfg.thresholds.performance_window_minutes * 60, cfg.thresholds.review_window_hours * 3600,
            math.ceil(10 * cfg.prometheus.scrape_interval_seconds))


def _now(sb, promql: str) -> float | None:
    result = sb.prometheus(promql)
    value = float(result[0]["value"][1]) if result else math.nan
    return value if math.isfinite(value) else None


def _samples(sb, promql: str, seconds: float) -> list[tuple[float, float]]:
    """(time, value) of a one-series query, about 60 samples over the last `seconds`; steps without data dropped."""
    end = time.time()
    r = requests.get(f"http://{sb.host}:{sb.ports['prometheus']}/api/v1/query_range",
                     params={"query": promql, "start": end - seconds, "end": end, "step": max(1, round(seconds / 60))},
                     timeout=5)
    r.raise_for_status()
    result = r.json()["data"]["result"]
    points = [(float(t), float(v)) for t, v in (result[0]["values"] if result else [])]
    return [(t, v) for t, v in points if math.isfinite(v)]


def _review_fails(points: list[tuple[float, float]], limit: float, t) -> bool:
    """What fails the T+24h review: too few samples within `limit` for its SLO, and its last third above `limit`
    and worse than its first third by more than the allowed loss (a fault from minutes ago shows as no trend)."""
    if not points:
        return False
    met_percent = 100 * sum(v <= limit for _, v in points) / len(points)
    start, end = points[0][0], points[-1][0]
    third = (end - start) / 3
    first = [v for at, v in points if at <= start + third]
    last = [v for at, v in points if at >= end - third]
    before, after = sum(first) / len(first), sum(last) / len(last)
    worse = after > limit and after > before * (1 + t.performance_loss_rollback_percent / 100)
    return met_percent < t.slo_compliance_percent and worse


def _slow_everywhere(sb) -> bool:
    """Slow answers show in both windows: p95 over the T+1h one above the warning line, and the T+24h review failing."""
    cfg, t = sb.config, sb.config.thresholds
    job, (t1h, t24h, lookback) = cfg.prometheus.app_job, _windows(cfg)
    overall = _now(sb, _p95_seconds(job, t1h))
    return (overall is not None and overall * 1000 > t.p95_latency_warn_ms
            and _review_fails([(at, v * 1000) for at, v in _samples(sb, _p95_seconds(job, lookback), t24h)],
                              t.p95_latency_rollback_ms, t))


def _errors_everywhere(sb) -> bool:
    """Errors show in both windows: the T+1h window's 5xx ratio over the critical line, and the T+24h review failing."""
    cfg, t = sb.config, sb.config.thresholds
    job, (t1h, t24h, lookback) = cfg.prometheus.app_job, _windows(cfg)
    overall = _now(sb, _error_ratio(job, t1h))
    return (overall is not None and overall > t.error_rate_critical
            and _review_fails(_samples(sb, _error_ratio(job, lookback), t24h), t.error_rate_target, t))


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
    # 2 GiB on top of the app's own memory: over its 2Gi limit; the memory alert (critical) fires.
    from sandbox.faults.monitoring import firing

    alert = sb.names.memory_alert
    sb.app_faults(memory_pressure_bytes=2 * 2**30)
    sb.wait_for(lambda: sb.prometheus(firing(alert)), f"{alert} firing", timeout=40)


def _hpa_pinned(sb):
    kube = sb.config.kubernetes
    hpa = sb.kube.get("HorizontalPodAutoscaler", kube.hpa, kube.app_namespace)
    top = hpa["spec"]["maxReplicas"]
    conditions = [dict(c, status="True", reason="TooManyReplicas",
                       message="the desired replica count is more than the maximum replica count")
                  if c["type"] == "ScalingLimited" else c for c in hpa["status"]["conditions"]]
    sb.kube.patch("HorizontalPodAutoscaler", kube.hpa, kube.app_namespace, status=True,
                  body={"status": {"currentReplicas": top, "desiredReplicas": top, "conditions": conditions}})


KUBE_STATE_METRICS = "kube-state-metrics"  # the scrape job of sandbox/provisioning/prometheus/prometheus.yml


def _hpa_series(sb) -> list:
    kube = sb.config.kubernetes
    return sb.prometheus(f'kube_horizontalpodautoscaler_status_current_replicas{{namespace="{kube.app_namespace}", '
                         f'horizontalpodautoscaler="{kube.hpa}"}}')


def _unscrape_kube_state_metrics(sb):
    """Prometheus's kube-state-metrics job finds no target (as when its ServiceMonitor's selector stops matching).
    The job stays, without targets: a removed target's series are marked stale, a removed job's are not."""
    def edit(text: str) -> str:
        prometheus = yaml.safe_load(text)
        for job in prometheus["scrape_configs"]:
            if job.get("job_name") == KUBE_STATE_METRICS:
                job["static_configs"] = []
        return yaml.safe_dump(prometheus, sort_keys=False)
    sb.edit_config("prometheus", "prometheus.yml", edit)
    sb.wait_for(lambda: not _hpa_series(sb), "the HPA's kube-state-metrics series gone stale", timeout=20)


def _rescrape_kube_state_metrics(sb):
    sb.restore_config("prometheus")
    sb.wait_for(lambda: _hpa_series(sb), "the HPA's kube-state-metrics series scraped again", timeout=20)


def _mcp_call(sb, name: str, arguments: dict) -> None:
    """One tool call with the official MCP client, in whichever era the app speaks now."""
    from mcp import Client

    async def call():
        async with Client(f"http://{sb.host}:{sb.ports['app']}{sb.config.app.mcp_path}", cache=None) as client:
            result = await client.call_tool(name, arguments)
            assert not result.is_error, result.content

    asyncio.run(call())


def _database(sb):
    """The sandbox's database as its owner (golive's own login only reads)."""
    return psycopg.connect(host=sb.host, port=sb.ports["postgres"], user="postgres", dbname=sb.config.database.dbname,
                           autocommit=True)


def _stale_data(sb):
    # The app's answers freeze (a cache that never invalidates), then a game is added behind its back.
    cfg = sb.config
    sb.app_faults(stale_reads=True)
    _mcp_call(sb, cfg.app.mcp_sql_tool.name, {cfg.app.mcp_sql_tool.argument: cfg.database.read_query})
    with _database(sb) as conn:
        conn.execute("INSERT INTO games VALUES (%s, '2024-10-25', 1610612738, 1610612744, 101, 99)", (GAME,))


def _fresh_data(sb):
    sb.app_faults()
    with _database(sb) as conn:
        conn.execute("DELETE FROM games WHERE game_id = %s", (GAME,))


def _rules_loaded(sb, needle: str) -> bool:
    r = requests.get(f"http://{sb.host}:{sb.ports['prometheus']}/api/v1/rules", timeout=5).json()
    return any(needle in rule.get("query", "") for g in r["data"]["groups"] for rule in g["rules"])


def _error_threshold_drifts(sb):
    live = stack._live_config(stack.state_dir(), "prometheus")
    sb.edit_config("prometheus", sb.names.rule_file(live, sb.names.rule_group),
                   lambda text: text.replace("> 0.05", "> 0.25"))
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
    Fault("memory-over-limit", "the app's memory grows past its 2Gi limit; {memory_alert} (critical) fires",
          breaks=(T1 + "check-resource-utilization", INCIDENTS), expect="close to being OOM-killed",
          inject=_memory_pressure, heal=lambda sb: sb.app_faults()),
    Fault("hpa-pinned-at-max", "the HPA runs its maximum replicas and wants more (ScalingLimited=True)",
          breaks=(T1 + "verify-auto-scaling",), expect="pinned at its maximum",
          inject=_hpa_pinned,
          heal=lambda sb: sb.kube.restore("HorizontalPodAutoscaler", sb.config.kubernetes.hpa,
                                          sb.config.kubernetes.app_namespace)),
    # The SDK's server refuses to publish a tool without an object inputSchema; a missing description it allows.
    Fault("kube-state-metrics-unscraped", "Prometheus's kube-state-metrics job finds no target (the HPA's series stop)",
          breaks=(T1 + "verify-auto-scaling",), expect="no kube-state-metrics series",
          inject=_unscrape_kube_state_metrics, heal=_rescrape_kube_state_metrics),
    Fault("tool-without-description", "tools/list publishes a tool without its description",
          breaks=(UAT + "verify-user-interfaces",), expect="has no description",
          inject=lambda sb: sb.app_faults(tool_description_missing=True), heal=lambda sb: sb.app_faults()),
    Fault("mcp-resources-broken", "resources/list answers JSON-RPC error -32603 (the prompts and tools still work)",
          breaks=(UAT + "verify-user-interfaces",), expect="resources/list did not answer",
          inject=lambda sb: sb.app_faults(resources_broken=True), heal=lambda sb: sb.app_faults()),
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
