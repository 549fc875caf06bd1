"""T+1 Hour: Extended Monitoring / Alert Tuning: rules, routes and receivers as Alertmanager and Prometheus run them."""
import uuid
from datetime import datetime, timezone

from golive.check import ATTESTED, MONITORING, expect, runbook
from golive.probes import performance as perf


@runbook("t+1h/alert-tuning/adjust-alert-thresholds", impact=MONITORING, area="monitoring")
def test_adjust_alert_thresholds(prom, cfg):
    """Adjust alert thresholds: the loaded alert rules fire at golive's configured thresholds."""
    expect(perf.alert_thresholds(prom.api("rules")["groups"], cfg.prometheus.rule_groups,
                                 cfg.prometheus.alert_thresholds, cfg.thresholds.model_dump(),
                                 f"Prometheus {prom.base_url}"))


@runbook("t+1h/alert-tuning/test-notification-channels", impact=MONITORING, area="monitoring", mutating=True)
def test_notification_channels(alertmanager, cfg):
    """Test notification channels: test alerts reach the paging and the chat receiver, then are resolved."""
    run, am = uuid.uuid4().hex, cfg.alertmanager
    receivers = {"critical": am.paging_receiver, "warning": am.chat_receiver}
    alertmanager.request("POST", "/api/v2/alerts", json=perf.notification_alerts(run, receivers))
    try:
        seen = alertmanager.request("GET", "/api/v2/alerts", params={"filter": f'golive_run="{run}"'}).json
    finally:  # resolve them at once: an alert whose endsAt has passed is over
        ended = datetime.now(timezone.utc).isoformat()
        alertmanager.request("POST", "/api/v2/alerts", json=perf.notification_alerts(run, receivers, ended))
    expect(perf.notification_routes(seen or [], run, receivers, f"Alertmanager {alertmanager.base_url}"))


@runbook("t+1h/alert-tuning/verify-escalation-procedures", impact=MONITORING, area="monitoring")
def test_verify_escalation_procedures(alertmanager, cfg):
    """Verify escalation procedures: critical alerts page, repeated within the P1 escalation time; others go to chat."""
    am = cfg.alertmanager
    expect(perf.escalation(alertmanager.config(), am.paging_receiver, am.chat_receiver,
                           cfg.thresholds.escalation_p1_minutes, f"Alertmanager {alertmanager.base_url}"))


@runbook("t+1h/alert-tuning/confirm-on-call-rotation", kind=ATTESTED, area="manual", role="On-call Engineer",
         impact=MONITORING)
def test_confirm_on_call_rotation(alertmanager, cfg, attestation):
    """Confirm on-call rotation: the paging receiver exists; the On-call Engineer confirms who carries the pager."""
    expect(perf.paging_receiver(alertmanager.config(), cfg.alertmanager.paging_receiver,
                                f"Alertmanager {alertmanager.base_url}"))
    attestation.confirm()
