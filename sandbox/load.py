"""`golive-sandbox load PATH...`: a team's own manifests into the sandbox's Kubernetes API, to rehearse on them.

The files are read as golive's manifest mode reads them (fixtures/manifests.py: folders, multi-document files,
`kind: List`, kustomizations rendered with `kubectl kustomize`). Each object goes through API discovery (the
official client's dynamic client, as against any cluster): created if new, replaced if the sandbox has it.
No controllers run in the sandbox, so the loader does what they would once settled:
- a replaced object keeps the status the sandbox seeded (the API server keeps it), with observedGeneration
  caught up and controller-written annotations (a Deployment's revision) kept;
- a new workload gets a plausible status (Deployments, StatefulSets and DaemonSets ready, an HPA able to scale,
  a PVC bound, an ExternalSecret synced ...); pods are not made for it.
Every load is recorded in the state folder: `golive-sandbox unload` (or `Loaded.undo()`) puts back what was
there before, so a load heals as a fault does.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kubernetes import client, dynamic
from kubernetes.dynamic.exceptions import ApiException, ResourceNotFoundError

from fixtures.manifests import RUNTIME, documents
from golive import kinds
from golive.gather import BadData
from golive.probes import kube
from sandbox import stack
from sandbox.pki import Pki

RECORD = "loaded.json"
FIRST = ("Namespace", "CustomResourceDefinition")  # what other objects need to exist before them
# Annotations controllers write on objects they own: a replace from a file does not remove them.
CONTROLLER_ANNOTATIONS = ("deployment.kubernetes.io/revision",)


# What --prune may delete: the namespaced kinds a team's manifests declare (golive reads them from files too),
# not what the cluster makes (pods, endpoints, events, ReplicaSets); nor what every namespace has.
PRUNED = [k for k in kinds.KINDS if k.read and k.namespaced and k.name not in RUNTIME]
SYSTEM_OBJECTS = {("ServiceAccount", "default"), ("ConfigMap", "kube-root-ca.crt")}


class LoadError(Exception):
    """One line: why the manifests cannot be loaded (bad input)."""


class SandboxDown(LoadError):
    """The sandbox's Kubernetes API cannot be reached or has no credentials."""


@dataclass
class Loaded:
    """What one load changed: per object, what was there before (None: the load created it)."""

    record: Path
    changes: list[dict] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # one per object, as kubectl apply prints them
    refused: list[str] = field(default_factory=list)

    def undo(self, api=None) -> list[str]:
        """Put back what the load replaced and delete what it created, newest first."""
        if not self.changes:
            return []
        api = api or dynamic_client()
        done, failed = [], []
        for change in reversed(self.changes):  # each on its own: one that fails leaves the others healed
            try:
                done.append(_undo(api, change))
            except ApiException as exc:
                failed.append((change, f"{change['kind']} {change['name']}: {_reason(exc)}"))
        _forget(self.record, [c for c in self.changes if c not in [f for f, _ in failed]])
        self.changes = [f for f, _ in failed]
        if failed:
            raise LoadError("could not put back " + "; ".join(why for _, why in failed))
        return done


def dynamic_client() -> dynamic.DynamicClient:
    """The sandbox's Kubernetes API as its admin (loading is an operator's job, not golive's)."""
    pki = Pki(stack.state_dir())
    if not pki.tokens_file.exists():
        raise SandboxDown(f"the sandbox has no credentials in {stack.state_dir()}: is it up? (`golive-sandbox up`)")
    configuration = client.Configuration()
    configuration.host = stack.KUBE_URL
    configuration.ssl_ca_cert = str(pki.ca)
    configuration.api_key = {"authorization": f"Bearer {pki.token('admin')}"}
    # Discovery kept with the sandbox's own state (it was a file in /tmp named by a per-process hash: a new one,
    # never read again, on every load).
    cache = stack.state_dir() / "kube-discovery.json"
    return dynamic.DynamicClient(client.ApiClient(configuration), cache_file=str(cache))


def read(paths: list[Path], namespace: str) -> list[dict]:
    try:
        objects, _notes = documents([Path(p) for p in paths])
    except BadData as exc:
        raise LoadError(str(exc)) from None
    if not objects:
        raise LoadError(f"no Kubernetes objects in {', '.join(map(str, paths))}")
    for obj in objects:
        if not (obj.get("metadata") or {}).get("name"):
            raise LoadError(f"a {obj.get('kind')} without metadata.name in {', '.join(map(str, paths))}")
    order = {kind: i for i, kind in enumerate(FIRST)}
    return sorted(objects, key=lambda o: order.get(o.get("kind"), len(FIRST)))  # stable: file order otherwise


