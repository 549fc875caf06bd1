"""Drift: what runs is what was reviewed. The live objects against the manifests given, after the deploy.

Apply semantics, as `kubectl diff` reads them: a manifest says what it sets, the server adds defaults, status,
managedFields and its controllers' annotations. So every field a manifest declares must hold the same value
live, and a field only the live object has is the server's (ignored). Lists of named items (containers, ports,
env, volumes) are matched by name; other lists of objects item by item, lists of values whole. Secret values
are never compared or shown (both sides hold only their key names).

Objects are named `Kind namespace/name`. An object declared but not live is missing; one live in a managed
namespace and kind but declared nowhere is undeclared, unless a controller owns it (ownerReferences) or it
matches an ignore pattern (`Kind/name`, shell wildcards: the API's own kube-root-ca.crt, Helm's release Secrets).
"""
from __future__ import annotations

import fnmatch
import re
from decimal import Decimal, InvalidOperation

from golive.check import Finding, failed, passed
from golive.probes import kube

# metadata the server writes: never part of what a manifest declares, whatever a file says.
SERVER_METADATA = {"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink",
                   "ownerReferences", "deletionTimestamp", "deletionGracePeriodSeconds"}
REDACTED = "<redacted>"  # what both gatherers keep of a Secret's values
MAX_SHOWN = 20  # differences listed per object in the summary's evidence
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_SCALE = {None: 1, "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": 10**3, "M": 10**6,
          "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
          "Pi": 2**50, "Ei": 2**60}


def label(obj: dict) -> str:
    ns = kube.namespace(obj)
    return f"{obj.get('kind')} {ns + '/' if ns else ''}{kube.name(obj)}"


def identity(obj: dict) -> tuple[str, str, str]:
    return obj.get("kind") or "", kube.namespace(obj) or "", kube.name(obj)


def quantity(value) -> Decimal | None:
    """A Kubernetes quantity ("500m", "1Gi", "0.5", 2) as a number; None when it is not one."""
    match = _QUANTITY.match(str(value).strip()) if isinstance(value, (str, int, float)) else None
    if not match or isinstance(value, bool):
        return None
    try:
        return Decimal(match.group(1)) * Decimal(_SCALE[match.group(2)])
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


def _same_value(declared, live) -> bool:
    if declared == live or str(declared) == str(live):  # an IntOrString port: 8000 and "8000" are one
        return True
    a, b = quantity(declared), quantity(live)
    return a is not None and a == b  # "1024Mi" is "1Gi", "0.5" is "500m", as the API canonicalises them


def _named(items: list) -> bool:
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)


def differences(declared, live, path: str = "") -> list[str]:
    """Each field the manifest declares that the live object does not hold, as `path: declared X, live Y`."""
    if isinstance(declared, dict):
        if not isinstance(live, dict):
            return [f"{path or '.'}: declared an object, live {_show(live)}"]
        out = []
        for key, value in declared.items():
            where = f"{path}.{key}" if path else key
            if key not in live:
                if value not in (None, {}, [], ""):  # an empty value is the server's absence
                    out.append(f"{where}: declared {_show(value)}, live absent")
                continue
            out += differences(value, live[key], where)
        return out
    if isinstance(declared, list):
        if not isinstance(live, list):
            return [f"{path}: declared a list, live {_show(live)}"]
        if _named(declared) and all(isinstance(i, dict) for i in live):
            by_name = {i.get("name"): i for i in live}
            return [d for item in declared for d in (
                differences(item, by_name[item["name"]], f"{path}[{item['name']}]") if item["name"] in by_name
                else [f"{path}[{item['name']}]: declared, live absent"])]
        if declared and all(isinstance(i, dict) for i in declared):
            out = [d for i, item in enumerate(declared) for d in (
                differences(item, live[i], f"{path}[{i}]") if i < len(live) else [f"{path}[{i}]: declared, live absent"])]
            return out + ([f"{path}: {len(live) - len(declared)} more item(s) live than declared"]
                          if len(live) > len(declared) else [])
        if len(declared) != len(live) or not all(_same_value(a, b) for a, b in zip(declared, live)):
            return [f"{path}: declared {_show(declared)}, live {_show(live)}"]
        return []
    if declared == REDACTED:  # a Secret's value: its key exists live, which is all anyone may know
        return []
    return [] if _same_value(declared, live) else [f"{path}: declared {_show(declared)}, live {_show(live)}"]


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:119] + "…"


