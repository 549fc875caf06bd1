"""Wiring probes: is each link between Kubernetes objects whole? One probe per truth, both ends named.

They read only what a manifest declares (spec, labels, annotations), so the same probe decides on
the live cluster and on the team's manifests before the deploy (fixtures/manifests.py): a Deployment
whose ConfigMap does not exist, a Service port that reaches no container, an Ingress path to a port
the Service lacks, a NetworkPolicy that shuts out Prometheus, no disruption budget, an HPA whose
target has no requests, an image nobody pinned. Status-only truths (HPA ScalingActive) are marked so.
No I/O here.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from golive.check import Finding, failed, passed, undecided
from golive.probes import kube

# --- every reference a pod template makes resolves ----------------------------------------------


@dataclass(frozen=True)
class Ref:
    kind: str  # ConfigMap, Secret, PersistentVolumeClaim, ServiceAccount, volume
    name: str
    phrase: str  # how the pod template uses it: "mounts ConfigMap x (volume y)"
    key: str | None = None
    optional: bool = False


def pod_references(spec: dict) -> list[Ref]:
    """Every object a pod spec needs before its containers can start, in the order the spec names them."""
    refs: list[Ref] = []
    volumes = {v.get("name"): v for v in spec.get("volumes") or []}
    for v in spec.get("volumes") or []:
        vol = v.get("name")
        for kind, field_, name_key in (("ConfigMap", "configMap", "name"), ("Secret", "secret", "secretName")):
            if field_ not in v:
                continue
            src = v[field_] or {}
            name, optional = src.get(name_key), bool(src.get("optional"))
            refs.append(Ref(kind, name, f"mounts {kind} {name} (volume {vol})", optional=optional))
            refs += [Ref(kind, name, f"mounts key {i.get('key')} of {kind} {name} (volume {vol})", key=i.get("key"),
                         optional=optional) for i in src.get("items") or []]
        for source in (v.get("projected") or {}).get("sources") or []:
            for kind, field_ in (("ConfigMap", "configMap"), ("Secret", "secret")):
                if field_ in source:
                    src = source[field_] or {}
                    refs.append(Ref(kind, src.get("name"), f"mounts {kind} {src.get('name')} (projected volume {vol})",
                                    optional=bool(src.get("optional"))))
                    refs += [Ref(kind, src.get("name"), f"mounts key {i.get('key')} of {kind} {src.get('name')} "
                                                        f"(projected volume {vol})", key=i.get("key"),
                                 optional=bool(src.get("optional"))) for i in src.get("items") or []]
        if "persistentVolumeClaim" in v:
            claim = (v["persistentVolumeClaim"] or {}).get("claimName")
            refs.append(Ref("PersistentVolumeClaim", claim, f"mounts PersistentVolumeClaim {claim} (volume {vol})"))
    for c in kube.containers(spec):
        where = f"container {c.get('name')}"
        for source in c.get("envFrom") or []:
            for kind, field_ in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if field_ in source:
                    src = source[field_] or {}
                    refs.append(Ref(kind, src.get("name"), f"loads {kind} {src.get('name')} into {where} (envFrom)",
                                    optional=bool(src.get("optional"))))
        for env in c.get("env") or []:
            value_from = env.get("valueFrom") or {}
            for kind, field_ in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                if field_ in value_from:
                    src = value_from[field_] or {}
                    refs.append(Ref(kind, src.get("name"), f"reads key {src.get('key')} of {kind} {src.get('name')} "
                                                           f"into {where} env {env.get('name')}", key=src.get("key"),
                                    optional=bool(src.get("optional"))))
        for mount in c.get("volumeMounts") or []:
            if mount.get("name") not in volumes:
                refs.append(Ref("volume", mount.get("name"), f"mounts volume {mount.get('name')} into {where}"))
    for pull in spec.get("imagePullSecrets") or []:
        refs.append(Ref("Secret", pull.get("name"), f"pulls its images with Secret {pull.get('name')} (imagePullSecrets)"))
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if account and account != "default":  # every namespace has its `default` service account
        refs.append(Ref("ServiceAccount", account, f"runs as ServiceAccount {account}"))
    return refs


def secret_names(workload: dict | None) -> list[str]:
    """The Secrets a workload's pod template names, once each in the order named: golive reads Secrets only by
    name (deploy/base/secrets-role.yaml grants no list)."""
    refs = pod_references(kube.pod_spec(workload))
    return list(dict.fromkeys(r.name for r in refs if r.kind == "Secret" and r.name))


def external_secret_targets(external_secrets: list[dict]) -> dict[str, tuple[str, set | None]]:
    """Secret name -> (ExternalSecret name, the keys it writes, or None when dataFrom makes them unknowable)."""
    targets = {}
    for es in external_secrets:
        spec = es.get("spec") or {}
        target = (spec.get("target") or {}).get("name") or kube.name(es)
        keys = {d.get("secretKey") for d in spec.get("data") or [] if d.get("secretKey")}
        targets[target] = (kube.name(es), None if spec.get("dataFrom") else keys)
    return targets


def references_resolve(workload: dict | None, what: str, configmaps: list[dict], secrets: list[dict],
                       claims: list[dict], service_accounts: list[dict], external_secrets: list[dict]) -> Finding:
    """Every ConfigMap, Secret (key), PersistentVolumeClaim, ServiceAccount and volume the pod template names
    exists in its namespace; a Secret an ExternalSecret will write counts, with the keys it writes.

    `what` names the workload for messages ("Deployment nba-mcp-synthesis").
    """
    if workload is None:
        return failed(f"{what} does not exist: nothing to resolve its references against", resource=what,
                      observed=None, expected="a workload whose references resolve")
    ns = kube.namespace(workload) or "?"
    spec = kube.pod_spec(workload)
    data = {"ConfigMap": {kube.name(c): set(c.get("data") or {}) | set(c.get("binaryData") or {}) for c in configmaps},
            "Secret": {kube.name(s): set(s.get("data") or {}) for s in secrets},
            "PersistentVolumeClaim": {kube.name(p): set() for p in claims},
            "ServiceAccount": {kube.name(a): set() for a in service_accounts}}
    data["PersistentVolumeClaim"].update({kube.name(t): set() for t in (workload.get("spec") or {}).get(
        "volumeClaimTemplates") or []})  # a StatefulSet makes these itself
    produced = external_secret_targets(external_secrets)
    refs = pod_references(spec)
    broken = []
    for ref in refs:
        if ref.optional:
            continue
        if ref.kind == "volume":
            broken.append(f"{ref.phrase}, which the pod spec does not define")
            continue
        held = data[ref.kind].get(ref.name)
        writer = produced.get(ref.name) if ref.kind == "Secret" else None
        if held is None and writer is None:
            broken.append(f"{ref.phrase}, which does not exist in namespace {ns}")
        elif ref.key is not None:
            keys = None if writer and writer[1] is None else (held or set()) | (writer[1] if writer else set())
            if keys is not None and ref.key not in keys:
                whose = f"ExternalSecret {writer[0]} does not write it" if writer and held is None else \
                    f"{ref.kind} {ref.name} has no such key"
                broken.append(f"{ref.phrase}: {whose}")
    observed = {"references": [r.phrase for r in refs], "broken": broken,
                "external_secret_targets": sorted(produced)}
    expected = "every ConfigMap, Secret and key, claim, service account and volume the pods name exists"
    if broken:
        return failed(f"{what} " + f"; {what} ".join(broken), resource=what, observed=observed, expected=expected,
                      hint="Its pods cannot start (ContainerCreating, CreateContainerConfigError) until these exist: "
                           "add the missing objects or keys to the manifests, or fix the names.")
    return passed(f"{what}: all {len(refs)} references of its pod template resolve in namespace {ns}", resource=what,
                  observed=observed, expected=expected)


# --- Services select the pods, and reach a container port -----------------------------------------


def _port_label(p: dict) -> str:
    return f"{p.get('name') + ' ' if p.get('name') else ''}{p.get('port')}"


def service_selects_workload(service: dict | None, workload: dict | None, service_name: str, what: str) -> Finding:
    """The Service's selector selects the workload's pod template labels, and each Service port's targetPort
    (named or numbered, the protocol agreeing) is a port a container of it declares."""
    if service is None:
        return failed(f"Service {service_name} does not exist", resource=service_name, observed=None,
                      expected=f"a Service selecting the pods of {what}")
    if workload is None:
        return failed(f"Service {service_name}: {what} does not exist, so it selects no pod", resource=service_name,
                      observed=None, expected=f"{what}")
    selector = (service.get("spec") or {}).get("selector") or {}
    have, spec = kube.template_labels(workload), kube.pod_spec(workload)
    routes, problems = [], []
    if not selector:
        problems.append("has no selector, so no pod becomes its endpoint")
    elif not kube.map_selects(selector, have):
        problems.append(f"selects {kube.selector_text(selector)}, which no pod of {what} carries "
                        f"(its pods are labelled {kube.selector_text(have)})")
    for port in (service.get("spec") or {}).get("ports") or []:
        target, protocol = kube.target_port(port), port.get("protocol") or "TCP"
        found = kube.resolve_port(spec, target, protocol)
        if found is None:
            problems.append(f"port {_port_label(port)} targets {target}/{protocol}, which no container of {what} "
                            f"declares (they declare {_declared(spec)})")
        else:
            routes.append(f"{_port_label(port)} -> {found['container']}:{found['containerPort']}")
    observed = {"selector": selector, "pod_labels": have, "routes": routes, "problems": problems}
    expected = f"selects the pods of {what}; every targetPort is a declared container port"
    if problems:
        return failed(f"Service {service_name} " + "; ".join(problems), resource=service_name, observed=observed,
                      expected=expected, hint="Make the Service's selector and targetPorts match the pod template's "
                                              "labels and container port names/numbers.")
    return passed(f"Service {service_name} selects the pods of {what} ({kube.selector_text(selector)}) and each port "
                  f"reaches a container port ({', '.join(routes)})", resource=service_name, observed=observed,
                  expected=expected)


def _declared(spec: dict) -> str:
    ports = [f"{p['name'] + ' ' if p['name'] else ''}{p['containerPort']}/{p['protocol']}"
             for p in kube.container_ports(spec)]
    return ", ".join(ports) or "no ports"


# --- every Ingress path routes to an existing Service port; the ALB health check is served -----

ALB_HEALTHCHECK = "alb.ingress.kubernetes.io/healthcheck-path"


def _is_alb(ingress: dict) -> bool:
    spec = ingress.get("spec") or {}
    return spec.get("ingressClassName") == "alb" or kube.annotations(ingress).get(
        "kubernetes.io/ingress.class") == "alb" or any(k.startswith("alb.ingress.kubernetes.io/")
                                                       for k in kube.annotations(ingress))


def ingress_backends(ingress: dict | None) -> list[dict]:
    """Each route of an Ingress: host, path, backend Service and port (number or name); defaultBackend first."""
    spec = (ingress or {}).get("spec") or {}
    routes = []
    default = (spec.get("defaultBackend") or {}).get("service")
    if default:
        routes.append({"host": "*", "path": "(default backend)", "service": default.get("name"),
                       "port": (default.get("port") or {}).get("number", (default.get("port") or {}).get("name"))})
    for rule in spec.get("rules") or []:
        for path in (rule.get("http") or {}).get("paths") or []:
            backend = (path.get("backend") or {}).get("service")
            if backend is None:  # a resource backend: not a Service
                continue
            port = backend.get("port") or {}
            routes.append({"host": rule.get("host") or "*", "path": path.get("path") or "/",
                           "service": backend.get("name"), "port": port.get("number", port.get("name"))})
    return routes


def ingress_routes_resolve(ingress: dict | None, services: list[dict], served_paths: list[str], name: str) -> Finding:
    """Every rule, path and default backend of the Ingress names a Service that exists in its namespace and a
    port that Service has; on an AWS ALB, the health-check path is one the app serves (`served_paths`)."""
    if ingress is None:
        return failed(f"Ingress {name} does not exist", resource=name, observed=None, expected="an Ingress")
    ns = kube.namespace(ingress) or "?"
    by_name = {kube.name(s): s for s in services}
    routes, problems = ingress_backends(ingress), []
    for r in routes:
        where = f"{r['host']}{r['path'] if r['path'].startswith('/') else ' ' + r['path']}"
        service = by_name.get(r["service"])
        if service is None:
            problems.append(f"routes {where} to Service {r['service']}, which does not exist in namespace {ns}")
        elif kube.service_port(service, r["port"]) is None:
            have = ", ".join(_port_label(p) for p in (service.get("spec") or {}).get("ports") or []) or "none"
            problems.append(f"routes {where} to port {r['port']} of Service {r['service']}, which has no such port "
                            f"(it has {have})")
    health = None
    if _is_alb(ingress):
        health = kube.annotations(ingress).get(ALB_HEALTHCHECK, "/")
        if health not in served_paths:
            problems.append(f"has the ALB health-check {health}, which the app does not serve (it serves "
                            f"{', '.join(served_paths) or 'no known path'}): every target would be unhealthy")
    if not routes:
        problems.append("routes nothing (no rule path and no default backend names a Service)")
    observed = {"routes": routes, "alb_health_check": health, "served_paths": served_paths, "problems": problems}
    expected = "every path to an existing Service port; the ALB health check on a served path"
    if problems:
        return failed(f"Ingress {name} " + "; ".join(problems), resource=name, observed=observed, expected=expected,
                      hint="Fix the backend service name/port in the Ingress (kubectl describe ingress shows "
                           "<error: endpoints not found>), or the health-check annotation.")
    check = f"; the ALB health check {health} is served" if health else ""
    return passed(f"Ingress {name} routes all {len(routes)} path(s) to existing Service ports "
                  f"({', '.join(_route_text(r) for r in routes)}){check}",
                  resource=name, observed=observed, expected=expected)


def _route_text(r: dict) -> str:
    return f"{r['host']}{r['path']} -> {r['service']}:{r['port']}"


def served_paths(workload: dict | None, endpoint_paths: list[str]) -> list[str]:
    """Paths the app answers: the configured endpoints and every container's HTTP probe path."""
    paths = list(endpoint_paths)
    for c in kube.containers(kube.pod_spec(workload), init=False):
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            path = ((c.get(probe) or {}).get("httpGet") or {}).get("path")
            if path:
                paths.append(path)
    return list(dict.fromkeys(paths))


