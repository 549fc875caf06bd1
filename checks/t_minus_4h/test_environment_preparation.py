"""T-4 Hours: Team Briefing / Environment Preparation (DevOps Lead)."""
from golive.check import DERIVED, MONITORING, expect, independently, runbook, summarise
from golive.probes import infrastructure as infra

from checks.t_zero.phase4.test_verify_monitoring import test_verify_grafana_dashboards

WORKLOADS = ("deployments", "statefulsets", "daemonsets", "pods")


@runbook("t-4h/environment-preparation/clear-any-staging-deployments")  # staging pods behind production services
def test_clear_any_staging_deployments(k8s, cfg):
    """Clear any staging deployments: no workload labelled as staging is left in the production namespace."""
    kube = cfg.kubernetes
    *lists, namespace = independently(*(lambda kind=kind: k8s.list(kind, kube.app_namespace,
                                                                   selector=kube.staging_label_selector)
                                         for kind in WORKLOADS), lambda: k8s.get("namespaces", kube.app_namespace))
    expect(infra.no_workloads_labelled(dict(zip(WORKLOADS, lists)), kube.app_namespace, kube.staging_label_selector,
                                       namespace))


@runbook("t-4h/environment-preparation/prepare-production-environment")
def test_prepare_production_environment(k8s, cfg):
    """Prepare production environment: the namespace exists with its labels and no rollout is pending in it."""
    kube = cfg.kubernetes
    namespace, deployments = independently(lambda: k8s.get("namespaces", kube.app_namespace),
                                           lambda: k8s.list("deployments", kube.app_namespace))
    expect(infra.namespace_labelled(namespace, kube.app_namespace, kube.namespace_labels),
           infra.rollouts_complete(deployments, kube.app_namespace))


@runbook("t-4h/environment-preparation/verify-aws-quotas-and-limits")
def test_verify_aws_quotas_and_limits(aws, cfg):
    """Verify AWS quotas and limits: each configured quota leaves its headroom above current usage."""
    readings = [(q, aws.call("service-quotas", "get_service_quota", ServiceCode=q.service_code, QuotaCode=q.quota_code),
                 aws.usage(q.usage)) for q in cfg.quotas]
    expect(infra.quotas_headroom(readings))


@runbook("t-4h/environment-preparation/check-monitoring-dashboards", kind=DERIVED, area="monitoring",
         impact=MONITORING)
def test_check_monitoring_dashboards(request):
    """Check monitoring dashboards: the same verification as T-0 Phase 4, four hours ahead."""
    summarise(request, test_verify_grafana_dashboards)
