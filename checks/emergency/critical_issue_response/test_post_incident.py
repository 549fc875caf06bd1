"""Critical Issue Response / 4. Post-Incident, from the incident record and the team's sign-off."""
from golive.check import ATTESTED, MINOR, expect, runbook
from golive.probes import incident as probes


@runbook("emergency/critical-issue-response/post-incident/document-incident", area="manual", impact=MINOR)
def test_document_incident(incident):
    """The timeline runs from detection to resolution; the post-mortem skeleton is written."""
    expect(probes.incident_documented(incident.data, str(incident.path), incident.files("postmortem.md")))


@runbook("emergency/critical-issue-response/post-incident/conduct-post-mortem", kind=ATTESTED, area="manual",
         role="Deployment Lead", impact=MINOR)
def test_conduct_post_mortem(incident, attestation):
    """The post-mortem skeleton exists; the Deployment Lead attests the review was held."""
    expect(probes.incident_documented(incident.data, str(incident.path), incident.files("postmortem.md")))
    attestation.confirm()


@runbook("emergency/critical-issue-response/post-incident/update-procedures", kind=ATTESTED, area="manual",
         role="Technical Lead", impact=MINOR)
def test_update_procedures(incident, attestation):
    """No API can say the runbook was improved: the Technical Lead attests it."""
    expect(probes.incident_documented(incident.data, str(incident.path), incident.files("postmortem.md")))
    attestation.confirm()
