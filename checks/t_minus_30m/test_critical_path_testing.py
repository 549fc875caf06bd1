"""T-30 Minutes: Final Smoke Tests / Critical Path Testing (QA Lead, Application Engineer): quick and complete."""
from golive.check import MONITORING, expect, independently, runbook
from golive.probes import application as appl
from golive.probes import monitoring as mon


def key_metrics_present(prom, cfg):
    """Finding: every key metric has series for the app's job (optional ones may be absent)."""
    p = cfg.prometheus
    query = mon.metrics_query(p.app_job, p.key_metrics + p.optional_metrics)
    return mon.metrics_present(prom.query(query), query, p.app_job, p.key_metrics, p.optional_metrics)


@runbook("t-30m/critical-path-testing/test-application-startup", area="application")
def test_application_startup(k8s, app, cfg):
    """Test application startup: every pod Running and Ready on the expected image, none restarting; /ready 200."""
    kube = cfg.kubernetes
    pods = k8s.list_dated("pods", kube.app_namespace, kube.app_label)  # restarts aged to the list's arrival
    expect(appl.pods_started(pods.value, k8s.get("deployments", kube.deployment, kube.app_namespace), kube.container,
                             kube.expected_image, cfg.thresholds.restart_window_minutes, pods.at),
           appl.ready_endpoint(app.get("/ready"), f"{app.base_url}/ready"))


@runbook("t-30m/critical-path-testing/verify-database-connectivity", area="application")
def test_verify_database_connectivity(db, cfg):
    """Verify database connectivity: PostgreSQL answers the read query and has the expected tables."""
    d = cfg.database
    expect(appl.database_answers(db.query(d.read_query), d.read_query, db.tables(), d.expected_tables,
                                 db.source.where))


@runbook("t-30m/critical-path-testing/test-api-endpoints", area="application")
def test_api_endpoints(app, cfg):
    """Test API endpoints: each configured endpoint answers its expected status within its latency budget."""
    probes = independently(*(lambda e=e: app.request(e.method, e.path, timed=True) for e in cfg.app.endpoints))
    expect(appl.endpoints_ok(list(zip(cfg.app.endpoints, probes)), app.base_url))


@runbook("t-30m/critical-path-testing/confirm-monitoring-metrics", area="monitoring", impact=MONITORING)
def test_confirm_monitoring_metrics(prom, cfg):
    """Confirm monitoring metrics: every key metric has series for the app's job in Prometheus."""
    expect(key_metrics_present(prom, cfg))
