"""Every name a fault acts on, never spelled in a fault: the sandbox environment's configuration names it.

In order of preference, a name comes from
1. a field of `[environments.sandbox]` (golive.toml, through `sandbox.stack.sandbox_config()`), as the checks
   read it: `names.kubernetes.app_namespace`, `names.secrets.prefix`;
2. the Kubernetes seed rendered from that environment, for objects only the seed has (its pods, a node, the
   previous ReplicaSet, the app's service account), and the sandbox's provisioning (Grafana's folders, the
   Prometheus rule files): looked up, not spelled;
3. SEED below: the one table of what the sandbox's seed and provisioning spell and no field gives.

Fault descriptions and expected words are templates of these names (`{kubernetes.app_namespace}`, `{pod_a}`),
filled in from the sandbox environment when they are read (`fill`).
"""
from __future__ import annotations

from functools import cache, cached_property
from pathlib import Path

# Names the sandbox's seed and provisioning spell that no configuration field gives.
SEED = {
    "service_down_alert": "NBAMCPServiceUnavailable",  # provisioning/prometheus/rules: the app's `up == 0` alert
    "dropped_secret_key": "deepseek-api-key",  # of secrets.keys: the one whose Kubernetes key a fault removes
    "pending_pod_suffix": "zz4pq",  # a fourth replica's pod, named as its ReplicaSet would name it
    "node_index": 1,  # which seeded node (by name) the node faults act on
}


