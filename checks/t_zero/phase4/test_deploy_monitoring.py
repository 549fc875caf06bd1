"""T-0: Go-Live Deployment / Phase 4: Monitoring Setup / Deploy Monitoring (opt-in: --golive-mutating)."""
from golive.check import MONITORING, expect, runbook
from golive.probes.infrastructure import script_succeeded


@runbook("t-0/phase4/deploy-monitoring/deploy-phase4-monitoring", area="monitoring", impact=MONITORING,
         mutating=True)
def test_deploy_phase4_monitoring(scripts):
    """./scripts/deploy_phase4_monitoring.sh: the monitoring deploy script runs to the end (exit 0)."""
    expect(script_succeeded(scripts.deploy_phase(4)))
