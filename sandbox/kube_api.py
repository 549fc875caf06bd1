"""A small, faithful emulator of the Kubernetes REST API for the rehearsal sandbox.

No kube-apiserver can run here, so this serves what golive's checks, the official
Python client and kubectl use: discovery, list/get/create/replace/patch/delete, the
status subresource, label/field selectors, server-side Table output and the service
proxy (`/api/v1/namespaces/NS/services/[SCHEME:]NAME[:PORT]/proxy/...`, to the backends
given with --proxy). Plain HTTP with Authorization ignored, or, as `golive-sandbox up` runs it,
HTTPS (--tls-cert/--tls-key) with bearer tokens required (--tokens, and EKS tokens verified
against STS with --eks-cluster/--sts-endpoint); anything else gets 401 Unauthorized. Watch,
logs, exec, OpenAPI v2 and server-side apply are refused with Status errors; OpenAPI v3 serves what kubectl
needs to leave validation to the server. Usage:

    python -m sandbox.kube_api --host 127.0.0.1 --port 18443 --seed sandbox/seed/kubernetes.yaml

Seed placeholders: a string that is exactly `__NOW__` or `__NOW_MINUS_<n><s|m|h|d>__`
becomes an RFC 3339 time relative to start. Missing uid, creationTimestamp (start
minus 30 days), resourceVersion and generation are stamped at load; ownerReferences
without uid get the uid of the seeded owner of that kind and name.
As upstream, writes to the main resource keep the status of kinds with a status
subresource; change status through `.../<name>/status`.
"""

import argparse
import base64
import copy
import http.client
import json
import re
import ssl
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree

import yaml
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException
from kubernetes.utils import parse_quantity

from golive.kinds import KINDS, Kind
from sandbox import emulator, kube_validation
from sandbox.latency import INTERNAL_AGENT


# The served kinds are golive's kinds table (golive/kinds.py): one list, read by the product and the sandbox.
RESOURCES = KINDS
BY_PATH = {(r.group_version, r.plural): r for r in RESOURCES}
BY_KIND = {(r.group_version, r.kind): r for r in RESOURCES}

VERSION = {
    "major": "1", "minor": "28+", "gitVersion": "v1.28.15-eks-7f9249a",
    "gitCommit": "d2a7a2a2bbbb2b54cbbd5d5e43e6ba3b43bd4b0d", "gitTreeState": "clean",
    "buildDate": "2024-10-21T18:22:09Z", "goVersion": "go1.22.8", "compiler": "gc",
    "platform": "linux/amd64",
}
# Fields the real apiserver accepts in fieldSelector, besides metadata.name/namespace.
FIELD_SELECTORS = {
    "Pod": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"},
    "Event": {f"involvedObject.{f}" for f in ("kind", "namespace", "name", "uid", "apiVersion",
                                              "resourceVersion", "fieldPath")}
    | {"reason", "reportingComponent", "type"},
    "Node": {"spec.unschedulable"}, "Namespace": {"status.phase"}, "Secret": {"type"},
}
PLACEHOLDER = re.compile(r"__NOW(?:_MINUS_(\d+)([smhd]))?__")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
SEED_AGE = timedelta(days=30)
STATUS_ON_CREATE = {"Namespace": {"phase": "Active"}, "Pod": {"phase": "Pending"}}


class SeedError(Exception):
    """A seed manifest the emulator cannot load."""


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


def details(res, name):
    return {"name": name, "kind": res.plural, **({"group": res.group} if res.group else {})}


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def not_found(res, name):
    return ApiError(404, "NotFound", f'{res.qualified} "{name}" not found', details(res, name))


def no_route(path):
    return ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")


def not_allowed(message):
    return ApiError(405, "MethodNotAllowed", message)


