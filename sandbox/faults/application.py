"""Application faults: pods, rollout, Service, Ingress, /health and /ready, MCP, latency, PostgreSQL, S3,
external integrations, and the deploy scripts of phases 1-4."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import requests

from sandbox.faults import Fault, register
from sandbox.faults.infrastructure import reseed_aws, script_fault

T24 = "t-24h/application-validation/"
DRY = "t-1h/staging-deployment/"
STAGE = "t-1h/staging-validation/"
SMOKE = "t-30m/critical-path-testing/"
P3 = "t-0/phase3/verify-application/"
FUNC = "t+15m/critical-functionality-test/"
VALIDATE = "t+15m/comprehensive-health-check/validate-deployment"


def _now(minus: timedelta = timedelta()) -> str:
    return (datetime.now(timezone.utc) - minus).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _ns(sb) -> str:
    return sb.config.kubernetes.app_namespace


def _pod_status(sb, pod: str, container: dict, ready: str, reason: str) -> None:
    """Set the pod's container status and its Ready/ContainersReady conditions, as the kubelet would."""
    status = sb.kube.get("Pod", pod, _ns(sb))["status"]
    conditions = [dict(c, status=ready, reason=reason) if c["type"] in ("Ready", "ContainersReady") else c
                  for c in status["conditions"]]
    statuses = [dict(cs, **container) for cs in status["containerStatuses"]]
    sb.kube.patch("Pod", pod, _ns(sb), body={"status": {"conditions": conditions, "containerStatuses": statuses}},
                  status=True)


def _crash_loop(sb):
    last = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": _now(timedelta(minutes=1)),
                           "finishedAt": _now()}}  # the last crash, stamped now as the kubelet records it
    crash_looping = {"ready": False, "started": False, "restartCount": 7, "lastState": last, "state": {"waiting": {
        "reason": "CrashLoopBackOff",
        "message": f"back-off 5m0s restarting failed container={sb.config.kubernetes.container}"}}}
    _pod_status(sb, sb.names.pod_a, crash_looping, "False", "ContainersNotReady")


def _restore_pod(pod: str):
    return lambda sb: sb.kube.restore("Pod", getattr(sb.names, pod), _ns(sb))


def _replica_not_ready(sb):
    _pod_status(sb, sb.names.pod_b, {"ready": False}, "False", "ContainersNotReady")  # readiness probe failing
    deployment = sb.kube.get("Deployment", sb.config.kubernetes.deployment, _ns(sb))["status"]
    conditions = [dict(c, status="False", reason="MinimumReplicasUnavailable",
                       message="Deployment does not have minimum availability.") if c["type"] == "Available" else c
                  for c in deployment["conditions"]]
    sb.kube.patch("Deployment", sb.config.kubernetes.deployment, _ns(sb), status=True, body={"status": {
        "readyReplicas": 2, "availableReplicas": 2, "unavailableReplicas": 1, "conditions": conditions}})


def _heal_replica(sb):
    sb.kube.restore("Pod", sb.names.pod_b, _ns(sb))
    sb.kube.restore("Deployment", sb.config.kubernetes.deployment, _ns(sb))


def _pending_pod(sb):
    pod = sb.kube.get("Pod", sb.names.pod_a, _ns(sb))
    meta = {k: pod["metadata"][k] for k in ("labels", "annotations", "ownerReferences", "generateName")}
    spec = {k: v for k, v in pod["spec"].items() if k != "nodeName"}
    pending = sb.names.pending_pod
    sb.kube.http.post(sb.kube.url("Pod", None, _ns(sb)), timeout=5, json={
        "apiVersion": "v1", "kind": "Pod", "metadata": {**meta, "name": pending}, "spec": spec}).raise_for_status()
    sb.kube.patch("Pod", pending, _ns(sb), status=True, body={"status": {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastTransitionTime": _now(),
         "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available"}]}})


def _old_image(sb):
    pod_a, old = sb.names.pod_a, sb.names.previous_image
    pod = sb.kube.get("Pod", pod_a, _ns(sb))
    containers = [dict(c, image=old) for c in pod["spec"]["containers"]]
    sb.kube.patch("Pod", pod_a, _ns(sb), body={"spec": {"containers": containers}})
    statuses = [dict(cs, image=old) for cs in pod["status"]["containerStatuses"]]
    sb.kube.patch("Pod", pod_a, _ns(sb), status=True, body={"status": {"containerStatuses": statuses}})


