"""Admission as the API server does it: objects against the Kubernetes OpenAPI schemas, errors by field path.

Built-in kinds are checked against the schemas `kubernetes-validate` ships (the strict ones: every object
forbids fields it does not declare), custom resources against their CustomResourceDefinition's
openAPIV3Schema. What the server answers:
- a value of the wrong type, a missing required field, a value outside an enum: 422 Invalid, a Status whose
  `details.causes[].field` is the path (`spec.template.spec.containers[0].name`), as field.ErrorList renders;
- a field the schema does not declare: with `fieldValidation=Strict` (kubectl's default) 400 BadRequest
  `strict decoding error: unknown field "spec.foo"`; otherwise the field is dropped and a warning says so
  (`Warn`, the default for other clients), or silently (`Ignore`).
"""
from __future__ import annotations

import json
import re
import threading
from functools import lru_cache

import jsonschema
from kubernetes_validate import utils as kv
from referencing import Registry, Resource

KUBERNETES_VERSION = "1.28"  # the emulator's (and the target's) minor version


def field_path(parts) -> str:
    """A JSON path as the API server writes it: `spec.containers[0].name`."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def schema_dir(version: str, strict: bool = True) -> str:
    """Where kubernetes-validate keeps the schemas of this minor version (strict: unknown fields forbidden)."""
    chosen = [v for v in kv.all_versions() if kv.major_minor(v) <= version][-1]
    return f"kubernetes-json-schema/v{chosen}-local{'-strict' if strict else ''}"


class Schemas:
    """One compiled validator per kind, made on first use (loading the schemas costs ~0.3 s once)."""

    def __init__(self, version: str = KUBERNETES_VERSION):
        self._dir = schema_dir(version)
        self._lock = threading.Lock()
        self._registry = None

        self._defs = None

    def _definitions(self) -> Registry:
        with self._lock:
            if self._registry is None:
                self._defs = kv.schema_contents(f"{self._dir}/_definitions.json", KUBERNETES_VERSION)
                self._registry = Resource.from_contents(self._defs) @ Registry()
            return self._registry

    @lru_cache(maxsize=None)
    def schema(self, api_version: str, kind: str) -> dict | None:
        """A built-in kind's JSON schema, or None if the schemas hold no such kind."""
        slug = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        try:
            return kv.schema_contents(f"{self._dir}/{kind.lower()}-{slug}.json", KUBERNETES_VERSION)
        except FileNotFoundError:
            return None

    @lru_cache(maxsize=None)
    def builtin(self, api_version: str, kind: str):
        """The validator of a built-in kind, or None if the schemas hold no such kind."""
        schema = self.schema(api_version, kind)
        if schema is None:
            return None
        registry = Resource.from_contents(schema) @ self._definitions()
        return jsonschema.Draft202012Validator(schema, registry=registry)

    def zero_status(self, api_version: str, kind: str) -> dict:
        """A new object's status as the API server stores it: the fields Go always serializes (those the
        schema requires) at their zero values, e.g. a StatefulSet's replicas 0."""
        schema = self.schema(api_version, kind) or {}
        status = self.resolve((schema.get("properties") or {}).get("status") or {})
        zero = {"integer": 0, "number": 0, "string": "", "boolean": False, "array": [], "object": {}}
        made = {}
        for name in status.get("required") or []:
            kind_of = self.resolve((status.get("properties") or {}).get(name) or {}).get("type", "object")
            kind_of = next((t for t in ([kind_of] if isinstance(kind_of, str) else kind_of) if t != "null"), "object")
            made[name] = zero.get(kind_of)
        return made

    def resolve(self, node):
        """A schema node with its $ref followed (the x-kubernetes-patch-* markers sit beside or behind it)."""
        while isinstance(node, dict) and "$ref" in node:
            self._definitions()
            node = self._defs["$defs"][node["$ref"].split("#/$defs/")[1]]
        return node if isinstance(node, dict) else {}


@lru_cache(maxsize=256)
def _custom_validator(schema_json: str):
    return jsonschema.Draft202012Validator(_openapi_to_jsonschema(json.loads(schema_json)))


def custom(schema: dict | None):
    """The validator of a CRD version's openAPIV3Schema (None: nothing to check)."""
    if not schema:
        return None
    # Every object has these whatever its schema says (metadata is ObjectMeta; status its subresource's).
    implicit = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    schema = {**schema, "properties": {**implicit, **(schema.get("properties") or {})}} \
        if schema.get("properties") else schema
    return _custom_validator(json.dumps(schema, sort_keys=True))


def _openapi_to_jsonschema(schema):
    """OpenAPI v3 structural schema -> JSON Schema: `nullable` widens the type, unknown fields are pruned
    (not refused) unless x-kubernetes-preserve-unknown-fields, int-or-string takes both."""
    if isinstance(schema, list):
        return [_openapi_to_jsonschema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _openapi_to_jsonschema(v) for k, v in schema.items() if not k.startswith("x-") and k != "nullable"}
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["type"] = ["integer", "string"]
    if schema.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if out.get("type") == "object" and "properties" in schema and \
            not schema.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    return out


class Invalid(Exception):
    """Causes [(reason, field, message)] of a 422."""

    def __init__(self, causes):
        super().__init__("; ".join(f"{f}: {m}" for _, f, m in causes))
        self.causes = causes


def _quote(value) -> str:
    return json.dumps(value) if isinstance(value, (str, int, float, bool)) or value is None else \
        f"{type(value).__name__}"


def _cause(error) -> tuple[str, str, str]:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = re.match(r"'([^']+)'", error.message)
        return "FieldValueRequired", field_path(path + [missing[1] if missing else "?"]), "Required value"
    where = field_path(path)
    if error.validator == "enum":
        supported = ", ".join(json.dumps(v) for v in error.validator_value if v is not None)
        return "FieldValueNotSupported", where, f"Unsupported value: {_quote(error.instance)}: supported values: {supported}"
    if error.validator in ("type", "oneOf", "anyOf"):
        wanted = error.validator_value if error.validator == "type" else \
            [t for s in error.validator_value for t in _types(s)]
        wanted = [t for t in ([wanted] if isinstance(wanted, str) else wanted) if t != "null"]
        return "FieldValueTypeInvalid", where, \
            f"Invalid value: {_quote(error.instance)}: must be of type {' or '.join(dict.fromkeys(wanted))}"
    return "FieldValueInvalid", where, f"Invalid value: {_quote(error.instance)}: {error.message}"


def _types(schema):
    kind = schema.get("type", []) if isinstance(schema, dict) else []
    return [kind] if isinstance(kind, str) else kind


def admit(validator, obj: dict) -> list[list]:
    """Check `obj`: raise Invalid with every cause; else return the paths of the fields the schema does not
    declare (each a list of keys and indexes; `field_path` renders one)."""
    if validator is None:
        return []
    causes, unknown = [], []
    for error in validator.iter_errors(obj):
        if error.validator == "additionalProperties" and error.validator_value is False:
            declared = error.schema.get("properties", {})
            for extra in sorted(set(error.instance) - set(declared)):
                unknown.append((list(error.absolute_path), extra))
        else:
            causes.append(_cause(error))
    if causes:
        raise Invalid(sorted(set(causes), key=lambda c: c[1]))
    return [path + [extra] for path, extra in unknown]


def prune(obj: dict, fields: list[list]) -> None:
    """Drop the unknown fields `admit` named (as the server's decoder drops them)."""
    for parts in fields:
        target = obj
        for part in parts[:-1]:
            target = target[part]
        target.pop(parts[-1], None)
