"""T+15 Minutes: Initial Validation / Monitoring Verification: dashboards, metrics, a test notification, logs."""
import uuid
from datetime import datetime, timezone

from golive.check import MONITORING, expect, runbook
from golive.probes import application as appl
from golive.probes import monitoring as mon
from golive.probes.performance import notification_alerts, notification_routes

from checks.t_zero.phase4.test_verify_monitoring import grafana_dashboards, key_metrics_fresh


@runbook("t+15m/monitoring-verification/check-grafana-dashboards", area="monitoring", impact=MONITORING)
def test_check_grafana_dashboards(grafana, cfg):
    """Check Grafana dashboards: Grafana healthy, each dashboard present, every panel datasource healthy."""
    expect(*grafana_dashboards(grafana, cfg))


@runbook("t+15m/monitoring-verification/verify-prometheus-metrics", area="monitoring", impact=MONITORING)
def test_verify_prometheus_metrics(prom, cfg):
    """Verify Prometheus metrics: every key metric of the live app present and fresh."""
    expect(key_metrics_fresh(prom, cfg))


@runbook("t+15m/monitoring-verification/test-alerting-notifications", area="monitoring", impact=MONITORING,
         mutating=True)
def test_alerting_notifications(alertmanager, cfg):
    """Test alerting notifications: a (non-paging) test alert is active in Alertmanager, routed to the chat receiver."""
    run_id, receivers = uuid.uuid4().hex[:12], {mon.CHAT_LABELS["severity"]: cfg.alertmanager.chat_receiver}
    alerts = notification_alerts(run_id, receivers)
    posted = alertmanager.request("POST", "/api/v2/alerts", json=alerts)
    # Alertmanager's own view decides (delivery at Slack cannot be seen from here), active alerts only:
    # a silenced or inhibited test alert notifies nobody.
    try:
        active = alertmanager.get_json("/api/v2/alerts", filter=f'golive_run="{run_id}"', silenced="false",
                                       inhibited="false")
        expect(appl.answers(posted, f"POST {alertmanager.base_url}/api/v2/alerts"),
               notification_routes(active, run_id, receivers, alertmanager.base_url))
    finally:  # resolve it: an alert posted again with endsAt now
        alertmanager.request("POST", "/api/v2/alerts",
                             json=notification_alerts(run_id, receivers, datetime.now(timezone.utc).isoformat()))


@runbook("t+15m/monitoring-verification/confirm-log-aggregation", area="monitoring", impact=MONITORING)
def test_confirm_log_aggregation(k8s, cfg):
    """Confirm log aggregation: the log agent DaemonSet runs ready on every node it should."""
    agent = cfg.kubernetes.log_agent
    expect(mon.daemonset_ready(k8s.get("daemonsets", agent.daemonset, agent.namespace), agent.daemonset))