# --- the PrometheusRule defines the configured groups ------------------------------------------


def rule_groups_defined(rule_object: dict | None, groups: list[str], name: str, searched: str) -> Finding:
    """The PrometheusRule exists (found by name where `searched` says) and defines every configured rule group."""
    if rule_object is None:
        return failed(f"PrometheusRule {name} does not exist ({searched})", resource=name, observed=None,
                      expected=groups, hint="Apply the monitoring manifests (phase 4) that define it.")
    defined = [g.get("name") for g in (rule_object.get("spec") or {}).get("groups") or []]
    alerts = sum(1 for g in (rule_object.get("spec") or {}).get("groups") or [] for r in g.get("rules") or []
                 if r.get("alert"))
    missing = [g for g in groups if g not in defined]
    where = f"{kube.namespace(rule_object)}/{name}"
    observed = {"groups": defined, "missing": missing, "alerts": alerts}
    if missing:
        return failed(f"PrometheusRule {where} lacks rule group(s) {', '.join(missing)} (defines "
                      f"{', '.join(map(str, defined)) or 'none'})", resource=name, observed=observed, expected=groups,
                      hint="Name the groups in the PrometheusRule as prometheus.rule_groups in golive.toml says.")
    return passed(f"PrometheusRule {where} defines group(s) {', '.join(groups)} with {alerts} alerts", resource=name,
                  observed=observed, expected=groups)


