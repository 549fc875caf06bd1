"""T+24 Hours: Post-Launch Review / Performance Analysis, over `thresholds.review_window_hours` of Prometheus data."""
from golive.check import ATTESTED, MINOR, PERFORMANCE, expect, runbook
from golive.probes import performance as perf

from checks.t_plus_1h.test_performance_monitoring import window_series


@runbook("t+24h/performance-analysis/review-24-hour-metrics", impact=PERFORMANCE, area="application")
def test_review_24_hour_metrics(prom, cfg):
    """Review 24-hour metrics: p95 latency and error ratio met their SLO for the required share of the window."""
    w, job, t = perf.review_window(cfg), cfg.prometheus.app_job, cfg.thresholds
    latency, errors = perf.p95_latency(job, w.rate), perf.error_ratio(job, w.rate)
    expect(perf.latency_slo(window_series(prom, cfg, latency, w), w, t.p95_latency_rollback_ms,
                            t.slo_compliance_percent, job, latency),
           perf.error_slo(window_series(prom, cfg, errors, w), w, t.error_rate_target, t.slo_compliance_percent,
                          job, errors))


@runbook("t+24h/performance-analysis/analyze-performance-trends", impact=PERFORMANCE, area="application")
def test_analyze_performance_trends(prom, cfg):
    """Analyze performance trends: no performance loss from the first to the last third of the window."""
    w, job, t = perf.review_window(cfg), cfg.prometheus.app_job, cfg.thresholds
    latency, errors = perf.p95_latency(job, w.rate), perf.error_ratio(job, w.rate)
    expect(perf.latency_trend(window_series(prom, cfg, latency, w), w, t.p95_latency_rollback_ms,
                              t.performance_loss_rollback_percent, job, latency),
           perf.error_trend(window_series(prom, cfg, errors, w), w, t.error_rate_target,
                            t.performance_loss_rollback_percent, job, errors))


@runbook("t+24h/performance-analysis/identify-optimization-opportunities", kind=ATTESTED, area="manual",
         role="Technical Lead", impact=MINOR)
def test_identify_optimization_opportunities(attestation):
    """Identify optimization opportunities."""
    attestation.confirm()


@runbook("t+24h/performance-analysis/document-lessons-learned", kind=ATTESTED, area="manual",
         role="Deployment Lead", impact=MINOR)
def test_document_lessons_learned(attestation):
    """Document lessons learned."""
    attestation.confirm()
