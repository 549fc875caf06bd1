"""Monitoring faults: scrape targets, alerts, rules, dashboards, receivers."""
from __future__ import annotations

import json

import requests
import yaml

from sandbox import stack
from sandbox.control import GRAFANA_ADMIN
from sandbox.faults import Fault, register

SERVICE_DOWN = 'ALERTS{alertname="NBAMCPServiceUnavailable",alertstate="firing"}'


def _critical_alert(sb):
    # The app's /metrics fails, Prometheus sees up == 0 and NBAMCPServiceUnavailable (critical) fires.
    sb.app_faults(metrics_down=True)
    sb.wait_for(lambda: sb.prometheus(SERVICE_DOWN), "NBAMCPServiceUnavailable firing", timeout=40)


def _clear_critical_alert(sb):
    sb.app_faults()
    sb.wait_for(lambda: not sb.prometheus(SERVICE_DOWN), "NBAMCPServiceUnavailable resolved", timeout=40)


register(
    Fault("critical-alert-firing", "the app's metrics endpoint fails: NBAMCPServiceUnavailable (critical) fires",
          breaks=("t-2h/success-criteria/no-critical-alerts", "t-2h/communication/ready-to-proceed-with-deployment"),
          expect="NBAMCPServiceUnavailable",
          inject=_critical_alert, heal=_clear_critical_alert),
)


MON_NS = "monitoring"
APP_NS = "nba-mcp-synthesis"  # where the ServiceMonitor lives, as the target's does
JOB = "nba-mcp-synthesis"
SERVICE_MONITOR = "nba-mcp-synthesis-metrics"
PROMETHEUS_RULE = "nba-mcp-synthesis-alerts"
RULE_FILE = "rules/nba-mcp-synthesis.rules.yml"
RULE_GROUP = "nba-mcp-synthesis.rules"
CHAT_RECEIVER, PAGING_RECEIVER = "slack-notifications", "pagerduty-critical"
DASHBOARD = "nba-mcp-overview"
GRAFANA = stack.PROVISIONING / "grafana"
T24 = "t-24h/application-validation/test-monitoring-and-alerting"
STAGE = "t-1h/staging-validation/"
SMOKE_METRICS = "t-30m/critical-path-testing/confirm-monitoring-metrics"
P4 = "t-0/phase4/verify-monitoring/"
T15 = "t+15m/monitoring-verification/"
# Scraped successfully in the last 2 s (a dropped job's last `up` lingers, unrefreshed, in instant queries).
TARGET_UP = f'max_over_time(up{{job="{JOB}"}}[2s]) == 1'


def _scrape_fails(sb):
    sb.app_faults(metrics_down=True)
    sb.wait_for(lambda: sb.prometheus(f'up{{job="{JOB}"}} == 0'), f"job {JOB} down in Prometheus", timeout=20)


def _scraped_again(sb):
    """The target is up again and its outage alert (critical) resolved."""
    sb.wait_for(lambda: sb.prometheus(TARGET_UP) and not sb.prometheus(SERVICE_DOWN), f"job {JOB} up again",
                timeout=20)


def _scrape_succeeds(sb):
    sb.app_faults()
    _scraped_again(sb)


def _drop_app_job(text: str) -> str:
    config = yaml.safe_load(text)
    config["scrape_configs"] = [job for job in config["scrape_configs"] if job["job_name"] != JOB]
    return yaml.safe_dump(config, sort_keys=False)


def _collection_stopped(sb):
    sb.edit_config("prometheus", "prometheus.yml", _drop_app_job)
    # A dropped job's series get no stale marker: they linger, unrefreshed, until they leave the lookback window.
    # Wait past the freshness window the checks judge.
    prom = sb.config.prometheus
    window = prom.scrape_interval_seconds * prom.fresh_within_scrapes
    sb.wait_for(lambda: not sb.prometheus(f'up{{job="{JOB}"}}[{window:g}s]'), f"job {JOB} no longer scraped",
                timeout=window + 20)


def _collection_restored(sb):
    _rules_restored(sb)
    _scraped_again(sb)


def _without_chat_receiver(text: str) -> str:
    config = yaml.safe_load(text)
    config["route"]["receiver"] = PAGING_RECEIVER
    config["receivers"] = [r for r in config["receivers"] if r["name"] != CHAT_RECEIVER]
    return yaml.safe_dump(config, sort_keys=False)


def _restore_dashboard(sb):
    model = json.loads((GRAFANA / "dashboards" / f"{DASHBOARD}.json").read_text())
    sb.grafana("POST", "/api/dashboards/db", json={"dashboard": model, "folderUid": "nba-mcp-synthesis",
                                                    "overwrite": True}).raise_for_status()


def _datasource_url(url: str | None = None):
    def apply(sb):
        source = yaml.safe_load((GRAFANA / "datasources" / "prometheus.yaml").read_text())["datasources"][0]
        sb.grafana("PUT", f"/api/datasources/uid/{source['uid']}",
                   json={"url": url or source["url"]}).raise_for_status()
    return apply


def _admin_password(password: str):
    return lambda sb: sb.grafana("PUT", "/_sandbox/admin-password", json={"password": password}).raise_for_status()


def _rules_restored(sb):
    sb.restore_config("prometheus")
    # Reloaded rules report health "unknown" until their first evaluation.
    sb.wait_for(lambda: _rule_health(sb) == {"ok"}, "the app's rules loaded and evaluated", timeout=20)


