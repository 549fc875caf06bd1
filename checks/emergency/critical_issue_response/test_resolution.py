"""Critical Issue Response / 3. Resolution, from the incident record."""
from golive.check import ATTESTED, CRASH, expect, runbook
from golive.probes import incident as probes


@runbook("emergency/critical-issue-response/resolution/follow-troubleshooting-procedures", kind=ATTESTED,
         area="manual", role="Technical Lead", impact=CRASH)
def test_follow_troubleshooting_procedures(incident, attestation):
    """The record lists what to do for each failure; the Technical Lead attests it was followed."""
    expect(probes.troubleshooting_recorded(incident.data, str(incident.path)))
    attestation.confirm()


@runbook("emergency/critical-issue-response/resolution/implement-fix-or-rollback", kind=ATTESTED, area="manual",
         role="DevOps Lead", impact=CRASH)
def test_implement_fix_or_rollback(incident, attestation):
    """The decision is on the timeline; the DevOps Lead attests the fix or rollback was carried out."""
    expect(probes.decision_recorded(incident.data, str(incident.path)))
    attestation.confirm()


@runbook("emergency/critical-issue-response/resolution/verify-resolution", area="manual", impact=CRASH)
def test_verify_resolution(incident):
    """The lines that failed re-ran green (`golive incident verify`)."""
    expect(probes.resolution_verified(incident.data, str(incident.path)))
