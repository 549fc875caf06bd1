"""T+15 Minutes: Initial Validation / Comprehensive Health Check: the team's validator (opt-in: --golive-mutating).

It only reads, but it is the team's code running with their credentials: it runs only when asked.
"""
from golive.check import expect, runbook
from golive.probes.infrastructure import script_succeeded


@runbook("t+15m/comprehensive-health-check/validate-deployment", area="application", mutating=True)
def test_validate_deployment(scripts, cfg):
    """python3 scripts/validate_deployment.py: the team's validator passes for the app namespace (exit 0)."""
    expect(script_succeeded(scripts.validator("-n", cfg.kubernetes.app_namespace)))
