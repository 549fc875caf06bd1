"""T-0: Go-Live Deployment / Phase 3: Application Deployment / Deploy Application (opt-in: --golive-mutating)."""
from golive.check import expect, runbook
from golive.probes.infrastructure import script_succeeded


@runbook("t-0/phase3/deploy-application/deploy-phase3-application", area="application", mutating=True)
def test_deploy_phase3_application(scripts):
    """./scripts/deploy_phase3_application.sh: the application deploy script runs to the end (exit 0)."""
    expect(script_succeeded(scripts.deploy_phase(3)))