# --- NetworkPolicy reachability, as Kubernetes computes it ---------------------------------------


@dataclass(frozen=True)
class Peer:
    """One end of a connection as NetworkPolicy sees it: pods (a namespace and their labels) or addresses
    outside the cluster (`cidr` only). Pods may carry `cidr` too (their IP range), so ipBlocks count for them."""

    label: str
    namespace: str | None = None
    pod_labels: dict = field(default_factory=dict)
    cidr: str | None = None
    ports: tuple = ()  # the pods' declared container ports (kube.container_ports), to resolve named ports

    @property
    def in_cluster(self) -> bool:
        return self.namespace is not None


@dataclass(frozen=True)
class Flow:
    what: str  # "Prometheus scrapes the metrics port"
    source: Peer
    destination: Peer
    port: int
    protocol: str = "TCP"

    def text(self) -> str:
        return f"{self.source.label} -> {self.destination.label} on {self.port}/{self.protocol} ({self.what})"


def policy_types(policy: dict) -> list[str]:
    """spec.policyTypes, defaulted as the API does: Ingress always, Egress when the policy has egress rules."""
    spec = policy.get("spec") or {}
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress"] + (["Egress"] if spec.get("egress") else [])


def _namespace_labels(namespaces: list[dict], ns: str) -> dict:
    found = next((n for n in namespaces if kube.name(n) == ns), None)
    # The API server sets kubernetes.io/metadata.name on every namespace (1.21+); a manifest need not say it.
    return {**kube.labels(found), "kubernetes.io/metadata.name": ns}


