"""Success Criteria / Business Success: performance is measured; the rest is the business's call."""
from golive.check import ATTESTED, DERIVED, MINOR, runbook, summarise

from checks.t_plus_24h import test_performance_analysis as analysis
from checks.t_plus_24h.test_team_debrief import test_plan_improvements


@runbook("success/business-success/system-meets-performance-requirements", kind=DERIVED)
def test_system_meets_performance_requirements(request):
    """System meets performance requirements: SLOs met over the review window."""
    summarise(request, analysis.test_review_24_hour_metrics)


@runbook("success/business-success/user-experience-positive", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=MINOR)
def test_user_experience_positive(attestation):
    """User experience positive."""
    attestation.confirm()


@runbook("success/business-success/business-objectives-achieved", kind=ATTESTED, area="manual",
         role="Deployment Lead", impact=MINOR)
def test_business_objectives_achieved(attestation):
    """Business objectives achieved."""
    attestation.confirm()


@runbook("success/business-success/roi-targets-met", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=MINOR)
def test_roi_targets_met(attestation):
    """ROI targets met."""
    attestation.confirm()


@runbook("success/business-success/future-improvements-identified", kind=DERIVED, area="manual", impact=MINOR)
def test_future_improvements_identified(request):
    """Future improvements identified: optimisation opportunities and improvement plans recorded."""
    summarise(request, analysis.test_identify_optimization_opportunities, test_plan_improvements)