def _declared_part(obj: dict) -> dict:
    """What a manifest declares: everything but status and the server's metadata."""
    out = {k: v for k, v in obj.items() if k not in ("status", "apiVersion")}
    out["metadata"] = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_METADATA}
    return out


def ignored(obj: dict, patterns: list[str]) -> bool:
    if kube.meta(obj).get("ownerReferences"):
        return True  # a controller made it (a ReplicaSet, the Secret an ExternalSecret writes): its owner is declared
    return any(fnmatch.fnmatchcase(f"{obj.get('kind')}/{kube.name(obj)}", p) for p in patterns)


def drift(declared: list[dict], live: list[dict], *, managed: set[tuple[str, str]], ignore: list[str],
          where: str = "") -> Finding:
    """The live objects as the manifests declare them.

    `declared`: the manifests' objects; `live`: the cluster's objects of the same kinds in the same namespaces
    (each with its `kind`); `managed`: the (kind, namespace) pairs whose undeclared objects count (namespaced
    kinds in the namespaces the manifests write to); `ignore`: `Kind/name` patterns that are never drift.
    """
    if not declared:
        return failed(f"no manifests to compare the live objects with ({where or 'nothing given'}): drift "
                      "cannot pass on nothing", resource="drift", expected="the manifests that were reviewed",
                      hint="Pass the reviewed manifests (--golive-drift PATH, or manifests.drift in golive.toml).")
    live_by_id = {identity(obj): obj for obj in live}
    declared_ids = {identity(obj) for obj in declared}
    per_object: dict[str, list[str]] = {}
    missing, undeclared = [], []
    for obj in declared:
        found = live_by_id.get(identity(obj))
        if found is None:
            missing.append(label(obj))
            continue
        diffs = differences(_declared_part(obj), found)
        if diffs:
            per_object[label(obj)] = diffs[:MAX_SHOWN] + ([f"… {len(diffs) - MAX_SHOWN} more"]
                                                          if len(diffs) > MAX_SHOWN else [])
    for obj in live:
        kind, ns, _ = identity(obj)
        if identity(obj) not in declared_ids and (kind, ns) in managed and not ignored(obj, ignore):
            undeclared.append(label(obj))
    observed = {"missing live": missing, "live but not declared": sorted(undeclared), "differ": per_object}
    expected = f"the {len(declared)} declared objects live as declared, nothing else of their kinds in their namespaces"
    if not (missing or undeclared or per_object):
        return passed(f"no drift: the {len(declared)} declared objects are live as declared, and nothing undeclared "
                      f"runs beside them", resource="drift", observed=observed, expected=expected)
    said = []
    if per_object:
        first, diffs = next(iter(per_object.items()))
        said.append(f"{len(per_object)} object(s) differ from their manifests ({first}: {diffs[0]}"
                    + (f"; +{len(per_object) - 1} more objects" if len(per_object) > 1 else "") + ")")
    if missing:
        said.append(f"{len(missing)} declared object(s) missing live ({', '.join(missing[:5])})")
    if undeclared:
        said.append(f"{len(undeclared)} live object(s) declared nowhere ({', '.join(sorted(undeclared)[:5])})")
    return failed("drift: " + ", ".join(said), resource="drift", observed=observed, expected=expected,
                  hint="What runs is not what was reviewed: re-apply the reviewed manifests, or review the change "
                       "and commit it to them.")