def _in_block(cidr: str | None, block: dict) -> bool | None:
    """Every address of `cidr` is inside the ipBlock and outside its excepts; None when the address is unknown."""
    if not cidr:
        return None
    try:
        net, outer = ipaddress.ip_network(cidr, strict=False), ipaddress.ip_network(block.get("cidr"), strict=False)
        if net.version != outer.version or not net.subnet_of(outer):
            return False
        return not any(net.overlaps(ipaddress.ip_network(e, strict=False)) for e in block.get("except") or [])
    except (ValueError, TypeError):
        return False


def _peer_matches(peer: dict, policy_ns: str, other: Peer, namespaces: list[dict]) -> bool | None:
    """Does one `from`/`to` element select `other`? One element ANDs its namespaceSelector and podSelector; a
    podSelector alone means the policy's own namespace; an ipBlock alone matches addresses. None: unknown address."""
    if "ipBlock" in peer:
        return _in_block(other.cidr, peer["ipBlock"] or {})
    if not other.in_cluster:
        return False  # selectors select pods; an address outside the cluster is matched by ipBlocks only
    ns_selector, pod_selector = peer.get("namespaceSelector"), peer.get("podSelector")
    if ns_selector is None and pod_selector is None:
        return False  # the API rejects such a peer
    ns_ok = (kube.selector_matches(ns_selector, _namespace_labels(namespaces, other.namespace))
             if ns_selector is not None else other.namespace == policy_ns)
    return ns_ok and (pod_selector is None or kube.selector_matches(pod_selector, other.pod_labels))


