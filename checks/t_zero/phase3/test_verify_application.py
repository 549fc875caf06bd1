"""T-0: Go-Live Deployment / Phase 3: Application Deployment / Verify Application.

Team: Application Engineer, DevOps Lead. Right after the phase 3 deploy, pods may still be starting:
check-pod-status waits for them up to the pods-ready deadline (thresholds.pods_ready_wait_seconds).
"""
from golive.check import expect, runbook, settle
from golive.probes import application as appl


@runbook("t-0/phase3/verify-application/check-pod-status", area="application")
def test_check_pod_status(k8s, cfg):
    """Check pod status: every pod Running and Ready on the expected image, none Pending or restarting."""
    kube, wait = cfg.kubernetes, cfg.thresholds

    def probe(fresh):
        deployment = k8s.get("deployments", kube.deployment, kube.app_namespace, fresh=fresh)
        pods = k8s.list_dated("pods", kube.app_namespace, kube.app_label, fresh=fresh)
        return appl.pods_started(pods.value, deployment, kube.container, kube.expected_image,
                                 wait.restart_window_minutes, pods.at)

    expect(settle(probe, deadline_s=wait.pods_ready_wait_seconds, interval_s=cfg.timeouts.settle_interval_seconds))


@runbook("t-0/phase3/verify-application/test-health-endpoints", area="application")
def test_health_endpoints(app):
    """Test health endpoints: /health answers 200, healthy with every component healthy; /ready answers 200."""
    expect(appl.health_endpoint(app.get("/health"), f"{app.base_url}/health"),
           appl.ready_endpoint(app.get("/ready"), f"{app.base_url}/ready"))


@runbook("t-0/phase3/verify-application/verify-service-connectivity", area="application")
def test_verify_service_connectivity(k8s, cfg):
    """Verify service connectivity: the Service selects the pods, reaches their port, and lists every ready pod."""
    kube = cfg.kubernetes
    expect(appl.service_routes(k8s.get("services", kube.service, kube.app_namespace),
                               k8s.list("pods", kube.app_namespace),
                               k8s.get("endpoints", kube.service, kube.app_namespace), kube.service))


@runbook("t-0/phase3/verify-application/confirm-ingress-working", area="application")
def test_confirm_ingress_working(k8s, ingress_http, cfg):
    """Confirm ingress working: the Ingress has its load balancer and routes the host; /health answers through it."""
    kube = cfg.kubernetes
    expect(appl.ingress_routes(k8s.get("ingresses", kube.ingress, kube.app_namespace),
                               k8s.get("services", kube.service, kube.app_namespace), kube.ingress_host, kube.ingress),
           appl.answers(ingress_http.get("/health") if ingress_http else None, f"{cfg.app.ingress_url}/health"))
