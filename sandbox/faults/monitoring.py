"""Monitoring faults: scrape targets, alerts, rules, dashboards, receivers."""
from __future__ import annotations

import json
from pathlib import Path

import requests
import yaml

from sandbox import stack
from sandbox.control import GRAFANA_ADMIN
from sandbox.faults import Fault, register


def firing(alert: str) -> str:
    return f'ALERTS{{alertname="{alert}",alertstate="firing"}}'


def _critical_alert(sb):
    # The app's /metrics fails, Prometheus sees up == 0 and its outage alert (critical) fires.
    alert = sb.names.service_down_alert
    sb.app_faults(metrics_down=True)
    sb.wait_for(lambda: sb.prometheus(firing(alert)), f"{alert} firing", timeout=40)


def _clear_critical_alert(sb):
    alert = sb.names.service_down_alert
    sb.app_faults()
    sb.wait_for(lambda: not sb.prometheus(firing(alert)), f"{alert} resolved", timeout=40)


register(
    Fault("critical-alert-firing", "the app's metrics endpoint fails: {service_down_alert} (critical) fires",
          breaks=("t-2h/success-criteria/no-critical-alerts", "t-2h/communication/ready-to-proceed-with-deployment"),
          expect="{service_down_alert}",
          inject=_critical_alert, heal=_clear_critical_alert),
)




def _grafana() -> Path:
    """Grafana's provisioning as the running stand-in has it: rendered for the environment (sandbox/render.py)."""
    return stack._live_config(stack.state_dir(), "grafana")
T24 = "t-24h/application-validation/test-monitoring-and-alerting"
STAGE = "t-1h/staging-validation/"
SMOKE_METRICS = "t-30m/critical-path-testing/confirm-monitoring-metrics"
P4 = "t-0/phase4/verify-monitoring/"
T15 = "t+15m/monitoring-verification/"


def _job(sb) -> str:
    return sb.config.prometheus.app_job


def _scrape_fails(sb):
    sb.app_faults(metrics_down=True)
    sb.wait_for(lambda: sb.prometheus(f'up{{job="{_job(sb)}"}} == 0'), f"job {_job(sb)} down in Prometheus",
                timeout=20)


def _scraped_again(sb):
    """The target is up again and its outage alert (critical) resolved."""
    # Scraped successfully in the last 2 s (a dropped job's last `up` lingers, unrefreshed, in instant queries).
    target_up = f'max_over_time(up{{job="{_job(sb)}"}}[2s]) == 1'
    sb.wait_for(lambda: sb.prometheus(target_up) and not sb.prometheus(firing(sb.names.service_down_alert)),
                f"job {_job(sb)} up again", timeout=20)


def _scrape_succeeds(sb):
    sb.app_faults()
    _scraped_again(sb)


def _drop_app_job(sb):
    def edit(text: str) -> str:
        config = yaml.safe_load(text)
        config["scrape_configs"] = [job for job in config["scrape_configs"] if job["job_name"] != _job(sb)]
        return yaml.safe_dump(config, sort_keys=False)
    return edit


def _collection_stopped(sb):
    sb.edit_config("prometheus", "prometheus.yml", _drop_app_job(sb))
    # A dropped job's series get no stale marker: they linger, unrefreshed, until they leave the lookback window.
    # Wait past the freshness window the checks judge.
    prom = sb.config.prometheus
    window = prom.scrape_interval_seconds * prom.fresh_within_scrapes
    sb.wait_for(lambda: not sb.prometheus(f'up{{job="{_job(sb)}"}}[{window:g}s]'), f"job {_job(sb)} no longer scraped",
                timeout=window + 20)


def _collection_restored(sb):
    _rules_restored(sb)
    _scraped_again(sb)


def _without_chat_receiver(sb):
    def edit(text: str) -> str:
        config, receivers = yaml.safe_load(text), sb.config.alertmanager
        config["route"]["receiver"] = receivers.paging_receiver
        config["receivers"] = [r for r in config["receivers"] if r["name"] != receivers.chat_receiver]
        return yaml.safe_dump(config, sort_keys=False)
    sb.edit_config("alertmanager", "alertmanager.yml", edit)


def _restore_dashboard(sb):
    models = (json.loads(path.read_text()) for path in sorted((_grafana() / "dashboards").glob("*.json")))
    model = next(m for m in models if m.get("uid") == sb.names.dashboard)
    sb.grafana("POST", "/api/dashboards/db", json={"dashboard": model, "folderUid": sb.names.dashboard_folder,
                                                    "overwrite": True}).raise_for_status()


def _datasource_url(url: str | None = None):
    def apply(sb):
        source = yaml.safe_load((_grafana() / "datasources" / "prometheus.yaml").read_text())["datasources"][0]
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
    return {r.get("health") for g in groups if g["name"] == sb.names.rule_group for r in g["rules"]}


