"""kube-state-metrics for the sandbox: the series the real exporter derives from the Kubernetes API's objects,
generated here from the Kubernetes emulator's store (sandbox/kube_api.py), so a fault that changes an HPA
or a Deployment shows in Prometheus as it would on the target.

Only the families golive's checks read, or an on-call engineer charts next to them, with kube-state-metrics v2's
names, labels and zero values (an unset status count is 0; an unset minReplicas is not exported): HPA spec and
status replicas and conditions, Deployment replicas (ready and available: the pods' readiness, counted). No
per-pod families: no check reads them, and scale mode's 10,000 pods would make each 1 s scrape megabytes.
Served as text exposition on its own plain-HTTP port (the real exporter is its own Service, at :8080/metrics).
"""
from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from sandbox.kube_tables import dig

HPA_LABELS = ["namespace", "horizontalpodautoscaler"]
DEPLOYMENT_LABELS = ["namespace", "deployment"]
CONDITION_STATUSES = ("true", "false", "unknown")  # kube-state-metrics' status label, one series each
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # what kube-state-metrics v2 answers


def _condition_series(family, labels, conditions):
    """One series per condition and status value, 1 for the status the condition has (as kube-state-metrics)."""
    for condition in conditions or []:
        status = str(condition.get("status", "Unknown")).lower()
        for value in CONDITION_STATUSES:
            family.add_metric([*labels, condition.get("type", ""), value], 1.0 if status == value else 0.0)


def hpa_families(hpas):
    gauge = lambda name, doc, extra=(): GaugeMetricFamily(name, doc, labels=[*HPA_LABELS, *extra])
    info = gauge("kube_horizontalpodautoscaler_info", "Information about this autoscaler.",
                 ["scaletargetref_api_version", "scaletargetref_kind", "scaletargetref_name"])
    low = gauge("kube_horizontalpodautoscaler_spec_min_replicas", "Lower limit for the number of pods that can be "
                "set by the autoscaler, default 1.")
    high = gauge("kube_horizontalpodautoscaler_spec_max_replicas", "Upper limit for the number of pods that can be "
                 "set by the autoscaler; cannot be smaller than MinReplicas.")
    current = gauge("kube_horizontalpodautoscaler_status_current_replicas", "Current number of replicas of pods "
                    "managed by this autoscaler.")
    desired = gauge("kube_horizontalpodautoscaler_status_desired_replicas", "Desired number of replicas of pods "
                    "managed by this autoscaler.")
    conditions = gauge("kube_horizontalpodautoscaler_status_condition", "The condition of this autoscaler.",
                       ["condition", "status"])
    for hpa in hpas:
        labels = [hpa["metadata"].get("namespace", ""), hpa["metadata"]["name"]]
        target = dig(hpa, "spec.scaleTargetRef", {}) or {}
        info.add_metric([*labels, target.get("apiVersion", ""), target.get("kind", ""), target.get("name", "")], 1.0)
        if dig(hpa, "spec.minReplicas") is not None:
            low.add_metric(labels, float(dig(hpa, "spec.minReplicas")))
        high.add_metric(labels, float(dig(hpa, "spec.maxReplicas", 0) or 0))
        current.add_metric(labels, float(dig(hpa, "status.currentReplicas", 0) or 0))
        desired.add_metric(labels, float(dig(hpa, "status.desiredReplicas", 0) or 0))
        _condition_series(conditions, labels, dig(hpa, "status.conditions"))
    return [info, low, high, current, desired, conditions]


def deployment_families(deployments):
    counts = {  # family -> (field, help)
        "kube_deployment_spec_replicas": ("spec.replicas", "Number of desired pods for a deployment."),
        "kube_deployment_status_replicas": ("status.replicas", "The number of replicas per deployment."),
        "kube_deployment_status_replicas_ready": ("status.readyReplicas",
                                                  "The number of ready replicas per deployment."),
        "kube_deployment_status_replicas_available": ("status.availableReplicas",
                                                      "The number of available replicas per deployment."),
        "kube_deployment_status_replicas_unavailable": ("status.unavailableReplicas",
                                                        "The number of unavailable replicas per deployment."),
        "kube_deployment_status_replicas_updated": ("status.updatedReplicas",
                                                    "The number of updated replicas per deployment."),
    }
    families = []
    for name, (path, doc) in counts.items():
        family = GaugeMetricFamily(name, doc, labels=DEPLOYMENT_LABELS)
        for deployment in deployments:
            default = 1 if path == "spec.replicas" else 0  # the API server defaults spec.replicas to 1
            value = dig(deployment, path, default)
            family.add_metric([deployment["metadata"].get("namespace", ""), deployment["metadata"]["name"]],
                              float(default if value is None else value))
        families.append(family)
    return families


class Exporter:
    """The exposition of a store (any object with `objects(kind)` and `revision`), remade only when the store has
    changed since the last scrape (Prometheus scrapes every second)."""

    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._made = (None, b"")
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(self)

    def collect(self):
        yield from hpa_families(self.store.objects("HorizontalPodAutoscaler"))
        yield from deployment_families(self.store.objects("Deployment"))

    def exposition(self) -> bytes:
        with self._lock:
            revision = self.store.revision
            if self._made[0] != revision:
                self._made = (revision, generate_latest(self._registry))
            return self._made[1]


def create_app(store):
    """kube-state-metrics' HTTP face: /metrics (text exposition) and /healthz, as the real exporter serves them."""
    from flask import Flask, Response

    exporter = Exporter(store)
    app = Flask("golive-kube-state-metrics")
    app.add_url_rule("/metrics", "metrics", lambda: Response(exporter.exposition(), 200, content_type=CONTENT_TYPE))
    app.add_url_rule("/healthz", "healthz", lambda: Response("OK", 200, content_type="text/plain"))
    return app
