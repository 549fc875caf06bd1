"""A small, faithful emulator of the Kubernetes REST API for the rehearsal sandbox.

No kube-apiserver can run here, so this serves what golive's checks, the official
Python client and kubectl use: discovery (legacy and aggregated), list/get/create/replace/patch/delete,
watch, server-side apply with managedFields (kube_apply), the status, scale and log subresources, the
self-reviews behind `kubectl auth`, label/field selectors, server-side Table output (kube_tables),
OpenAPI v3 and v2 documents (kube_openapi) and the service
proxy (`/api/v1/namespaces/NS/services/[SCHEME:]NAME[:PORT]/proxy/...`, to the backends
given with --proxy). Plain HTTP with Authorization ignored, or, as `golive-sandbox up` runs it,
HTTPS (--tls-cert/--tls-key) with bearer tokens required (--tokens, and EKS tokens verified
against STS with --eks-cluster/--sts-endpoint); anything else gets 401 Unauthorized. No RBAC: every
authenticated user may do everything. Exec, attach and port-forward are not served. Usage:

    python -m sandbox.kube_api --host 127.0.0.1 --port 18443 --seed sandbox/seed/kubernetes.yaml

With --metrics-port it also serves kube-state-metrics' series of its store (sandbox/kube_state_metrics.py).

Seed placeholders: a string that is exactly `__NOW__` or `__NOW_MINUS_<n><s|m|h|d>__`
becomes an RFC 3339 time relative to start. Missing uid, creationTimestamp (start
minus 30 days), resourceVersion and generation are stamped at load; ownerReferences
without uid get the uid of the seeded owner of that kind and name.
As upstream, writes to the main resource keep the status of kinds with a status
subresource; change status through `.../<name>/status`.
"""

import argparse
import base64
import collections
import copy
import http.client
import json
import re
import ssl
import sys
import threading
import time
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
from sandbox import emulator, kube_apply, kube_openapi, kube_protobuf, kube_state_metrics, kube_tables, kube_validation
from sandbox.kube_tables import dig
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


def metrics_unavailable():
    return ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request")


def not_allowed(message):
    return ApiError(405, "MethodNotAllowed", message)


