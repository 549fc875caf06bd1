"""Monitoring probes: Prometheus, Alertmanager and Grafana state in, one Finding out. No I/O here."""
from __future__ import annotations

from golive.check import Finding, failed, passed


def no_critical_alerts(alerts: list[dict], source: str) -> Finding:
    """No alert with severity=critical is firing (Prometheus /api/v1/alerts)."""
    firing = [a for a in alerts if a.get("state") == "firing" and (a.get("labels") or {}).get("severity") == "critical"]
    names = sorted({(a.get("labels") or {}).get("alertname", "?") for a in firing})
    observed = {"firing_critical": [{"alertname": (a.get("labels") or {}).get("alertname"),
                                     "since": a.get("activeAt"), "summary": (a.get("annotations") or {}).get("summary")}
                                    for a in firing],
                "firing_total": sum(1 for a in alerts if a.get("state") == "firing")}
    if firing:
        return failed(f"{len(firing)} critical alert(s) firing in {source}: {', '.join(names)}", resource=source,
                      observed=observed, expected="no critical alert firing",
                      hint="Open Alertmanager, read each alert's runbook_url and resolve or silence it with a reason.")
    return passed(f"no critical alert firing in {source} ({observed['firing_total']} firing of lower severity)",
                  resource=source, observed=observed, expected="no critical alert firing")
