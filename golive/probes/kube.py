"""Kubernetes object helpers every probe shares: conditions, label selectors, pod templates, ports, durations.

Pure functions over objects as `kubectl get -o json` shows them (or as a manifest declares them:
no status, fewer defaulted fields). Each Kubernetes rule is written here once, with the semantics
the API documents, so two probes never disagree about what a selector selects.
"""
from __future__ import annotations

import math
import re

# --- metadata and status ---------------------------------------------------------------------


def meta(obj: dict | None) -> dict:
    return (obj or {}).get("metadata") or {}


def name(obj: dict | None) -> str:
    return meta(obj).get("name", "?")


def namespace(obj: dict | None) -> str | None:
    return meta(obj).get("namespace")


def labels(obj: dict | None) -> dict:
    return meta(obj).get("labels") or {}


def annotations(obj: dict | None) -> dict:
    return meta(obj).get("annotations") or {}


def condition(obj: dict | None, kind: str) -> dict:
    """The status condition of this type, or {} when the object reports none (a manifest never does)."""
    return next((c for c in ((obj or {}).get("status") or {}).get("conditions") or [] if c.get("type") == kind), {})


def named(objects: list[dict], wanted: str, in_namespace: str | None = None) -> list[dict]:
    """The objects called `wanted` (in `in_namespace`, or in any namespace when None)."""
    return [o for o in objects if name(o) == wanted and (in_namespace is None or namespace(o) == in_namespace)]


# --- label selectors -------------------------------------------------------------------------

_OPERATORS = {"In", "NotIn", "Exists", "DoesNotExist"}


def selector_matches(selector: dict | None, have: dict) -> bool:
    """A metav1.LabelSelector (matchLabels AND every matchExpression) against a labels map.

    As the API defines it: an empty selector ({}) matches everything, a null one (None) nothing.
    NetworkPolicy, PodDisruptionBudget (policy/v1), ServiceMonitor and Deployment selectors are of this type.
    An unknown operator matches nothing (the API server rejects it; a manifest might still carry it).
    """
    if selector is None:
        return False
    have = have or {}
    if any(have.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op not in _OPERATORS:
            return False
        if op == "In" and have.get(key) not in values:
            return False
        if op == "NotIn" and key in have and have[key] in values:
            return False
        if op == "Exists" and key not in have:
            return False
        if op == "DoesNotExist" and key in have:
            return False
    return True


def map_selects(selector: dict | None, have: dict) -> bool:
    """A Service's (or ReplicationController's) plain `selector` map: every pair present.

    An empty map selects nothing: a Service without a selector gets no endpoints from pods.
    """
    return bool(selector) and all((have or {}).get(k) == v for k, v in selector.items())


def selector_text(selector: dict | None) -> str:
    """A selector as `kubectl get -l` would spell it (for messages); '(everything)' for {}, '(nothing)' for None."""
    if selector is None:
        return "(nothing)"
    if "matchLabels" not in selector and "matchExpressions" not in selector and selector:
        selector = {"matchLabels": selector}  # a Service's plain map
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        terms.append({"In": f"{key} in ({','.join(values)})", "NotIn": f"{key} notin ({','.join(values)})",
                      "Exists": key, "DoesNotExist": f"!{key}"}.get(op, f"{key} {op} {values}"))
    return ",".join(terms) or "(everything)"


_TERM = re.compile(r",(?![^()]*\))")


def parse_selector(text: str | None) -> dict:
    """A label selector string (`a=b,c!=d,e in (x,y),f notin (z),g,!h`) as a metav1.LabelSelector."""
    match_labels, expressions = {}, []
    for term in filter(None, (t.strip() for t in _TERM.split(text or ""))):
        if m := re.fullmatch(r"([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)", term):
            expressions.append({"key": m[1], "operator": "In" if m[2] == "in" else "NotIn",
                                "values": [v.strip() for v in m[3].split(",") if v.strip()]})
        elif m := re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)", term):
            if m[2] == "!=":
                expressions.append({"key": m[1], "operator": "NotIn", "values": [m[3]]})
            else:
                match_labels[m[1]] = m[3]
        elif m := re.fullmatch(r"(!?)\s*([\w./-]+)", term):
            expressions.append({"key": m[2], "operator": "DoesNotExist" if m[1] else "Exists"})
        else:
            raise ValueError(f"cannot parse label selector term {term!r} in {text!r}")
    return {**({"matchLabels": match_labels} if match_labels else {}),
            **({"matchExpressions": expressions} if expressions else {})}


# --- workloads, pod templates and ports ------------------------------------------------------


def pod_template(workload: dict | None) -> dict:
    """A Deployment/StatefulSet/DaemonSet/Job's pod template (a Pod itself is its own template)."""
    spec = (workload or {}).get("spec") or {}
    if (workload or {}).get("kind") == "Pod" or "containers" in spec:
        return {"metadata": meta(workload), "spec": spec}
    if "jobTemplate" in spec:  # CronJob
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return spec.get("template") or {}


def template_labels(workload: dict | None) -> dict:
    return labels(pod_template(workload))


def pod_spec(workload: dict | None) -> dict:
    return pod_template(workload).get("spec") or {}


def containers(spec: dict, init: bool = True) -> list[dict]:
    """A pod spec's containers, init containers (and ephemeral ones, which have no ports) after them."""
    return list(spec.get("containers") or []) + (list(spec.get("initContainers") or []) if init else [])


def container_ports(spec: dict) -> list[dict]:
    """Every declared container port, with its container's name and the protocol defaulted (TCP)."""
    return [{"container": c.get("name"), "name": p.get("name"), "containerPort": p.get("containerPort"),
             "protocol": p.get("protocol") or "TCP"}
            for c in containers(spec) for p in c.get("ports") or []]


def resolve_port(spec: dict, port, protocol: str = "TCP") -> dict | None:
    """The container port a name or number refers to (a Service targetPort, a NetworkPolicy port), or None.

    A name matches a declared port's name; a number (or a numeric string) its containerPort; the protocol must agree.
    """
    number = _number(port)
    for p in container_ports(spec):
        if p["protocol"] != (protocol or "TCP"):
            continue
        if (number is not None and p["containerPort"] == number) or (number is None and p["name"] == port):
            return p
    return None


def _number(port) -> int | None:
    if isinstance(port, bool):
        return None
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    return None


def service_port(service: dict | None, port) -> dict | None:
    """The Service port an Ingress backend (`number` or `name`) or a ServiceMonitor names."""
    number = _number(port)
    for p in ((service or {}).get("spec") or {}).get("ports") or []:
        if (number is not None and p.get("port") == number) or (number is None and p.get("name") == port):
            return p
    return None


def target_port(service_port_: dict):
    """A Service port's targetPort; the API defaults it to the port itself."""
    return service_port_.get("targetPort", service_port_.get("port"))


# --- quantities of time and scale -----------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def duration_seconds(text) -> float | None:
    """A Go/Prometheus duration (`1h30m`, `30s`, `500ms`) in seconds; None when it is not one."""
    text = str(text).strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNITS[u] for n, u in parts)


def scaled(value, total: int) -> int | None:
    """An int-or-percent (PodDisruptionBudget minAvailable/maxUnavailable) of `total`, rounded up as the
    disruption controller rounds both; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d+%", value):
        return math.ceil(int(value[:-1]) * total / 100)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
