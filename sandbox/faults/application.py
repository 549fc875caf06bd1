"""Application faults: pods, rollout, Service, Ingress, /health and /ready, MCP, latency, PostgreSQL, S3,
external integrations, and the deploy scripts of phases 1-4."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import requests

from sandbox import seed_aws
from sandbox.faults import Fault, register
from sandbox.faults.infrastructure import reseed_aws, script_fault

APP_NS = "nba-mcp-synthesis"
DEPLOYMENT = "nba-mcp-synthesis"
SERVICE = "nba-mcp-synthesis-service"
INGRESS = "nba-mcp-synthesis-ingress"
POD_A, POD_B = "nba-mcp-synthesis-6f7b9d8c5d-2xkqp", "nba-mcp-synthesis-6f7b9d8c5d-7hzrt"
PENDING_POD = "nba-mcp-synthesis-6f7b9d8c5d-zz4pq"  # a fourth replica the scheduler cannot place
OLD_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.3.2"
DATA_BUCKET = seed_aws.BOOKS_BUCKET

T24 = "t-24h/application-validation/"
DRY = "t-1h/staging-deployment/"
STAGE = "t-1h/staging-validation/"
SMOKE = "t-30m/critical-path-testing/"
P3 = "t-0/phase3/verify-application/"
FUNC = "t+15m/critical-functionality-test/"
VALIDATE = "t+15m/comprehensive-health-check/validate-deployment"


def _now(minus: timedelta = timedelta()) -> str:
    return (datetime.now(timezone.utc) - minus).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _pod_status(pod: str, container: dict, ready: str, reason: str):
    """Set the pod's container status and its Ready/ContainersReady conditions, as the kubelet would."""
    def apply(sb):
        status = sb.kube.get("Pod", pod, APP_NS)["status"]
        conditions = [dict(c, status=ready, reason=reason) if c["type"] in ("Ready", "ContainersReady") else c
                      for c in status["conditions"]]
        statuses = [dict(cs, **container) for cs in status["containerStatuses"]]
        sb.kube.patch("Pod", pod, APP_NS, body={"status": {"conditions": conditions, "containerStatuses": statuses}},
                      status=True)
    return apply


CRASH_LOOPING = {"ready": False, "started": False, "restartCount": 7,
                 "state": {"waiting": {"reason": "CrashLoopBackOff",
                                       "message": "back-off 5m0s restarting failed container=nba-mcp-synthesis"}}}


def _crash_loop(sb):
    last = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": _now(timedelta(minutes=1)),
                           "finishedAt": _now()}}  # the last crash, stamped now as the kubelet records it
    _pod_status(POD_A, {**CRASH_LOOPING, "lastState": last}, "False", "ContainersNotReady")(sb)


def _replica_not_ready(sb):
    _pod_status(POD_B, {"ready": False}, "False", "ContainersNotReady")(sb)  # readiness probe failing
    deployment = sb.kube.get("Deployment", DEPLOYMENT, APP_NS)["status"]
    conditions = [dict(c, status="False", reason="MinimumReplicasUnavailable",
                       message="Deployment does not have minimum availability.") if c["type"] == "Available" else c
                  for c in deployment["conditions"]]
    sb.kube.patch("Deployment", DEPLOYMENT, APP_NS, status=True, body={"status": {
        "readyReplicas": 2, "availableReplicas": 2, "unavailableReplicas": 1, "conditions": conditions}})


def _heal_replica(sb):
    sb.kube.restore("Pod", POD_B, APP_NS)
    sb.kube.restore("Deployment", DEPLOYMENT, APP_NS)


def _pending_pod(sb):
    pod = sb.kube.get("Pod", POD_A, APP_NS)
    meta = {k: pod["metadata"][k] for k in ("labels", "annotations", "ownerReferences", "generateName")}
    spec = {k: v for k, v in pod["spec"].items() if k != "nodeName"}
    sb.kube.http.post(sb.kube.url("Pod", None, APP_NS), timeout=5, json={
        "apiVersion": "v1", "kind": "Pod", "metadata": {**meta, "name": PENDING_POD}, "spec": spec}).raise_for_status()
    sb.kube.patch("Pod", PENDING_POD, APP_NS, status=True, body={"status": {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastTransitionTime": _now(),
         "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available"}]}})


def _old_image(sb):
    pod = sb.kube.get("Pod", POD_A, APP_NS)
    containers = [dict(c, image=OLD_IMAGE) for c in pod["spec"]["containers"]]
    sb.kube.patch("Pod", POD_A, APP_NS, body={"spec": {"containers": containers}})
    statuses = [dict(cs, image=OLD_IMAGE) for cs in pod["status"]["containerStatuses"]]
    sb.kube.patch("Pod", POD_A, APP_NS, status=True, body={"status": {"containerStatuses": statuses}})


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
    s3 = sb.aws("s3")
    listed = s3.list_object_versions(Bucket=DATA_BUCKET)
    for version in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
        s3.delete_object(Bucket=DATA_BUCKET, Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=DATA_BUCKET)