def load(paths: list[Path], namespace: str, prune: bool = False, api=None) -> Loaded:
    """Create or replace every object under `paths` (namespace defaulted to `namespace`, as `kubectl apply -n`);
    with `prune`, `namespace` then holds exactly what the files declare: objects of the kinds a team declares
    (not pods, endpoints, events ... nor what a controller owns) that no file names are deleted."""
    objects = read(paths, namespace)
    api = api or dynamic_client()
    loaded = Loaded(stack.state_dir() / RECORD)
    declared = {(o["kind"], o["metadata"].get("namespace") or namespace, o["metadata"]["name"]) for o in objects}
    for obj in objects:
        where = f"{obj['kind']} {obj['metadata'].get('namespace') or namespace}/{obj['metadata']['name']}"
        try:
            resource = api.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        except ResourceNotFoundError:
            loaded.refused.append(f"{where}: {obj['apiVersion']} {obj['kind']} is not served by the sandbox's API")
            continue
        if resource.namespaced:
            obj["metadata"]["namespace"] = obj["metadata"].get("namespace") or namespace
        else:
            obj["metadata"].pop("namespace", None)
            where = f"{obj['kind']} {obj['metadata']['name']}"
        try:
            change, line = _put(api, resource, obj)
        except ApiException as exc:
            loaded.refused.append(f"{where}: {_reason(exc)}")
            continue
        loaded.changes.append(change)
        loaded.lines.append(f"{line} {where}")
        _remember(loaded.record, change)
    if prune:
        for kind in PRUNED:
            resource = api.resources.get(api_version=kind.group_version, kind=kind.kind)
            for item in resource.get(namespace=namespace).items:
                obj = item.to_dict()
                meta = obj["metadata"]
                if (kind.kind, namespace, meta["name"]) in declared or meta.get("ownerReferences") or \
                        (kind.kind, meta["name"]) in SYSTEM_OBJECTS:
                    continue
                resource.delete(name=meta["name"], namespace=namespace)
                change = {"apiVersion": kind.group_version, "kind": kind.kind, "namespace": namespace,
                          "name": meta["name"], "before": obj}
                loaded.changes.append(change)
                loaded.lines.append(f"pruned {kind.kind} {namespace}/{meta['name']}")
                _remember(loaded.record, change)
    return loaded


def _put(api, resource, obj) -> tuple[dict, str]:
    meta = obj["metadata"]
    namespace = meta.get("namespace")
    key = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "namespace": namespace, "name": meta["name"]}
    before = _get(resource, meta["name"], namespace)
    body = {k: v for k, v in obj.items() if k != "status"}
    if before is None:
        created = resource.create(body=body, namespace=namespace).to_dict()
        status = _plausible_status(api, created)
        if status and _has_status(resource):
            resource.status.replace(body={**created, "status": status}, namespace=namespace)
        return {**key, "before": None}, "created"
    annotations = {k: v for k, v in ((before["metadata"].get("annotations") or {}).items())
                   if k in CONTROLLER_ANNOTATIONS and k not in (meta.get("annotations") or {})}
    if annotations:
        meta["annotations"] = {**(meta.get("annotations") or {}), **annotations}
    meta["resourceVersion"] = before["metadata"]["resourceVersion"]
    replaced = resource.replace(body=body, namespace=namespace).to_dict()
    _settle(resource, replaced, before)
    return {**key, "before": before}, "replaced (status kept)" if before.get("status") else "replaced"


def _get(resource, name, namespace) -> dict | None:
    try:
        return resource.get(name=name, namespace=namespace).to_dict()
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def _has_status(resource) -> bool:
    return getattr(resource, "subresources", None) is not None and "status" in resource.subresources


def _settle(resource, obj, before) -> None:
    """As the object's controller would once it saw the new spec: observedGeneration caught up."""
    status = dict(obj.get("status") or {})
    seen, generation = (before.get("status") or {}).get("observedGeneration"), obj["metadata"].get("generation")
    if _has_status(resource) and seen is not None and seen == before["metadata"].get("generation") \
            and generation != seen:
        status["observedGeneration"] = generation
        resource.status.replace(body={**obj, "status": status}, namespace=obj["metadata"].get("namespace"))


