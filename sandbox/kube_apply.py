"""Field ownership as the API server keeps it: `metadata.managedFields` and server-side apply.

A field set is a set of paths, each a tuple of the steps managedFields' FieldsV1 writes: `f:<name>` for an
object's field, `k:{"name":"web"}` for an item of a list keyed by `x-kubernetes-list-map-keys` (or, where the
schema gives none, its patch merge key). Other lists and every scalar are leaves, owned whole.
- Every write records its manager (`fieldManager`, else the User-Agent's product name): an update takes the
  fields whose values it changed (operation Update), and each other manager loses them.
- Server-side apply (PATCH application/apply-patch+yaml) sends the manager's whole intent: its fields are
  merged into the object; a field it owned and no longer sends is removed unless another manager owns it too;
  a field another manager owns with a different value is a conflict (409, each field named), unless force,
  which moves the field to the applier.
A request that sets managedFields itself (kubectl's client-side-apply upgrade does) is taken as it is.
The structured-merge-diff details beyond this (sets of scalars as `v:` items, defaulted key fields) are not
modelled: such lists are owned whole.
"""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

# Metadata the server sets, never owned by a manager.
SERVER_METADATA = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                   "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"}


class Conflicts(Exception):
    """Fields another manager owns with another value: [(manager, api version, field path)]."""

    def __init__(self, conflicts):
        self.conflicts = conflicts
        managers = sorted({m for m, _, _ in conflicts})
        super().__init__(managers)

    def message(self):
        if len(self.conflicts) == 1:
            manager, version, field = self.conflicts[0]
            return f'Apply failed with 1 conflict: conflict with "{manager}" using {version}: {field}'
        lines = [f"Apply failed with {len(self.conflicts)} conflicts:"]
        by_manager = {}
        for manager, version, field in self.conflicts:
            by_manager.setdefault((manager, version), []).append(field)
        for (manager, version), fields in by_manager.items():
            lines.append(f'conflicts with "{manager}" using {version}:')
            lines.extend(f"- {f}" for f in fields)
        return "\n".join(lines)


def manager_from_user_agent(user_agent: str) -> str:
    """The default manager name, as the server makes it: the User-Agent's product, before the first '/'."""
    return (user_agent or "unknown").split("/")[0][:128] or "unknown"


def _keys(node: dict) -> list[str] | None:
    keys = node.get("x-kubernetes-list-map-keys")
    if keys:
        return list(keys)
    merge = node.get("x-kubernetes-patch-merge-key")
    return [merge] if merge else None


def _item_step(item: dict, keys: list[str]) -> str | None:
    present = {k: item[k] for k in keys if k in item}
    return "k:" + json.dumps(present, sort_keys=True, separators=(",", ":")) if present else None


def fieldset(obj, schema, resolve, subresource: str | None = None, status_subresource: bool = False) -> set:
    """The field set of an object (or of its status, for the status subresource)."""
    paths = set()
    for key, value in (obj or {}).items():
        if key in ("apiVersion", "kind"):
            continue
        if subresource == "status" and key != "status":
            continue
        if subresource is None and status_subresource and key == "status":
            continue
        node = resolve((schema.get("properties") or {}).get(key) or {})
        if key == "metadata":
            value = {k: v for k, v in (value or {}).items() if k not in SERVER_METADATA}
            if not value:
                continue
        _walk(value, node, resolve, (f"f:{key}",), paths)
    return paths


def _walk(value, node, resolve, path, paths):
    node = resolve(node or {})
    if isinstance(value, dict) and value:
        properties = node.get("properties") or {}
        extra = node.get("additionalProperties") if isinstance(node.get("additionalProperties"), dict) else {}
        for key, inner in value.items():
            _walk(inner, properties.get(key) or extra, resolve, (*path, f"f:{key}"), paths)
        return
    keys = _keys(node) if isinstance(value, list) else None
    if keys and all(isinstance(item, dict) and _item_step(item, keys) for item in value) and value:
        for item in value:
            item_path = (*path, _item_step(item, keys))
            paths.add(item_path)
            _walk(item, node.get("items") or {}, resolve, item_path, paths)
        return
    paths.add(path)


def to_fields_v1(paths: set) -> dict:
    made = {}
    for path in sorted(paths):
        place = made
        for step in path:
            place = place.setdefault(step, {})
        if path[-1].startswith("k:"):
            place["."] = {}
    return made


def from_fields_v1(fields: dict, path=()) -> set:
    paths = set()
    for step, inner in (fields or {}).items():
        if step == ".":
            paths.add(path)
        elif inner:
            paths |= from_fields_v1(inner, (*path, step))
        else:
            paths.add((*path, step))
    return paths


_MISSING = object()


def value_at(obj, path):
    for step in path:
        if step.startswith("f:") and isinstance(obj, dict):
            obj = obj.get(step[2:], _MISSING)
        elif step.startswith("k:") and isinstance(obj, list):
            wanted = json.loads(step[2:])
            obj = next((i for i in obj if isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items())),
                       _MISSING)
        else:
            return _MISSING
        if obj is _MISSING:
            return _MISSING
    return obj