def rfc3339(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def go_duration(text: str) -> timedelta:
    """A Go duration as Kubernetes objects spell them ("1h", "30m", "1h30m", "90s", "0")."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", str(text))
    unit = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return timedelta(seconds=sum(float(n) * unit[u] for n, u in parts))


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
APPLY_PATCH = "application/apply-patch+yaml"
WATCH_WINDOW = 50_000  # changes a watch can resume from (the API server's etcd compaction window)
WATCH_TIMEOUT = 1800.0  # seconds: the API server's --min-request-timeout
TABLE_MEDIA = "application/json;as=Table;v=v1;g=meta.k8s.io"


class Stream:
    """A streamed answer (a watch): its chunks and content type."""

    def __init__(self, chunks, content_type):
        self.chunks, self.content_type = chunks, content_type
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


# ---------------------------------------------------------------- discovery

class Served:
    """The kinds served and their indexes: golive's kinds table, and the kinds of the CRDs stored."""

    def __init__(self, resources, custom_schemas=None):
        self.resources = list(resources)
        self.custom_schemas = dict(custom_schemas or {})  # (group version, kind) -> the CRD's openAPIV3Schema
        self.by_path = {(r.group_version, r.plural): r for r in self.resources}
        self.by_kind = {(r.group_version, r.kind): r for r in self.resources}
        self.group_versions = {r.group_version for r in self.resources}
        self.groups = {}
        for res in (r for r in self.resources if r.group):
            version = {"groupVersion": res.group_version, "version": res.version}
            group = self.groups.setdefault(res.group, {"name": res.group, "versions": [], "preferredVersion": version})
            if version not in group["versions"]:
                group["versions"].append(version)
        self.openapi_hash = kube_openapi.v3_hash(self.resources, self.custom_schemas)

    def api_resource_list(self, group_version):
        resources = []
        for res in (r for r in self.resources if r.group_version == group_version):
            entry = {"name": res.plural, "singularName": res.kind.lower(), "namespaced": res.namespaced,
                     "kind": res.kind, "verbs": list(res.verbs)}
            entry.update({"shortNames": list(res.short_names)} if res.short_names else {})
            entry.update({"categories": list(res.categories)} if res.categories else {})
            resources.append(entry)
            for sub, kind, verbs in subresources(res):
                extra = {"group": kind[0], "version": kind[1]} if kind[:2] != (res.group, res.version) else {}
                resources.append({"name": f"{res.plural}/{sub}", "singularName": "", "namespaced": res.namespaced,
                                  **extra, "kind": kind[2], "verbs": list(verbs)})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                "resources": resources}

    def aggregated(self, core, version, stale=()):
        """Aggregated discovery (apidiscovery.k8s.io, as kubectl 1.28+ asks first): every group version's
        resources in one answer, /api's for the core group, /apis's for the others."""
        items = []
        for group in [""] if core else list(self.groups):
            versions = ["v1"] if core else [v["groupVersion"] for v in self.groups[group]["versions"]]
            listed = []
            for group_version in versions:
                resources = []
                for res in (r for r in self.resources if r.group_version == group_version):
                    entry = {"resource": res.plural,
                             "responseKind": {"group": res.group, "version": res.version, "kind": res.kind},
                             "scope": "Namespaced" if res.namespaced else "Cluster",
                             "singularResource": res.kind.lower(), "verbs": list(res.verbs)}
                    entry.update({"shortNames": list(res.short_names)} if res.short_names else {})
                    entry.update({"categories": list(res.categories)} if res.categories else {})
                    subs = [{"subresource": sub, "responseKind": dict(zip(("group", "version", "kind"), kind)),
                             "verbs": list(verbs)} for sub, kind, verbs in subresources(res)]
                    entry.update({"subresources": subs} if subs else {})
                    resources.append(entry)
                # An aggregated API whose server cannot be reached is listed as Stale, as the aggregator does.
                listed.append({"version": group_version.rsplit("/", 1)[-1], "resources": resources,
                               "freshness": "Stale" if group_version in stale else "Current"})
            items.append({"metadata": {"name": group} if group else {}, "versions": listed})
        return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}", "metadata": {},
                "items": items}

    def openapi_v3_root(self):
        """/openapi/v3: where each group version's document is (the hash lets kubectl cache it)."""
        return {"paths": {openapi_path(gv): {
            "serverRelativeURL": f"/openapi/v3/{openapi_path(gv)}?hash={self.openapi_hash}"}
            for gv in sorted(self.group_versions)}}

    def openapi_v3_document(self, group_version):
        """A group version's OpenAPI v3 document (kube_openapi): PATCH operations and the kinds' schemas."""
        return kube_openapi.v3_document(self.resources, group_version, VERSION["gitVersion"], self.custom_schemas)


openapi_path = kube_openapi.openapi_path

SCALE = ("autoscaling", "v1", "Scale")
WRITE_VERBS = ("get", "patch", "update")
# Subresources besides status: (name, (group, version, kind) answered, verbs).
SUBRESOURCES = {"Pod": [("log", ("", "v1", "Pod"), ("get",))],
                **{kind: [("scale", SCALE, WRITE_VERBS)] for kind in ("Deployment", "ReplicaSet", "StatefulSet")}}
DISCOVERY_MEDIA = "application/json;g=apidiscovery.k8s.io;v={};as=APIGroupDiscoveryList"


