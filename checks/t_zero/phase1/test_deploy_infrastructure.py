"""T-0 Phase 1: Infrastructure / Deploy Infrastructure (DevOps Lead, Infrastructure Engineer)."""
from golive.check import expect, runbook
from golive.probes import infrastructure as infra


@runbook("t-0/phase1/deploy-infrastructure/deploy-phase1-infrastructure", mutating=True)
def test_deploy_phase1_infrastructure(scripts):
    """./scripts/deploy_phase1_infrastructure.sh: Phase 1 deploys without error (its output is the evidence)."""
    expect(infra.script_succeeded(scripts.deploy_phase(1)))