def _service(change):
    """Apply `change(sb, name, namespace)` to the app's Service (or its Endpoints, of the same name)."""
    return lambda sb: change(sb, sb.config.kubernetes.service, _ns(sb))


def _wrong_selector(sb):
    key, value = sb.names.app_label
    sb.kube.patch("Service", sb.config.kubernetes.service, _ns(sb), body={"spec": {"selector": {key: f"{value}-v2"}}})


def _health(sb) -> dict:
    return requests.get(f"http://{sb.host}:{sb.ports['app']}/health", timeout=5).json()


def _component_down(component: str, stop):
    def inject(sb):
        stop(sb)  # /health caches its probes for a second: wait until it reports the outage
        sb.wait_for(lambda: _health(sb)["components"][component]["status"] != "healthy", f"{component} unhealthy")
    return inject


def _healthy_again(start):
    def heal(sb):
        start(sb)
        sb.wait_for(lambda: _health(sb)["status"] == "healthy", "/health healthy again")
    return heal


def _delete_data_bucket(sb):
    s3, bucket = sb.aws("s3"), sb.config.s3.data_bucket
    listed = s3.list_object_versions(Bucket=bucket)
    for version in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=bucket)


register(
    Fault("pod-crash-looping", "pod {pod_a} crash-loops (CrashLoopBackOff after 7 restarts)",
          breaks=(SMOKE + "test-application-startup", P3 + "check-pod-status"), expect="CrashLoopBackOff",
          inject=_crash_loop, heal=_restore_pod("pod_a")),
    Fault("replica-not-ready", "pod {pod_b} fails its readiness probe: the deployment has 2 of 3 replicas ready",
          breaks=(STAGE + "verify-all-components-deploy-successfully", SMOKE + "test-application-startup",
                  P3 + "check-pod-status"),
          expect="2 of 3 replicas ready", inject=_replica_not_ready, heal=_heal_replica),
    Fault("pod-pending", "a fourth pod {pending_pod} stays Pending: no node has the CPU for it",
          breaks=(SMOKE + "test-application-startup", P3 + "check-pod-status"), expect="Pending (Unschedulable",
          inject=_pending_pod, heal=lambda sb: sb.kube.delete("Pod", sb.names.pending_pod, _ns(sb))),
    Fault("pod-wrong-image", "pod {pod_a} runs the previous image {previous_image_name}",
          breaks=(SMOKE + "test-application-startup", P3 + "check-pod-status"), expect="{previous_image_name}",
          inject=_old_image, heal=_restore_pod("pod_a")),
    Fault("service-without-endpoints", "Endpoints {kubernetes.service} lists no address",
          breaks=(P3 + "verify-service-connectivity",), expect="has no ready addresses",
          inject=_service(lambda sb, name, ns: sb.kube.patch("Endpoints", name, ns, body={"subsets": []})),
          heal=_service(lambda sb, name, ns: sb.kube.restore("Endpoints", name, ns))),
    Fault("service-selector-mismatch",
          "Service {kubernetes.service} selects {kubernetes.app_label}-v2, which no pod has",
          breaks=(P3 + "verify-service-connectivity",), expect="selects no pod",
          inject=_wrong_selector, heal=_service(lambda sb, name, ns: sb.kube.restore("Service", name, ns))),
    Fault("ingress-without-hostname", "Ingress {kubernetes.ingress} has no load balancer (the ALB controller failed)",
          breaks=(P3 + "confirm-ingress-working",), expect="no load-balancer hostname",
          inject=lambda sb: sb.kube.patch("Ingress", sb.config.kubernetes.ingress, _ns(sb), status=True,
                                          body={"status": {"loadBalancer": {"ingress": None}}}),
          heal=lambda sb: sb.kube.restore("Ingress", sb.config.kubernetes.ingress, _ns(sb))),
    Fault("health-unhealthy", "the app's /health reports unhealthy (HTTP 503)",
          breaks=(P3 + "test-health-endpoints", T24 + "verify-all-integrations-working", SMOKE + "test-api-endpoints",
                  FUNC + "test-all-api-endpoints"),
          expect="answered HTTP 503 with status unhealthy",
          inject=lambda sb: sb.app_faults(health="unhealthy"), heal=lambda sb: sb.app_faults()),
    Fault("health-degraded", "the app's /health reports degraded (HTTP 200)",
          breaks=(P3 + "test-health-endpoints", T24 + "verify-all-integrations-working", VALIDATE),
          expect="status degraded",
          inject=lambda sb: sb.app_faults(health="degraded"), heal=lambda sb: sb.app_faults()),
    Fault("app-not-ready", "the app's /ready answers 503 {{ready: false}}",
          breaks=(SMOKE + "test-application-startup", P3 + "test-health-endpoints", SMOKE + "test-api-endpoints"),
          expect="not ready",
          inject=lambda sb: sb.app_faults(ready=False), heal=lambda sb: sb.app_faults()),
    Fault("database-down", "PostgreSQL is stopped",
          breaks=(SMOKE + "verify-database-connectivity", FUNC + "verify-database-operations",
                  T24 + "verify-all-integrations-working", P3 + "test-health-endpoints",
                  STAGE + "test-application-functionality", "t+1h/user-acceptance-testing/test-all-integrations"),
          expect="unreachable",
          inject=_component_down("database", lambda sb: sb.postgres(False)),
          heal=_healthy_again(lambda sb: sb.postgres(True))),
    Fault("data-bucket-missing", "S3 bucket {s3.data_bucket} deleted with every object version",
          breaks=(FUNC + "test-s3-connectivity", P3 + "test-health-endpoints", T24 + "verify-all-integrations-working"),
          expect="bucket {s3.data_bucket} does not exist",
          inject=_component_down("s3", _delete_data_bucket), heal=_healthy_again(reseed_aws)),
    Fault("mcp-broken", "every MCP tools/call answers JSON-RPC internal error -32603",
          breaks=(STAGE + "test-application-functionality", "t+1h/user-acceptance-testing/test-end-to-end-workflows"),
          expect="JSON-RPC error -32603",
          inject=lambda sb: sb.app_faults(mcp_broken=True), heal=lambda sb: sb.app_faults()),
    Fault("mcp-tool-missing", "tools/list no longer lists list_s3_files",
          breaks=(STAGE + "test-application-functionality", FUNC + "test-all-api-endpoints"),
          expect="tools/list lacks list_s3_files",
          inject=lambda sb: sb.app_faults(hide_tools=["list_s3_files"]), heal=lambda sb: sb.app_faults()),
    Fault("latency-over-budget", "every request to the app waits 800 ms (budget 500 ms)",
          breaks=(SMOKE + "test-api-endpoints", FUNC + "test-all-api-endpoints"), expect="over its 500 ms budget",
          inject=lambda sb: sb.app_faults(latency_ms=800), heal=lambda sb: sb.app_faults()),
    Fault("integrations-down", "the Slack/PagerDuty stand-in (webhook sink) is stopped",
          breaks=(FUNC + "confirm-external-integrations", T24 + "verify-all-integrations-working"),
          expect="no answer (ConnectionError: Connection refused)",
          inject=lambda sb: sb.stop("webhook"), heal=lambda sb: sb.start_stopped()),
    script_fault("dry-run-phase1-fails", "deploy_phase1_infrastructure",
                 "terraform plan: Error acquiring the state lock (held by another run)",
                 breaks=(DRY + "deploy-phase1-infrastructure-dry-run",)),
    script_fault("dry-run-phase2-fails", "deploy_phase2_secrets",
                 "kubectl apply --dry-run=server: {kubernetes.eso_crds[0]} webhook unavailable",
                 breaks=(DRY + "deploy-phase2-secrets-dry-run",)),
    script_fault("deploy-phase3-fails", "deploy_phase3_application",
                 "deployment {kubernetes.deployment}: ImagePullBackOff for :{app_image_tag} (no such tag)",
                 breaks=(DRY + "deploy-phase3-application-dry-run",
                         "t-0/phase3/deploy-application/deploy-phase3-application")),
    script_fault("deploy-phase4-fails", "deploy_phase4_monitoring",
                 "helm upgrade kube-prometheus-stack: another operation is in progress",
                 breaks=(DRY + "deploy-phase4-monitoring-dry-run",
                         "t-0/phase4/deploy-monitoring/deploy-phase4-monitoring")),
)