REVIEWS = {  # kind -> its answer's status, from the authenticated user (None: anonymous, plain HTTP runs)
    "SelfSubjectAccessReview": lambda user: {
        "allowed": True, "reason": "the golive sandbox authorizes every authenticated user (no RBAC)"},
    "SelfSubjectRulesReview": lambda user: {
        "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
        "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}], "incomplete": False},
    "SelfSubjectReview": lambda user: {"userInfo": {
        "username": user or "system:anonymous",
        "groups": ["system:authenticated"] if user else ["system:unauthenticated"]}},
}


def subresources(res):
    """A kind's subresources as discovery lists them."""
    made = [("status", (res.group, res.version, res.kind), WRITE_VERBS)] if res.status else []
    return made + ([] if res.custom else SUBRESOURCES.get(res.kind, []))


def discovery_version(accept):
    """The aggregated discovery version the Accept header asks for first (None: the legacy documents)."""
    for offered in (accept or "").split(","):
        params = dict(p.strip().partition("=")[::2] for p in offered.split(";")[1:])
        if params.get("as") == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io" \
                and params.get("v") in ("v2", "v2beta1"):
            return params["v"]
    return None


def crd_kinds(crd):
    """The kinds a CustomResourceDefinition serves (one per served version)."""
    spec, names = crd.get("spec") or {}, (crd.get("spec") or {}).get("names") or {}
    return [Kind(spec.get("group", ""), v["name"], names.get("kind", ""), names.get("plural", ""),
                 spec.get("scope") == "Namespaced", tuple(names.get("shortNames") or ()),
                 status="status" in ((v.get("subresources") or {})), custom=True,
                 categories=tuple(names.get("categories") or ()))
            for v in spec.get("versions") or [] if v.get("served", True) and v.get("name")]


def crd_schemas(crd):
    """(group version, kind) -> openAPIV3Schema of each served version of a CRD."""
    spec = crd.get("spec") or {}
    return {(f"{spec.get('group', '')}/{v['name']}", (spec.get("names") or {}).get("kind", "")):
            dig(v, "schema.openAPIV3Schema") or {"type": "object"}
            for v in spec.get("versions") or [] if v.get("served", True) and v.get("name")}


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
        self._events = collections.deque(maxlen=WATCH_WINDOW)  # (revision, type, key, object): what watches read
        self._changed = threading.Condition(self._lock)
        self._load_seed(Path(seed_path))

    def _next_revision(self):
        self._revision += 1
        return str(self._revision)

    @property
    def revision(self):
        """Grows with every write: what kube-state-metrics' exposition is cached by."""
        return self._revision

    def objects(self, kind):
        """Every stored object of a built-in kind (by its name, e.g. "Pod"), in every namespace."""
        res = next(r for r in STATIC.resources if r.kind == kind)
        return self.list(res, "", lambda key: "")[0]

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
        self._event("MODIFIED" if key in self._objects else "ADDED", key, obj)
        self._objects[key] = obj
        self._encoded.pop(key, None)
        self._names.setdefault(res, {}).setdefault(namespace, set()).add(name)
        if res.kind == "CustomResourceDefinition":
            self._serve_crds()

    def _drop(self, key):
        res, namespace, name = key
        gone = self._objects.pop(key)
        self._event("DELETED", key, {**gone, "metadata": {**gone["metadata"], "resourceVersion": self._next_revision()}})
        self._encoded.pop(key, None)
        self._names[res][namespace].discard(name)
        if res.kind == "CustomResourceDefinition":
            self._serve_crds()

    def _event(self, kind, key, obj):
        """What watches see: every stored change, in revision order (the last WATCH_WINDOW of them)."""
        self._events.append((int(obj["metadata"]["resourceVersion"]), kind, key, obj))
        self._changed.notify_all()

    def watch(self, res, namespace, param, table):
        """A watch: one JSON event per line ({"type", "object"}) as the store changes, until timeoutSeconds.
        Without a resourceVersion (or "0") it starts with the current objects as ADDED events; from an older
        one than the window holds, with a 410 Expired ERROR event, as the API server answers when etcd has
        compacted it; with sendInitialEvents, the current objects and then the initial-events-end bookmark."""
        matches_labels = label_selector(param("labelSelector"))
        matches_fields = field_selector(param("fieldSelector"), res.kind)
        matches = lambda key, obj: key[0] == res and (not namespace or key[1] == namespace) and \
            matches_labels(obj["metadata"].get("labels")) and matches_fields(obj)
        try:
            timeout = min(float(param("timeoutSeconds") or WATCH_TIMEOUT), WATCH_TIMEOUT)
            since = int(param("resourceVersion") or 0)
        except ValueError:
            raise bad_request(f"invalid resourceVersion {param('resourceVersion')!r} or timeoutSeconds") from None
        initial = param("sendInitialEvents") == "true" or since == 0
        with self._lock:
            now = self._revision
            if initial:
                first = [("ADDED", obj) for key, obj in sorted(self._objects.items(), key=lambda i: i[0][1:])
                         if matches(key, obj)]
                since = now
            elif self._events and since < self._events[0][0] - 1 and len(self._events) == self._events.maxlen:
                first = [("ERROR", ApiError(410, "Expired", f"too old resource version: {since} ({now})").status())]
            else:
                first = []
        if param("sendInitialEvents") == "true":
            first.append(("BOOKMARK", {"kind": res.kind, "apiVersion": res.group_version, "metadata": {
                "resourceVersion": str(now), "annotations": {"k8s.io/initial-events-end": "true"}}}))
        columns = self._columns(res) if table else None

        def line(kind, obj):
            if table and kind not in ("ERROR", "BOOKMARK"):
                obj = kube_tables.to_table(columns, [obj], {"resourceVersion": obj["metadata"]["resourceVersion"]},
                                           param("includeObject"))
            return json.dumps({"type": kind, "object": obj}).encode() + b"\n"

        def events():
            cursor, deadline = since, time.monotonic() + timeout
            for kind, obj in first:
                yield line(kind, obj)
            if first and first[0][0] == "ERROR":
                return
            while True:
                with self._lock:
                    fresh = [(rev, kind, key, obj) for rev, kind, key, obj in self._events if rev > cursor]
                    while not fresh and time.monotonic() < deadline:
                        self._changed.wait(deadline - time.monotonic())
                        fresh = [(rev, kind, key, obj) for rev, kind, key, obj in self._events if rev > cursor]
                if not fresh:
                    return
                for rev, kind, key, obj in fresh:
                    cursor = rev
                    if matches(key, obj):
                        yield line(kind, obj)
        return Stream(events(), TABLE_MEDIA if table else "application/json")

    def _serve_crds(self):
        """Serve the kinds of the stored CRDs, as the API server does once a CRD is established; a CRD's
        deletion deletes its custom resources."""
        crds = BY_KIND[("apiextensions.k8s.io/v1", "CustomResourceDefinition")]
        stored = [self._objects[(crds, "", name)] for name in sorted(self._names.get(crds, {}).get("", ()))]
        added = [k for crd in stored for k in crd_kinds(crd) if (k.group_version, k.kind) not in STATIC.by_kind]
        schemas = {key: schema for crd in stored for key, schema in crd_schemas(crd).items()
                   if key not in STATIC.by_kind}
        served = Served([*STATIC.resources, *added], schemas)
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
        if group_version.startswith(METRICS_GROUP + "/") and not self.metrics_available():
            raise metrics_unavailable()  # the aggregator cannot reach metrics-server's discovery either
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
        if sub is not None and sub not in {s for s, _, _ in subresources(res)}:
            raise no_route(path)
        param = lambda key: query.get(key, [""])[0]
        dry_run = param("dryRun") == "All"
        self._request.field_validation = param("fieldValidation")
        self._request.manager = param("fieldManager") or kube_apply.manager_from_user_agent(headers.get("User-Agent", ""))
        if self._request.field_validation not in ("", "Ignore", "Warn", "Strict"):
            raise bad_request(f"fieldValidation must be one of Ignore, Warn, Strict, not {self._request.field_validation!r}")
        table = "as=Table" in headers.get("Accept", "")  # kubectl's server-side printing
        verb = ("get" if name else "list") if method == "GET" else VERB_METHODS.get(method)
        if verb not in res.verbs:
            raise not_allowed(f"{method} is not allowed on {path}")
        if res.group == METRICS_GROUP:
            return 200, self._metrics(res, namespace, name, param, table)
        if res.kind in REVIEWS:
            return 201, self.review(res, self._decoded(headers, body))
        if sub == "log":
            return 200, self.pod_log(namespace, name, param)
        if sub == "scale":
            return 200, self.scale(res, namespace, name, method, headers, body, dry_run)
        if method == "GET" and name is None:
            if param("watch") in ("true", "1"):
                return 200, self.watch(res, namespace, param, table)
            if table:
                items, meta = self.list(res, namespace, param)
                return 200, kube_tables.to_table(self._columns(res), items, meta, param("includeObject"))
            return 200, self.list_json(res, namespace, param)
        if method == "POST" and name is None:
            return 201, self.create(res, namespace, self._decoded(headers, body), dry_run)
        if name is None:
            raise not_allowed(f"{method} on a collection is not supported")
        if method == "GET":
            obj = self.get(res, namespace, name)
            if table:
                meta = {"resourceVersion": obj["metadata"]["resourceVersion"]}
                return 200, kube_tables.to_table(self._columns(res), [obj], meta, param("includeObject"))
            return 200, obj
        if method == "PUT":
            replacement = self._decoded(headers, body)
            return 200, self.update(res, namespace, name, sub, lambda old: replacement, dry_run)
        if method == "PATCH" and headers.get("Content-Type", "").split(";")[0].strip() == APPLY_PATCH:
            return self.server_side_apply(res, namespace, name, sub, body, param, dry_run)
        if method == "PATCH":
            patcher = self._patcher(res, headers.get("Content-Type", ""), self._json(body))
            return 200, self.update(res, namespace, name, sub, patcher, dry_run)
        if method == "DELETE" and sub is None:
            return 200, self.delete(res, namespace, name, dry_run)
        raise not_allowed(f"{method} is not allowed on {path}")

    def _decoded(self, headers, body):
        """A POST or PUT body: JSON, or Kubernetes protobuf for the kinds kube_protobuf reads (else 415)."""
        if headers.get("Content-Type", "").split(";")[0].strip() != kube_protobuf.MEDIA:
            return self._json(body)
        try:
            return kube_protobuf.decode(body)
        except kube_protobuf.Undecodable as exc:
            # kubectl 1.31+ sends its typed writes (`kubectl create configmap|secret|deployment ...`) as
            # protobuf; without k8s.io/api's message layouts only the self-reviews are read here.
            raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format ({exc}) - "
                           "accepted media types include: application/json, application/yaml (the golive sandbox "
                           "reads protobuf only for the self-reviews: use `kubectl create -f` or `apply -f`)") from None

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
        # For custom resources strategic merge is refused, as upstream.
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

    def refresh_external_secrets(self, now: datetime | None = None) -> int:
        """What External Secrets Operator does as time passes: an ExternalSecret that is synced (Ready, SecretSynced)
        is refreshed every spec.refreshInterval ("0" never), its status.refreshTime advancing; one a fault made
        unready stays as it is. Without it a sandbox up longer than the allowed refresh age looked stale. Returns
        how many were refreshed."""
        now = now or datetime.now(timezone.utc)
        refreshed = 0
        with self._lock:
            for key, obj in list(self._objects.items()):
                if key[0].kind != "ExternalSecret":
                    continue
                status = obj.get("status") or {}
                ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
                interval = go_duration(dig(obj, "spec.refreshInterval", "1h") or "1h")
                last = status.get("refreshTime")
                if not interval or (ready.get("status"), ready.get("reason")) != ("True", "SecretSynced") or (
                        last and now - datetime.fromisoformat(last.replace("Z", "+00:00")) < interval):
                    continue
                new = {**obj, "metadata": {**obj["metadata"], "resourceVersion": self._next_revision()},
                       "status": {**status, "refreshTime": rfc3339(now)}}
                self._store(key, new)
                refreshed += 1
        return refreshed

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
            self._record_managers(res, None, obj)
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
            self._record_managers(res, old, new, sub)
            meta["resourceVersion"] = self._next_revision()
            if not dry_run:
                self._store((res, namespace, name), new)
            return copy.deepcopy(new)

    def review(self, res, obj):
        """A self-review, answered and not stored: the sandbox authorizes every authenticated user (no RBAC)."""
        self._check_body(res, obj)
        obj.pop("status", None)  # the answer's, never the asker's
        self._admit(res, obj)
        user = getattr(self._request, "user", None)
        obj["metadata"] = {"creationTimestamp": None, **(obj.get("metadata") or {})}
        obj["status"] = REVIEWS[res.kind](user)
        return obj

    def pod_log(self, namespace, name, param):
        """A container's log, refused as the kubelet refuses it; the emulator runs no containers, so it is empty."""
        pod = self.get(BY_KIND[("v1", "Pod")], namespace, name)
        containers = [c["name"] for c in dig(pod, "spec.containers", []) or []]
        every = containers + [c["name"] for c in dig(pod, "spec.initContainers", []) or []]
        container = param("container")
        if not container:
            if len(containers) != 1:
                raise bad_request(f"a container name must be specified for pod {name}, choose one of: "
                                  f"[{' '.join(containers)}]")
            container = containers[0]
        elif container not in every:
            raise bad_request(f"container {container} is not valid for pod {name}")
        statuses = dig(pod, "status.containerStatuses", []) + dig(pod, "status.initContainerStatuses", [])
        status = next((s for s in statuses if s.get("name") == container), {})
        if param("previous") in ("true", "1"):
            if not dig(status, "lastState.terminated"):
                raise bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
            return ""
        if not status.get("state") or "waiting" in status["state"]:
            reason = dig(status, "state.waiting.reason") or "ContainerCreating"
            raise bad_request(f'container "{container}" in pod "{name}" is waiting to start: {reason}')
        return ""

    def scale(self, res, namespace, name, method, headers, body, dry_run):
        """The scale subresource (autoscaling/v1 Scale): what `kubectl scale` and the HPA read and write."""
        def as_scale(obj):
            meta = obj["metadata"]
            labels = dig(obj, "spec.selector.matchLabels", {}) or {}
            return {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {
                k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta},
                "spec": {"replicas": dig(obj, "spec.replicas", 1)},
                "status": {"replicas": dig(obj, "status.replicas", 0),
                           "selector": ",".join(f"{k}={v}" for k, v in labels.items())}}
        if method == "GET":
            return as_scale(self.get(res, namespace, name))
        scale_kind = Kind(*SCALE[:2], SCALE[2], "scale", True)
        with self._lock:
            current = as_scale(self.get(res, namespace, name))
            if method == "PUT":
                wanted = self._json(body)
            else:
                wanted = self._patcher(scale_kind, headers.get("Content-Type", ""), self._json(body))(current)
            self._check_body(scale_kind, wanted)
            self._admit(scale_kind, wanted)

            def scaled(old):
                old["spec"] = {**(old.get("spec") or {}), "replicas": dig(wanted, "spec.replicas", 0)}
                if dig(wanted, "metadata.resourceVersion"):
                    old["metadata"]["resourceVersion"] = wanted["metadata"]["resourceVersion"]
                return old
            return as_scale(self.update(res, namespace, name, None, scaled, dry_run))

    def server_side_apply(self, res, namespace, name, sub, body, param, dry_run):
        """PATCH application/apply-patch+yaml: the manager's whole intent merged in, its dropped fields removed,
        another manager's fields changed only with force (kube_apply); the object is created if absent."""
        manager = param("fieldManager")
        if not manager:
            raise ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                           "is required for apply patch")
        try:
            config = yaml.safe_load(body or b"")
        except yaml.YAMLError as exc:
            raise bad_request(f"error decoding YAML: {exc}") from None
        self._check_body(res, config)
        config_meta = config.get("metadata") if isinstance(config.get("metadata"), dict) else {}
        if config_meta.get("name", name) != name:
            raise bad_request(f"the name of the object ({config_meta['name']}) does not match the name on the URL ({name})")
        schema = self._schema(res)
        merge = merge_patch if res.custom else \
            (lambda live, applied: strategic_merge_patch(live, applied, schema, self.schemas.resolve))
        applying = lambda live: kube_apply.apply(live, config, manager, param("force") == "true", res.group_version,
                                                 schema, self.schemas.resolve, merge, sub, res.status)
        try:
            with self._lock:
                if sub is None and (res, namespace, name) not in self._objects:
                    made = applying(None)
                    made.setdefault("metadata", {}).setdefault("name", name)
                    return 201, self.create(res, namespace, made, dry_run)
                return 200, self.update(res, namespace, name, sub, applying, dry_run)
        except kube_apply.Conflicts as exc:
            causes = [{"reason": "FieldManagerConflict", "message": f'conflict with "{m}" using {v}', "field": f}
                      for m, v, f in exc.conflicts]
            raise ApiError(409, "Conflict", exc.message(), {**details(res, name), "causes": causes}) from None

    def _columns(self, res):
        """The Table columns of a kind (kube_tables): a built-in's printer's, a custom resource's CRD's."""
        if not res.custom:
            return kube_tables.COLUMNS.get(res.kind, kube_tables.DEFAULT)
        with self._lock:
            crd = self._objects.get((BY_KIND[("apiextensions.k8s.io/v1", "CustomResourceDefinition")], "",
                                     f"{res.plural}.{res.group}"))
        version = next((v for v in dig(crd, "spec.versions", []) or [] if v.get("name") == res.version), None)
        return kube_tables.printer_columns(version)

    def _schema(self, res):
        """The kind's schema: a built-in's from the Kubernetes schemas, a custom resource's from its CRD."""
        if not res.custom:
            return self.schemas.schema(res.group_version, res.kind) or {}
        return self.served.custom_schemas.get((res.group_version, res.kind)) or {}

    def _record_managers(self, res, old, new, sub=None):
        """managedFields: the request's manager takes the fields its write changed (kube_apply)."""
        manager = getattr(self._request, "manager", None) or "unknown"
        kube_apply.record_update(old, new, manager, res.group_version, self._schema(res), self.schemas.resolve,
                                 sub, res.status)

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

    def metrics_available(self):
        """Whether metrics-server's APIService is Available (else the aggregator answers 503 for its group)."""
        with self._lock:
            service = self._objects.get((BY_KIND[("apiregistration.k8s.io/v1", "APIService")], "", METRICS_APISERVICE))
        available = [c for c in dig(service, "status.conditions", []) or [] if c.get("type") == "Available"]
        return bool(available) and available[0].get("status") == "True"

    def _metrics(self, res, namespace, name, param, table):
        """metrics-server's answers, made from the stored Nodes and Pods (running pods only, as it reports)."""
        if not self.metrics_available():
            raise metrics_unavailable()
        source = BY_KIND[("v1", res.kind.removesuffix("Metrics"))]
        if name is not None:
            found = self._metrics_of(res, [self.get(source, namespace, name)])
            if not found:
                raise not_found(res, name)
            return kube_tables.to_table(self._columns(res), found, {}, param("includeObject")) if table else \
                {"kind": res.kind, "apiVersion": res.group_version, **found[0]}
        objects, meta = self.list(source, namespace, param)
        items = self._metrics_of(res, objects)
        if table:
            return kube_tables.to_table(self._columns(res), items, meta, param("includeObject"))
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

    def set_user(self, user):
        """Who this thread's request is from (the self-reviews answer it)."""
        self._request.user = user

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
        if isinstance(payload, Stream):  # a watch: sent as it comes (chunked), each event flushed
            return Response(payload.chunks, code, content_type=payload.content_type, direct_passthrough=True)
        text = isinstance(payload, str)
        data = payload.encode() if text else payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = Response(data, code, content_type="text/plain; charset=utf-8" if text else "application/json")
        for warning in api.take_warnings():
            response.headers.add("Warning", f"299 - {json.dumps(warning)}")
        return response

    @app.before_request
    def authenticate():
        api.take_warnings()  # a kept-alive connection's thread serves the next request too
        api.set_user(auth.user(request.headers) if auth is not None else None)

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

    def discovery(core):
        version = discovery_version(request.headers.get("Accept"))
        if version is None:
            return answer(200, api.api_versions() if core else api.api_group_list())
        response = answer(200, api.served.aggregated(core, version, stale=() if api.metrics_available() else
                                                     (f"{METRICS_GROUP}/v1beta1",)))
        response.headers["Content-Type"] = DISCOVERY_MEDIA.format(version)
        response.headers["Vary"] = "Accept"
        return response

    def openapi_v2():
        data, media = kube_openapi.v2_document(VERSION["gitVersion"], request.headers.get("Accept", ""))
        return Response(data, 200, content_type=media)

    routes = [  # (rule, methods, view)
        ("/healthz", ["GET"], lambda: answer(200, "ok")),
        ("/livez", ["GET"], lambda: answer(200, "ok")),
        ("/readyz", ["GET"], lambda: answer(*api.readyz())),
        ("/version", ["GET"], lambda: answer(200, VERSION)),
        ("/api", ["GET"], lambda: discovery(True)),
        ("/apis", ["GET"], lambda: discovery(False)),
        ("/apis/<group>", ["GET"], lambda group: answer(200, api.api_group(group, request.path))),
        ("/openapi/v2", ["GET"], openapi_v2),
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
    parser.add_argument("--metrics-port", type=int,
                        help="also serve kube-state-metrics' /metrics from the store, over plain HTTP on this port")
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
    store["api"] = KubeApi(args.seed, f"{args.host}:{server.server_port}")
    store["app"] = create_app(store["api"], auth, parse_backends(args.proxy))
    print(f"kube-api emulator serving {'https' if context else 'http'}://{args.host}:{server.server_port}",
          file=sys.stderr, flush=True)
    if args.metrics_port is not None:
        metrics = emulator.server(args.host, args.metrics_port, kube_state_metrics.create_app(store["api"]),
                                  verbose=args.verbose)
        threading.Thread(target=metrics.serve_forever, daemon=True).start()
        print(f"kube-state-metrics serving http://{args.host}:{metrics.server_port}/metrics", file=sys.stderr,
              flush=True)
    threading.Thread(target=_operators, args=(store["api"],), daemon=True).start()
    emulator.serve(server)


def _operators(api: "KubeApi", every_s: float = 30) -> None:
    """The controllers whose work shows as time passes (External Secrets' refreshes), every half minute."""
    while True:
        time.sleep(every_s)
        try:
            api.refresh_external_secrets()
        except Exception as exc:  # noqa: BLE001 - a controller's slip must not stop the API server
            print(f"kube-api emulator: refreshing ExternalSecrets failed: {exc}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
