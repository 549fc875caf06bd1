"""Communication faults: the alert channel the runbook names is not where alerts go."""
from __future__ import annotations

from sandbox.faults import Fault, register

register(
    Fault("slack-channel-renamed", "Alertmanager posts to #golive-random instead of the runbook's channel",
          breaks=("contacts/external-contacts/slack-channel",), expect="not the runbook's",
          inject=lambda sb: sb.edit_config("alertmanager", "alertmanager.yml",
                                           lambda text: text.replace("#nba-mcp-synthesis-alerts", "#golive-random")),
          heal=lambda sb: sb.restore_config("alertmanager")),
)
