"""Post-Go-Live Checklist / Short-term (First 24 hours)."""
from golive.check import ATTESTED, DERIVED, MINOR, runbook, summarise

from checks.t_plus_24h import test_performance_analysis as analysis


@runbook("post/short-term-first-24-hours/monitor-performance-trends", kind=DERIVED, impact=MINOR)
def test_monitor_performance_trends(request):
    """Monitor performance trends: no degrading trend over the review window."""
    summarise(request, analysis.test_analyze_performance_trends)


@runbook("post/short-term-first-24-hours/review-user-feedback", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=MINOR)
def test_review_user_feedback(attestation):
    """Review user feedback."""
    attestation.confirm()


@runbook("post/short-term-first-24-hours/analyze-metrics", kind=DERIVED, impact=MINOR)
def test_analyze_metrics(request):
    """Analyze metrics: SLO compliance over the review window."""
    summarise(request, analysis.test_review_24_hour_metrics)


@runbook("post/short-term-first-24-hours/plan-optimizations", kind=ATTESTED, area="manual", role="Technical Lead",
         impact=MINOR)
def test_plan_optimizations(attestation):
    """Plan optimizations."""
    attestation.confirm()


@runbook("post/short-term-first-24-hours/schedule-team-debrief", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=MINOR)
def test_schedule_team_debrief(attestation):
    """Schedule team debrief."""
    attestation.confirm()
