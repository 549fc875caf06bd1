"""T-4 Hours: Team Briefing / Communication."""
from golive.check import DERIVED, MINOR, runbook
from golive.communications import announce

from checks.t_minus_4h.test_success_criteria import BRIEFING, PREPARATION


@runbook("t-4h/communication/team-briefing-completed", kind=DERIVED, area="communication", impact=MINOR)
def test_team_briefing_completed(request):
    """Team briefing completed: announced only when every briefing item is signed off."""
    announce(request, template="Pre-Deployment", claims="GREEN", based_on=BRIEFING,
             next_step="T-2 Hours: Infrastructure Verification")


@runbook("t-4h/communication/stakeholders-notified-of-upcoming-deployment", kind=DERIVED, area="communication",
         impact=MINOR)
def test_stakeholders_notified_of_upcoming_deployment(request):
    """Stakeholders notified of upcoming deployment: the measured status, whatever it is."""
    announce(request, template="Pre-Deployment", claims="UPDATE", based_on=BRIEFING + PREPARATION,
             next_step="T-0: Production Deployment")
