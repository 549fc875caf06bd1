"""Emergency Contacts / External Contacts: a support case, the paging service, the alert channel."""
from golive.check import ATTESTED, CRASH, MINOR, expect, runbook
from golive.probes.runbook import contact_filled, slack_channel_routed


@runbook("contacts/external-contacts/aws-support", kind=ATTESTED, area="manual", role="DevOps Lead", impact=MINOR)
def test_aws_support(leaf, attestation):
    """AWS Support: [Support case URL]"""
    expect(contact_filled(leaf.text, ("url",)))
    attestation.confirm()


@runbook("contacts/external-contacts/pagerduty", kind=ATTESTED, area="manual", role="DevOps Lead", impact=CRASH)
def test_pagerduty(leaf, attestation):
    """PagerDuty: [Service URL]"""
    expect(contact_filled(leaf.text, ("url",)))
    attestation.confirm()


@runbook("contacts/external-contacts/slack-channel", area="communication", impact=MINOR)
def test_slack_channel(leaf, cfg, alertmanager):
    """Slack Channel: `#nba-mcp-synthesis-alerts`"""
    expect(slack_channel_routed(leaf.text, cfg.alertmanager.slack_channel, alertmanager.config(), f"Alertmanager {alertmanager.base_url}"))
