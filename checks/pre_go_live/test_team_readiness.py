"""Pre-Go-Live Checklist / Team Readiness."""
from golive.check import ATTESTED, CRASH, DERIVED, MINOR, runbook, summarise

from checks.emergency_contacts import test_external_contacts as external
from checks.emergency_contacts import test_primary_contacts as primary
from checks.emergency_contacts import test_secondary_contacts as secondary
from checks.t_minus_30m import test_rollback_preparation as rollback
from checks.t_zero.phase4.test_verify_monitoring import test_verify_grafana_dashboards

CONTACTS = (primary.test_deployment_lead, primary.test_technical_lead, primary.test_devops_lead,
            secondary.test_application_engineer, secondary.test_infrastructure_engineer, secondary.test_security_lead,
            external.test_aws_support, external.test_pagerduty, external.test_slack_channel)


@runbook("pre/team-readiness/all-team-members-available-and-on-call", kind=ATTESTED, area="manual",
         role="Deployment Lead", impact=CRASH)  # an empty seat during go-live is a blocker
def test_all_team_members_available_and_on_call(attestation):
    """All team members available and on-call."""
    attestation.confirm()


@runbook("pre/team-readiness/communication-channels-established", kind=DERIVED, area="communication", impact=MINOR)
def test_communication_channels_established(request):
    """Communication channels established: alerts reach the runbook's Slack channel."""
    summarise(request, external.test_slack_channel)


@runbook("pre/team-readiness/emergency-contacts-verified", kind=DERIVED, area="manual")
def test_emergency_contacts_verified(request):
    """Emergency contacts verified: every contact filled in and confirmed."""
    summarise(request, *CONTACTS)


@runbook("pre/team-readiness/rollback-procedures-tested", kind=ATTESTED, area="manual", role="DevOps Lead")
def test_rollback_procedures_tested(request, attestation):
    """Rollback procedures tested: a rollback target and its commands exist, and a drill was run."""
    summarise(request, rollback.test_verify_rollback_procedures, rollback.test_prepare_rollback_commands)
    attestation.confirm()


@runbook("pre/team-readiness/monitoring-dashboards-accessible", kind=DERIVED, area="monitoring")
def test_monitoring_dashboards_accessible(request):
    """Monitoring dashboards accessible: every configured dashboard loads with a healthy datasource."""
    summarise(request, test_verify_grafana_dashboards)