def remove_at(obj, path):
    """Remove the field or list item at path (nothing when absent)."""
    parent = value_at(obj, path[:-1]) if len(path) > 1 else obj
    step = path[-1]
    if step.startswith("f:") and isinstance(parent, dict):
        parent.pop(step[2:], None)
    elif step.startswith("k:") and isinstance(parent, list):
        wanted = json.loads(step[2:])
        parent[:] = [i for i in parent if not (isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items()))]


def render(path) -> str:
    """A path as the server names it in conflicts: .spec.template.spec.containers[name="web"].image"""
    text = ""
    for step in path:
        if step.startswith("f:"):
            text += "." + step[2:]
        else:
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(step[2:]).items()) + "]"
    return text


def _entries(obj):
    return copy.deepcopy((obj.get("metadata") or {}).get("managedFields") or [])


def _now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _identity(entry):
    return entry.get("manager"), entry.get("operation"), entry.get("subresource", "")


def _write(entries, obj):
    kept = [e for e in entries if e.get("fieldsV1")]
    if kept:
        obj.setdefault("metadata", {})["managedFields"] = kept
    else:
        (obj.get("metadata") or {}).pop("managedFields", None)


def record_update(old, new, manager, api_version, schema, resolve, subresource=None, status_subresource=False):
    """After a create (old None) or an update: the manager takes the fields whose values changed."""
    asked = (new.get("metadata") or {}).get("managedFields")
    if asked is not None and (old is None or asked != (old.get("metadata") or {}).get("managedFields")):
        return  # the request set managedFields itself (as server-side apply does here): kept as sent
    entries = _entries(old) if old is not None else []
    changed = {p for p in fieldset(new, schema, resolve, subresource, status_subresource)
               if old is None or value_at(old, p) != value_at(new, p)}
    if old is not None:  # fields the update removed are no longer anyone's
        gone = {p for e in entries for p in from_fields_v1(e.get("fieldsV1")) if value_at(new, p) is _MISSING}
    else:
        gone = set()
    if not changed and not gone:
        _write(entries, new)
        return
    identity = (manager, "Update", subresource or "")
    for entry in entries:
        owned = from_fields_v1(entry.get("fieldsV1")) - gone
        if _identity(entry) != identity:
            owned -= changed
        entry["fieldsV1"] = to_fields_v1(owned) if owned else {}
    mine = next((e for e in entries if _identity(e) == identity), None)
    if mine is None and changed:
        mine = {"manager": manager, "operation": "Update", "apiVersion": api_version, "fieldsType": "FieldsV1",
                "fieldsV1": {}, **({"subresource": subresource} if subresource else {})}
        entries.append(mine)
    if mine is not None:
        mine["fieldsV1"] = to_fields_v1(from_fields_v1(mine["fieldsV1"]) | changed)
        mine["time"] = _now()
    _write(entries, new)


def apply(live, config, manager, force, api_version, schema, resolve, merge, subresource=None,
          status_subresource=False):
    """The object after `manager` applies `config` to `live` (None: the object is created). `merge(live,
    config)` merges the applied fields in (strategic merge for built-in kinds). Raises Conflicts."""
    applied = fieldset(config, schema, resolve, subresource, status_subresource)
    entries = _entries(live) if live is not None else []
    identity = (manager, "Apply", subresource or "")
    conflicts, taken = [], set()
    for entry in entries:
        if _identity(entry) == identity:
            continue
        owned = from_fields_v1(entry.get("fieldsV1"))
        for path in sorted(applied & owned):
            if path[-1].startswith("k:"):
                continue  # an item is shared; its fields may conflict
            if value_at(live, path) != value_at(config, path):
                conflicts.append((entry.get("manager"), entry.get("apiVersion", api_version), render(path)))
            taken.add(path)
    if conflicts and not force:
        raise Conflicts(conflicts)
    merged = merge(copy.deepcopy(live) if live is not None else {}, config)
    mine = next((e for e in entries if _identity(e) == identity), None)
    before = from_fields_v1(mine.get("fieldsV1")) if mine else set()
    others = set()
    for entry in entries:
        if _identity(entry) != identity:
            owned = from_fields_v1(entry.get("fieldsV1"))
            if force:
                owned -= {p for p in taken if value_at(live, p) != value_at(config, p)}
            entry["fieldsV1"] = to_fields_v1(owned) if owned else {}
            others |= owned
    for path in sorted(before - applied - others, key=len, reverse=True):
        if not any(p[:len(path)] == path for p in applied):
            remove_at(merged, path)
            # A map left empty goes too, as Go's omitempty drops it (labels: {} is never stored).
            while len(path) > 1 and value_at(merged, path[:-1]) == {} and path[-2].startswith("f:"):
                path = path[:-1]
                remove_at(merged, path)
    if mine is None:
        mine = {"manager": manager, "operation": "Apply", "apiVersion": api_version, "fieldsType": "FieldsV1",
                **({"subresource": subresource} if subresource else {})}
        entries.append(mine)
    mine.update(fieldsV1=to_fields_v1(applied), time=_now(), apiVersion=api_version)
    merged.setdefault("metadata", {}).pop("managedFields", None)
    _write(entries, merged)
    return merged
