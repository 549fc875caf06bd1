"""Faults on the team-facing side: alerts go to the wrong channel, or nobody answers one."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import requests

from sandbox.faults import Fault, register

UNANSWERED = {"alertname": "GoliveUnansweredAlert", "severity": "warning"}
# A Grafana-managed alert: it reaches Alertmanager without passing through the sandbox's Prometheus.
ELSEWHERE = {"alertname": "GrafanaDatabaseLatencyCritical", "severity": "critical"}


def _post_alert(sb, ends_in: timedelta, labels: dict = UNANSWERED) -> None:
    now = datetime.now(timezone.utc)
    # Labelled as the app's own alerts are: by service (its Prometheus job); Grafana's also by folder.
    grafana = labels is ELSEWHERE
    alert = {"labels": {**labels, "service": sb.config.prometheus.app_job,
                        **({"grafana_folder": sb.names.alert_folder} if grafana else {})},
             "annotations": {"summary": "injected by the sandbox: nobody has answered it"},
             "startsAt": (now - timedelta(hours=1)).isoformat(), "endsAt": (now + ends_in).isoformat(),
             "generatorURL": "http://grafana.sandbox/alerting/grafana/list" if grafana else ""}
    requests.post(f"http://{sb.host}:{sb.ports['alertmanager']}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()


register(
    Fault("slack-channel-renamed", "Alertmanager posts to #golive-random instead of the runbook's channel",
          breaks=("contacts/external-contacts/slack-channel",), expect="not the runbook's",
          inject=lambda sb: sb.edit_config("alertmanager", "alertmanager.yml", lambda text: text.replace(
              sb.config.alertmanager.slack_channel, "#golive-random")),
          heal=lambda sb: sb.restore_config("alertmanager")),
    Fault("alert-unanswered", "a warning alert fires in Alertmanager and nobody silences it",
          breaks=("post/immediate-first-2-hours/respond-to-any-alerts",), expect="GoliveUnansweredAlert",
          inject=lambda sb: _post_alert(sb, timedelta(minutes=10)),
          # Posting it again with endsAt in the past resolves it at once.
          heal=lambda sb: _post_alert(sb, timedelta(seconds=-1))),
    Fault("critical-alert-from-grafana", "a Grafana-managed critical alert is active in Alertmanager (not in Prometheus)",
          breaks=("t-2h/success-criteria/no-critical-alerts",), expect="GrafanaDatabaseLatencyCritical",
          inject=lambda sb: _post_alert(sb, timedelta(minutes=10), ELSEWHERE),
          heal=lambda sb: _post_alert(sb, timedelta(seconds=-1), ELSEWHERE)),
)
