"""Post-Go-Live Checklist / Long-term (First week): signed off by the people who own each."""
from golive.check import ATTESTED, MINOR, runbook


@runbook("post/long-term-first-week/performance-optimization", kind=ATTESTED, area="manual", role="Technical Lead",
         impact=MINOR)
def test_performance_optimization(attestation):
    """Performance optimization."""
    attestation.confirm()


@runbook("post/long-term-first-week/user-training", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=MINOR)
def test_user_training(attestation):
    """User training."""
    attestation.confirm()


@runbook("post/long-term-first-week/documentation-updates", kind=ATTESTED, area="manual", role="Technical Lead",
         impact=MINOR)
def test_documentation_updates(attestation):
    """Documentation updates."""
    attestation.confirm()


@runbook("post/long-term-first-week/process-improvements", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=MINOR)
def test_process_improvements(attestation):
    """Process improvements."""
    attestation.confirm()


@runbook("post/long-term-first-week/future-planning", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=MINOR)
def test_future_planning(attestation):
    """Future planning."""
    attestation.confirm()
