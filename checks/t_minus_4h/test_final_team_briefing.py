"""T-4 Hours: Team Briefing / Final Team Briefing (all deployment team members, led by the Deployment Lead)."""
from golive.check import ATTESTED, CRASH, MINOR, runbook, summarise

from checks.emergency_contacts.test_external_contacts import test_slack_channel


@runbook("t-4h/final-team-briefing/review-deployment-timeline", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=MINOR)
def test_review_deployment_timeline(attestation):
    """Review deployment timeline."""
    attestation.confirm()


@runbook("t-4h/final-team-briefing/confirm-roles-and-responsibilities", kind=ATTESTED, area="manual",
         role="Deployment Lead", impact=CRASH)  # an unowned role during the deployment is a blocker
def test_confirm_roles_and_responsibilities(attestation):
    """Confirm roles and responsibilities."""
    attestation.confirm()


@runbook("t-4h/final-team-briefing/verify-communication-channels", kind=ATTESTED, area="manual",
         role="Deployment Lead", impact=MINOR)
def test_verify_communication_channels(request, attestation):
    """Verify communication channels: alerts reach the runbook's channel, and the team is in it."""
    summarise(request, test_slack_channel)
    attestation.confirm()


@runbook("t-4h/final-team-briefing/test-emergency-escalation", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=CRASH)
def test_emergency_escalation(attestation):
    """Test emergency escalation: a page reached the on-call engineer during the briefing."""
    attestation.confirm()
