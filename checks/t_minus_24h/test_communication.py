"""T-24 Hours: Final Pre-Checks / Communication, filled from what this phase measured."""
from golive.check import ATTESTED, DERIVED, MINOR, runbook
from golive.communications import announce

from checks.t_minus_24h.test_success_criteria import BRIEFING, STAGING_CHECKS


@runbook("t-24h/communication/send-status-update-to-stakeholders", kind=DERIVED, area="communication", impact=MINOR)
def test_send_status_update_to_stakeholders(request):
    """Send status update to stakeholders: the Pre-Deployment status, GREEN, YELLOW or RED as measured."""
    announce(request, template="Pre-Deployment", claims="UPDATE", based_on=STAGING_CHECKS + BRIEFING,
             next_step="T-4 Hours: Team Briefing")


@runbook("t-24h/communication/confirm-go-live-window-with-team", kind=ATTESTED, area="communication",
         role="Deployment Lead", impact=MINOR)
def test_confirm_go_live_window_with_team(request, attestation):
    """Confirm go-live window with team: nothing blocks it, and the Deployment Lead confirmed it."""
    announce(request, template="Pre-Deployment", claims="READY", based_on=STAGING_CHECKS,
             next_step="Go-live window confirmed")
    attestation.confirm()
