"""Monitoring faults: scrape targets, alerts, rules, dashboards, receivers."""
from __future__ import annotations

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