def _undo(api, change) -> str:
    resource = api.resources.get(api_version=change["apiVersion"], kind=change["kind"])
    where = f"{change['kind']} {change['namespace'] + '/' if change['namespace'] else ''}{change['name']}"
    live = _get(resource, change["name"], change["namespace"])
    before = change["before"]
    if before is None:
        if live is not None:
            resource.delete(name=change["name"], namespace=change["namespace"])
        return f"deleted {where}"
    body = json.loads(json.dumps(before))
    body["metadata"] = {k: v for k, v in body["metadata"].items() if k not in ("resourceVersion", "uid")}
    if live is None:
        restored = resource.create(body=body, namespace=change["namespace"]).to_dict()
    else:
        body["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
        restored = resource.replace(body=body, namespace=change["namespace"]).to_dict()
    if before.get("status") is not None and _has_status(resource):
        status = dict(before["status"])
        if status.get("observedGeneration") == before["metadata"].get("generation"):
            status["observedGeneration"] = restored["metadata"].get("generation")
        resource.status.replace(body={**restored, "status": status}, namespace=change["namespace"])
    return f"restored {where}"


def _plausible_status(api, obj) -> dict | None:
    """The status a new object's controller would report once settled, for the kinds whose controllers the
    sandbox stands in for; None for the others (their API-set status stays)."""
    kind, spec = obj["kind"], obj.get("spec") or {}
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    generation = obj["metadata"].get("generation", 1)
    condition = lambda type_, reason, status="True", message="": {
        "type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": now}
    replicas = spec.get("replicas", 1)
    if kind in ("Deployment", "ReplicaSet", "StatefulSet"):
        status = {"observedGeneration": generation, "replicas": replicas, "readyReplicas": replicas,
                  "availableReplicas": replicas}
        if kind != "ReplicaSet":
            status["updatedReplicas"] = replicas
        if kind == "StatefulSet":
            status["currentReplicas"] = replicas
        if kind == "Deployment":
            status["conditions"] = [
                {**condition("Available", "MinimumReplicasAvailable", message="Deployment has minimum availability."),
                 "lastUpdateTime": now},
                {**condition("Progressing", "NewReplicaSetAvailable", message="ReplicaSet has successfully progressed."),
                 "lastUpdateTime": now}]
        return status
    if kind == "DaemonSet":
        nodes = len(api.resources.get(api_version="v1", kind="Node").get().items)
        return {"observedGeneration": generation, "desiredNumberScheduled": nodes, "currentNumberScheduled": nodes,
                "numberReady": nodes, "numberAvailable": nodes, "updatedNumberScheduled": nodes, "numberMisscheduled": 0}
    if kind == "HorizontalPodAutoscaler":
        least = spec.get("minReplicas", 1)
        return {"currentReplicas": least, "desiredReplicas": least, "conditions": [
            condition("AbleToScale", "ReadyForNewScale", message="recommended size matches current size"),
            condition("ScalingActive", "ValidMetricFound",
                      message="the HPA was able to successfully calculate a replica count"),
            condition("ScalingLimited", "DesiredWithinRange", "False", "the desired count is within the acceptable range")]}
    if kind == "PersistentVolumeClaim":
        return {"phase": "Bound", "accessModes": spec.get("accessModes", ["ReadWriteOnce"]),
                "capacity": {"storage": ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")}}
    if kind == "PodDisruptionBudget":
        return _pdb_status(api, obj, generation, condition)
    if kind == "Job":
        return {"startTime": now, "completionTime": now, "succeeded": 1, "conditions": [condition("Complete", "Completed")]}
    if kind == "ExternalSecret":
        return {"refreshTime": now, "syncedResourceVersion": f"1-{obj['metadata']['uid'][:8]}",
                "conditions": [condition("Ready", "SecretSynced", message="Secret was synced")]}
    if kind in ("SecretStore", "ClusterSecretStore"):
        return {"capabilities": "ReadWrite", "conditions": [condition("Ready", "Valid", message="store validated")]}
    if kind == "Ingress":
        host = f"k8s-{obj['metadata'].get('namespace', 'default')[:8]}-{obj['metadata']['name'][:8]}-0a1b2c3d4e"
        return {"loadBalancer": {"ingress": [{"hostname": f"{host}.us-east-1.elb.amazonaws.com"}]}}
    return None


def _pdb_status(api, pdb, generation, condition) -> dict:
    """disruptionsAllowed as the disruption controller computes it from the pods the budget selects."""
    spec = pdb.get("spec") or {}
    pods = [p.to_dict() for p in api.resources.get(api_version="v1", kind="Pod").get(
        namespace=pdb["metadata"]["namespace"]).items]
    selected = [p for p in pods if kube.selector_matches(spec.get("selector"), kube.labels(p))]
    healthy = sum(1 for p in selected if (p.get("status") or {}).get("phase") == "Running")
    expected = len(selected)
    if "minAvailable" in spec:
        desired = _count(spec["minAvailable"], expected)
    else:
        desired = expected - _count(spec.get("maxUnavailable", 0), expected)
    allowed = max(healthy - desired, 0)
    return {"observedGeneration": generation, "expectedPods": expected, "currentHealthy": healthy,
            "desiredHealthy": desired, "disruptionsAllowed": allowed, "conditions": [
                condition("DisruptionAllowed", "SufficientPods" if allowed else "InsufficientPods",
                          "True" if allowed else "False")]}


def _count(value, total) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return -(-int(value[:-1]) * total // 100)
    return int(value)


def _reason(exc: ApiException) -> str:
    try:
        return json.loads(exc.body).get("message") or str(exc.reason)
    except (TypeError, ValueError):
        return f"HTTP {exc.status} {exc.reason}"


# --- the record: what `unload` puts back, across processes ----------------------------------------

def _read_record(record: Path) -> list[dict]:
    return json.loads(record.read_text()) if record.exists() else []


def _remember(record: Path, change: dict) -> None:
    record.write_text(json.dumps([*_read_record(record), change]))


def _forget(record: Path, changes: list[dict]) -> None:
    left = [c for c in _read_record(record) if c not in changes]
    record.write_text(json.dumps(left)) if left else record.unlink(missing_ok=True)


def outstanding() -> Loaded:
    """Every load not yet undone (what `golive-sandbox unload` puts back)."""
    record = stack.state_dir() / RECORD
    return Loaded(record, _read_record(record))
