"""The Kubernetes seed rendered from `[environments.sandbox]`: sandbox/seed/kubernetes.yaml spells the
reference namespaces (SPELLED); each namespace the environment configures differently replaces it wherever a
namespace stands: an object's metadata.namespace, a Namespace's name and its kubernetes.io/metadata.name
label, namespaceSelectors, ServiceMonitor matchNames, event and subject references, `namespace="..."` in
PromQL. What is not renamed yet (object names, the cluster, image) is spelled as the sandbox configures it.
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


def render(cfg, text: str | None = None) -> list[dict]:
    """The seed's documents for this environment."""
    docs = [d for d in yaml.safe_load_all(text if text is not None else SEED.read_text()) if d]
    moved = renames(cfg)
    if not moved:
        return docs
    promql = re.compile(r'namespace="(%s)"' % "|".join(map(re.escape, moved)))

    def walk(value, key=None):
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, "namespace" if key == "matchNames" else None) for v in value]
        if isinstance(value, str):
            if key in NAMESPACE_KEYS and value in moved:
                return moved[value]
            return promql.sub(lambda m: f'namespace="{moved[m[1]]}"', value)
        return value

    rendered = []
    for doc in map(walk, docs):
        if doc.get("kind") == "Namespace" and doc["metadata"]["name"] in moved:
            doc["metadata"]["name"] = moved[doc["metadata"]["name"]]
        rendered.append(doc)
    return rendered


def write(cfg, path: Path) -> Path:
    """The rendered seed as a file (what the emulator's --seed reads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(render(cfg), sort_keys=False))
    return path
