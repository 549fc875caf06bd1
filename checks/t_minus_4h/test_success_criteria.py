"""T-4 Hours: Team Briefing / Success Criteria."""
from golive.check import ATTESTED, CRASH, DERIVED, runbook, summarise

from checks.emergency_contacts.test_external_contacts import test_slack_channel
from checks.t_minus_4h import test_environment_preparation as preparation
from checks.t_minus_4h import test_final_team_briefing as briefing

PREPARATION = (preparation.test_clear_any_staging_deployments, preparation.test_prepare_production_environment,
               preparation.test_verify_aws_quotas_and_limits, preparation.test_check_monitoring_dashboards)
BRIEFING = (briefing.test_review_deployment_timeline, briefing.test_confirm_roles_and_responsibilities,
            briefing.test_verify_communication_channels, briefing.test_emergency_escalation)


@runbook("t-4h/success-criteria/all-team-members-present-and-ready", kind=ATTESTED, area="manual",
         role="Deployment Lead", impact=CRASH)  # a missing role holder is a blocker
def test_all_team_members_present_and_ready(attestation):
    """All team members present and ready: the Deployment Lead took the roll call."""
    attestation.confirm()


@runbook("t-4h/success-criteria/communication-channels-tested", kind=DERIVED, area="communication")
def test_communication_channels_tested(request):
    """Communication channels tested: alerts reach the channel, escalation was exercised."""
    summarise(request, test_slack_channel, briefing.test_verify_communication_channels,
              briefing.test_emergency_escalation)


@runbook("t-4h/success-criteria/environment-prepared-for-deployment", kind=DERIVED)
def test_environment_prepared_for_deployment(request):
    """Environment prepared for deployment: every environment-preparation check passed."""
    summarise(request, *PREPARATION)
