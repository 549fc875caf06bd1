"""Scale mode (`golive-sandbox up --scale`): the sandbox at the size of a busy production account.

On top of the rehearsal seed: 500 more nodes (Ready, m5.large), 10,000 more pods in 50 other
namespaces (20 Running on each new node), 500 more secrets (in Secrets Manager, and 10 Kubernetes
Secrets in each of those namespaces) and 300 more Grafana dashboards. None of it is the app's, so
every check must decide as it does at 1x: only the cost of gathering and judging grows
(`benchmarks/scale.py` measures it).

The Kubernetes objects go in with one POST to the emulator's sandbox-only `/_sandbox/seed`, as
its start-up seed does (through the API, each pod would take a create and a status update);
secrets and dashboards go in through moto's and Grafana's own APIs. Seeding again is a no-op.
"""
from __future__ import annotations

import copy
import json
import time
from concurrent.futures import ThreadPoolExecutor

import yaml
from botocore.exceptions import ClientError

from sandbox import stack

NODES, NAMESPACES, PODS_PER_NODE, SECRETS, DASHBOARDS = 500, 50, 20, 500, 300
SECRETS_PER_NAMESPACE = SECRETS // NAMESPACES
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
TEAM = "golive-scale"  # every added object carries it, so nothing of it can be mistaken for the app's


def namespace_name(i: int) -> str:
    return f"tenant-{i:02d}"


def _seeded_node() -> dict:
    docs = yaml.safe_load_all((stack.HERE / "seed" / "kubernetes.yaml").read_text())
    return next(d for d in docs if d and d.get("kind") == "Node")


def _node(template: dict, i: int) -> dict:
    """A copy of a seeded m5.large node under a new name, address and zone."""
    node = copy.deepcopy(template)
    ip, zone = f"10.1.{i // 250}.{i % 250 + 4}", ZONES[i % len(ZONES)]
    name = f"ip-{ip.replace('.', '-')}.ec2.internal"
    meta = node["metadata"]
    meta["name"] = name
    meta["labels"].update({"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone,
                           "failure-domain.beta.kubernetes.io/zone": zone,
                           "eks.amazonaws.com/nodegroup": "tenant-workers"})
    meta["annotations"]["alpha.kubernetes.io/provided-node-ip"] = ip
    node["spec"]["providerID"] = f"aws:///{zone}/i-0{i:016x}"
    node["status"]["addresses"] = [{"type": "InternalIP", "address": ip}, {"type": "InternalDNS", "address": name},
                                   {"type": "Hostname", "address": name}]
    return node


def _pod(namespace: str, i: int, node: dict) -> dict:
    labels = {"app": f"worker-{i % 7}", "team": TEAM}
    ready = [{"type": t, "status": "True", "lastTransitionTime": "__NOW_MINUS_2d__"}
             for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"worker-{i:05d}", "namespace": namespace, "labels": labels,
                     "creationTimestamp": "__NOW_MINUS_2d__"},
        "spec": {"nodeName": node["metadata"]["name"], "serviceAccountName": "default", "containers": [{
            "name": "worker", "image": "public.ecr.aws/docker/library/busybox:1.36",
            "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "100m", "memory": "256Mi"}},
        }]},
        "status": {"phase": "Running", "hostIP": node["status"]["addresses"][0]["address"],
                   "podIP": f"10.2.{i // 250}.{i % 250 + 4}", "startTime": "__NOW_MINUS_2d__", "conditions": ready,
                   "containerStatuses": [{"name": "worker", "ready": True, "restartCount": 0, "started": True,
                                          "image": "public.ecr.aws/docker/library/busybox:1.36",
                                          "state": {"running": {"startedAt": "__NOW_MINUS_2d__"}}}]},
    }


def kubernetes_objects() -> list[dict]:
    """Namespaces, nodes, pods and Secrets, as seed manifests (status included)."""
    template = _seeded_node()
    nodes = [_node(template, i) for i in range(NODES)]
    docs: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": namespace_name(n), "labels": {"team": TEAM}}, "status": {"phase": "Active"}} for n in range(NAMESPACES)]
    docs += nodes
    for i in range(NODES * PODS_PER_NODE):
        docs.append(_pod(namespace_name(i % NAMESPACES), i, nodes[i // PODS_PER_NODE]))
    for i in range(SECRETS):
        docs.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {
            "name": f"worker-config-{i // NAMESPACES}", "namespace": namespace_name(i % NAMESPACES),
            "labels": {"team": TEAM}}, "data": {"token": "c2NhbGUtZmlsbGVy"}})  # "scale-filler"
    return docs


def dashboard(i: int) -> dict:
    return {"uid": f"tenant-{i:03d}", "title": f"Tenant service {i:03d}", "tags": [TEAM], "schemaVersion": 39,
            "panels": [{"id": 1, "type": "timeseries", "title": "Requests",
                        "datasource": {"type": "prometheus", "uid": "prometheus"},
                        "targets": [{"refId": "A", "expr": f'sum(rate(http_requests_total{{service="tenant-{i:03d}"}}[5m]))'}]}]}


def _seed_kubernetes(sb) -> str:
    if sb.kube.get("Namespace", namespace_name(0)) is not None:
        return "already seeded"
    docs = kubernetes_objects()
    answer = sb.kube.http.post(f"{sb.kube.base}/_sandbox/seed", data=json.dumps(docs),
                               headers={"Content-Type": "application/json"}, timeout=120)
    if answer.status_code != 201:
        raise stack.SandboxError(f"the Kubernetes emulator refused the scale seed: HTTP {answer.status_code} "
                                 f"{answer.text[:200]}")
    return f"{answer.json()['seeded']} objects"


def _seed_secrets(sb) -> str:
    sm = sb.aws("secretsmanager")

    def create(i: int) -> bool:
        try:
            sm.create_secret(Name=f"{namespace_name(i % NAMESPACES)}/worker-{i:03d}/token", SecretString="scale-filler",
                             Tags=[{"Key": "team", "Value": TEAM}])
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceExistsException":
                raise
            return False
    with ThreadPoolExecutor(4) as pool:  # moto's server is threaded: a few calls in flight hide its latency
        created = sum(pool.map(create, range(SECRETS)))
    return f"{created} created"


def _seed_dashboards(sb) -> str:
    def save(i: int) -> None:
        sb.grafana("POST", "/api/dashboards/db", json={"dashboard": dashboard(i), "overwrite": True}).raise_for_status()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(save, range(DASHBOARDS)))
    return f"{DASHBOARDS} saved"


def seed(sb, echo=print) -> dict:
    """Add the scale objects to a running sandbox; returns seconds per part."""
    timings = {}
    for part, add in (("kubernetes", _seed_kubernetes), ("secrets", _seed_secrets), ("dashboards", _seed_dashboards)):
        start = time.monotonic()
        what = add(sb)
        timings[part] = round(time.monotonic() - start, 2)
        echo(f"scale: {part} {what} in {timings[part]} s")
    return timings
