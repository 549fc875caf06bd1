"""T-0: Go-Live Deployment / Phase 3: Application Deployment / Verify Application.

Team: Application Engineer, DevOps Lead. Right after the phase 3 deploy, pods may still be starting:
check-pod-status waits for them up to the pods-ready deadline (thresholds.pods_ready_wait_seconds).
"""
from golive.check import after_deploy, expect, independently, runbook, settle
from golive.probes import application as appl
from golive.probes import drift, wiring

from checks.t_minus_24h.test_infrastructure_verification import app_connectivity


def secrets_named(k8s, workload, ns) -> list[dict]:
    """The Secrets the workload's pod template names that exist, each read by name (golive may list none)."""
    return [s for s in independently(*(lambda name=name: k8s.get("secrets", name, ns)
                                       for name in wiring.secret_names(workload))) if s is not None]


def references_resolve(k8s, cfg):
    """Finding: every ConfigMap, Secret key, claim, service account and volume the app's pod template names exists."""
    kube, ns = cfg.kubernetes, cfg.kubernetes.app_namespace
    deployment = k8s.get("deployments", kube.deployment, ns)
    configmaps, secrets, claims, accounts, external = independently(
        lambda: k8s.list("configmaps", ns), lambda: secrets_named(k8s, deployment, ns),
        lambda: k8s.list("persistentvolumeclaims", ns), lambda: k8s.list("serviceaccounts", ns),
        lambda: k8s.list("externalsecrets", ns))
    return wiring.references_resolve(deployment, f"Deployment {kube.deployment}", configmaps, secrets, claims, accounts,
                                     external)


def no_drift(k8s, reviewed, cfg):
    """Finding: the live objects are the reviewed manifests (--golive-drift): none missing, none undeclared, no field
    changed."""
    live, managed = reviewed.live_counterparts(k8s)
    return drift.drift([obj for _, obj in reviewed.declared()], live, managed=managed,
                       ignore=cfg.manifests.drift_ignore, where=reviewed.where)


@runbook("t-0/phase3/verify-application/check-pod-status", area="application", manifests=True)
def test_check_pod_status(k8s, cfg, reviewed):
    """Check pod status: every reference of the pod template resolves and its images are pinned; every pod Running
    and Ready on the expected image, none Pending or restarting; given the reviewed manifests (--golive-drift), what
    runs is what was reviewed."""
    kube, wait = cfg.kubernetes, cfg.thresholds

    def probe(fresh):
        deployment = k8s.get("deployments", kube.deployment, kube.app_namespace, fresh=fresh)
        pods = k8s.list_dated("pods", kube.app_namespace, kube.app_label, fresh=fresh)
        return appl.pods_started(pods.value, deployment, kube.container, kube.expected_image,
                                 wait.restart_window_minutes, pods.at)

    expect(references_resolve(k8s, cfg),
           wiring.images_pinned(k8s.get("deployments", kube.deployment, kube.app_namespace),
                                f"Deployment {kube.deployment}", kube.container, kube.expected_image,
                                cfg.wiring.mutable_tags),
           after_deploy("pods Running and Ready", lambda: settle(
               probe, deadline_s=wait.pods_ready_wait_seconds, interval_s=cfg.timeouts.settle_interval_seconds)),
           *([after_deploy("the live objects as the reviewed manifests declare them (drift)",
                           lambda: no_drift(k8s, reviewed, cfg))] if reviewed is not None else []))


@runbook("t-0/phase3/verify-application/test-health-endpoints", area="application")
def test_health_endpoints(app):
    """Test health endpoints: /health answers 200, healthy with every component healthy; /ready answers 200."""
    expect(appl.health_endpoint(app.get("/health"), f"{app.base_url}/health"),
           appl.ready_endpoint(app.get("/ready"), f"{app.base_url}/ready"))


@runbook("t-0/phase3/verify-application/verify-service-connectivity", area="application", manifests=True)
def test_verify_service_connectivity(k8s, cfg):
    """Verify service connectivity: the Services select the pods and reach their ports, NetworkPolicies let the
    app's traffic through; the Service lists every ready pod."""
    kube, ns = cfg.kubernetes, cfg.kubernetes.app_namespace
    deployment, what = k8s.get("deployments", kube.deployment, ns), f"Deployment {kube.deployment}"
    services = [kube.service] + ([kube.headless_service] if kube.headless_service else [])
    expect(*(wiring.service_selects_workload(k8s.get("services", name, ns), deployment, name, what)
             for name in services),
           app_connectivity(k8s, cfg),
           after_deploy("the Service's endpoints list every ready pod", lambda: appl.service_routes(
               k8s.get("services", kube.service, ns), k8s.list("pods", ns), k8s.get("endpoints", kube.service, ns),
               kube.service)))


@runbook("t-0/phase3/verify-application/confirm-ingress-working", area="application", manifests=True)
def test_confirm_ingress_working(k8s, ingress_http, cfg):
    """Confirm ingress working: every Ingress path routes to an existing Service port, the ALB health check is
    served; the Ingress has its load balancer and routes the host; /health answers through it with the app's own
    health document (JSON with its keys)."""
    kube, ns = cfg.kubernetes, cfg.kubernetes.app_namespace
    ingress = k8s.get("ingresses", kube.ingress, ns)
    paths = wiring.served_paths(k8s.get("deployments", kube.deployment, ns),
                                [e.path for e in cfg.app.endpoints if e.expect_status < 400])
    # The app's own health document through the ingress, not any 200 (a default backend's, a welcome page).
    health_keys = next((tuple(e.expect_keys) for e in cfg.app.endpoints if e.path == "/health"), ("status",))
    expect(wiring.ingress_routes_resolve(ingress, k8s.list("services", ns), paths, kube.ingress),
           after_deploy("the load balancer provisioned and /health answering through it", lambda: (
               appl.ingress_routes(ingress, k8s.get("services", kube.service, ns), kube.ingress_host, kube.ingress),
               appl.answers(ingress_http.get("/health") if ingress_http else None, f"{cfg.app.ingress_url}/health",
                            keys=health_keys))))