class Names:
    """The names of one sandbox environment (a golive Config): its sections, and what the seed has beside them."""

    def __init__(self, cfg):
        self.cfg = cfg

    def __getattr__(self, section: str):
        if section == "cfg":  # not set yet (copying, unpickling): no recursion through __getattr__
            raise AttributeError(section)
        return getattr(self.cfg, section)

    @cached_property
    def _seed(self) -> list[dict]:
        from sandbox import seed_kube

        return seed_kube.render(self.cfg)

    def _seeded(self, kind: str, namespace: str | None = None) -> list[dict]:
        """The seed's objects of a kind (in a namespace), by name."""
        found = [d for d in self._seed if d.get("kind") == kind
                 and (namespace is None or d["metadata"].get("namespace") == namespace)]
        return sorted(found, key=lambda d: d["metadata"]["name"])

    def _seeded_one(self, kind: str, name: str, namespace: str | None = None) -> dict:
        for doc in self._seeded(kind, namespace):
            if doc["metadata"]["name"] == name:
                return doc
        raise KeyError(f"the sandbox's seed has no {kind} {namespace}/{name}")

    # --- from the configuration ---------------------------------------------------------------

    @property
    def app_label(self) -> tuple[str, str]:
        key, _, value = self.cfg.kubernetes.app_label.partition("=")
        return key, value

    @property
    def database_secret(self) -> str:
        """The Secrets Manager secret that must rotate (secrets.rotation_required)."""
        return self.cfg.secrets.prefix + self.cfg.secrets.rotation_required[0]

    @property
    def narrowed_secret_scope(self) -> str:
        """A sibling of secrets.prefix (…/production/ -> …/staging/): a policy scoped there misses every secret."""
        parent = self.cfg.secrets.prefix.rstrip("/").rpartition("/")[0]
        return f"{parent}/staging/" if parent else f"{self.cfg.secrets.prefix}staging/"

    @property
    def eso_trust_subject(self) -> str:
        """The service account the ESO role trusts (IRSA): its account in the app namespace."""
        return f"system:serviceaccount:{self.cfg.kubernetes.app_namespace}:{self.cfg.secrets.eso_service_account}"

    @property
    def policy_arn_prefix(self) -> str:
        return f"arn:aws:iam::{self.cfg.aws.account_id}:policy/"

    @property
    def memory_alert(self) -> str:
        """The alert whose threshold is thresholds.memory_percent (prometheus.alert_thresholds)."""
        return next(alert for alert, threshold in self.cfg.prometheus.alert_thresholds.items()
                    if threshold == "memory_percent")

    @property
    def service_down_alert(self) -> str:
        return SEED["service_down_alert"]

    @property
    def rule_group(self) -> str:
        return self.cfg.prometheus.rule_groups[0]

    @property
    def dashboard(self) -> str:
        return self.cfg.grafana.dashboards[0]

    @property
    def grafana_url(self) -> str:
        return str(self.cfg.grafana.url).rstrip("/")

    @property
    def staging_deployment(self) -> str:
        return f"{self.cfg.kubernetes.deployment}-staging"

    # --- from the seed rendered from the configuration ----------------------------------------

    @cached_property
    def app_pods(self) -> list[str]:
        """The seeded pods of the app's Deployment, by name."""
        key, value = self.app_label
        return [p["metadata"]["name"] for p in self._seeded("Pod", self.cfg.kubernetes.app_namespace)
                if p["metadata"].get("labels", {}).get(key) == value]

    @property
    def pod_a(self) -> str:
        return self.app_pods[0]

    @property
    def pod_b(self) -> str:
        return self.app_pods[1]

    @property
    def pending_pod(self) -> str:
        pod = self._seeded_one("Pod", self.pod_a, self.cfg.kubernetes.app_namespace)
        return pod["metadata"]["generateName"] + SEED["pending_pod_suffix"]

    @property
    def node(self) -> str:
        return self._seeded("Node")[SEED["node_index"]]["metadata"]["name"]

    @cached_property
    def previous_replicaset(self) -> str:
        """The app's seeded revision-1 ReplicaSet (what a rollback goes back to)."""
        for rs in self._seeded("ReplicaSet", self.cfg.kubernetes.app_namespace):
            owners = {o.get("name") for o in rs["metadata"].get("ownerReferences", [])}
            revision = rs["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision")
            if self.cfg.kubernetes.deployment in owners and revision == "1":
                return rs["metadata"]["name"]
        raise KeyError("the sandbox's seed has no revision-1 ReplicaSet of the app")

    @property
    def _app_pod_spec(self) -> dict:
        deployment = self._seeded_one("Deployment", self.cfg.kubernetes.deployment, self.cfg.kubernetes.app_namespace)
        return deployment["spec"]["template"]["spec"]

    @property
    def app_image(self) -> str:
        return self._app_pod_spec["containers"][0]["image"]

    @property
    def app_image_tag(self) -> str:
        return self.app_image.rpartition(":")[2]

    @property
    def previous_image(self) -> str:
        """The image of the previous revision (its ReplicaSet's), e.g. <repository>/nba-mcp-synthesis:v1.3.2."""
        rs = self._seeded_one("ReplicaSet", self.previous_replicaset, self.cfg.kubernetes.app_namespace)
        return rs["spec"]["template"]["spec"]["containers"][0]["image"]

    @property
    def previous_image_name(self) -> str:
        """The previous image without its registry: name:tag."""
        return self.previous_image.rsplit("/", 1)[-1]

    @property
    def app_service_account(self) -> str:
        return self._app_pod_spec["serviceAccountName"]

    @property
    def dropped_secret_key(self) -> str:
        """The Kubernetes key the ExternalSecret writes for SEED's dropped Secrets Manager key."""
        remote = self.cfg.secrets.prefix + SEED["dropped_secret_key"]
        external = self._seeded_one("ExternalSecret", self.cfg.secrets.external_secret,
                                    self.cfg.kubernetes.app_namespace)
        return next(d["secretKey"] for d in external["spec"]["data"] if d["remoteRef"]["key"] == remote)

    # --- from the sandbox's provisioning ------------------------------------------------------

    @cached_property
    def dashboard_folder(self) -> str:
        """The uid of the folder Grafana provisions the dashboards in."""
        return self._provisioned("dashboards/dashboards.yaml")["providers"][0]["folderUid"]

    @cached_property
    def alert_folder(self) -> str:
        """The folder of the Grafana-managed alert rules."""
        return self._provisioned("alerting/rules.yaml")["groups"][0]["folder"]

    @staticmethod
    def _provisioned(grafana_file: str) -> dict:
        import yaml

        from sandbox import stack

        return yaml.safe_load((stack.PROVISIONING / "grafana" / grafana_file).read_text())

    @staticmethod
    def rule_file(live: Path, group: str) -> str:
        """The rule file (relative to the live Prometheus config folder) that holds a rule group."""
        import yaml

        for path in sorted((live / "rules").glob("*.yml")):
            if any(g.get("name") == group for g in (yaml.safe_load(path.read_text()) or {}).get("groups", [])):
                return str(path.relative_to(live))
        raise KeyError(f"no rule file in {live} holds group {group}")


@cache
def sandbox_names() -> Names:
    """The names of the sandbox environment, loaded once, when a fault first needs them."""
    from sandbox import stack

    return Names(stack.sandbox_config())


class _Fields(dict):
    def __init__(self, names: Names):
        super().__init__()
        self.names = names

    def __missing__(self, key: str):
        return getattr(self.names, key)


def fill(template: str, names: Names | None = None) -> str:
    """A description or expected words with their names filled in (`{kubernetes.app_namespace}`, `{pod_a}`)."""
    return template.format_map(_Fields(names or sandbox_names()))
