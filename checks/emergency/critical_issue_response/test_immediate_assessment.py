"""Critical Issue Response / 1. Immediate Assessment, from the incident record."""
from golive.check import ATTESTED, CRASH, expect, runbook
from golive.probes import incident as probes

RECORD_FILES = ("incident.json", "incident.md")


@runbook("emergency/critical-issue-response/immediate-assessment/assess-severity-and-impact", area="manual",
         impact=CRASH)
def test_assess_severity_and_impact(incident):
    """Severity and impact from the matrix rows of what failed, the action and the rollback scope."""
    expect(probes.incident_assessed(incident.data, str(incident.path)))


@runbook("emergency/critical-issue-response/immediate-assessment/notify-team-lead-immediately", kind=ATTESTED,
         area="manual", role="Deployment Lead", impact=CRASH)
def test_notify_team_lead_immediately(incident, attestation):
    """The page was sent (PagerDuty accepted it), and the Deployment Lead attests it was acknowledged."""
    expect(probes.page_sent(incident.data, str(incident.path)))
    attestation.confirm()


@runbook("emergency/critical-issue-response/immediate-assessment/document-issue-details", area="manual",
         impact=CRASH)
def test_document_issue_details(incident):
    """The record (JSON and Markdown) names each failure with its message and evidence link."""
    expect(probes.issue_documented(incident.data, str(incident.path), incident.files(*RECORD_FILES)))
