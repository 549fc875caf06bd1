"""T+1 Hour: Extended Monitoring / Performance Monitoring (On-call Engineer, DevOps Lead).

Each check judges the last `thresholds.performance_window_minutes` of Prometheus data and puts the
series it judged into the report as a chart.
"""
from golive.check import PERFORMANCE, expect, runbook, settle
from golive.probes import performance as perf
from golive.probes import wiring


def window_series(prom, cfg, promql: str, w: perf.Window) -> list[dict]:
    """The window's range series; a brand-new target gets until the settle deadline to fill it enough to judge."""
    settle(lambda fresh: perf.window_filled(prom.query_range(promql, w.minutes, w.step_param, fresh=fresh), w, promql),
           deadline_s=cfg.timeouts.settle_seconds, interval_s=cfg.timeouts.settle_interval_seconds)
    return prom.query_range(promql, w.minutes, w.step_param)


@runbook("t+1h/performance-monitoring/monitor-response-times", impact=PERFORMANCE, area="application")
def test_monitor_response_times(prom, cfg):
    """Monitor response times: p95 latency over the window within the warning threshold."""
    w, job = perf.monitoring_window(cfg), cfg.prometheus.app_job
    overall, recent = perf.p95_latency(job, w.seconds), perf.p95_latency(job, w.rate)
    series = window_series(prom, cfg, recent, w)
    expect(perf.response_times(prom.query(overall), series, w, cfg.thresholds.p95_latency_warn_ms, job, overall))


@runbook("t+1h/performance-monitoring/check-resource-utilization", impact=PERFORMANCE)
def test_check_resource_utilization(prom, k8s, cfg):
    """Check resource utilization: CPU and memory of the busiest pod against its container's limits."""
    w, job, kube, t = perf.monitoring_window(cfg), cfg.prometheus.app_job, cfg.kubernetes, cfg.thresholds
    deployment = k8s.get("deployments", kube.deployment, kube.app_namespace)
    cpu, memory = perf.busiest(perf.CPU, job), perf.busiest(perf.MEMORY, job)
    expect(perf.cpu_utilization(window_series(prom, cfg, cpu, w), deployment, kube.container, w,
                                t.cpu_warn_percent, t.cpu_critical_percent, job, cpu),
           perf.memory_utilization(window_series(prom, cfg, memory, w), deployment, kube.container, w,
                                   t.memory_percent, job, memory))


@runbook("t+1h/performance-monitoring/verify-auto-scaling", impact=PERFORMANCE)
def test_verify_auto_scaling(prom, k8s, cfg):
    """Verify auto-scaling: the HPA is able to scale and active on live metrics, scales within its range and is
    not pinned at its maximum, judged from kube-state-metrics' series in Prometheus over the window (required)
    and from the HPA's status."""
    w, kube = perf.monitoring_window(cfg), cfg.kubernetes
    replicas, state = perf.hpa_replicas(kube.app_namespace, kube.hpa), perf.hpa_state(kube.app_namespace, kube.hpa)
    hpa = k8s.get("horizontalpodautoscalers", kube.hpa, kube.app_namespace)
    series = window_series(prom, cfg, replicas, w)
    expect(wiring.hpa_active(hpa, k8s.get("apiservices", kube.metrics_apiservice), kube.hpa, kube.metrics_apiservice),
           perf.autoscaling(hpa, prom.query(state), series, kube.hpa, w, replicas, state))


@runbook("t+1h/performance-monitoring/monitor-error-rates", impact=PERFORMANCE, area="application")
def test_monitor_error_rates(prom, cfg):
    """Monitor error rates: the share of 5xx answers over the window under the target."""
    w, job, t = perf.monitoring_window(cfg), cfg.prometheus.app_job, cfg.thresholds
    overall, recent = perf.error_ratio(job, w.seconds), perf.error_ratio(job, w.rate)
    series = window_series(prom, cfg, recent, w)
    expect(perf.error_rates(prom.query(overall), series, w, t.error_rate_target, t.error_rate_critical, job, overall))
