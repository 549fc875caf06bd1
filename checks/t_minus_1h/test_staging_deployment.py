"""T-1 Hour: Deploy to Staging / Staging Deployment: each deploy phase's dry run (opt-in: --golive-mutating).

Even a dry run talks to the target with the team's credentials, so these run only when asked.
Point golive at staging for this phase (`--golive-env staging`).
"""
from golive.check import MONITORING, expect, runbook
from golive.probes.infrastructure import script_succeeded


@runbook("t-1h/staging-deployment/deploy-phase1-infrastructure-dry-run", mutating=True)
def test_deploy_phase1_infrastructure_dry_run(scripts):
    """./scripts/deploy_phase1_infrastructure.sh --dry-run: the infrastructure plan runs clean (exit 0)."""
    expect(script_succeeded(scripts.deploy_phase(1, "--dry-run")))


@runbook("t-1h/staging-deployment/deploy-phase2-secrets-dry-run", area="secrets", mutating=True)
def test_deploy_phase2_secrets_dry_run(scripts):
    """./scripts/deploy_phase2_secrets.sh --dry-run: the secrets plan runs clean (exit 0)."""
    expect(script_succeeded(scripts.deploy_phase(2, "--dry-run")))


@runbook("t-1h/staging-deployment/deploy-phase3-application-dry-run", area="application", mutating=True)
def test_deploy_phase3_application_dry_run(scripts):
    """./scripts/deploy_phase3_application.sh --dry-run: the application plan runs clean (exit 0)."""
    expect(script_succeeded(scripts.deploy_phase(3, "--dry-run")))


@runbook("t-1h/staging-deployment/deploy-phase4-monitoring-dry-run", area="monitoring", impact=MONITORING,
         mutating=True)
def test_deploy_phase4_monitoring_dry_run(scripts):
    """./scripts/deploy_phase4_monitoring.sh --dry-run: the monitoring plan runs clean (exit 0)."""
    expect(script_succeeded(scripts.deploy_phase(4, "--dry-run")))
