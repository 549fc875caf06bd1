"""T-1 Hour: Deploy to Staging / Staging Validation (DevOps Lead, Application Engineer).

Runs against the environment golive points at: for this phase, staging (`--golive-env staging`).
"""
from golive.check import MONITORING, expect, runbook
from golive.probes import application as appl
from golive.probes import monitoring as mon

from checks.t_minus_30m.test_critical_path_testing import key_metrics_present


@runbook("t-1h/staging-validation/verify-all-components-deploy-successfully", area="application")
def test_verify_all_components_deploy_successfully(k8s, cfg):
    """Verify all components deploy successfully: the app's rollout is complete and every replica available."""
    kube = cfg.kubernetes
    expect(appl.rollout_complete(k8s.get("deployments", kube.deployment, kube.app_namespace), kube.deployment))


@runbook("t-1h/staging-validation/test-application-functionality", area="application")
def test_application_functionality(mcp, cfg):
    """Test application functionality: an MCP session lists every expected tool and a read-only tool call works."""
    call = cfg.app.mcp_tool_call
    expect(appl.mcp_works(mcp.exchange(call), cfg.app.mcp_tools, call.name))


@runbook("t-1h/staging-validation/confirm-monitoring-working", area="monitoring", impact=MONITORING)
def test_confirm_monitoring_working(prom, cfg):
    """Confirm monitoring working: Prometheus scrapes the app and has its key metrics."""
    expect(mon.targets_up(prom.api("targets")["activeTargets"], cfg.prometheus.app_job, prom.base_url),
           key_metrics_present(prom, cfg))


@runbook("t-1h/staging-validation/validate-alerting", area="monitoring", impact=MONITORING)
def test_validate_alerting(prom, alertmanager, cfg):
    """Validate alerting: the alert rules are loaded and healthy; critical alerts page, the rest reach the channel."""
    am = cfg.alertmanager
    expect(mon.rules_loaded(prom.api("rules")["groups"], cfg.prometheus.rule_groups, prom.base_url),
           mon.alert_routing(alertmanager.config(), am.paging_receiver, am.chat_receiver, am.slack_channel, alertmanager.base_url))