def _rule_health(sb) -> set[str]:
    groups = requests.get(f"http://{sb.host}:{sb.ports['prometheus']}/api/v1/rules", timeout=5).json()["data"]["groups"]
    return {r.get("health") for g in groups if g["name"] == RULE_GROUP for r in g["rules"]}


def _rule_renamed(sb):
    rule = sb.kube.get("PrometheusRule", PROMETHEUS_RULE, MON_NS)
    groups = rule["spec"]["groups"]
    groups[0]["rules"][0]["alert"] += "V2"  # an edit applied to the object that Prometheus never loaded
    sb.kube.patch("PrometheusRule", PROMETHEUS_RULE, MON_NS, body={"spec": {"groups": groups}})


def _log_agent_unready(sb):
    sb.kube.patch("DaemonSet", "fluent-bit", "logging", status=True,
                  body={"status": {"numberReady": 2, "numberAvailable": 2, "numberUnavailable": 1}})


register(
    Fault("scrape-target-down", f"the app's /metrics answers 503: Prometheus marks job {JOB} down",
          breaks=(P4 + "check-prometheus-targets", STAGE + "confirm-monitoring-working", T24, SMOKE_METRICS,
                  P4 + "confirm-metrics-collection", T15 + "verify-prometheus-metrics"),
          expect="is down: server returned HTTP status 503",
          inject=_scrape_fails, heal=_scrape_succeeds),
    Fault("metrics-collection-stopped", f"Prometheus's scrape job {JOB} is dropped: the app's metrics go stale",
          breaks=(P4 + "confirm-metrics-collection", T15 + "verify-prometheus-metrics",
                  P4 + "check-prometheus-targets"),
          expect=f"metrics of job {JOB} are stale",
          inject=_collection_stopped, heal=_collection_restored),
    Fault("servicemonitor-wrong-labels", f"ServiceMonitor {SERVICE_MONITOR} selects app=nba-mcp-synthesis-metrics",
          breaks=(P4 + "check-prometheus-targets",), expect="does not select Service",
          inject=lambda sb: sb.kube.patch("ServiceMonitor", SERVICE_MONITOR, APP_NS, body={
              "spec": {"selector": {"matchLabels": {"app": "nba-mcp-synthesis-metrics"}}}}),
          heal=lambda sb: sb.kube.restore("ServiceMonitor", SERVICE_MONITOR, APP_NS)),
    Fault("rule-group-missing", "Prometheus loads an empty rule file: the app's alert group is gone",
          breaks=(P4 + "test-alerting-rules", STAGE + "validate-alerting", T24,
                  "t-2h/success-criteria/no-critical-alerts"), expect="is not loaded",
          inject=lambda sb: sb.edit_config("prometheus", RULE_FILE, lambda text: "groups: []\n"),
          heal=_rules_restored),
    Fault("prometheus-rule-drift", f"PrometheusRule {PROMETHEUS_RULE} renames an alert Prometheus never reloaded",
          breaks=(P4 + "test-alerting-rules",), expect="defined but not loaded",
          inject=_rule_renamed, heal=lambda sb: sb.kube.restore("PrometheusRule", PROMETHEUS_RULE, MON_NS)),
    Fault("dashboard-deleted", f"Grafana dashboard {DASHBOARD} deleted",
          breaks=(P4 + "verify-grafana-dashboards", T15 + "check-grafana-dashboards"),
          expect=f"dashboard {DASHBOARD} not found",
          inject=lambda sb: sb.grafana("DELETE", f"/api/dashboards/uid/{DASHBOARD}").raise_for_status(),
          heal=_restore_dashboard),
    Fault("datasource-broken", "Grafana's Prometheus datasource points at a closed port",
          breaks=(P4 + "verify-grafana-dashboards", T15 + "check-grafana-dashboards"),
          expect="datasource prometheus is unhealthy",
          inject=_datasource_url("http://127.0.0.1:9"), heal=_datasource_url()),
    Fault("grafana-default-admin", "Grafana's admin password is the default 'admin'",
          breaks=(P4 + "verify-grafana-dashboards",), expect="accepts Grafana's default admin login",
          inject=_admin_password("admin"), heal=_admin_password(GRAFANA_ADMIN[1])),
    Fault("grafana-chart-default-admin", "Grafana's admin password is kube-prometheus-stack's chart default 'prom-operator'",
          breaks=(P4 + "verify-grafana-dashboards",), expect="accepts admin with grafana.weak_logins[1]",
          inject=_admin_password("prom-operator"), heal=_admin_password(GRAFANA_ADMIN[1])),
    Fault("chat-receiver-missing", f"Alertmanager lost receiver {CHAT_RECEIVER}: every alert now pages",
          breaks=(STAGE + "validate-alerting", T24, T15 + "test-alerting-notifications"),
          expect=f"receiver {CHAT_RECEIVER} is missing",
          inject=lambda sb: sb.edit_config("alertmanager", "alertmanager.yml", _without_chat_receiver),
          heal=lambda sb: sb.restore_config("alertmanager")),
    Fault("log-agent-not-ready", "log agent DaemonSet fluent-bit has a pod not ready (2 of 3)",
          breaks=(T15 + "confirm-log-aggregation",), expect="2 of 3 ready",
          inject=_log_agent_unready, heal=lambda sb: sb.kube.restore("DaemonSet", "fluent-bit", "logging")),
)
