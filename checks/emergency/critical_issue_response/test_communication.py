"""Critical Issue Response / 2. Communication, from the incident record."""
from golive.check import CRASH, MINOR, expect, runbook
from golive.probes import incident as probes


@runbook("emergency/critical-issue-response/communication/send-incident-notification", area="communication",
         impact=CRASH)
def test_send_incident_notification(incident):
    """The "Critical Issue" message, rendered from the evidence, was posted to the team's channel."""
    expect(probes.message_sent(incident.data, str(incident.path), "Critical Issue"))


@runbook("emergency/critical-issue-response/communication/update-stakeholders", area="communication", impact=MINOR)
def test_update_stakeholders(incident):
    """The "Rollback Decision" message (reason, ETA, impact, next steps) was posted."""
    expect(probes.message_sent(incident.data, str(incident.path), "Rollback Decision"))


@runbook("emergency/critical-issue-response/communication/escalate-if-necessary", area="communication",
         impact=CRASH)
def test_escalate_if_necessary(incident):
    """A critical or high incident opened a PagerDuty incident; a medium or low one needs none."""
    expect(probes.escalated(incident.data, str(incident.path)))