def _port_matches(rule_port: dict, flow: Flow) -> bool:
    """A NetworkPolicyPort: protocol (default TCP) AND port (absent: all; a number, or up to endPort; a name: the
    destination pod's container port of that name)."""
    if (rule_port.get("protocol") or "TCP") != flow.protocol:
        return False
    port = rule_port.get("port")
    if port is None:
        return True
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        low = int(port)
        return low <= flow.port <= int(rule_port.get("endPort") or low)
    return any(p.get("name") == port and p.get("containerPort") == flow.port and p.get("protocol") == flow.protocol
               for p in flow.destination.ports)


def _rule_admits(rule: dict, direction: str, policy_ns: str, other: Peer, flow: Flow,
                 namespaces: list[dict]) -> bool | None:
    peers = rule.get("from" if direction == "Ingress" else "to") or []
    if peers:
        hits = [_peer_matches(p, policy_ns, other, namespaces) for p in peers]
        peer_ok = True if any(hits) else (None if None in hits else False)
    else:
        peer_ok = True  # no from/to: every source/destination
    ports = rule.get("ports") or []
    port_ok = not ports or any(_port_matches(p, flow) for p in ports)
    return False if not port_ok else peer_ok


def _side(policies: list[dict], pod: Peer, other: Peer, flow: Flow, direction: str,
          namespaces: list[dict]) -> dict:
    """How the policies selecting `pod` treat `flow` in one direction: {'allowed': True/False/None, 'why': ...}."""
    isolating = [p for p in policies if kube.namespace(p) == pod.namespace
                 and kube.selector_matches((p.get("spec") or {}).get("podSelector") or {}, pod.pod_labels)
                 and direction in policy_types(p)]
    names = [kube.name(p) for p in isolating]
    if not isolating:
        return {"allowed": True, "isolated_by": [], "why": f"no NetworkPolicy isolates {pod.label} for {direction.lower()}"}
    unknown = False
    for policy in isolating:
        rules = (policy.get("spec") or {}).get(direction.lower()) or []
        for index, rule in enumerate(rules, 1):
            admits = _rule_admits(rule, direction, pod.namespace, other, flow, namespaces)
            if admits:
                return {"allowed": True, "isolated_by": names,
                        "why": f"allowed by {kube.name(policy)} {direction.lower()} rule {index}"}
            unknown |= admits is None
    listed = ", ".join(names)
    if unknown:
        return {"allowed": None, "isolated_by": names,
                "why": f"{listed} isolate(s) {pod.label} for {direction.lower()}; whether an ipBlock admits "
                       f"{other.label} depends on its address, which golive does not know"}
    count = sum(len((p.get("spec") or {}).get(direction.lower()) or []) for p in isolating)
    return {"allowed": False, "isolated_by": names,
            "why": f"{direction.lower()} of {pod.label} is isolated by {listed}, and none of its {count} "
                   f"{direction.lower()} rule(s) admits {other.label} on {flow.port}/{flow.protocol}"}


def flow_allowed(flow: Flow, policies: list[dict], namespaces: list[dict]) -> dict:
    """Kubernetes' answer for one connection: egress from the source (if a pod) AND ingress to the destination
    (if a pod), each allowed when no policy isolates that pod in that direction or one of the isolating
    policies' rules admits it (policies add up; none subtracts)."""
    outside = {"allowed": True, "isolated_by": [], "why": ""}
    egress = _side(policies, flow.source, flow.destination, flow, "Egress", namespaces) \
        if flow.source.in_cluster else outside
    ingress = _side(policies, flow.destination, flow.source, flow, "Ingress", namespaces) \
        if flow.destination.in_cluster else outside
    verdicts = (egress["allowed"], ingress["allowed"])
    allowed = False if False in verdicts else None if None in verdicts else True
    return {"flow": flow.text(), "allowed": allowed, "egress": egress, "ingress": ingress}


def _whys(decided: dict, allowed) -> str:
    return "; ".join(side["why"] for side in (decided["egress"], decided["ingress"])
                     if side["why"] and (allowed == "any" or side["allowed"] is allowed))


