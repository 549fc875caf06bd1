"""The Kubernetes seed rendered from `[environments.sandbox]`: sandbox/seed/kubernetes.yaml spells the
reference namespaces (SPELLED); each namespace the environment configures differently replaces it wherever a
namespace stands: an object's metadata.namespace, a Namespace's name and its kubernetes.io/metadata.name
label, namespaceSelectors, ServiceMonitor matchNames, event and subject references, `namespace="..."` in
PromQL. Beside namespaces: the Secrets Manager prefix of the ExternalSecret's remote keys, the account and
the ESO role in IAM role ARNs, and the app's image (kubernetes.expected_image; older tags keep their tag in
the configured repository). Object names are spelled as the sandbox configures them (not rendered yet).
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


def render(cfg, text: str | None = None) -> list[dict]:
    """The seed's documents for this environment."""
    docs = [d for d in yaml.safe_load_all(text if text is not None else SEED.read_text()) if d]
    moved, renamed = renames(cfg), _value_renamer(cfg)
    if not moved and renamed is None:
        return docs
    promql = re.compile(r'namespace="(%s)"' % "|".join(map(re.escape, moved))) if moved else None

    def walk(value, key=None):
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, "namespace" if key == "matchNames" else None) for v in value]
        if isinstance(value, str):
            if key in NAMESPACE_KEYS and value in moved:
                return moved[value]
            if renamed is not None:
                value = renamed(value)
            return promql.sub(lambda m: f'namespace="{moved[m[1]]}"', value) if promql else value
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
