"""The Kubernetes kinds, one line each: where the API serves them and how, as discovery (`kubectl api-resources`)
shows them. The one table: golive's gatherer and manifest source read it, and so do the sandbox's Kubernetes
emulator (which serves exactly these) and its control (which writes them for faults).
"""
from __future__ import annotations

from dataclasses import dataclass

READ_WRITE = ("create", "delete", "get", "list", "patch", "update")  # no watch: golive never watches
READ_ONLY = ("get", "list")


@dataclass(frozen=True)
class Kind:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple = ()
    status: bool = False  # has a status subresource
    custom: bool = False  # a custom resource (served from a CRD: no strategic merge patch)
    categories: tuple = ()
    verbs: tuple = READ_WRITE
    read: bool = False  # golive's checks read it (fixtures/kubernetes.py)
    key: str = ""  # golive's name for it when the plural is taken by another group's kind

    @property
    def name(self) -> str:
        """golive's name for the kind: the plural, as `kubectl get` takes it."""
        return self.key or self.plural

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The API path of the collection (in `namespace`, or across all), or of one object."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        scope = f"/namespaces/{namespace}" if self.namespaced and namespace else ""
        return f"{base}{scope}/{self.plural}" + (f"/{name}" if name else "")


K = Kind
ALL = ("all",)
ESO = ("external-secrets",)
KINDS = (
    K("", "v1", "Namespace", "namespaces", False, ("ns",), status=True, read=True),
    K("", "v1", "Node", "nodes", False, ("no",), status=True, read=True),
    K("", "v1", "Pod", "pods", True, ("po",), status=True, categories=ALL, read=True),
    K("", "v1", "Service", "services", True, ("svc",), status=True, categories=ALL, read=True),
    K("", "v1", "Endpoints", "endpoints", True, ("ep",), read=True),
    K("", "v1", "Secret", "secrets", True, read=True),
    K("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",), read=True),
    K("", "v1", "ConfigMap", "configmaps", True, ("cm",), read=True),
    K("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",), status=True, read=True),
    K("", "v1", "Event", "events", True, ("ev",), read=True),
    K("", "v1", "LimitRange", "limitranges", True, ("limits",)),
    K("", "v1", "ResourceQuota", "resourcequotas", True, ("quota",), status=True),
    K("", "v1", "PersistentVolume", "persistentvolumes", False, ("pv",), status=True),
    K("apps", "v1", "Deployment", "deployments", True, ("deploy",), status=True, categories=ALL, read=True),
    K("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), status=True, categories=ALL, read=True),
    K("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), status=True, categories=ALL, read=True),
    K("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), status=True, categories=ALL, read=True),
    K("batch", "v1", "Job", "jobs", True, status=True, categories=ALL),
    K("batch", "v1", "CronJob", "cronjobs", True, ("cj",), status=True, categories=ALL),
    K("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("hpa",), status=True,
      categories=ALL, read=True),
    K("networking.k8s.io", "v1", "Ingress", "ingresses", True, ("ing",), status=True, read=True),
    K("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    K("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, ("netpol",), read=True),
    K("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",), status=True, read=True),
    K("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, ("pc",)),
    K("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",)),
    K("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    K("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    K("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    K("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    K("apiregistration.k8s.io", "v1", "APIService", "apiservices", False, status=True, read=True),
    K("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False, ("crd", "crds"),
      status=True, read=True),
    # metrics-server's aggregated API: what `kubectl top` and the HPA read, never written.
    K("metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", False, verbs=READ_ONLY, read=True, key="nodemetrics"),
    K("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", True, verbs=READ_ONLY, read=True, key="podmetrics"),
    K("external-secrets.io", "v1beta1", "SecretStore", "secretstores", True, ("ss",), status=True, custom=True,
      categories=ESO, read=True),
    K("external-secrets.io", "v1beta1", "ClusterSecretStore", "clustersecretstores", False, ("css",), status=True,
      custom=True, categories=ESO),
    K("external-secrets.io", "v1beta1", "ExternalSecret", "externalsecrets", True, ("es",), status=True, custom=True,
      categories=ESO, read=True),
    K("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors", True, ("smon",), custom=True, read=True),
    K("monitoring.coreos.com", "v1", "PodMonitor", "podmonitors", True, ("pmon",), custom=True),
    K("monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules", True, ("promrule",), custom=True, read=True),
    # Reviews: asked, answered, never stored (`kubectl auth can-i`, `auth can-i --list`, `auth whoami`).
    K("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", False, verbs=("create",)),
    K("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", False, verbs=("create",)),
    K("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", False, verbs=("create",)),
)
BY_NAME = {k.name: k for k in KINDS}  # golive's name: "deployments", "podmetrics"
BY_KIND = {k.kind: k for k in KINDS}  # the manifest's kind: "Deployment"
assert len(BY_NAME) == len(BY_KIND) == len(KINDS), "a kind or name twice in the kinds table"