def network_policies_allow(flows: list[Flow], policies: list[dict], namespaces: list[dict]) -> Finding:
    """The NetworkPolicies (every namespace's) let each flow through, computed as Kubernetes computes it;
    the evidence names the policy and rule that decided each flow."""
    decided = [flow_allowed(f, policies, namespaces) for f in flows]
    blocked = [d for d in decided if d["allowed"] is False]
    unknown = [d for d in decided if d["allowed"] is None]
    observed = {"flows": [{"flow": d["flow"], "allowed": d["allowed"], "egress": d["egress"]["why"] or None,
                           "ingress": d["ingress"]["why"] or None} for d in decided],
                "policies": sorted(f"{kube.namespace(p)}/{kube.name(p)}" for p in policies)}
    expected = "every flow allowed"
    if not flows:
        return failed("expected connections to check against the NetworkPolicies, found 0", observed=observed,
                      expected="> 0 flows")
    if blocked:
        return failed(f"NetworkPolicy blocks {len(blocked)} of {len(flows)} connections: "
                      + "; ".join(f"{d['flow']}: {_whys(d, False)}" for d in blocked), resource="NetworkPolicy",
                      observed=observed, expected=expected,
                      hint="Add an ingress rule (at the destination) or an egress rule (at the source) admitting the "
                           "named peer and port; policies only ever add permissions.")
    if unknown:
        return undecided(f"NetworkPolicy: cannot decide {len(unknown)} of {len(flows)} connections: "
                         + "; ".join(f"{d['flow']}: {_whys(d, None)}" for d in unknown), resource="NetworkPolicy",
                         observed=observed, expected=expected,
                         hint="Give the address in golive.toml (wiring.database_cidr, or the peer's cidr).")
    return passed(f"NetworkPolicies allow all {len(flows)} connections: "
                  + "; ".join(f"{d['flow']}: {_whys(d, 'any')}" for d in decided), resource="NetworkPolicy",
                  observed=observed, expected=expected)


def pod_peer(workload: dict, label: str) -> Peer:
    """The workload's pods as a NetworkPolicy peer: its namespace, template labels and declared ports."""
    spec = kube.pod_spec(workload)
    return Peer(label, kube.namespace(workload), kube.template_labels(workload),
                ports=tuple(kube.container_ports(spec)))


def app_connectivity(workload: dict | None, what: str, policies: list[dict], namespaces: list[dict], *,
                     prometheus: Peer, load_balancer: Peer, database: Peer, dns: Peer, metrics_port,
                     serving_port, database_port: int) -> Finding:
    """The connections the app lives by, through every namespace's NetworkPolicies: Prometheus to its metrics
    port, the load balancer (ALB IP targets: the VPC's addresses) to its serving port, the app to the database
    and to cluster DNS (53/UDP)."""
    if workload is None:
        return failed(f"{what} does not exist: no pods to compute NetworkPolicy reachability for", resource=what,
                      observed=None, expected="the app's connections allowed")
    app, spec = pod_peer(workload, f"{what} pods"), kube.pod_spec(workload)
    ports = {role: kube.resolve_port(spec, port) for role, port in (("metrics", metrics_port), ("serving", serving_port))}
    missing = [f"{role} port {port}" for (role, found), port in zip(ports.items(), (metrics_port, serving_port))
               if found is None]
    if missing:
        return failed(f"{what} declares no container {' and no '.join(missing)} (wiring.metrics_port/serving_port): "
                      f"it declares {_declared(spec)}", resource=what, observed={"ports": kube.container_ports(spec)},
                      expected=[metrics_port, serving_port])
    flows = [Flow("scrapes the metrics port", prometheus, app, ports["metrics"]["containerPort"]),
             Flow("sends requests to the serving port", load_balancer, app, ports["serving"]["containerPort"]),
             Flow("queries the database", app, database, database_port),
             Flow("resolves names", app, dns, 53, "UDP")]
    return network_policies_allow(flows, policies, namespaces)


# --- a PodDisruptionBudget lets a node drain and keeps a pod --------------------------------------


