"""T-0: Go-Live Deployment / Phase 4: Monitoring Setup / Verify Monitoring (DevOps Lead, Monitoring Engineer)."""
from golive.check import MONITORING, SECURITY, expect, runbook
from golive.probes import monitoring as mon


def grafana_dashboards(grafana, cfg):
    """Findings: Grafana healthy; each configured dashboard present, every datasource its panels use healthy."""
    boards = {uid: grafana.get(f"/api/dashboards/uid/{uid}") for uid in cfg.grafana.dashboards}
    health = {ds: grafana.get(f"/api/datasources/uid/{ds}/health") for ds in mon.panel_datasources(boards)}
    return mon.grafana_healthy(grafana.get("/api/health"), grafana.base_url), \
        mon.dashboards_ok(boards, health, grafana.base_url)


def key_metrics_fresh(prom, cfg):
    """Finding: every key metric sampled, and the app's targets scraped, within a few scrape intervals."""
    p = cfg.prometheus
    max_age = p.fresh_within_scrapes * p.scrape_interval_seconds
    query = mon.samples_query(p.app_job, p.key_metrics, max_age)
    # Both answers may come from the session's cache, fetched earlier in the run: ages are measured to their arrival.
    samples, targets = prom.query_dated(query), prom.api_dated("targets")
    return mon.metrics_fresh(samples.value, query, targets.value["activeTargets"], p.app_job, p.key_metrics, max_age,
                             queried_at=samples.at, listed_at=targets.at)


@runbook("t-0/phase4/verify-monitoring/check-prometheus-targets", area="monitoring", impact=MONITORING)
def test_check_prometheus_targets(prom, k8s, cfg):
    """Check Prometheus targets: Prometheus ready, the app's targets up, the ServiceMonitor wired to the Service."""
    kube = cfg.kubernetes
    expect(mon.prometheus_serving(prom.get("/-/healthy"), prom.get("/-/ready"), prom.base_url),
           mon.targets_up(prom.api("targets")["activeTargets"], cfg.prometheus.app_job, prom.base_url),
           mon.servicemonitor_selects(k8s.get("servicemonitors", kube.service_monitor, kube.monitoring_namespace),
                                      k8s.get("services", kube.service, kube.app_namespace), kube.app_namespace,
                                      kube.service_monitor))


@runbook("t-0/phase4/verify-monitoring/verify-grafana-dashboards", area="monitoring", impact=SECURITY)
def test_verify_grafana_dashboards(grafana, cfg):
    """Verify Grafana dashboards: dashboards present, their datasources healthy; the default admin login refused."""
    login = grafana.request("GET", "/api/user", auth=mon.GRAFANA_DEFAULT_LOGIN)  # one attempt, no lockout risk
    expect(*grafana_dashboards(grafana, cfg), mon.default_login_rejected(login, grafana.base_url))


@runbook("t-0/phase4/verify-monitoring/test-alerting-rules", area="monitoring", impact=MONITORING)
def test_alerting_rules(prom, k8s, cfg):
    """Test alerting rules: the rule groups are loaded and healthy, with the alerts the PrometheusRule defines."""
    kube, groups = cfg.kubernetes, prom.api("rules")["groups"]
    expect(mon.rules_loaded(groups, cfg.prometheus.rule_groups, prom.base_url),
           mon.rules_match_object(groups, k8s.get("prometheusrules", kube.prometheus_rule, kube.monitoring_namespace),
                                  cfg.prometheus.rule_groups, kube.prometheus_rule))


@runbook("t-0/phase4/verify-monitoring/confirm-metrics-collection", area="monitoring", impact=MONITORING)
def test_confirm_metrics_collection(prom, cfg):
    """Confirm metrics collection: every key metric's newest sample is a few scrape intervals old at most."""
    expect(key_metrics_fresh(prom, cfg))
