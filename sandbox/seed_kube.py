"""The Kubernetes seed rendered from the sandbox environment (stack.sandbox_config(): golive.toml's
[environments.sandbox] unless another is chosen). sandbox/seed/kubernetes.yaml spells the reference names;
each the environment configures differently replaces it:
  * namespaces (SPELLED), wherever a namespace stands: an object's metadata.namespace, a Namespace's name and
    its kubernetes.io/metadata.name label, namespaceSelectors, ServiceMonitor matchNames, event and subject
    references, `namespace="..."` in PromQL; the app Namespace carries kubernetes.namespace_labels;
  * object names (SPELLED_NAMES: Services, Ingress and its host, HPA, NetworkPolicy, ServiceMonitor,
    PrometheusRule and its first rule group, SecretStore, ESO service account, the Prometheus and Alertmanager
    Services of prometheus.service / alertmanager.service), with every reference to them;
  * the app's name, by where it stands (kubernetes.deployment for the Deployment, its ReplicaSets, Pods, Events
    and the HPA's target; kubernetes.container for containers; kubernetes.app_label's value for that label) and
    its secret's (secrets.external_secret for the ExternalSecret and references to it, secrets.target_secret
    for the Secret and the env references); the ESO Deployment and log agent DaemonSet by kind;
  * the Secrets Manager prefix of the ExternalSecret's remote keys, the account and the ESO role in IAM role
    ARNs, and the app's image (kubernetes.expected_image; older tags keep their tag in the configured
    repository).
Names no configuration field holds (the headless Service's, ConfigMap, PodDisruptionBudget, service
accounts) stay as spelled.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

SEED = Path(__file__).resolve().parent / "seed" / "kubernetes.yaml"
# golive.toml's kubernetes.* field -> the namespace the seed file spells.
SPELLED = {"app_namespace": "nba-mcp-synthesis", "monitoring_namespace": "monitoring",
           "eso_namespace": "external-secrets-system", "log_agent.namespace": "logging"}
NAMESPACE_KEYS = ("namespace", "kubernetes.io/metadata.name")
SPELLED_PREFIX = "nba-mcp-synthesis/production/"  # secrets.prefix
SPELLED_ACCOUNT = "123456789012"  # aws.account_id
SPELLED_ESO_ROLE = "nba-mcp-synthesis-prod-external-secrets"  # secrets.eso_role_name
SPELLED_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.4.0"  # kubernetes.expected_image


def renames(cfg) -> dict[str, str]:
    """Spelled namespace -> configured one, for those the environment names differently."""
    found = {}
    for dotted, spelled in SPELLED.items():
        value = cfg.kubernetes
        for part in dotted.split("."):
            value = getattr(value, part)
        if value and value != spelled:
            found[spelled] = value
    return found


def _value_renamer(cfg):
    """A function renaming a string value that is not a namespace (None: nothing to rename)."""
    prefix, account = cfg.secrets.prefix, cfg.aws.account_id or SPELLED_ACCOUNT
    role, image = cfg.secrets.eso_role_name, cfg.kubernetes.expected_image or SPELLED_IMAGE
    spelled_repo, repo = SPELLED_IMAGE.rsplit(":", 1)[0], image.rsplit(":", 1)[0]
    if (prefix, account, role, image) == (SPELLED_PREFIX, SPELLED_ACCOUNT, SPELLED_ESO_ROLE, SPELLED_IMAGE):
        return None

    def rename(value: str) -> str:
        if value == SPELLED_IMAGE:
            return image
        if value.startswith((spelled_repo + ":", spelled_repo + "@")):  # other tags, digests (imageID)
            return repo + value[len(spelled_repo):]
        if value.startswith(SPELLED_PREFIX):
            return prefix + value[len(SPELLED_PREFIX):]
        if value.startswith("arn:aws:"):
            value = value.replace(f":{SPELLED_ACCOUNT}:", f":{account}:")
            return re.sub(rf"(:role/){re.escape(SPELLED_ESO_ROLE)}$", rf"\g<1>{role}", value)
        return value
    return rename


# Object names the seed spells -> the configuration field naming them (dotted). Whole values are renamed
# wherever they stand (an object's name, the references to it); the app's name (SPELLED_APP) and its secret
# (SPELLED_SECRET) also name other things, so they are renamed by where they stand (_object_renamer).
SPELLED_NAMES = {
    "nba-mcp-synthesis-service": "kubernetes.service", "nba-mcp-synthesis-headless": "kubernetes.headless_service",
    "nba-mcp-synthesis-ingress": "kubernetes.ingress", "nba-mcp-synthesis-hpa": "kubernetes.hpa",
    "nba-mcp-synthesis-network-policy": "kubernetes.network_policy",
    "nba-mcp-synthesis-metrics": "kubernetes.service_monitor", "nba-mcp-synthesis-alerts": "kubernetes.prometheus_rule",
    "nba-mcp-synthesis.example.com": "kubernetes.ingress_host", "aws-secrets-manager": "secrets.secret_store",
    "external-secrets-sa": "secrets.eso_service_account", "nba-mcp-synthesis.rules": "prometheus.rule_groups",
    "kube-prometheus-stack-prometheus": "prometheus.service",
    "kube-prometheus-stack-alertmanager": "alertmanager.service",
}
SPELLED_APP = "nba-mcp-synthesis"  # kubernetes.deployment, kubernetes.container, the value of kubernetes.app_label
SPELLED_SECRET = "nba-mcp-synthesis-secrets"  # secrets.external_secret and secrets.target_secret
# Named by kind: the same words are label values and CRD categories too.
SPELLED_WORKLOADS = {("Deployment", "external-secrets"): "kubernetes.eso_deployment",
                     ("DaemonSet", "fluent-bit"): "kubernetes.log_agent.daemonset"}
# What the app's Deployment names after itself: ReplicaSets and Pods (<name>-<hash>[-<id>]), Events (<name>.<id>).
_DERIVED = re.compile(r"(?P<base>[a-z0-9.-]+?)(?P<rest>-[0-9a-f]{8,10}(-[a-z0-9]{5}|-)?|\.[0-9a-f]{16})")


def _field(cfg, dotted: str):
    value = cfg
    for part in dotted.split("."):
        value = getattr(value, part)
    if isinstance(value, list):  # prometheus.rule_groups: the seeded rule's group is the first
        return value[0] if value else None
    if dotted.endswith(".service") and value and "/" in value:  # a service reference: NAMESPACE/[SCHEME:]NAME:PORT
        return value.split("/", 1)[1].rsplit(":", 1)[0].split(":")[-1]
    return value


def _object_renamer(cfg):
    """A function (kind, path, value) -> value renaming object names (None: nothing to rename)."""
    names = {spelled: configured for spelled, dotted in SPELLED_NAMES.items()
             if (configured := _field(cfg, dotted)) and configured != spelled}
    workloads = {key: configured for key, dotted in SPELLED_WORKLOADS.items()
                 if (configured := _field(cfg, dotted)) != key[1]}
    k, secrets = cfg.kubernetes, cfg.secrets
    label_key, _, label_value = k.app_label.partition("=")
    app = {"deployment": k.deployment, "container": k.container, "label": label_value or SPELLED_APP}
    if (not names and not workloads and set(app.values()) == {SPELLED_APP}
            and secrets.external_secret == secrets.target_secret == SPELLED_SECRET):
        return None

    def owner(kind: str, path: tuple) -> bool:
        """The ExternalSecret itself, or a reference to it (the Secret's owner, an Event about it)."""
        return (kind == "ExternalSecret" and path == ("metadata", "name")) or path[:2] in (
            ("metadata", "ownerReferences"), ("involvedObject", "name"))

    def rename(kind: str, path: tuple, value: str) -> str:
        if value in names:
            return names[value]
        if path == ("metadata", "name") and (kind, value) in workloads:
            return workloads[(kind, value)]
        if value == SPELLED_SECRET:
            return secrets.external_secret if owner(kind, path) else secrets.target_secret
        if value == SPELLED_APP:
            if path[-1] == label_key and "labels" in path or path[-2:] == ("matchLabels", label_key) or \
                    path[-2:] == ("selector", label_key):
                return app["label"]
            if path[-2:] in (("containers", "name"), ("containerStatuses", "name")):
                return app["container"]
            if path in (("metadata", "name"), ("spec", "scaleTargetRef", "name")) and kind in (
                    "Deployment", "HorizontalPodAutoscaler") or path[:2] in (
                    ("metadata", "ownerReferences"), ("involvedObject", "name")):
                return app["deployment"]
            return value
        if '="' in value:  # PromQL: the app's container and Service as label values
            value = re.sub(r'\b(container|service)="([^"]*)"', lambda m: '{}="{}"'.format(m[1], (
                app["container"] if m[1] == "container" and m[2] == SPELLED_APP else names.get(m[2], m[2]))), value)
        derived = _DERIVED.fullmatch(value)
        if derived and path[-1] in ("name", "generateName"):
            base = derived["base"]
            if base == SPELLED_APP:
                return app["deployment"] + derived["rest"]
            if base == SPELLED_SECRET:
                return secrets.external_secret + derived["rest"]
        return value
    return rename


def render(cfg, text: str | None = None) -> list[dict]:
    """The seed's documents for this environment."""
    docs = [d for d in yaml.safe_load_all(text if text is not None else SEED.read_text()) if d]
    moved, renamed, named = renames(cfg), _value_renamer(cfg), _object_renamer(cfg)
    labels = cfg.kubernetes.namespace_labels
    if not moved and renamed is None and named is None and not labels:
        return docs
    promql = re.compile(r'namespace="(%s)"' % "|".join(map(re.escape, moved))) if moved else None

    def walk(value, kind: str, path: tuple = ()):
        if isinstance(value, dict):
            return {k: walk(v, kind, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, kind, (*path, "[]")) for v in value]
        if isinstance(value, str):
            key = "namespace" if path[-2:] == ("matchNames", "[]") else path[-1] if path else None
            if key in NAMESPACE_KEYS:
                return moved.get(value, value)
            if named is not None:
                value = named(kind, tuple(p for p in path if p != "[]"), value)
            if renamed is not None:
                value = renamed(value)
            return promql.sub(lambda m: f'namespace="{moved[m[1]]}"', value) if promql else value
        return value

    rendered = []
    for doc in docs:
        doc = walk(doc, doc.get("kind", ""))
        if doc.get("kind") == "Namespace" and doc["metadata"]["name"] in moved:
            doc["metadata"]["name"] = moved[doc["metadata"]["name"]]
        if doc.get("kind") == "Namespace" and doc["metadata"]["name"] == cfg.kubernetes.app_namespace:
            doc["metadata"].setdefault("labels", {}).update(labels)  # kubernetes.namespace_labels
        rendered.append(doc)
    return rendered


def write(cfg, path: Path) -> Path:
    """The rendered seed as a file (what the emulator's --seed reads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(render(cfg), sort_keys=False))
    return path
