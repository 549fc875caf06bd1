"""T+24 Hours: Post-Launch Review / Team Debrief: signed off by the Deployment Lead."""
from golive.check import ATTESTED, MINOR, runbook


@runbook("t+24h/team-debrief/review-deployment-process", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=MINOR)
def test_review_deployment_process(attestation):
    """Review deployment process."""
    attestation.confirm()


@runbook("t+24h/team-debrief/identify-successes-and-challenges", kind=ATTESTED, area="manual",
         role="Deployment Lead", impact=MINOR)
def test_identify_successes_and_challenges(attestation):
    """Identify successes and challenges."""
    attestation.confirm()


@runbook("t+24h/team-debrief/plan-improvements", kind=ATTESTED, area="manual", role="Deployment Lead", impact=MINOR)
def test_plan_improvements(attestation):
    """Plan improvements."""
    attestation.confirm()


@runbook("t+24h/team-debrief/celebrate-success", kind=ATTESTED, area="manual", role="Deployment Lead", impact=MINOR)
def test_celebrate_success(attestation):
    """Celebrate success."""
    attestation.confirm()