def disruption_budget(budgets: list[dict], workload: dict | None, hpa: dict | None, what: str) -> Finding:
    """Exactly one PodDisruptionBudget selects the workload's pods; at the HPA's minimum (else the replica count)
    it allows at least one eviction (a node drain can proceed) and keeps at least one pod running."""
    if workload is None:
        return failed(f"{what} does not exist: no disruption budget to check", resource=what, observed=None,
                      expected="a workload with a PodDisruptionBudget")
    ns, have = kube.namespace(workload), kube.template_labels(workload)
    replicas = ((hpa or {}).get("spec") or {}).get("minReplicas") or (workload.get("spec") or {}).get("replicas", 1)
    mine = [b for b in budgets if kube.namespace(b) == ns
            and kube.selector_matches((b.get("spec") or {}).get("selector") or {}, have)]
    observed = {"budgets": [kube.name(b) for b in mine], "replicas": replicas,
                "replicas_from": "HPA minReplicas" if hpa else "spec.replicas"}
    expected = "one PodDisruptionBudget allowing >= 1 eviction and keeping >= 1 pod"
    if not mine:
        return failed(f"no PodDisruptionBudget in namespace {ns} selects the pods of {what}: a node drain or "
                      f"cluster scale-down may evict all {replicas} at once", resource=what, observed=observed,
                      expected=expected, hint="Add a PodDisruptionBudget (maxUnavailable: 1) selecting the pods' labels.")
    if len(mine) > 1:
        return failed(f"{len(mine)} PodDisruptionBudgets select the pods of {what} ({', '.join(observed['budgets'])}): "
                      "the eviction API refuses to evict pods under more than one budget, so node drains stall",
                      resource=what, observed=observed, expected=expected,
                      hint="Keep one budget per set of pods; narrow or delete the others.")
    budget = mine[0]
    spec, label = budget.get("spec") or {}, f"PodDisruptionBudget {kube.name(budget)}"
    if "minAvailable" in spec:
        keep = kube.scaled(spec["minAvailable"], replicas)
        allowed, rule = (None, "") if keep is None else (replicas - keep, f"minAvailable {spec['minAvailable']}")
    elif "maxUnavailable" in spec:
        allowed = kube.scaled(spec["maxUnavailable"], replicas)
        rule = f"maxUnavailable {spec['maxUnavailable']}"
    else:
        allowed, rule = None, ""
    observed.update(rule=rule, evictions_allowed=allowed)
    if allowed is None:
        return failed(f"{label} sets neither a valid minAvailable nor maxUnavailable", resource=what,
                      observed=observed, expected=expected)
    if allowed < 1:
        return failed(f"{label} ({rule}) allows no eviction at {replicas} replicas: every node drain of a node "
                      f"running {what} blocks", resource=what, observed=observed, expected=expected,
                      hint="Lower minAvailable below the HPA minimum (or use maxUnavailable: 1).")
    if allowed >= replicas:
        return failed(f"{label} ({rule}) lets a drain evict all {replicas} pods of {what} at once", resource=what,
                      observed=observed, expected=expected, hint="Keep at least one pod: maxUnavailable: 1.")
    return passed(f"{label} ({rule}) lets a drain evict {allowed} of {replicas} pods of {what} at a time and keeps "
                  f"{replicas - allowed}", resource=what, observed=observed, expected=expected)


# --- the HPA targets the workload, which has the requests its metrics need ---------------------


def hpa_targets(hpa: dict | None, workload: dict | None, hpa_name: str, what: str) -> Finding:
    """The HPA's scaleTargetRef names the workload, min <= max, and every container has a request for each
    resource it scales on by Utilization (without one the HPA cannot compute a utilization at all)."""
    if hpa is None:
        return failed(f"HPA {hpa_name} does not exist: {what} will not scale", resource=hpa_name, observed=None,
                      expected=f"an HPA targeting {what}")
    spec = hpa.get("spec") or {}
    ref = spec.get("scaleTargetRef") or {}
    problems = []
    target = f"{ref.get('kind')} {ref.get('name')}"
    if workload is None:
        problems.append(f"its target {target} does not exist")
    elif (ref.get("kind"), ref.get("name")) != (workload.get("kind") or "Deployment", kube.name(workload)):
        problems.append(f"targets {target}, not {what}")
    low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
    if high is None or low > high or low < 1:
        problems.append(f"its range {low}..{high} is not a range it can scale in")
    utilization = [(m.get("resource") or {}).get("name") for m in spec.get("metrics") or []
                   if m.get("type") == "Resource" and ((m.get("resource") or {}).get("target") or {}).get("type")
                   == "Utilization"]
    if not spec.get("metrics"):
        problems.append("it has no metrics to scale on")
    if workload is not None:
        for resource in utilization:
            lacking = [c.get("name") for c in kube.containers(kube.pod_spec(workload), init=False)
                       if resource not in ((c.get("resources") or {}).get("requests") or {})]
            if lacking:
                problems.append(f"it scales on {resource} utilization but container(s) {', '.join(lacking)} of {what} "
                                f"request no {resource} (the HPA reports FailedGetResourceMetric)")
    observed = {"scaleTargetRef": ref, "min": low, "max": high, "utilization_of": utilization, "problems": problems}
    if problems:
        return failed(f"HPA {hpa_name} " + "; ".join(problems), resource=hpa_name, observed=observed,
                      expected=f"targets {what}, min <= max, requests for every utilization metric",
                      hint="Fix scaleTargetRef, or add resources.requests for the metrics it scales on.")
    return passed(f"HPA {hpa_name} targets {what} ({low}..{high} replicas on "
                  f"{', '.join(filter(None, utilization)) or 'its metrics'}), whose containers request what it "
                  f"scales on", resource=hpa_name, observed=observed)


