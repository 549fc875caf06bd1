"""T-0 Phase 2: Secrets Migration / Migrate Secrets (Security Lead, DevOps Lead)."""
from golive.check import expect, runbook
from golive.probes import infrastructure as infra


@runbook("t-0/phase2/migrate-secrets/deploy-phase2-secrets", area="secrets", mutating=True)
def test_deploy_phase2_secrets(scripts):
    """./scripts/deploy_phase2_secrets.sh: Phase 2 migrates the secrets without error (its output is the evidence)."""
    expect(infra.script_succeeded(scripts.deploy_phase(2)))
