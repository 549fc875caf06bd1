"""Faults on the team-facing side: alerts go to the wrong channel, or nobody answers one."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import requests

from sandbox.faults import Fault, register

UNANSWERED = {"alertname": "GoliveUnansweredAlert", "severity": "warning", "service": "nba-mcp-synthesis"}


def _post_alert(sb, ends_in: timedelta) -> None:
    now = datetime.now(timezone.utc)
    alert = {"labels": UNANSWERED, "annotations": {"summary": "injected by the sandbox: nobody has answered it"},
             "startsAt": (now - timedelta(hours=1)).isoformat(), "endsAt": (now + ends_in).isoformat()}
    requests.post(f"http://{sb.host}:{sb.ports['alertmanager']}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()


register(
    Fault("slack-channel-renamed", "Alertmanager posts to #golive-random instead of the runbook's channel",
          breaks=("contacts/external-contacts/slack-channel",), expect="not the runbook's",
          inject=lambda sb: sb.edit_config("alertmanager", "alertmanager.yml",
                                           lambda text: text.replace("#nba-mcp-synthesis-alerts", "#golive-random")),
          heal=lambda sb: sb.restore_config("alertmanager")),
    Fault("alert-unanswered", "a warning alert fires in Alertmanager and nobody silences it",
          breaks=("post/immediate-first-2-hours/respond-to-any-alerts",), expect="GoliveUnansweredAlert",
          inject=lambda sb: _post_alert(sb, timedelta(minutes=10)),
          # Posting it again with endsAt in the past resolves it at once.
          heal=lambda sb: _post_alert(sb, timedelta(seconds=-1))),
)