def hpa_condition_problems(hpa: dict, hpa_name: str) -> list[str]:
    """What the HPA controller reports against scaling: AbleToScale or ScalingActive not True."""
    problems = []
    for kind in ("AbleToScale", "ScalingActive"):
        cond = kube.condition(hpa, kind)
        if cond.get("status") != "True":
            problems.append(f"HPA {hpa_name} {kind} is {cond.get('status', 'absent')} "
                            f"({cond.get('reason', 'no reason')})")
    return problems


def hpa_active(hpa: dict | None, apiservice: dict | None, hpa_name: str, metrics_api: str) -> Finding:
    """The HPA controller can scale it now: AbleToScale and ScalingActive True, the metrics API Available."""
    if hpa is None:
        return failed(f"HPA {hpa_name} does not exist", resource=hpa_name, observed=None, expected="an active HPA")
    problems = hpa_condition_problems(hpa, hpa_name)
    available = kube.condition(apiservice, "Available")
    if available.get("status") != "True":
        problems.append(f"metrics API {metrics_api} is not Available ({available.get('reason', 'missing')})")
    observed = {kind: {k: kube.condition(hpa, kind).get(k) for k in ("status", "reason", "message")}
                for kind in ("AbleToScale", "ScalingActive")} | {"metrics_api": available.get("status")}
    if problems:
        return failed("; ".join(problems), resource=hpa_name, observed=observed,
                      expected="AbleToScale and ScalingActive True, metrics API Available",
                      hint=f"kubectl describe hpa {hpa_name}: its conditions' messages name the missing metric "
                           "or the broken metrics-server.")
    return passed(f"HPA {hpa_name} is able to scale and active ({kube.condition(hpa, 'ScalingActive').get('reason')}), "
                  f"metrics API {metrics_api} Available", resource=hpa_name, observed=observed)


# --- images are resolved, pinned, and the expected one ------------------------------------------

_PLACEHOLDER = re.compile(r"\$\{?[A-Za-z_]\w*\}?|\{\{[^}]*\}\}|<[^>]+>|__[A-Z0-9_]+__|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b"
                          r"|\b(?:CHANGEME|REPLACEME|PLACEHOLDER|TODO|REGION|TAG|VERSION)\b")
_ECR = re.compile(r"^([^/]+)\.dkr\.ecr\.([^./]+)\.amazonaws\.com(\.cn)?$")


def image_problems(image: str | None, mutable_tags: list[str]) -> list[str]:
    """What keeps an image reference from naming one immutable image: a placeholder left in it, an ECR
    account that is not 12 digits, no tag (Kubernetes pulls :latest), a mutable tag."""
    if not image:
        return ["no image"]
    problems = []
    placeholders = list(dict.fromkeys(m.group(0) for m in _PLACEHOLDER.finditer(image)))
    registry = image.split("/", 1)[0] if "/" in image else ""
    ecr = _ECR.match(registry)
    if ecr and not re.fullmatch(r"\d{12}", ecr.group(1)) and ecr.group(1) not in placeholders:
        placeholders.append(ecr.group(1))
    if placeholders:
        problems.append(f"an unsubstituted placeholder ({', '.join(placeholders)})")
    reference, _, digest = image.partition("@")
    last = reference.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    if not digest:
        if not tag:
            problems.append("no tag (Kubernetes pulls :latest)")
        elif tag in mutable_tags:
            problems.append(f"a mutable tag ({tag})")
    return problems


def images_pinned(workload: dict | None, what: str, container: str, expected_image: str | None,
                  mutable_tags: list[str]) -> Finding:
    """Every container's image is fully resolved and pinned (a digest, or a tag that is not mutable), and the
    app container runs the expected image when one is configured."""
    if workload is None:
        return failed(f"{what} does not exist: no image to check", resource=what, observed=None,
                      expected="pinned images")
    images = {c.get("name"): c.get("image") for c in kube.containers(kube.pod_spec(workload))}
    problems = [f"container {n} image {i} has " + " and ".join(image_problems(i, mutable_tags))
                for n, i in images.items() if image_problems(i, mutable_tags)]
    if expected_image and container in images and images[container] != expected_image:
        problems.append(f"container {container} runs {images[container]}, expected {expected_image}")
    if expected_image and container not in images:
        problems.append(f"has no container {container} (it has {', '.join(images) or 'none'})")
    observed = {"images": images, "problems": problems}
    expected = {"pinned": "a digest or an immutable tag, no placeholder", "image": expected_image or "any"}
    if problems:
        return failed(f"{what}: " + "; ".join(problems), resource=what, observed=observed, expected=expected,
                      hint="Render the manifests with the release's image (the account ID substituted) and pin it by "
                           "digest or an immutable version tag.")
    return passed(f"{what}: all {len(images)} container image(s) resolved and pinned"
                  + (f", {container} on {expected_image}" if expected_image else ""), resource=what,
                  observed=observed, expected=expected)
