"""Pre-Go-Live Checklist / Technical Readiness."""
from golive.check import ATTESTED, CRASH, DATA, DERIVED, runbook, summarise

from checks.t_minus_1h.test_staging_validation import test_validate_alerting
from checks.t_minus_24h.test_infrastructure_verification import test_confirm_backup_systems_operational
from checks.t_minus_30m.test_rollback_preparation import test_backup_restoration
from checks.t_plus_1h.test_alert_tuning import test_verify_escalation_procedures
from checks.t_zero.phase4 import test_verify_monitoring as monitoring
from checks.t_zero.test_success_criteria import MONITORING


@runbook("pre/technical-readiness/all-prerequisites-completed-see-pre-deployment-checklist-md", kind=ATTESTED,
         area="manual", role="Technical Lead", impact=CRASH)
def test_all_prerequisites_completed_see_pre_deployment_checklist_md(attestation):
    """All prerequisites completed (see PRE_DEPLOYMENT_CHECKLIST.md)."""
    attestation.confirm()


@runbook("pre/technical-readiness/staging-environment-validated", kind=ATTESTED, area="manual", role="QA Lead",
         impact=CRASH)
def test_staging_environment_validated(attestation):
    """Staging environment validated: the QA Lead links the signed staging report (golive --golive-env staging)."""
    attestation.confirm()


@runbook("pre/technical-readiness/backup-procedures-tested", kind=ATTESTED, area="manual", role="DevOps Lead",
         impact=DATA)
def test_backup_procedures_tested(request, attestation):
    """Backup procedures tested: backups run and are restorable, and a restore drill was done."""
    summarise(request, test_confirm_backup_systems_operational, test_backup_restoration)
    attestation.confirm()


@runbook("pre/technical-readiness/monitoring-stack-operational", kind=DERIVED, area="monitoring")
def test_monitoring_stack_operational(request):
    """Monitoring stack operational: targets, dashboards, rules and metrics in place."""
    summarise(request, *MONITORING)


@runbook("pre/technical-readiness/alerting-configured-and-tested", kind=DERIVED, area="monitoring")
def test_alerting_configured_and_tested(request):
    """Alerting configured and tested: rules loaded, routes to paging and chat, escalation in time."""
    summarise(request, test_validate_alerting, monitoring.test_alerting_rules, test_verify_escalation_procedures)
