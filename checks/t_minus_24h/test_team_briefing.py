"""T-24 Hours: Final Pre-Checks / Team Briefing (DevOps Lead, Technical Lead): signed off by the leads."""
from golive import plugin
from golive.check import ATTESTED, CRASH, MINOR, expect, runbook
from golive.probes.runbook import contacts_filled


@runbook("t-24h/team-briefing/review-go-live-timeline", kind=ATTESTED, area="manual", role="Technical Lead",
         impact=MINOR)
def test_review_go_live_timeline(attestation):
    """Review go-live timeline."""
    attestation.confirm()


@runbook("t-24h/team-briefing/confirm-communication-protocols", kind=ATTESTED, area="manual", role="DevOps Lead",
         impact=MINOR)
def test_confirm_communication_protocols(attestation):
    """Confirm communication protocols."""
    attestation.confirm()


@runbook("t-24h/team-briefing/verify-emergency-procedures", kind=ATTESTED, area="manual", role="Technical Lead",
         impact=CRASH)  # nobody knowing how to roll back is a blocker
def test_verify_emergency_procedures(attestation):
    """Verify emergency procedures."""
    attestation.confirm()


@runbook("t-24h/team-briefing/distribute-contact-information", kind=ATTESTED, area="manual", role="DevOps Lead",
         impact=MINOR)
def test_distribute_contact_information(request, attestation):
    """Distribute contact information: the runbook's contact sheet is complete, and was sent."""
    contacts = [i.text for i in plugin.book(request.config).items if i.id.startswith("contacts/")]
    expect(contacts_filled(contacts))
    attestation.confirm()
