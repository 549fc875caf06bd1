"""Probes over the team's runbook itself (contacts, channels). No I/O here."""
from __future__ import annotations

import re

from golive.check import Finding, failed, passed

PLACEHOLDER = re.compile(r"\[[^\]]+\]")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
URL = re.compile(r"https?://\S+")


def contact_filled(text: str, needs: tuple[str, ...]) -> Finding:
    """An emergency contact line carries real details, not the template's [Name]/[Phone] placeholders."""
    role = text.split(":")[0].strip()
    placeholders = PLACEHOLDER.findall(text)
    shapes = {"phone": PHONE, "email": EMAIL, "url": URL}
    missing = [what for what in needs if not shapes[what].search(text)]
    observed = {"line": text, "placeholders": placeholders, "missing": missing}
    if placeholders or missing:
        what = f"still has placeholders {', '.join(placeholders)}" if placeholders else f"has no {', '.join(missing)}"
        return failed(f"runbook contact '{role}' {what}", resource=f"runbook contact {role}", observed=observed,
                      expected=f"a name with {', '.join(needs)}",
                      hint="Fill in the Emergency Contacts section of the team's runbook (golive.toml `runbook`).")
    return passed(f"runbook contact '{role}' is filled in", resource=f"runbook contact {role}", observed=observed)


def slack_channel_routed(runbook_text: str, configured: str, alertmanager_config: dict, source: str) -> Finding:
    """The runbook's alert channel is the configured one, and Alertmanager really posts to it."""
    named = re.search(r"#[\w-]+", runbook_text)
    channel = named.group(0) if named else None
    routed = sorted({sc.get("channel") for r in alertmanager_config.get("receivers") or []
                     for sc in r.get("slack_configs") or [] if sc.get("channel")})
    observed = {"runbook": channel, "golive.toml": configured, "alertmanager_slack_channels": routed}
    if channel is None:
        return failed("the runbook's Slack Channel contact names no #channel", resource="runbook contact Slack Channel",
                      observed=observed, expected="a #channel")
    if channel != configured:
        return failed(f"the runbook names {channel} but golive.toml's alertmanager.slack_channel is {configured}",
                      resource=source, observed=observed, expected=channel,
                      hint="Make the runbook and the configuration agree on the alert channel.")
    if channel not in routed:
        return failed(f"{source} posts to {', '.join(routed) or 'no Slack channel'}, not the runbook's {channel}",
                      resource=source, observed=observed, expected=channel,
                      hint="Fix the slack_configs channel in Alertmanager's configuration (kube-prometheus-stack values).")
    return passed(f"{source} routes alerts to the runbook's Slack channel {channel}", resource=source,
                  observed=observed, expected=channel)


def contacts_filled(contact_lines: list[str]) -> Finding:
    """Every emergency contact in the runbook is filled in (the contact sheet can be distributed)."""
    if not contact_lines:
        return failed("the runbook has no Emergency Contacts, found 0", resource="runbook Emergency Contacts",
                      observed=[], expected="the runbook's contact lines")
    unfilled = [line.split(":")[0] for line in contact_lines if PLACEHOLDER.search(line)]
    observed = {"contacts": len(contact_lines), "unfilled": unfilled}
    if unfilled:
        return failed(f"{len(unfilled)} of {len(contact_lines)} runbook contacts are placeholders: {', '.join(unfilled)}",
                      resource="runbook Emergency Contacts", observed=observed, expected="all filled in",
                      hint="Fill in the Emergency Contacts section before distributing it.")
    return passed(f"all {len(contact_lines)} runbook contacts are filled in", resource="runbook Emergency Contacts",
                  observed=observed)
