"""T-0: Go-Live Deployment / Phase 4: Monitoring Setup / Verify Monitoring (DevOps Lead, Monitoring Engineer)."""
from golive.check import MONITORING, SECURITY, after_deploy, expect, independently, runbook
from golive.probes import kube as k
from golive.probes import monitoring as mon
from golive.probes import wiring


def named_object(k8s, kind: str, name: str, namespace: str | None):
    """(the object, where it was looked for): by name in `namespace`, or in any namespace when None."""
    found = k.named(k8s.list(kind, namespace), name)
    return (found[0] if found else None), (f"in namespace {namespace}" if namespace else "in any namespace")


def servicemonitor_wired(k8s, cfg):
    """Finding: the ServiceMonitor (found by name) selects the app's Service in its scope, on a port it names."""
    kube = cfg.kubernetes
    monitor, searched = named_object(k8s, "servicemonitors", kube.service_monitor, kube.service_monitor_namespace)
    return mon.servicemonitor_selects(monitor, k8s.get("services", kube.service, kube.app_namespace),
                                      kube.app_namespace, kube.service_monitor, searched)


def rule_groups_defined(k8s, cfg):
    """Finding: the PrometheusRule (found by name) defines every configured rule group."""
    kube = cfg.kubernetes
    rule, searched = named_object(k8s, "prometheusrules", kube.prometheus_rule, kube.prometheus_rule_namespace)
    return wiring.rule_groups_defined(rule, cfg.prometheus.rule_groups, kube.prometheus_rule, searched)


def grafana_dashboards(grafana, cfg):
    """Findings: Grafana healthy; each configured dashboard present, every datasource its panels use healthy."""
    boards = dict(zip(cfg.grafana.dashboards, independently(*(lambda uid=uid: grafana.get(f"/api/dashboards/uid/{uid}")
                                                               for uid in cfg.grafana.dashboards))))
    sources = mon.panel_datasources(boards)
    *healths, grafana_health = independently(*(lambda ds=ds: grafana.get(f"/api/datasources/uid/{ds}/health")
                                               for ds in sources), lambda: grafana.get("/api/health"))
    return mon.grafana_healthy(grafana_health, grafana.base_url), \
        mon.dashboards_ok(boards, dict(zip(sources, healths)), grafana.base_url)


def key_metrics_fresh(prom, cfg):
    """Finding: every key metric sampled, and the app's targets scraped, within a few scrape intervals."""
    p = cfg.prometheus
    max_age = p.fresh_within_scrapes * p.scrape_interval_seconds
    query = mon.samples_query(p.app_job, p.key_metrics, max_age)
    # Both answers may come from the session's cache, fetched earlier in the run: ages are measured to their arrival.
    samples, targets = prom.query_dated(query), prom.api_dated("targets")
    return mon.metrics_fresh(samples.value, query, targets.value["activeTargets"], p.app_job, p.key_metrics, max_age,
                             queried_at=samples.at, listed_at=targets.at)


@runbook("t-0/phase4/verify-monitoring/check-prometheus-targets", area="monitoring", impact=MONITORING,
         manifests=True)
def test_check_prometheus_targets(prom, k8s, cfg):
    """Check Prometheus targets: the ServiceMonitor wired to the Service; Prometheus ready, the app's targets up."""
    expect(servicemonitor_wired(k8s, cfg),
           after_deploy("Prometheus ready and the app's targets up", lambda: (
               mon.prometheus_serving(prom.get("/-/healthy"), prom.get("/-/ready"), prom.base_url),
               mon.targets_up(prom.api("targets")["activeTargets"], cfg.prometheus.app_job, prom.base_url))))


def weak_logins_refused(grafana, cfg):
    """Finding: Grafana refuses every well-known login (grafana.weak_logins)."""
    # Each at most once per lockout window from this machine (Grafana locks a user after 5 failures in 5
    # minutes); stop at the first accepted.
    attempts = []
    for login in cfg.grafana.weak_logins:
        user, _, password = login.partition(":")
        attempts.append((login, grafana.try_login(user, password)))
        if attempts[-1][1].status // 100 == 2:
            break
    return mon.weak_logins_rejected(attempts, grafana.base_url)


@runbook("t-0/phase4/verify-monitoring/verify-grafana-dashboards", area="monitoring", impact=SECURITY,
         manifests=True)
def test_verify_grafana_dashboards(grafana, helm_values, cfg):
    """Verify Grafana dashboards: dashboards present, their datasources healthy; every well-known login refused;
    given the monitoring stack's Helm values (--golive-helm-values), they set no well-known admin password."""
    g = cfg.grafana
    in_values = [mon.values_admin_password(helm_values.at(g.values_key) if g.values_key else helm_values.values(),
                                           g.values_key, g.weak_logins, g.chart_default_password, helm_values.where)
                 ] if helm_values is not None else []
    expect(*in_values, after_deploy("dashboards and datasources healthy, every well-known login refused", lambda: (
        *grafana_dashboards(grafana, cfg), weak_logins_refused(grafana, cfg))))


@runbook("t-0/phase4/verify-monitoring/test-alerting-rules", area="monitoring", impact=MONITORING, manifests=True)
def test_alerting_rules(prom, k8s, cfg):
    """Test alerting rules: the PrometheusRule defines the rule groups; they are loaded and healthy, with the alerts
    the PrometheusRule defines."""
    kube = cfg.kubernetes
    rule, _ = named_object(k8s, "prometheusrules", kube.prometheus_rule, kube.prometheus_rule_namespace)

    def loaded():
        groups = prom.api("rules")["groups"]
        return (mon.rules_loaded(groups, cfg.prometheus.rule_groups, prom.base_url),
                mon.rules_match_object(groups, rule, cfg.prometheus.rule_groups, kube.prometheus_rule))

    expect(rule_groups_defined(k8s, cfg), after_deploy("the rule groups loaded by Prometheus", loaded))


@runbook("t-0/phase4/verify-monitoring/confirm-metrics-collection", area="monitoring", impact=MONITORING)
def test_confirm_metrics_collection(prom, cfg):
    """Confirm metrics collection: every key metric's newest sample is a few scrape intervals old at most."""
    expect(key_metrics_fresh(prom, cfg))