def _empty_rule_file(sb):
    live = stack._live_config(stack.state_dir(), "prometheus")
    sb.edit_config("prometheus", sb.names.rule_file(live, sb.names.rule_group), lambda text: "groups: []\n")


def _prometheus_rule(sb) -> tuple[str, str, str]:
    """The app's PrometheusRule, where the sandbox keeps it (the monitoring namespace, as kube-prometheus-stack does)."""
    return "PrometheusRule", sb.config.kubernetes.prometheus_rule, sb.config.kubernetes.monitoring_namespace


def _rule_renamed(sb):
    groups = sb.kube.get(*_prometheus_rule(sb))["spec"]["groups"]
    groups[0]["rules"][0]["alert"] += "V2"  # an edit applied to the object that Prometheus never loaded
    sb.kube.patch(*_prometheus_rule(sb), body={"spec": {"groups": groups}})


def _service_monitor(sb) -> tuple[str, str, str]:
    """The app's ServiceMonitor, in the app namespace as the target's is."""
    return "ServiceMonitor", sb.config.kubernetes.service_monitor, sb.config.kubernetes.app_namespace


def _monitor_wrong_labels(sb):
    key, value = sb.names.app_label
    sb.kube.patch(*_service_monitor(sb), body={"spec": {"selector": {"matchLabels": {key: f"{value}-metrics"}}}})


def _log_agent(sb) -> tuple[str, str, str]:
    return "DaemonSet", sb.config.kubernetes.log_agent.daemonset, sb.config.kubernetes.log_agent.namespace


def _log_agent_unready(sb):
    sb.kube.patch(*_log_agent(sb), status=True,
                  body={"status": {"numberReady": 2, "numberAvailable": 2, "numberUnavailable": 1}})


register(
    Fault("scrape-target-down", "the app's /metrics answers 503: Prometheus marks job {prometheus.app_job} down",
          breaks=(P4 + "check-prometheus-targets", STAGE + "confirm-monitoring-working", T24, SMOKE_METRICS,
                  P4 + "confirm-metrics-collection", T15 + "verify-prometheus-metrics"),
          expect="is down: server returned HTTP status 503",
          inject=_scrape_fails, heal=_scrape_succeeds),
    Fault("metrics-collection-stopped",
          "Prometheus's scrape job {prometheus.app_job} is dropped: the app's metrics go stale",
          breaks=(P4 + "confirm-metrics-collection", T15 + "verify-prometheus-metrics",
                  P4 + "check-prometheus-targets"),
          expect="metrics of job {prometheus.app_job} are stale",
          inject=_collection_stopped, heal=_collection_restored),
    Fault("servicemonitor-wrong-labels",
          "ServiceMonitor {kubernetes.service_monitor} selects {kubernetes.app_label}-metrics",
          breaks=(P4 + "check-prometheus-targets",), expect="does not select Service",
          inject=_monitor_wrong_labels, heal=lambda sb: sb.kube.restore(*_service_monitor(sb))),
    Fault("rule-group-missing", "Prometheus loads an empty rule file: the app's alert group is gone",
          breaks=(P4 + "test-alerting-rules", STAGE + "validate-alerting", T24,
                  "t-2h/success-criteria/no-critical-alerts"), expect="is not loaded",
          inject=_empty_rule_file, heal=_rules_restored),
    Fault("prometheus-rule-drift",
          "PrometheusRule {kubernetes.prometheus_rule} renames an alert Prometheus never reloaded",
          breaks=(P4 + "test-alerting-rules",), expect="defined but not loaded",
          inject=_rule_renamed, heal=lambda sb: sb.kube.restore(*_prometheus_rule(sb))),
    Fault("dashboard-deleted", "Grafana dashboard {dashboard} deleted",
          breaks=(P4 + "verify-grafana-dashboards", T15 + "check-grafana-dashboards"),
          expect="dashboard {dashboard} not found",
          inject=lambda sb: sb.grafana("DELETE", f"/api/dashboards/uid/{sb.names.dashboard}").raise_for_status(),
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
    Fault("chat-receiver-missing", "Alertmanager lost receiver {alertmanager.chat_receiver}: every alert now pages",
          breaks=(STAGE + "validate-alerting", T24, T15 + "test-alerting-notifications"),
          expect="receiver {alertmanager.chat_receiver} is missing",
          inject=_without_chat_receiver, heal=lambda sb: sb.restore_config("alertmanager")),
    Fault("log-agent-not-ready", "log agent DaemonSet {kubernetes.log_agent.daemonset} has a pod not ready (2 of 3)",
          breaks=(T15 + "confirm-log-aggregation",), expect="2 of 3 ready",
          inject=_log_agent_unready, heal=lambda sb: sb.kube.restore(*_log_agent(sb))),
)