register(
    Fault("pod-crash-looping", f"pod {POD_A} crash-loops (CrashLoopBackOff after 7 restarts)",
          breaks=(SMOKE + "test-application-startup", P3 + "check-pod-status"), expect="CrashLoopBackOff",
          inject=_crash_loop, heal=lambda sb: sb.kube.restore("Pod", POD_A, APP_NS)),
    Fault("replica-not-ready", f"pod {POD_B} fails its readiness probe: the deployment has 2 of 3 replicas ready",
          breaks=(STAGE + "verify-all-components-deploy-successfully", SMOKE + "test-application-startup",
                  P3 + "check-pod-status"),
          expect="2 of 3 replicas ready", inject=_replica_not_ready, heal=_heal_replica),
    Fault("pod-pending", f"a fourth pod {PENDING_POD} stays Pending: no node has the CPU for it",
          breaks=(SMOKE + "test-application-startup", P3 + "check-pod-status"), expect="Pending (Unschedulable",
          inject=_pending_pod, heal=lambda sb: sb.kube.delete("Pod", PENDING_POD, APP_NS)),
    Fault("pod-wrong-image", f"pod {POD_A} runs the previous image v1.3.2",
          breaks=(SMOKE + "test-application-startup", P3 + "check-pod-status"), expect="nba-mcp-synthesis:v1.3.2",
          inject=_old_image, heal=lambda sb: sb.kube.restore("Pod", POD_A, APP_NS)),
    Fault("service-without-endpoints", f"Endpoints {SERVICE} lists no address",
          breaks=(P3 + "verify-service-connectivity",), expect="has no ready addresses",
          inject=lambda sb: sb.kube.patch("Endpoints", SERVICE, APP_NS, body={"subsets": []}),
          heal=lambda sb: sb.kube.restore("Endpoints", SERVICE, APP_NS)),
    Fault("service-selector-mismatch", f"Service {SERVICE} selects app=nba-mcp-synthesis-v2, which no pod has",
          breaks=(P3 + "verify-service-connectivity",), expect="selects no pod",
          inject=lambda sb: sb.kube.patch("Service", SERVICE, APP_NS,
                                          body={"spec": {"selector": {"app": "nba-mcp-synthesis-v2"}}}),
          heal=lambda sb: sb.kube.restore("Service", SERVICE, APP_NS)),
    Fault("ingress-without-hostname", f"Ingress {INGRESS} has no load balancer (the ALB controller failed)",
          breaks=(P3 + "confirm-ingress-working",), expect="no load-balancer hostname",
          inject=lambda sb: sb.kube.patch("Ingress", INGRESS, APP_NS, status=True,
                                          body={"status": {"loadBalancer": {"ingress": None}}}),
          heal=lambda sb: sb.kube.restore("Ingress", INGRESS, APP_NS)),
    Fault("health-unhealthy", "the app's /health reports unhealthy (HTTP 503)",
          breaks=(P3 + "test-health-endpoints", T24 + "verify-all-integrations-working", SMOKE + "test-api-endpoints",
                  FUNC + "test-all-api-endpoints"),
          expect="answered HTTP 503 with status unhealthy",
          inject=lambda sb: sb.app_faults(health="unhealthy"), heal=lambda sb: sb.app_faults()),
    Fault("health-degraded", "the app's /health reports degraded (HTTP 200)",
          breaks=(P3 + "test-health-endpoints", T24 + "verify-all-integrations-working", VALIDATE),
          expect="status degraded",
          inject=lambda sb: sb.app_faults(health="degraded"), heal=lambda sb: sb.app_faults()),
    Fault("app-not-ready", "the app's /ready answers 503 {ready: false}",
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
    Fault("data-bucket-missing", f"S3 bucket {DATA_BUCKET} deleted with every object version",
          breaks=(FUNC + "test-s3-connectivity", P3 + "test-health-endpoints", T24 + "verify-all-integrations-working"),
          expect=f"bucket {DATA_BUCKET} does not exist",
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
                 "kubectl apply --dry-run=server: externalsecrets.external-secrets.io webhook unavailable",
                 breaks=(DRY + "deploy-phase2-secrets-dry-run",)),
    script_fault("deploy-phase3-fails", "deploy_phase3_application",
                 "deployment nba-mcp-synthesis: ImagePullBackOff for :v1.4.0 (no such tag)",
                 breaks=(DRY + "deploy-phase3-application-dry-run",
                         "t-0/phase3/deploy-application/deploy-phase3-application")),
    script_fault("deploy-phase4-fails", "deploy_phase4_monitoring",
                 "helm upgrade kube-prometheus-stack: another operation is in progress",
                 breaks=(DRY + "deploy-phase4-monitoring-dry-run",
                         "t-0/phase4/deploy-monitoring/deploy-phase4-monitoring")),
)
