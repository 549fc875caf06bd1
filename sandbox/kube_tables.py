"""Server-side printing: the meta.k8s.io/v1 Table kubectl asks for (`Accept: ...;as=Table`) to print `get`.

Built-in kinds get the real API server's columns for Kubernetes 1.28 (pkg/printers/internalversion), the
priority-1 ones shown only by `-o wide`; custom resources get their CRD's additionalPrinterColumns (JSONPath,
`date` columns as ages), or NAME and AGE when it declares none, as the API server makes them.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone


def dig(obj, dotted, default=None):
    """obj's value at a dotted path (`status.phase`), or default."""
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return default
        obj = obj[part]
    return obj


def human_age(timestamp, now):
    """Age as kubectl shows it (coarser than apimachinery's HumanDuration)."""
    if not timestamp:
        return "<unknown>"
    seconds = max(int((now - datetime.fromisoformat(timestamp)).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 3 * 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h" if seconds < 48 * 3600 else f"{seconds // 86400}d"


def field(path, default=0):
    return lambda obj, now: dig(obj, path, default)


def age_of(path):
    return lambda obj, now: human_age(dig(obj, path), now)


AGE = age_of("metadata.creationTimestamp")


def ready_condition(attribute, kind="Ready"):
    def cell(obj, now=None):
        found = [c for c in dig(obj, "status.conditions", []) or [] if c.get("type") == kind]
        return found[0].get(attribute, "") if found else ""
    return cell


def node_status(node, now):
    text = {"True": "Ready", "False": "NotReady"}.get(ready_condition("status")(node), "Unknown")
    return text + (",SchedulingDisabled" if dig(node, "spec.unschedulable") else "")


def node_roles(node, now):
    prefix = "node-role.kubernetes.io/"
    return ",".join(k[len(prefix):] for k in dig(node, "metadata.labels", {}) or {} if k.startswith(prefix)) \
        or "<none>"


def node_address(kind):
    return lambda node, now: next((a["address"] for a in dig(node, "status.addresses", []) or []
                                   if a.get("type") == kind), "<none>")


def pod_status(pod, now):
    for status in dig(pod, "status.containerStatuses", []) or []:
        reason = dig(status, "state.waiting.reason") or dig(status, "state.terminated.reason")
        if reason:  # e.g. CrashLoopBackOff, ImagePullBackOff, Error
            return reason
    return "Terminating" if dig(pod, "metadata.deletionTimestamp") else dig(pod, "status.phase", "")


def pod_ready(pod, now):
    ready = sum(1 for s in dig(pod, "status.containerStatuses", []) or [] if s.get("ready"))
    return f"{ready}/{len(dig(pod, 'spec.containers', []) or [])}"


def pod_restarts(pod, now):
    return sum(s.get("restartCount", 0) for s in dig(pod, "status.containerStatuses", []) or [])


def service_external_ip(svc, now):
    kind = dig(svc, "spec.type", "ClusterIP")
    ingress = [i.get("ip") or i.get("hostname") for i in dig(svc, "status.loadBalancer.ingress", []) or []]
    external = list(dig(svc, "spec.externalIPs", []) or [])
    if kind == "LoadBalancer":
        return ",".join(ingress + external) or "<pending>"
    if kind == "ExternalName":
        return dig(svc, "spec.externalName", "<none>")
    return ",".join(external) or "<none>"


def service_ports(svc, now):
    ports = [f"{p['port']}" + (f":{p['nodePort']}" if p.get("nodePort") else "") + f"/{p.get('protocol', 'TCP')}"
             for p in dig(svc, "spec.ports", []) or []]
    return ",".join(ports) or "<none>"


def labels_text(path):
    return lambda obj, now: ",".join(f"{k}={v}" for k, v in (dig(obj, path, {}) or {}).items()) or "<none>"


def hpa_targets(hpa, now):
    current = {(m.get("resource") or {}).get("name"): m for m in dig(hpa, "status.currentMetrics", []) or []
               if m.get("type") == "Resource"}
    shown = []
    for metric in dig(hpa, "spec.metrics", []) or []:
        if metric.get("type") != "Resource":
            shown.append("<unknown>/<unknown>")
            continue
        name, target = dig(metric, "resource.name"), dig(metric, "resource.target", {}) or {}
        now_value = dig(current.get(name, {}), "resource.current", {}) or {}
        if "averageUtilization" in target:
            have = now_value.get("averageUtilization")
            shown.append(f"{'<unknown>' if have is None else f'{have}%'}/{target['averageUtilization']}%")
        else:
            wanted = target.get("averageValue") or target.get("value")
            shown.append(f"{now_value.get('averageValue') or now_value.get('value') or '<unknown>'}/{wanted}")
    more = f" + {len(shown) - 2} more..." if len(shown) > 2 else ""  # the printer shows two, counts the rest
    return ", ".join(shown[:2]) + more or "<none>"


def ingress_hosts(ing, now):
    return ",".join(r["host"] for r in dig(ing, "spec.rules", []) or [] if r.get("host")) or "*"


def ingress_address(ing, now):
    return ",".join(i.get("ip") or i.get("hostname", "")
                    for i in dig(ing, "status.loadBalancer.ingress", []) or [])


def endpoints_text(ep, now):
    found = [f"{a['ip']}:{p['port']}" for s in ep.get("subsets") or [] for p in s.get("ports") or [{"port": ""}]
             for a in s.get("addresses") or []]
    if not found:
        return "<none>"
    return ",".join(found[:3]) + (f" + {len(found) - 3} more..." if len(found) > 3 else "")


def apiservice_available(svc, now):
    status, reason = ready_condition("status", "Available")(svc), ready_condition("reason", "Available")(svc)
    return status if status == "True" or not reason else f"{status} ({reason})"


def job_duration(job, now):
    start, end = dig(job, "status.startTime"), dig(job, "status.completionTime")
    if not start:
        return ""
    finish = datetime.fromisoformat(end) if end else now
    seconds = max(int((finish - datetime.fromisoformat(start)).total_seconds()), 0)
    return f"{seconds}s" if seconds < 120 else f"{seconds // 60}m" if seconds < 3 * 3600 else f"{seconds // 3600}h"


ACCESS_MODES = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}


def count(path):
    return lambda obj, now: len(dig(obj, path, {}) or {})


def created_at(obj, now):
    return obj["metadata"].get("creationTimestamp", "")


NAME = ("Name", field("metadata.name"), 0)
WIDE = 1
# Every column of a built-in kind, in the 1.28 printers' order: (title, cell, priority).
COLUMNS = {
    "Node": [NAME, ("Status", node_status, 0), ("Roles", node_roles, 0), ("Age", AGE, 0),
             ("Version", field("status.nodeInfo.kubeletVersion", ""), 0),
             ("Internal-IP", node_address("InternalIP"), WIDE), ("External-IP", node_address("ExternalIP"), WIDE),
             ("OS-Image", field("status.nodeInfo.osImage", ""), WIDE),
             ("Kernel-Version", field("status.nodeInfo.kernelVersion", ""), WIDE),
             ("Container-Runtime", field("status.nodeInfo.containerRuntimeVersion", ""), WIDE)],
    "Pod": [NAME, ("Ready", pod_ready, 0), ("Status", pod_status, 0), ("Restarts", pod_restarts, 0),
            ("Age", AGE, 0), ("IP", field("status.podIP", "<none>"), WIDE),
            ("Node", field("spec.nodeName", "<none>"), WIDE),
            ("Nominated Node", field("status.nominatedNodeName", "<none>"), WIDE),
            ("Readiness Gates", lambda o, now: "<none>", WIDE)],
    "Deployment": [NAME, ("Ready", lambda o, now: f"{dig(o, 'status.readyReplicas', 0)}/{dig(o, 'spec.replicas', 1)}", 0),
                   ("Up-to-date", field("status.updatedReplicas"), 0),
                   ("Available", field("status.availableReplicas"), 0), ("Age", AGE, 0),
                   ("Containers", lambda o, now: ",".join(c["name"] for c in dig(o, "spec.template.spec.containers", [])), WIDE),
                   ("Images", lambda o, now: ",".join(c.get("image", "") for c in dig(o, "spec.template.spec.containers", [])), WIDE),
                   ("Selector", labels_text("spec.selector.matchLabels"), WIDE)],
    "ReplicaSet": [NAME, ("Desired", field("spec.replicas", 1), 0), ("Current", field("status.replicas"), 0),
                   ("Ready", field("status.readyReplicas"), 0), ("Age", AGE, 0)],
    "StatefulSet": [NAME, ("Ready", lambda o, now: f"{dig(o, 'status.readyReplicas', 0)}/{dig(o, 'spec.replicas', 1)}", 0),
                    ("Age", AGE, 0)],
    "DaemonSet": [NAME, ("Desired", field("status.desiredNumberScheduled"), 0),
                  ("Current", field("status.currentNumberScheduled"), 0), ("Ready", field("status.numberReady"), 0),
                  ("Up-to-date", field("status.updatedNumberScheduled"), 0),
                  ("Available", field("status.numberAvailable"), 0),
                  ("Node Selector", labels_text("spec.template.spec.nodeSelector"), 0), ("Age", AGE, 0)],
    "Job": [NAME, ("Completions", lambda o, now: f"{dig(o, 'status.succeeded', 0)}/{dig(o, 'spec.completions', 1)}", 0),
            ("Duration", job_duration, 0), ("Age", AGE, 0)],
    "Service": [NAME, ("Type", field("spec.type", "ClusterIP"), 0), ("Cluster-IP", field("spec.clusterIP", "<none>"), 0),
                ("External-IP", service_external_ip, 0), ("Port(s)", service_ports, 0), ("Age", AGE, 0),
                ("Selector", labels_text("spec.selector"), WIDE)],
    "Endpoints": [NAME, ("Endpoints", endpoints_text, 0), ("Age", AGE, 0)],
    "Namespace": [NAME, ("Status", field("status.phase", ""), 0), ("Age", AGE, 0)],
    "ConfigMap": [NAME, ("Data", lambda o, now: len(o.get("data") or {}) + len(o.get("binaryData") or {}), 0),
                  ("Age", AGE, 0)],
    "Secret": [NAME, ("Type", field("type", "Opaque"), 0), ("Data", count("data"), 0), ("Age", AGE, 0)],
    "ServiceAccount": [NAME, ("Secrets", lambda o, now: len(o.get("secrets") or []), 0), ("Age", AGE, 0)],
    "PersistentVolumeClaim": [NAME, ("Status", field("status.phase", ""), 0), ("Volume", field("spec.volumeName", ""), 0),
                              ("Capacity", field("status.capacity.storage", ""), 0),
                              ("Access Modes", lambda o, now: ",".join(ACCESS_MODES.get(m, m) for m in
                                                                       dig(o, "status.accessModes", []) or []), 0),
                              ("StorageClass", field("spec.storageClassName", ""), 0), ("Age", AGE, 0)],
    "Event": [("Last Seen", lambda o, now: human_age(o.get("lastTimestamp") or o.get("eventTime")
                                                     or o["metadata"].get("creationTimestamp"), now), 0),
              ("Type", field("type", ""), 0), ("Reason", field("reason", ""), 0),
              ("Object", lambda o, now: f"{dig(o, 'involvedObject.kind', '').lower()}/{dig(o, 'involvedObject.name', '')}", 0),
              ("Subobject", field("involvedObject.fieldPath", ""), WIDE),
              ("Source", lambda o, now: dig(o, "source.component") or o.get("reportingComponent", ""), WIDE),
              ("Message", field("message", ""), 0),
              ("First Seen", lambda o, now: human_age(o.get("firstTimestamp") or o.get("eventTime")
                                                      or o["metadata"].get("creationTimestamp"), now), WIDE),
              ("Count", field("count", 1), WIDE), ("Name", field("metadata.name"), WIDE)],
    "HorizontalPodAutoscaler": [NAME, ("Reference", lambda o, now: f"{dig(o, 'spec.scaleTargetRef.kind', '')}/"
                                                                  f"{dig(o, 'spec.scaleTargetRef.name', '')}", 0),
                                ("Targets", hpa_targets, 0), ("MinPods", field("spec.minReplicas", "<unset>"), 0),
                                ("MaxPods", field("spec.maxReplicas"), 0),
                                ("Replicas", field("status.currentReplicas"), 0), ("Age", AGE, 0)],
    "Ingress": [NAME, ("Class", field("spec.ingressClassName", "<none>"), 0), ("Hosts", ingress_hosts, 0),
                ("Address", ingress_address, 0),
                ("Ports", lambda o, now: "80, 443" if o.get("spec", {}).get("tls") else "80", 0), ("Age", AGE, 0)],
    "PodDisruptionBudget": [NAME, ("Min Available", field("spec.minAvailable", "N/A"), 0),
                            ("Max Unavailable", field("spec.maxUnavailable", "N/A"), 0),
                            ("Allowed Disruptions", field("status.disruptionsAllowed"), 0), ("Age", AGE, 0)],
    "APIService": [NAME, ("Service", lambda o, now: "/".join(filter(None, (dig(o, "spec.service.namespace"),
                                                                           dig(o, "spec.service.name")))) or "Local", 0),
                   ("Available", apiservice_available, 0), ("Age", AGE, 0)],
    "CustomResourceDefinition": [NAME, ("Created At", created_at, 0)],
    "ClusterRole": [NAME, ("Created At", created_at, 0)],
    "Role": [NAME, ("Created At", created_at, 0)],
    "ClusterRoleBinding": [NAME, ("Role", lambda o, now: f"{dig(o, 'roleRef.kind', '')}/{dig(o, 'roleRef.name', '')}", 0),
                           ("Age", AGE, 0)],
    "RoleBinding": [NAME, ("Role", lambda o, now: f"{dig(o, 'roleRef.kind', '')}/{dig(o, 'roleRef.name', '')}", 0),
                    ("Age", AGE, 0)],
    "StorageClass": [NAME, ("Provisioner", field("provisioner", ""), 0),
                     ("ReclaimPolicy", field("reclaimPolicy", "Delete"), 0),
                     ("VolumeBindingMode", field("volumeBindingMode", "Immediate"), 0),
                     ("AllowVolumeExpansion", field("allowVolumeExpansion", False), 0), ("Age", AGE, 0)],
}
DEFAULT = [NAME, ("Age", AGE, 0)]

_STEP = re.compile(r"\.([\w-]+)|\[(\d+)\]|\[\?\(@\.([\w.-]+)\s*==\s*[\"']([^\"']*)[\"']\)\]")


def json_path(obj, expression):
    """The values a CRD printer column's JSONPath (`.status.conditions[?(@.type=="Ready")].reason`) selects."""
    values, at = [obj], 0
    expression = expression.strip().removeprefix("{").removesuffix("}")
    while at < len(expression):
        step = _STEP.match(expression, at)
        if step is None:
            return []
        name, index, key, wanted = step.groups()
        if name:
            values = [v[name] for v in values if isinstance(v, dict) and name in v]
        elif index:
            values = [v[int(index)] for v in values if isinstance(v, list) and len(v) > int(index)]
        else:
            values = [item for v in values if isinstance(v, list) for item in v
                      if str(dig(item, key, "")) == wanted]
        at = step.end()
    return values


def printer_columns(crd_version):
    """A CRD version's columns: NAME and its additionalPrinterColumns, or NAME and AGE when it has none."""
    declared = crd_version.get("additionalPrinterColumns") if crd_version else None
    if not declared:
        return DEFAULT
    made = [NAME]
    for column in declared:
        def cell(obj, now, column=column):
            found = json_path(obj, column.get("jsonPath", ""))
            if not found:
                return None
            if column.get("type") == "date":
                return human_age(found[0], now)
            return found[0] if len(found) == 1 else ",".join(map(str, found))
        made.append((column["name"], cell, column.get("priority", 0)))
    return made


def to_table(columns, objects, list_meta, include_object):
    """A meta.k8s.io/v1 Table of `objects` in `columns` [(title, cell, priority)]."""
    now = datetime.now(timezone.utc)
    rows = []
    for obj in objects:
        row = {"cells": [cell(obj, now) for _, cell, _ in columns]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":  # default Metadata: kubectl reads namespace and labels from it
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj["metadata"]}
        rows.append(row)
    first = rows[0]["cells"] if rows else [""] * len(columns)
    definitions = [{"name": title, "type": "integer" if isinstance(value, int) and not isinstance(value, bool)
                    else "boolean" if isinstance(value, bool) else "string",
                    "format": "name" if title == "Name" and index == 0 else "", "description": title,
                    "priority": priority}
                   for index, ((title, _, priority), value) in enumerate(zip(columns, first))]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
            "columnDefinitions": definitions, "rows": rows}
