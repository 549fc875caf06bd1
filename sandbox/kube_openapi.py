"""The Kubernetes emulator's OpenAPI documents, as an API server publishes them for its clients.

- `/openapi/v3` and `/openapi/v3/<api|apis/group>/<version>`: one document per group version, with each kind's
  PATCH operation (its `fieldValidation` parameter tells kubectl to leave validation to the server) and the kinds'
  schemas under `components.schemas`, each with `x-kubernetes-group-version-kind` (what `kubectl explain` and
  kubectl's OpenAPI-driven strategic merge read). Built-in kinds' schemas are the real ones, from the
  definitions `kubernetes-validate` ships; a custom resource's is its CRD's openAPIV3Schema.
- `/openapi/v2`: what kubectl before 1.29 fetches before `apply`, `diff` and `explain` (a 404 there fails
  them). It is served as the protocol buffer kubectl asks for (gnostic's openapi.v2.Document), or JSON, with
  the paths and definitions left empty: kubectl then merges from its built-in types and reads schemas from v3.
"""
from __future__ import annotations

import copy
import json
import uuid
from functools import lru_cache

from kubernetes_validate import utils as kv

from sandbox import kube_validation

# Clients ask for the protobuf by either name; the server answers with the second (Go's mime parser refuses "@").
V2_PROTOBUF_ASKED = ("application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
                     "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
V2_PROTOBUF = V2_PROTOBUF_ASKED[1]
PATCH_PARAMETERS = ("dryRun", "fieldManager", "fieldValidation", "force")


def openapi_path(group_version: str) -> str:
    return f"api/{group_version}" if "/" not in group_version else f"apis/{group_version}"


@lru_cache(maxsize=1)
def definitions() -> dict:
    """The built-in schemas as OpenAPI v3 components (refs to #/components/schemas/, no JSON Schema `null`
    types), by definition name, e.g. io.k8s.api.apps.v1.Deployment."""
    folder = kube_validation.schema_dir(kube_validation.KUBERNETES_VERSION, strict=False)
    found = kv.schema_contents(f"{folder}/_definitions.json", kube_validation.KUBERNETES_VERSION)["$defs"]
    return {name: _as_openapi(schema) for name, schema in found.items()}


@lru_cache(maxsize=1)
def _definition_by_kind() -> dict:
    return {(g.get("group", ""), g.get("version"), g.get("kind")): name for name, schema in definitions().items()
            for g in schema.get("x-kubernetes-group-version-kind") or []}


def _as_openapi(node):
    if isinstance(node, list):
        return [_as_openapi(n) for n in node]
    if not isinstance(node, dict):
        return node
    made = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            value = value.replace("#/$defs/", "#/components/schemas/")
        elif key == "type" and isinstance(value, list):
            kinds = [t for t in value if t != "null"]
            value = kinds[0] if len(kinds) == 1 else kinds
        elif key == "enum" and isinstance(value, list):
            value = [v for v in value if v is not None]
        else:
            value = _as_openapi(value)
        made[key] = value
    return made


def _with_references(names: list[str]) -> dict:
    """The named definitions and every definition they refer to, as a document's components."""
    every, found, todo = definitions(), {}, list(names)
    while todo:
        name = todo.pop()
        if name in found or name not in every:
            continue
        found[name] = every[name]
        todo.extend(_references(every[name]))
    return dict(sorted(found.items()))


def _references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.rsplit("/", 1)[-1]
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def custom_schema_name(group: str, version: str, kind: str) -> str:
    """A custom resource's component name, as the API server makes it (the group reversed)."""
    return ".".join([*reversed(group.split(".")), version, kind])


def v3_document(resources, group_version: str, version_text: str, custom_schemas: dict) -> dict:
    """One group version's OpenAPI v3 document (custom_schemas: (group version, kind) -> openAPIV3Schema)."""
    paths, builtin, components = {}, [], {}
    for res in (r for r in resources if r.group_version == group_version):
        gvk = {"group": res.group, "version": res.version, "kind": res.kind}
        if res.custom:
            schema = copy.deepcopy(custom_schemas.get((res.group_version, res.kind)) or {"type": "object"})
            schema["x-kubernetes-group-version-kind"] = [gvk]
            components[custom_schema_name(res.group, res.version, res.kind)] = schema
        elif (found := _definition_by_kind().get((res.group, res.version, res.kind))) is not None:
            builtin.append(found)
        if "patch" not in res.verbs:
            continue
        scope = "/namespaces/{namespace}" if res.namespaced else ""
        params = [{"name": p, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                  for p in PATCH_PARAMETERS]
        paths[f"/{openapi_path(group_version)}{scope}/{res.plural}/{{name}}"] = {"patch": {
            "operationId": f"patch{res.kind}", "parameters": params, "responses": {"200": {"description": "OK"}},
            "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk}}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": version_text},
            "paths": paths, "components": {"schemas": {**_with_references(builtin), **components}}}


def v3_hash(resources, custom_schemas: dict) -> str:
    """What the documents depend on (the kinds served, the CRDs' schemas, the schema release): kubectl caches
    a document by this hash."""
    served = sorted((r.group_version, r.kind, r.plural, r.namespaced, tuple(r.verbs)) for r in resources)
    text = json.dumps([served, sorted(map(list, custom_schemas)), kube_validation.KUBERNETES_VERSION,
                       [custom_schemas[k] for k in sorted(custom_schemas)]], sort_keys=True, default=str)
    return uuid.uuid5(uuid.NAMESPACE_URL, text).hex.upper()


def v2_document(version_text: str, accept: str) -> tuple[bytes, str]:
    """/openapi/v2 as (body, content type): protobuf when asked for (kubectl asks), else JSON."""
    if any(asked in accept for asked in V2_PROTOBUF_ASKED):
        info = _field(1, b"Kubernetes") + _field(2, version_text.encode())
        # Document: swagger = 1, info = 2, paths = 8 (empty), as gnostic's OpenAPIv2.proto numbers them.
        return _field(1, b"2.0") + _field(2, info) + _field(8, b""), V2_PROTOBUF
    body = {"swagger": "2.0", "info": {"title": "Kubernetes", "version": version_text}, "paths": {},
            "definitions": {}}
    return json.dumps(body).encode(), "application/json"


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (strings and messages)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    made = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        made.append(low | (0x80 if value else 0))
        if not value:
            return bytes(made)
