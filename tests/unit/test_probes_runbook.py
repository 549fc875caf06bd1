"""golive.probes.runbook: the team's runbook contact lines (and Alertmanager's running config) -> verdict.

Recorded: the contact lines of the shipped template (placeholders) and of the sandbox's filled-in
runbook, as golive.runbook parses them; Alertmanager's /api/v2/status config, parsed as
fixtures.http.Alertmanager.config() parses it.
"""
from __future__ import annotations

import pytest
import yaml

from golive.probes import runbook as rb
from tests.unit.recorded import FAIL, PASS, verdict, plain, row, same

M = "runbook"
PERSON = ("phone", "email")  # what checks/emergency_contacts asks of a person's line
LEAD, AWS_SUPPORT, PAGERDUTY, SLACK = ("contacts/primary-contacts/deployment-lead", "contacts/external-contacts/aws-support",
                                      "contacts/external-contacts/pagerduty", "contacts/external-contacts/slack-channel")
CHANNEL = "#nba-mcp-synthesis-alerts"
SOURCE = "Alertmanager http://127.0.0.1:18093"


def filled(item):
    return plain(M, "contacts_filled")[item]


def template(item):
    return plain(M, "contacts_template")[item]


# --- contact_filled ---------------------------------------------------------------------------

def line(text, needs=PERSON):
    return lambda a: a.update(text=text, needs=needs)


@pytest.mark.parametrize("change, outcome, fragment", [
    row("person-filled", same, PASS, "runbook contact 'Deployment Lead' is filled in"),
    row("url-filled", line(filled(AWS_SUPPORT), ("url",)), PASS, "runbook contact 'AWS Support' is filled in"),
    row("person-template", line(template(LEAD)), FAIL,
        "runbook contact 'Deployment Lead' still has placeholders [Name], [Phone], [Email]"),
    row("url-template", line(template(PAGERDUTY), ("url",)), FAIL, "runbook contact 'PagerDuty' still has placeholders [Service URL]"),
    row("no-phone", line("Deployment Lead: Dana Whitfield - dana.whitfield@example.com"), FAIL,
        "runbook contact 'Deployment Lead' has no phone"),
    row("name-only", line("Deployment Lead: Dana Whitfield"), FAIL, "runbook contact 'Deployment Lead' has no phone, email"),
    row("no-url", line("PagerDuty: ask the DevOps Lead", ("url",)), FAIL, "runbook contact 'PagerDuty' has no url"),
    row("empty-line", line(""), FAIL, "has no phone, email"),
])
def test_contact_filled(change, outcome, fragment):
    a = {"text": filled(LEAD), "needs": PERSON}
    change(a)
    verdict(rb.contact_filled(**a), outcome, fragment)


# --- slack_channel_routed ---------------------------------------------------------------------

def slack_configs(a):
    receiver = next(r for r in a["alertmanager_config"]["receivers"] if r["name"] == "slack-notifications")
    return receiver["slack_configs"]


@pytest.mark.parametrize("change, outcome, fragment", [
    row("routed", same, PASS, f"{SOURCE} routes alerts to the runbook's Slack channel {CHANNEL}"),
    row("runbook-names-no-channel", lambda a: a.update(runbook_text="Slack Channel: [Channel]"), FAIL,
        "the runbook's Slack Channel contact names no #channel"),
    row("config-disagrees", lambda a: a.update(configured="#ops-alerts"), FAIL,
        f"the runbook names {CHANNEL} but golive.toml's alertmanager.slack_channel is #ops-alerts"),
    row("alertmanager-posts-elsewhere", lambda a: slack_configs(a)[0].update(channel="#general"), FAIL,
        f"{SOURCE} posts to #general, not the runbook's {CHANNEL}"),
    row("no-slack-receiver", lambda a: slack_configs(a).clear(), FAIL, f"{SOURCE} posts to no Slack channel, not the runbook's"),
    row("no-receivers", lambda a: a["alertmanager_config"].pop("receivers"), FAIL, f"{SOURCE} posts to no Slack channel"),
])
def test_slack_channel_routed(change, outcome, fragment):
    status = plain(M, "alertmanager_status")
    a = {"runbook_text": filled(SLACK), "configured": CHANNEL,
         "alertmanager_config": yaml.safe_load(status["config"]["original"]), "source": SOURCE}
    change(a)
    verdict(rb.slack_channel_routed(**a), outcome, fragment)


# --- contacts_filled --------------------------------------------------------------------------

def one_placeholder(a):
    a["contact_lines"][0] = template(LEAD)


@pytest.mark.parametrize("change, outcome, fragment", [
    row("all-filled", same, PASS, "all 9 runbook contacts are filled in"),
    row("no-contacts", lambda a: a["contact_lines"].clear(), FAIL, "the runbook has no Emergency Contacts, found 0"),
    row("one-placeholder", one_placeholder, FAIL, "1 of 9 runbook contacts are placeholders: Deployment Lead"),
    # The shipped template: every line but the Slack channel is a placeholder.
    row("template", lambda a: a.update(contact_lines=list(plain(M, "contacts_template").values())), FAIL,
        "8 of 9 runbook contacts are placeholders: Deployment Lead, Technical Lead, DevOps Lead, Application Engineer, "
        "Infrastructure Engineer, Security Lead, AWS Support, PagerDuty"),
])
def test_contacts_filled(change, outcome, fragment):
    a = {"contact_lines": list(plain(M, "contacts_filled").values())}
    change(a)
    verdict(rb.contacts_filled(**a), outcome, fragment)
