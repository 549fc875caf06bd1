"""T+24 Hours: Post-Launch Review / Success Criteria."""
from golive.check import ATTESTED, DERIVED, MINOR, runbook, summarise

from checks.t_minus_2h.test_success_criteria import test_no_critical_alerts
from checks.t_plus_24h import test_incident_review as incidents
from checks.t_plus_24h import test_performance_analysis as analysis
from checks.t_plus_24h import test_team_debrief as debrief

STABILITY = (analysis.test_review_24_hour_metrics, analysis.test_analyze_performance_trends)
REVIEW = (incidents.test_review_any_incidents, incidents.test_analyze_root_causes,
          incidents.test_document_improvements, incidents.test_update_procedures)
DEBRIEF = (debrief.test_review_deployment_process, debrief.test_identify_successes_and_challenges,
           debrief.test_plan_improvements, debrief.test_celebrate_success)


@runbook("t+24h/success-criteria/system-stable-and-performing-well", kind=DERIVED)
def test_system_stable_and_performing_well(request):
    """System stable and performing well: SLOs met over the review window, no degrading trend."""
    summarise(request, *STABILITY)


@runbook("t+24h/success-criteria/no-critical-issues", kind=DERIVED)
def test_no_critical_issues(request):
    """No critical issues: none firing now, and every incident of the window reviewed."""
    summarise(request, test_no_critical_alerts, incidents.test_review_any_incidents)


@runbook("t+24h/success-criteria/team-satisfied-with-deployment", kind=ATTESTED, area="manual",
         role="Deployment Lead", impact=MINOR)
def test_team_satisfied_with_deployment(request, attestation):
    """Team satisfied with deployment: the debrief happened and the Deployment Lead says so."""
    summarise(request, *DEBRIEF)
    attestation.confirm()