def rfc3339(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def dig(obj, dotted, default=None):
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return default
        obj = obj[part]
    return obj


def seed_uid(res, namespace, name):
    """Deterministic uids keep seeded objects stable across restarts."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"golive-sandbox/{res.group_version}/{res.kind}/{namespace}/{name}"))


def seeded_owner_uids(doc):
    """A seed document's ownerReferences with the uids their seeded owners have (restores send them)."""
    namespace = dig(doc, "metadata.namespace", "")
    for ref in dig(doc, "metadata.ownerReferences", []) or []:
        owner = BY_KIND.get((ref.get("apiVersion"), ref.get("kind")))
        if owner and not ref.get("uid"):
            ref["uid"] = seed_uid(owner, namespace if owner.namespaced else "", ref["name"])
    return doc


def fill_placeholders(value, now):
    if isinstance(value, dict):
        return {k: fill_placeholders(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_placeholders(v, now) for v in value]
    match = PLACEHOLDER.fullmatch(value) if isinstance(value, str) else None
    if not match:
        return value
    amount, unit = match.groups()
    return rfc3339(now - timedelta(**{UNITS[unit]: int(amount)}) if amount else now)


METRICS_GROUP = "metrics.k8s.io"
METRICS_APISERVICE = "v1beta1.metrics.k8s.io"
METRICS_WINDOW = "20.035s"  # metrics-server's scrape window, as it reports it
# What a running container uses, as a share of what it requests (the seeded HPA's currentMetrics: 35 % CPU,
# 52 % memory); without a request, a small idle figure. A node adds its system daemons' use.
USAGE_OF_REQUEST = {"cpu": Decimal("0.35"), "memory": Decimal("0.52")}
IDLE_USAGE = {"cpu": Decimal("0.005"), "memory": Decimal(48 * 2**20)}
NODE_OVERHEAD = {"cpu": Decimal("0.18"), "memory": Decimal(900 * 2**20)}
VERB_METHODS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def usage(resource, value):
    """A usage figure as metrics-server writes it: CPU in nanocores, memory in KiB."""
    return f"{int(value * 10**9)}n" if resource == "cpu" else f"{int(value / 1024)}Ki"


def container_usage(container):
    requests = dig(container, "resources.requests", {}) or {}
    return {r: parse_quantity(requests[r]) * share if r in requests else IDLE_USAGE[r]
            for r, share in USAGE_OF_REQUEST.items()}


# ----------------------------------------------------------------- selectors

def label_selector(text):
    """Compile a labelSelector string into a predicate over a labels dict."""
    checks = []
    for term in filter(None, (t.strip() for t in re.split(r",(?![^()]*\))", text))):
        if m := re.fullmatch(r"([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)", term):
            values = {v.strip() for v in m[3].split(",")}
            checks.append(lambda l, k=m[1], v=values, neg=m[2] == "notin": (l.get(k) in v) != neg)
        elif m := re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)", term):
            checks.append(lambda l, k=m[1], v=m[3], neg=m[2] == "!=": (l.get(k) == v) != neg)
        elif m := re.fullmatch(r"(!?)\s*([\w./-]+)", term):
            checks.append(lambda l, k=m[2], neg=bool(m[1]): (k in l) != neg)
        else:
            raise bad_request(f"unable to parse requirement: {term!r} in labelSelector {text!r}")
    return lambda labels: all(check(labels or {}) for check in checks)


def field_selector(text, kind):
    """Compile a fieldSelector string; unsupported fields are rejected like the real apiserver."""
    allowed = {"metadata.name", "metadata.namespace"} | FIELD_SELECTORS.get(kind, set())
    checks = []
    for term in filter(None, (t.strip() for t in text.split(","))):
        m = re.fullmatch(r"([\w.]+)\s*(==|=|!=)\s*(.*)", term)
        if not m:
            raise bad_request(f"invalid selector: {text!r}; can't understand {term!r}")
        if m[1] not in allowed:
            raise bad_request(f"field label not supported: {m[1]}")
        checks.append((m[1], m[3], m[2] == "!="))

    def render(value):  # fields compare in their string form: "" when unset, bools lowercase
        return json.dumps(value) if isinstance(value, bool) else "" if value is None else str(value)
    return lambda obj: all((render(dig(obj, f)) == v) != neg for f, v, neg in checks)


# ------------------------------------------------------------------- patches

def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target, patch, schema, resolve):
    """Strategic merge patch as the API server applies it, led by the kind's schema: lists marked
    x-kubernetes-patch-strategy "merge" merge by their x-kubernetes-patch-merge-key (`name` for containers,
    `mountPath` for volumeMounts, `containerPort` for container ports ...), or as sets when they hold scalars;
    other lists are replaced. Directives: `$patch: delete|replace`, `$retainKeys`; `$setElementOrder` only
    orders and is skipped."""
    if not isinstance(patch, dict):
        return patch
    schema = resolve(schema)
    if patch.get("$patch") == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    result = dict(target) if isinstance(target, dict) else {}
    properties = schema.get("properties") or {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        node = properties.get(key)
        if node is None and isinstance(schema.get("additionalProperties"), dict):
            node = schema["additionalProperties"]
        node = resolve(node or {})
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and "merge" in (node.get("x-kubernetes-patch-strategy") or "").split(","):
            result[key] = _merge_list(result.get(key) or [], value, node, resolve)
        elif isinstance(value, dict):
            result[key] = strategic_merge_patch(result.get(key), value, node, resolve)
        else:
            result[key] = value
    if isinstance(patch.get("$retainKeys"), list):
        result = {k: v for k, v in result.items() if k in patch["$retainKeys"]}
    return result


def _merge_list(current, patch, node, resolve):
    key = node.get("x-kubernetes-patch-merge-key")
    if key is None:  # a set of scalars (finalizers): union, in order
        return list(dict.fromkeys([*current, *patch]))
    merged = list(current)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            continue
        index = next((i for i, old in enumerate(merged) if isinstance(old, dict) and old.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            merged = [old for old in merged if not (isinstance(old, dict) and old.get(key) == item[key])]
        elif index is None:
            merged.append(strategic_merge_patch({}, item, node.get("items") or {}, resolve))
        else:
            merged[index] = strategic_merge_patch(merged[index], item, node.get("items") or {}, resolve)
    return merged


def json_patch(doc, operations):
    """RFC 6902 JSON patch: add, remove, replace, move, copy, test."""
    if not isinstance(operations, list):
        raise bad_request("a JSON patch must be a list of operations")
    doc = copy.deepcopy(doc)
    try:
        for operation in operations:
            op, path = operation["op"], _pointer(operation["path"])
            if op not in ("add", "remove", "replace", "move", "copy", "test"):
                raise bad_request(f"unknown JSON patch operation {op!r}")
            if op == "test":
                if _resolve(doc, path) != operation["value"]:
                    raise ApiError(422, "Invalid", f"test operation failed at {operation['path']}")
                continue
            source = _pointer(operation["from"]) if op in ("move", "copy") else None
            value = copy.deepcopy(_resolve(doc, source)) if source else operation.get("value")
            if op == "move":
                _remove(doc, source)
            if op in ("remove", "replace"):
                _remove(doc, path)
            if op != "remove":
                doc = _add(doc, path, value)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise ApiError(422, "Invalid", f"JSON patch could not be applied: {exc!r}") from None
    return doc


def _pointer(text):
    return [t.replace("~1", "/").replace("~0", "~") for t in text.split("/")[1:]]


def _resolve(doc, tokens):
    for token in tokens:
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


def _add(doc, tokens, value):
    if not tokens:
        return value
    parent, last = _resolve(doc, tokens[:-1]), tokens[-1]
    if isinstance(parent, list):
        parent.insert(len(parent) if last == "-" else int(last), value)
    else:
        parent[last] = value
    return doc


def _remove(doc, tokens):
    parent, last = _resolve(doc, tokens[:-1]), tokens[-1]
    del parent[int(last) if isinstance(parent, list) else last]


# -------------------------------------------------------------- table output

def human_age(timestamp, now):
    """Age as kubectl shows it (coarser than apimachinery's HumanDuration)."""
    seconds = max(int((now - datetime.fromisoformat(timestamp)).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 3 * 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h" if seconds < 48 * 3600 else f"{seconds // 86400}d"


def field(path, default=0):
    return lambda obj: dig(obj, path, default)


def ready_condition(attribute):
    def cell(obj):
        found = [c for c in dig(obj, "status.conditions", []) if c.get("type") == "Ready"]
        return found[0].get(attribute, "") if found else ""
    return cell


def node_status(node):
    text = {"True": "Ready", "False": "NotReady"}.get(ready_condition("status")(node), "Unknown")
    return text + (",SchedulingDisabled" if dig(node, "spec.unschedulable") else "")


def node_roles(node):
    prefix = "node-role.kubernetes.io/"
    return ",".join(k[len(prefix):] for k in dig(node, "metadata.labels", {}) if k.startswith(prefix)) or "<none>"


def pod_status(pod):
    for status in dig(pod, "status.containerStatuses", []):
        reason = dig(status, "state.waiting.reason") or dig(status, "state.terminated.reason")
        if reason:  # e.g. CrashLoopBackOff, ImagePullBackOff, Error
            return reason
    return "Terminating" if dig(pod, "metadata.deletionTimestamp") else dig(pod, "status.phase", "")


def pod_ready(pod):
    ready = sum(1 for s in dig(pod, "status.containerStatuses", []) if s.get("ready"))
    return f"{ready}/{len(dig(pod, 'spec.containers', []))}"


def pod_restarts(pod):
    return sum(s.get("restartCount", 0) for s in dig(pod, "status.containerStatuses", []))


AGE = None  # column marker: rendered from metadata.creationTimestamp
# Columns after NAME, in the real printers' (or the CRD's printer columns') order; others get AGE.
COLUMNS = {
    "Node": [("Status", node_status), ("Roles", node_roles), ("Age", AGE),
             ("Version", field("status.nodeInfo.kubeletVersion", ""))],
    "Pod": [("Ready", pod_ready), ("Status", pod_status), ("Restarts", pod_restarts), ("Age", AGE)],
    "Deployment": [("Ready", lambda o: f"{dig(o, 'status.readyReplicas', 0)}/{dig(o, 'spec.replicas', 1)}"),
                   ("Up-to-date", field("status.updatedReplicas")),
                   ("Available", field("status.availableReplicas")), ("Age", AGE)],
    "ExternalSecret": [("Store", field("spec.secretStoreRef.name", "")),
                       ("Refresh Interval", field("spec.refreshInterval", "")),
                       ("Status", ready_condition("reason")), ("Ready", ready_condition("status"))],
}


def to_table(res, objects, list_meta, include_object):
    """A meta.k8s.io/v1 Table, what kubectl asks for to print `get` output."""
    now = datetime.now(timezone.utc)
    columns = [("Name", field("metadata.name"))] + COLUMNS.get(res.kind, [("Age", AGE)])
    rows = []
    for obj in objects:
        row = {"cells": [fn(obj) if fn else human_age(obj["metadata"]["creationTimestamp"], now)
                         for _, fn in columns]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":  # default Metadata: kubectl reads namespace and labels from it
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj["metadata"]}
        rows.append(row)
    first = rows[0]["cells"] if rows else [""] * len(columns)
    definitions = [{"name": title, "type": "integer" if isinstance(cell, int) else "string",
                    "format": "name" if title == "Name" else "", "description": title, "priority": 0}
                   for (title, _), cell in zip(columns, first)]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
            "columnDefinitions": definitions, "rows": rows}


# ---------------------------------------------------------------- discovery

class Served:
    """The kinds served and their indexes: golive's kinds table, and the kinds of the CRDs stored."""

    def __init__(self, resources):
        self.resources = list(resources)
        self.by_path = {(r.group_version, r.plural): r for r in self.resources}
        self.by_kind = {(r.group_version, r.kind): r for r in self.resources}
        self.group_versions = {r.group_version for r in self.resources}
        self.groups = {}
        for res in (r for r in self.resources if r.group):
            version = {"groupVersion": res.group_version, "version": res.version}
            group = self.groups.setdefault(res.group, {"name": res.group, "versions": [], "preferredVersion": version})
            if version not in group["versions"]:
                group["versions"].append(version)
        self.openapi_hash = uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(
            [self.openapi_v3_document(gv) for gv in sorted(self.group_versions)], sort_keys=True)).hex.upper()

    def api_resource_list(self, group_version):
        resources = []
        for res in (r for r in self.resources if r.group_version == group_version):
            entry = {"name": res.plural, "singularName": res.kind.lower(), "namespaced": res.namespaced,
                     "kind": res.kind, "verbs": list(res.verbs)}
            entry.update({"shortNames": list(res.short_names)} if res.short_names else {})
            entry.update({"categories": list(res.categories)} if res.categories else {})
            resources.append(entry)
            if res.status:
                resources.append({"name": f"{res.plural}/status", "singularName": "",
                                  "namespaced": res.namespaced, "kind": res.kind,
                                  "verbs": ["get", "patch", "update"]})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                "resources": resources}

    def openapi_v3_root(self):
        """/openapi/v3: where each group version's document is (the hash lets kubectl cache it)."""
        return {"paths": {openapi_path(gv): {
            "serverRelativeURL": f"/openapi/v3/{openapi_path(gv)}?hash={self.openapi_hash}"}
            for gv in sorted(self.group_versions)}}

    def openapi_v3_document(self, group_version):
        """A group version's OpenAPI v3 document, as far as kubectl reads it before `apply`/`create`: each
        kind's PATCH operation takes `fieldValidation`, so kubectl leaves validation to the server (which checks
        the schemas, kube_validation) instead of validating client-side. No component schemas: `kubectl
        explain` and OpenAPI-driven strategic merge are not served (kubectl then merges from its built-in types)."""
        paths = {}
        for res in (r for r in self.resources if r.group_version == group_version and "patch" in r.verbs):
            scope = "/namespaces/{namespace}" if res.namespaced else ""
            gvk = {"group": res.group, "version": res.version, "kind": res.kind}
            params = [{"name": p, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                      for p in ("dryRun", "fieldManager", "fieldValidation", "force")]
            paths[f"/{openapi_path(group_version)}{scope}/{res.plural}/{{name}}"] = {"patch": {
                "operationId": f"patch{res.kind}", "parameters": params, "responses": {"200": {"description": "OK"}},
                "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk}}
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
                "paths": paths, "components": {"schemas": {}}}


def openapi_path(group_version):
    return f"api/{group_version}" if "/" not in group_version else f"apis/{group_version}"


def crd_kinds(crd):
    """The kinds a CustomResourceDefinition serves (one per served version)."""
    spec, names = crd.get("spec") or {}, (crd.get("spec") or {}).get("names") or {}
    return [Kind(spec.get("group", ""), v["name"], names.get("kind", ""), names.get("plural", ""),
                 spec.get("scope") == "Namespaced", tuple(names.get("shortNames") or ()),
                 status="status" in ((v.get("subresources") or {})), custom=True,
                 categories=tuple(names.get("categories") or ()))
            for v in spec.get("versions") or [] if v.get("served", True) and v.get("name")]


STATIC = Served(RESOURCES)


# -------------------------------------------------------------------- store

class KubeApi:
    """The object store and REST semantics, independent of HTTP."""

    def __init__(self, seed_path, server_address):
        self._lock = threading.RLock()
        self._objects = {}  # (Resource, namespace or "", name) -> object; replaced on write, never changed in place
        self._names = {}  # Resource -> namespace or "" -> names: a list reads only its kind and namespace
        self._encoded = {}  # key -> the object's JSON, made when first listed and dropped when it changes
        self._revision = 1000
        self._server_address = server_address
        self.unready = None  # a failing readiness check injected by the sandbox, e.g. "etcd"
        self.schemas = kube_validation.Schemas()
        self._request = threading.local()  # per request: fieldValidation and the warnings to send back
        self.served = STATIC  # grows with the CRDs stored (_serve_crds)
        self._load_seed(Path(seed_path))

    def _next_revision(self):
        self._revision += 1
        return str(self._revision)

    def _load_seed(self, path):
        try:
            self.seed([d for d in yaml.safe_load_all(path.read_text()) if d])
        except SeedError as exc:
            raise SystemExit(f"{path}: {exc}") from None

    def seed(self, docs):
        """Add manifests as they are at start: with status, placeholders filled, uids stable across restarts."""
        now = datetime.now(timezone.utc).replace(microsecond=0)
        with self._lock:
            added = {}
            for doc in fill_placeholders(docs, now):
                res = self.served.by_kind.get((doc.get("apiVersion"), doc.get("kind")))
                if res is None:
                    raise SeedError(f"{doc.get('apiVersion')} {doc.get('kind')} is not served")
                meta = doc.setdefault("metadata", {})
                namespace = meta.setdefault("namespace", "default") if res.namespaced else ""
                key = (res, namespace, meta["name"])
                if key in self._objects or key in added:
                    raise SeedError(f"duplicate {res.kind} {namespace}/{meta['name']}")
                added[key] = doc
            for (res, namespace, name), doc in added.items():
                meta = doc["metadata"]
                meta.setdefault("uid", seed_uid(res, namespace, name))
                meta.setdefault("creationTimestamp", rfc3339(now - SEED_AGE))
                meta.setdefault("generation", 1)
            uids = {(r.kind, ns, name): obj["metadata"]["uid"]
                    for (r, ns, name), obj in [*self._objects.items(), *added.items()]}
            for (_, namespace, name), obj in added.items():
                for ref in obj["metadata"].get("ownerReferences", []):
                    owner = uids.get((ref["kind"], namespace, ref["name"])) or uids.get((ref["kind"], "", ref["name"]))
                    if not (ref.get("uid") or owner):
                        raise SeedError(f"owner {ref['kind']} {ref['name']} of {namespace}/{name} is not seeded")
                    ref.setdefault("uid", owner)
            for key, doc in added.items():
                doc["metadata"]["resourceVersion"] = self._next_revision()
                self._store(key, doc)
            return len(added)

    def _store(self, key, obj):
        res, namespace, name = key
        self._objects[key] = obj
        self._encoded.pop(key, None)
        self._names.setdefault(res, {}).setdefault(namespace, set()).add(name)
        if res.kind == "CustomResourceDefinition":
            self._serve_crds()

    def _drop(self, key):
        res, namespace, name = key
        del self._objects[key]
        self._encoded.pop(key, None)
        self._names[res][namespace].discard(name)
        if res.kind == "CustomResourceDefinition":
            self._serve_crds()

    def _serve_crds(self):
        """Serve the kinds of the stored CRDs, as the API server does once a CRD is established; a CRD's
        deletion deletes its custom resources."""
        crds = BY_KIND[("apiextensions.k8s.io/v1", "CustomResourceDefinition")]
        added = [k for name in self._names.get(crds, {}).get("", ())
                 for k in crd_kinds(self._objects[(crds, "", name)]) if (k.group_version, k.kind) not in STATIC.by_kind]
        served = Served([*STATIC.resources, *added])
        for gone in set(self.served.resources) - set(served.resources):
            for key in [k for k in self._objects if k[0] == gone]:
                del self._objects[key]
                self._encoded.pop(key, None)
            self._names.pop(gone, None)
        self.served = served

    # Routing ---------------------------------------------------------------

    # Answers (the routes are in create_app) -------------------------------

    def set_unready(self, body):
        """Sandbox-only fault switch: /readyz fails with this check's name (None: ready)."""
        self.unready = (self._json(body) or {}).get("failing")
        return {"failing": self.unready}

    def seed_request(self, body):
        """Sandbox-only: scale mode's objects, in one request."""
        try:
            return {"seeded": self.seed(self._json(body) or [])}
        except SeedError as exc:
            raise ApiError(422, "Invalid", f"seed rejected: {exc}") from None

    def readyz(self):
        if self.unready:
            return 500, f"[+]ping ok\n[-]{self.unready} failed: reason withheld\nreadyz check failed"
        return 200, "ok"

    def api_versions(self):
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": self._server_address}]}

    def api_group_list(self):
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": list(self.served.groups.values())}

    def api_group(self, group, path):
        if group not in self.served.groups:
            raise no_route(path)
        return {"kind": "APIGroup", "apiVersion": "v1", **self.served.groups[group]}

    def resource_list(self, group_version, path):
        if group_version not in self.served.group_versions:
            raise no_route(path)
        return self.served.api_resource_list(group_version)

    def openapi_root(self):
        return self.served.openapi_v3_root()

    def openapi_document(self, group_version, path):
        if group_version not in self.served.group_versions:
            raise no_route(path)
        return self.served.openapi_v3_document(group_version)

    def resource_request(self, method, path, group_version, rest, query, headers, body):
        """A request on a resource path below /api/VERSION or /apis/GROUP/VERSION: (status code, answer)."""
        if group_version not in self.served.group_versions:
            raise no_route(path)
        return self._resource_request(method, path, group_version, [p for p in rest.split("/") if p], query,
                                      headers, body)

    def _resource_request(self, method, path, group_version, rest, query, headers, body):
        namespace = ""
        inner = self.served.by_path.get((group_version, rest[2])) if len(rest) >= 3 else None
        if rest[0] == "namespaces" and inner and inner.namespaced:
            namespace, rest = rest[1], rest[2:]
        res = self.served.by_path.get((group_version, rest[0]))
        if res is None or len(rest) > 3 or (res.namespaced and len(rest) > 1 and not namespace):
            raise no_route(path)
        name, sub = (rest + [None, None])[1:3]
        if sub is not None and not (sub == "status" and res.status):
            raise no_route(path)
        param = lambda key: query.get(key, [""])[0]
        dry_run = param("dryRun") == "All"
        self._request.field_validation = param("fieldValidation")
        if self._request.field_validation not in ("", "Ignore", "Warn", "Strict"):
            raise bad_request(f"fieldValidation must be one of Ignore, Warn, Strict, not {self._request.field_validation!r}")
        table = "as=Table" in headers.get("Accept", "")  # kubectl's server-side printing
        verb = ("get" if name else "list") if method == "GET" else VERB_METHODS.get(method)
        if verb not in res.verbs:
            raise not_allowed(f"{method} is not allowed on {path}")
        if res.group == METRICS_GROUP:
            return 200, self._metrics(res, namespace, name, param, table)
        if method == "GET" and name is None:
            if param("watch") in ("true", "1"):
                raise not_allowed("watch is not supported by the golive sandbox Kubernetes emulator")
            if table:
                items, meta = self.list(res, namespace, param)
                return 200, to_table(res, items, meta, param("includeObject"))
            return 200, self.list_json(res, namespace, param)
        if method == "POST" and name is None:
            return 201, self.create(res, namespace, self._json(body), dry_run)
        if name is None:
            raise not_allowed(f"{method} on a collection is not supported")
        if method == "GET":
            obj = self.get(res, namespace, name)
            if table:
                meta = {"resourceVersion": obj["metadata"]["resourceVersion"]}
                return 200, to_table(res, [obj], meta, param("includeObject"))
            return 200, obj
        if method == "PUT":
            replacement = self._json(body)
            return 200, self.update(res, namespace, name, sub, lambda old: replacement, dry_run)
        if method == "PATCH":
            patcher = self._patcher(res, headers.get("Content-Type", ""), self._json(body))
            return 200, self.update(res, namespace, name, sub, patcher, dry_run)
        if method == "DELETE" and sub is None:
            return 200, self.delete(res, namespace, name, dry_run)
        raise not_allowed(f"{method} is not allowed on {path}")

    @staticmethod
    def _json(body):
        try:
            return json.loads(body or b"null")
        except ValueError as exc:
            raise bad_request(f"request body is not valid JSON: {exc}") from None

    def _patcher(self, res, content_type, patch):
        media = content_type.split(";")[0].strip()
        if media == "application/merge-patch+json":
            return lambda old: merge_patch(old, patch)
        if media == "application/strategic-merge-patch+json" and not res.custom:
            schema = self.schemas.schema(res.group_version, res.kind) or {}
            return lambda old: strategic_merge_patch(old, patch, schema, self.schemas.resolve)
        if media == "application/json-patch+json":
            return lambda old: json_patch(old, patch)
        # Server-side apply and, for custom resources, strategic merge are refused, as upstream.
        raise ApiError(415, "UnsupportedMediaType",
                       f"the body of the request was in an unknown format ({media}) for {res.qualified}")

    # Verbs -----------------------------------------------------------------

    def list(self, res, namespace, param):
        with self._lock:
            keys, meta = self._listed(res, namespace, param)
            return [self._objects[key] for key in keys], meta  # no copies: stored objects are never changed

    def list_json(self, res, namespace, param):
        """The list as JSON bytes, joined from each object's JSON (encoded once per write, not per list)."""
        with self._lock:
            keys, meta = self._listed(res, namespace, param)
            items = b",".join(map(self._encoded_json, keys))
        head = json.dumps({"kind": f"{res.kind}List", "apiVersion": res.group_version, "metadata": meta})
        return head[:-1].encode() + b', "items": [' + items + b"]}"

    def _encoded_json(self, key):
        if key not in self._encoded:
            self._encoded[key] = json.dumps(self._objects[key]).encode()
        return self._encoded[key]

    def _listed(self, res, namespace, param):
        """The keys of one page of a list, in (namespace, name) order, and its list metadata."""
        matches_labels = label_selector(param("labelSelector"))
        matches_fields = field_selector(param("fieldSelector"), res.kind)
        limit, after = self._page(param("limit"), param("continue"))
        scopes = self._names.get(res, {})
        places = ((ns, name) for ns in ([namespace] if namespace else sorted(scopes))
                  if not after or ns >= after[0] for name in sorted(scopes.get(ns, ()))
                  if not after or (ns, name) > after)
        keys, meta, last = [], {"resourceVersion": str(self._revision)}, None
        for place in places:
            if limit and len(keys) == limit:  # a full page with more to read: where the next one starts
                meta["continue"] = json.dumps(last).encode().hex()
                break
            obj = self._objects[(res, *place)]
            if matches_labels(obj["metadata"].get("labels")) and matches_fields(obj):
                keys.append((res, *place))
            last = place
        # Later pages read the store as it is then, not as it was at the first page (no MVCC here).
        return keys, meta

    @staticmethod
    def _page(limit, token):
        """`limit` and `continue` as the apiserver takes them: a page size, and an opaque place to resume."""
        try:
            size = int(limit or 0)
            after = tuple(json.loads(bytes.fromhex(token))) if token else None
        except ValueError:
            raise bad_request(f"invalid limit {limit!r} or continue token {token!r}") from None
        if size < 0 or (after is not None and len(after) != 2):
            raise bad_request(f"invalid limit {limit!r} or continue token {token!r}")
        return size, after

    def get(self, res, namespace, name):
        with self._lock:
            obj = self._objects.get((res, namespace, name))
            if obj is None:
                raise not_found(res, name)
            return copy.deepcopy(obj)

    def create(self, res, namespace, obj, dry_run=False):
        self._check_body(res, obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        if not meta.get("name"):
            raise ApiError(422, "Invalid", f"{res.kind} is invalid: metadata.name: Required value")
        if res.namespaced and meta.setdefault("namespace", namespace) != namespace:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
        namespaces = BY_KIND[("v1", "Namespace")]
        with self._lock:
            if res.namespaced and (namespaces, "", namespace) not in self._objects:
                raise not_found(namespaces, namespace)
            key = (res, namespace, meta["name"])
            if key in self._objects:
                raise ApiError(409, "AlreadyExists", f'{res.qualified} "{meta["name"]}" already exists',
                               details(res, meta["name"]))
            if res.status:  # the apiserver resets status on create; only the subresource sets it
                obj["status"] = {**self.schemas.zero_status(res.group_version, res.kind),
                                 **copy.deepcopy(STATUS_ON_CREATE.get(res.kind, {}))}
            meta.update(uid=str(uuid.uuid4()), generation=1, resourceVersion=self._next_revision(),
                        creationTimestamp=rfc3339(datetime.now(timezone.utc)))
            self._admit(res, obj)
            self._as_stored(res, obj)
            if not dry_run:
                self._store(key, obj)
            return copy.deepcopy(obj)

    def update(self, res, namespace, name, sub, change, dry_run=False):
        """Replace or patch: `change(old)` returns the candidate object."""
        with self._lock:
            old = self.get(res, namespace, name)
            new = change(copy.deepcopy(old))
            self._check_body(res, new)
            meta, old_meta = new.setdefault("metadata", {}), old["metadata"]
            if meta.get("name", name) != name:
                raise bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL ({name})")
            if meta.get("resourceVersion", old_meta["resourceVersion"]) != old_meta["resourceVersion"]:
                raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {res.qualified} "{name}": '
                               "the object has been modified; please apply your changes to the latest "
                               "version and try again", details(res, name))
            if sub == "status":  # only status may change through the subresource
                new = {**old, "status": new.get("status")}
            elif res.status:  # ... and only through the subresource
                new.pop("status", None)
                new.update({"status": old["status"]} if "status" in old else {})
            meta = new["metadata"] = dict(new["metadata"])
            for immutable in ("uid", "creationTimestamp", "name", "namespace", "generation"):
                if immutable in old_meta:
                    meta[immutable] = old_meta[immutable]
            if new.get("spec") != old.get("spec"):
                meta["generation"] = old_meta.get("generation", 0) + 1
            self._admit(res, new)
            self._as_stored(res, new, old)
            meta["resourceVersion"] = self._next_revision()
            if not dry_run:
                self._store((res, namespace, name), new)
            return copy.deepcopy(new)

    def delete(self, res, namespace, name, dry_run=False):
        with self._lock:
            obj = self.get(res, namespace, name)
            if not dry_run:
                self._drop((res, namespace, name))
                if res.kind == "Namespace":  # what the namespace controller eventually does
                    for key in [k for k in self._objects if k[0].namespaced and k[1] == name]:
                        self._drop(key)
            return obj

    def _admit(self, res, obj):
        """Validate as the API server does before storing (kube_validation): 422 naming each field; unknown
        fields refused (fieldValidation=Strict), dropped with a warning (Warn, the default) or silently (Ignore)."""
        try:
            unknown = kube_validation.admit(self._validator(res, obj), obj)
        except kube_validation.Invalid as exc:
            name = dig(obj, "metadata.name", "")
            fields = [f"{field}: {message}" for _, field, message in exc.causes]
            listed = fields[0] if len(fields) == 1 else f"[{', '.join(fields)}]"
            raise ApiError(422, "Invalid", f'{res.kind}{"." + res.group if res.group else ""} "{name}" is invalid: {listed}',
                           {"name": name, **({"group": res.group} if res.group else {}), "kind": res.kind,
                            "causes": [{"reason": r, "message": m, "field": f} for r, f, m in exc.causes]}) from None
        if not unknown:
            return
        named = ", ".join(f'unknown field "{kube_validation.field_path(path)}"' for path in unknown)
        mode = getattr(self._request, "field_validation", "") or "Warn"
        if mode == "Strict":
            raise bad_request(f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: '
                              f"strict decoding error: {named}")
        kube_validation.prune(obj, unknown)
        if mode == "Warn":
            self._request.warnings = getattr(self._request, "warnings", []) + \
                [f'unknown field "{kube_validation.field_path(path)}"' for path in unknown]

    @staticmethod
    def _as_stored(res, obj, old=None):
        """What the API server's strategies do on write: a Secret's stringData folds into data (base64), and a
        Service replaced without its allocated cluster IPs keeps them."""
        if res.kind == "Secret" and obj.get("stringData"):
            obj["data"] = {**(obj.get("data") or {}), **{k: base64.b64encode(str(v).encode()).decode()
                                                         for k, v in obj.pop("stringData").items()}}
        if res.kind == "Service" and old is not None:
            spec, before = obj.setdefault("spec", {}), old.get("spec") or {}
            for allocated in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                if allocated in before and not spec.get(allocated):
                    spec[allocated] = before[allocated]

    def _validator(self, res, obj):
        if not res.custom:
            return self.schemas.builtin(res.group_version, res.kind)
        crd = self._objects.get((BY_KIND[("apiextensions.k8s.io/v1", "CustomResourceDefinition")], "",
                                 f"{res.plural}.{res.group}"))
        version = next((v for v in dig(crd, "spec.versions", []) or [] if v.get("name") == res.version), {})
        return kube_validation.custom(dig(version, "schema.openAPIV3Schema"))

    def _metrics(self, res, namespace, name, param, table):
        """metrics-server's answers, made from the stored Nodes and Pods (running pods only, as it reports)."""
        with self._lock:
            service = self._objects.get((BY_KIND[("apiregistration.k8s.io/v1", "APIService")], "", METRICS_APISERVICE))
        available = [c for c in dig(service, "status.conditions", []) or [] if c.get("type") == "Available"]
        if not available or available[0].get("status") != "True":
            raise ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request")
        source = BY_KIND[("v1", res.kind.removesuffix("Metrics"))]
        if name is not None:
            found = self._metrics_of(res, [self.get(source, namespace, name)])
            if not found:
                raise not_found(res, name)
            return to_table(res, found, {}, param("includeObject")) if table else \
                {"kind": res.kind, "apiVersion": res.group_version, **found[0]}
        objects, meta = self.list(source, namespace, param)
        items = self._metrics_of(res, objects)
        if table:
            return to_table(res, items, meta, param("includeObject"))
        return {"kind": f"{res.kind}List", "apiVersion": res.group_version, "metadata": meta, "items": items}

    def _metrics_of(self, res, objects):
        now = rfc3339(datetime.now(timezone.utc))
        running = lambda pod: dig(pod, "status.phase") == "Running"
        made = []
        if res.kind == "PodMetrics":
            for pod in filter(running, objects):
                made.append({"metadata": self._metrics_meta(pod, now), "timestamp": now, "window": METRICS_WINDOW,
                             "containers": [{"name": c["name"], "usage": {r: usage(r, v) for r, v in container_usage(c).items()}}
                                            for c in dig(pod, "spec.containers", [])]})
            return made
        pods, _ = self.list(BY_KIND[("v1", "Pod")], "", lambda key: "")
        for node in objects:
            total = dict(NODE_OVERHEAD)
            for pod in pods:
                if running(pod) and dig(pod, "spec.nodeName") == node["metadata"]["name"]:
                    for container in dig(pod, "spec.containers", []):
                        for r, v in container_usage(container).items():
                            total[r] += v
            made.append({"metadata": self._metrics_meta(node, now), "timestamp": now, "window": METRICS_WINDOW,
                         "usage": {r: usage(r, v) for r, v in total.items()}})
        return made

    @staticmethod
    def _metrics_meta(obj, now):
        meta = {"name": obj["metadata"]["name"], "creationTimestamp": now,
                "labels": dict(obj["metadata"].get("labels") or {})}
        return {**meta, "namespace": obj["metadata"]["namespace"]} if "namespace" in obj["metadata"] else meta

    def take_warnings(self):
        """The warnings of this thread's request (the Warning headers of its answer), cleared."""
        warnings, self._request.warnings = getattr(self._request, "warnings", []), []
        return warnings

    @staticmethod
    def _check_body(res, obj):
        if not isinstance(obj, dict):
            raise bad_request("the request body must be a JSON object")
        for key, expected in (("apiVersion", res.group_version), ("kind", res.kind)):
            if obj.setdefault(key, expected) != expected:
                raise bad_request(f"{key} {obj[key]!r} does not match the URL, expected {expected!r}")


# ------------------------------------------------ authentication and service proxy

def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


class Authenticator:
    """Bearer tokens, as a real apiserver with anonymous auth off: static tokens (a token file) and,
    when a cluster name is given, EKS tokens (`k8s-aws-v1.` + a presigned STS GetCallerIdentity URL),
    verified as aws-iam-authenticator does: the URL is GetCallerIdentity on the known STS endpoint, it
    signs the x-k8s-aws-id header, and STS accepts it with that header set to this cluster's name.
    No Authenticator (plain HTTP runs) accepts everything."""

    def __init__(self, tokens, eks_cluster=None, sts_endpoint=None):
        self.tokens = dict(tokens)
        self.eks_cluster = eks_cluster
        self.sts = urlsplit(sts_endpoint) if sts_endpoint else None

    def user(self, headers):
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthorized()
        if token in self.tokens:
            return self.tokens[token]
        if token.startswith("k8s-aws-v1.") and self.eks_cluster and self.sts:
            return self._eks_user(token[len("k8s-aws-v1."):])
        raise unauthorized()

    def _eks_user(self, encoded):
        try:
            url = urlsplit(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode())
        except (ValueError, UnicodeDecodeError):
            raise unauthorized() from None
        query = {k.lower(): v[0] for k, v in parse_qs(url.query).items()}
        if (url.scheme, url.netloc) != (self.sts.scheme, self.sts.netloc) or \
                query.get("action") != "GetCallerIdentity" or \
                "x-k8s-aws-id" not in query.get("x-amz-signedheaders", "").split(";"):
            raise unauthorized()
        connection = (http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection)(
            url.netloc, timeout=5)
        try:
            # moto's server picks the service from an Authorization header, not from a presigned query:
            # present the same credential scope as one (real STS takes the presigned URL as it is).
            scope = (f"AWS4-HMAC-SHA256 Credential={query.get('x-amz-credential', '')}, "
                     f"SignedHeaders={query.get('x-amz-signedheaders', '')}, Signature={query.get('x-amz-signature', '')}")
            connection.request("GET", f"{url.path or '/'}?{url.query}",
                               headers={"x-k8s-aws-id": self.eks_cluster, "Authorization": scope})
            answer = connection.getresponse()
            body = answer.read()
        except OSError:
            raise unauthorized() from None
        finally:
            connection.close()
        if answer.status != 200:
            raise unauthorized()
        arn = next((e.text for e in ElementTree.fromstring(body).iter() if e.tag.endswith("Arn")), None)
        if not arn:
            raise unauthorized()
        return arn


SERVICE_PROXY = re.compile(r"/api/v1/namespaces/(?P<namespace>[^/]+)/services/(?P<service>[^/]+)/proxy(?P<rest>/.*)?")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-authorization",
              "proxy-authenticate", "trailer", "content-length", "host", "authorization"}


def parse_backends(specs):
    """--proxy NS/NAME:PORT=HOST:PORT -> {(namespace, service, port): (host, port)}."""
    backends = {}
    for spec in specs:
        m = re.fullmatch(r"([^/=]+)/([^:=]+):(\d+)=([^:]+):(\d+)", spec)
        if not m:
            raise SystemExit(f"--proxy {spec!r}: expected NAMESPACE/SERVICE:PORT=HOST:PORT")
        backends[(m[1], m[2], int(m[3]))] = (m[4], int(m[5]))
    return backends


def proxy_backend(api, backends, namespace, service_ref):
    """Where the service proxy sends `[scheme:]name[:port]`: the Service and its port must exist in the
    store (a fault that deletes or renumbers it breaks the proxy, as upstream); the backend address
    stands in for the Service's endpoints."""
    parts = service_ref.split(":")
    if parts[0] in ("http", "https") and len(parts) > 1:
        parts = parts[1:]
    name, port = parts[0], (parts[1] if len(parts) > 1 else "")
    service = api.get(BY_KIND[("v1", "Service")], namespace, name)
    ports = dig(service, "spec.ports", []) or []
    chosen = [p for p in ports if str(p.get("port")) == port or (port and p.get("name") == port)] if port \
        else ports[:1] if len(ports) == 1 else []
    backend = backends.get((namespace, name, chosen[0]["port"])) if chosen else None
    if backend is None:
        raise ApiError(503, "ServiceUnavailable", f'no endpoints available for service "{service_ref}"')
    return backend


def forward(method, backend, path, query, headers, body, timeout=30):
    """One proxied request: (status, headers, body), or a 503 Status when the backend cannot be reached."""
    host, port = backend
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
    # The hop from the API server to the backend is within the region: latency mode delays only the client's hop.
    sent = {**{k: v for k, v in sent.items() if k.lower() != "user-agent"},
            "User-Agent": f"{headers.get('User-Agent', '')} {INTERNAL_AGENT}".strip()}
    try:
        connection.request(method, path + (f"?{query}" if query else ""), body=body or None, headers=sent)
        answer = connection.getresponse()
        data = answer.read()
    except OSError as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise ApiError(503, "ServiceUnavailable",
                       f"error trying to reach service: dial tcp {host}:{port}: connect: {reason.lower()}") from None
    finally:
        connection.close()
    kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP]
    return answer.status, kept, data


# --------------------------------------------------------------------- HTTP

def create_app(api, auth=None, backends=None):
    """The emulator's routes (Flask, as the sandbox's other emulators): each answers from the store (KubeApi),
    errors are Status objects as the API server sends them."""
    app = Flask("golive-kube-api")
    app.url_map.strict_slashes = False  # kubectl and some clients send trailing slashes
    backends = backends or {}
    every = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    def answer(code, payload):
        text = isinstance(payload, str)
        data = payload.encode() if text else payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = Response(data, code, content_type="text/plain; charset=utf-8" if text else "application/json")
        for warning in api.take_warnings():
            response.headers.add("Warning", f"299 - {json.dumps(warning)}")
        return response

    @app.before_request
    def authenticate():
        api.take_warnings()  # a kept-alive connection's thread serves the next request too
        if auth is not None:
            auth.user(request.headers)

    @app.errorhandler(ApiError)
    def api_error(exc):
        return answer(exc.code, exc.status())

    @app.errorhandler(HTTPException)
    def no_such_route(exc):
        if exc.code == 405:
            return answer(405, not_allowed(f"{request.method} is not allowed on {request.path}").status())
        return answer(exc.code or 404, no_route(request.path).status() if exc.code == 404 else
                      ApiError(exc.code, exc.name.replace(" ", ""), exc.description).status())

    @app.errorhandler(Exception)
    def emulator_bug(exc):  # a bug must still answer as an apiserver would, not drop the connection
        return answer(500, ApiError(500, "InternalError", f"emulator error: {exc!r}").status())

    def body():
        return request.get_data()

    def query():
        return {k: request.args.getlist(k) for k in request.args}

    def resources(version, rest="", group=None):
        group_version = f"{group}/{version}" if group else version
        return answer(*api.resource_request(request.method, request.path, group_version, rest, query(),
                                            request.headers, body()))

    def proxy(namespace, service, rest="/"):
        backend = proxy_backend(api, backends, namespace, unquote(service))
        code, headers, data = forward(request.method, backend, "/" + rest.lstrip("/"),
                                      request.query_string.decode(), request.headers, body())
        return Response(data, code, headers=headers)

    routes = [  # (rule, methods, view)
        ("/healthz", ["GET"], lambda: answer(200, "ok")),
        ("/livez", ["GET"], lambda: answer(200, "ok")),
        ("/readyz", ["GET"], lambda: answer(*api.readyz())),
        ("/version", ["GET"], lambda: answer(200, VERSION)),
        ("/api", ["GET"], lambda: answer(200, api.api_versions())),
        ("/apis", ["GET"], lambda: answer(200, api.api_group_list())),
        ("/apis/<group>", ["GET"], lambda group: answer(200, api.api_group(group, request.path))),
        ("/openapi/v3", ["GET"], lambda: answer(200, api.openapi_root())),
        ("/openapi/v3/api/<version>", ["GET"],
         lambda version: answer(200, api.openapi_document(version, request.path))),
        ("/openapi/v3/apis/<group>/<version>", ["GET"],
         lambda group, version: answer(200, api.openapi_document(f"{group}/{version}", request.path))),
        ("/api/<version>", ["GET"], lambda version: answer(200, api.resource_list(version, request.path))),
        ("/apis/<group>/<version>", ["GET"],
         lambda group, version: answer(200, api.resource_list(f"{group}/{version}", request.path))),
        ("/api/<version>/<path:rest>", every, resources),
        ("/apis/<group>/<version>/<path:rest>", every, resources),
        ("/api/v1/namespaces/<namespace>/services/<service>/proxy", every, proxy),
        ("/api/v1/namespaces/<namespace>/services/<service>/proxy/<path:rest>", every, proxy),
        ("/_sandbox/readyz", ["PUT"], lambda: answer(200, api.set_unready(body()))),
        ("/_sandbox/seed", ["POST"], lambda: answer(201, api.seed_request(body()))),
    ]
    for rule, methods, view in routes:
        app.add_url_rule(rule, rule, view, methods=methods)
    return app


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox.kube_api",
                                     description="Kubernetes API emulator for the golive sandbox.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18443, help="0 picks a free port")
    parser.add_argument("--seed", default=str(Path(__file__).parent / "seed" / "kubernetes.yaml"),
                        help="multi-document YAML of manifests to load at start")
    parser.add_argument("--verbose", action="store_true", help="log one line per request to stderr")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM; with --tls-key)")
    parser.add_argument("--tls-key", help="the certificate's private key (PEM)")
    parser.add_argument("--tokens", help='JSON file {"<bearer token>": "<user>"}: require one of them (or an EKS token)')
    parser.add_argument("--eks-cluster", help="accept EKS tokens (aws eks get-token) for this cluster name")
    parser.add_argument("--sts-endpoint", help="the STS endpoint EKS tokens must be presigned for (with --eks-cluster)")
    parser.add_argument("--proxy", action="append", default=[], metavar="NS/SERVICE:PORT=HOST:PORT",
                        help="service proxy backend for a Service port (repeatable)")
    args = parser.parse_args(argv)
    auth = None
    if args.tokens or args.eks_cluster:
        tokens = json.loads(Path(args.tokens).read_text()) if args.tokens else {}
        auth = Authenticator(tokens, args.eks_cluster, args.sts_endpoint)
    context = None
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    store = {}  # the API needs the bound port for discovery's serverAddress: made once the socket is bound
    server = emulator.server(args.host, args.port, lambda environ, start: store["app"](environ, start), context,
                             verbose=args.verbose)
    store["app"] = create_app(KubeApi(args.seed, f"{args.host}:{server.server_port}"), auth,
                              parse_backends(args.proxy))
    print(f"kube-api emulator serving {'https' if context else 'http'}://{args.host}:{server.server_port}",
          file=sys.stderr, flush=True)
    emulator.serve(server)


if __name__ == "__main__":
    main()
