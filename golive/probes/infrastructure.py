"""Infrastructure probes: observed state in (API JSON), one Finding out. No I/O here."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import PurePath

from golive.check import Finding, failed, passed
from golive.probes import kube, wiring


_condition = kube.condition  # {} when absent


def _name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "?")


def api_serving(version: dict | None, readyz: str | None, server: str) -> Finding:
    """`kubectl cluster-info`: the API server answers and reports a version."""
    git_version = (version or {}).get("gitVersion")
    if not git_version:
        return failed(f"Kubernetes API at {server} answered /version without a gitVersion",
                      resource=server, observed=version, expected="a gitVersion")
    if readyz is not None and readyz.strip() != "ok":
        return failed(f"Kubernetes API at {server} is not ready: /readyz said {readyz.strip()[:80]!r}",
                      resource=server, observed=readyz[:200], expected="ok")
    return passed(f"Kubernetes API at {server} is serving {git_version}", resource=server,
                  observed=git_version, expected="serving")


def cluster_dns_listed(services: list[dict], namespace: str, pod_labels: dict, server: str) -> Finding:
    """`kubectl cluster-info`'s second line: the cluster's DNS Service (CoreDNS) exists, selecting its pods. An API
    server that answers with no objects at all is not a cluster ready for anything."""
    labels = ", ".join(f"{k}={v}" for k, v in sorted(pod_labels.items()))
    selectors = {_name(s): (s.get("spec") or {}).get("selector") or {} for s in services}  # services in `namespace`
    found = [name for name, selector in selectors.items() if selector and selector.items() <= pod_labels.items()]
    if not found:
        return failed(f"Kubernetes API at {server} lists no DNS Service in {namespace} selecting {labels} "
                      f"({len(services)} Services there): cluster-info would show no CoreDNS", resource=server,
                      observed=[_name(s) for s in services], expected=f"a Service selecting {labels}",
                      hint="Check the CoreDNS add-on (aws eks describe-addon --addon-name coredns) and that this "
                           "is the right cluster.")
    return passed(f"CoreDNS is listed: Service {', '.join(found)} in {namespace}", resource=server,
                  observed=found, expected=f"a Service selecting {labels}")


def nodes_ready(nodes: list[dict], minimum: int) -> Finding:
    """`kubectl get nodes`: enough nodes Ready by their Ready condition, none cordoned or under pressure."""
    ready, problems = [], []
    for node in nodes:
        name = _name(node)
        cond = _condition(node, "Ready")
        if not cond or cond.get("status") != "True":
            reason = (cond or {}).get("reason") or "no Ready condition"
            problems.append(f"{name} NotReady ({reason})")
            continue
        pressure = [c["type"] for c in (node.get("status") or {}).get("conditions") or []
                    if c.get("type", "").endswith("Pressure") and c.get("status") == "True"]
        if pressure:
            problems.append(f"{name} under {', '.join(pressure)}")
        elif (node.get("spec") or {}).get("unschedulable"):
            problems.append(f"{name} cordoned (SchedulingDisabled)")
        else:
            ready.append(name)
    observed = {"ready": ready, "problems": problems, "total": len(nodes)}
    if not nodes:
        return failed(f"expected at least {minimum} nodes, found 0", observed=observed, expected=f">= {minimum} Ready",
                      final=True,  # nodes join in minutes, not within a settle window
                      hint="Check the node group in the EKS console and `kubectl get nodes`.")
    if problems or len(ready) < minimum:
        what = "; ".join(problems) if problems else f"only {len(ready)} Ready"
        return failed(f"{len(ready)} of {len(nodes)} nodes Ready and schedulable (need {minimum}): {what}",
                      resource="nodes", observed=observed, expected=f">= {minimum} Ready, none cordoned or under pressure",
                      hint="Run `kubectl describe node` on the named nodes; replace or uncordon them.")
    return passed(f"{len(ready)} of {len(nodes)} nodes Ready and schedulable (need {minimum})",
                  resource="nodes", observed=observed, expected=f">= {minimum} Ready")


def _minor(version: str) -> tuple[int, int]:
    major, minor = (version.lstrip("v").split(".") + ["0"])[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


# EKS statuses of a cluster or node group on its way: worth waiting for (settle); any other failing one is final.
IN_PROGRESS = {"CREATING", "UPDATING", "PENDING"}


def eks_cluster_active(response: dict, name: str, expected_version: str, min_supported: str) -> Finding:
    """`aws eks describe-cluster`: ACTIVE, the expected version, still supported, with an endpoint."""
    if "Error" in response:
        err = response["Error"]
        return failed(f"EKS cluster {name}: {err.get('Code')}: {err.get('Message', '')}".strip(),
                      resource=name, observed=err, expected="the cluster exists", final=True)
    cluster = response.get("cluster") or {}
    status, version, endpoint = cluster.get("status"), cluster.get("version"), cluster.get("endpoint")
    observed = {"status": status, "version": version, "endpoint": endpoint}
    expected = {"status": "ACTIVE", "version": expected_version, "min_supported": min_supported}
    if status != "ACTIVE":  # only a cluster on its way (CREATING, UPDATING) is worth waiting for
        return failed(f"EKS cluster {name} is {status}, not ACTIVE", resource=name, observed=observed, expected=expected,
                      final=status not in IN_PROGRESS)
    if not endpoint:
        return failed(f"EKS cluster {name} has no API endpoint", resource=name, observed=observed, expected=expected)
    if version != expected_version:
        return failed(f"EKS cluster {name} runs Kubernetes {version}, expected {expected_version}",
                      resource=name, observed=observed, expected=expected)
    if _minor(version) < _minor(min_supported):
        return failed(f"EKS cluster {name} runs Kubernetes {version}, older than the oldest supported {min_supported}",
                      resource=name, observed=observed, expected=expected, hint="Upgrade the cluster before go-live.")
    return passed(f"EKS cluster {name} is ACTIVE on Kubernetes {version}", resource=name,
                  observed=observed, expected=expected)


def secrets_listed(secrets: list[dict], prefix: str, keys: list[str], rotation_required: list[str]) -> Finding:
    """`aws secretsmanager list-secrets`: each expected secret exists, is not being deleted, rotates if required.

    Works from list/describe metadata only: secret values are never read.
    """
    by_name = {s.get("Name"): s for s in secrets}
    missing = [f"{prefix}{k}" for k in keys if f"{prefix}{k}" not in by_name]
    deleting = [f"{prefix}{k}" for k in keys if by_name.get(f"{prefix}{k}", {}).get("DeletedDate")]
    no_rotation = [f"{prefix}{k}" for k in rotation_required
                   if f"{prefix}{k}" in by_name and not by_name[f"{prefix}{k}"].get("RotationEnabled")]
    observed = {"found": sorted(n for n in by_name if n and n.startswith(prefix)), "missing": missing,
                "scheduled_for_deletion": deleting, "rotation_off": no_rotation}
    expected = {"secrets": [f"{prefix}{k}" for k in keys], "rotation_required": rotation_required}
    if not keys:
        return failed(f"expected secrets to verify under {prefix}, found 0 configured (secrets.keys in golive.toml)",
                      resource=prefix, observed=observed, expected=expected)
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if deleting:
        problems.append(f"scheduled for deletion: {', '.join(deleting)}")
    if no_rotation:
        problems.append(f"rotation not enabled: {', '.join(no_rotation)}")
    if problems:
        return failed(f"Secrets Manager ({len(keys) - len(missing)} of {len(keys)} expected secrets under {prefix}): "
                      + "; ".join(problems), resource=prefix, observed=observed, expected=expected,
                      hint="Restore or recreate the named secrets (restore-secret cancels a scheduled deletion).")
    return passed(f"Secrets Manager holds all {len(keys)} expected secrets under {prefix}, none scheduled for "
                  f"deletion, rotation on for {len(rotation_required)}", resource=prefix, observed=observed,
                  expected=expected)


@lru_cache(maxsize=1024)
def _quantity(text: str) -> Decimal:
    # Pods repeat a handful of request strings; parsing each of 10,000 pods' again is most of the probe's time.
    # The client loads here, not when the checks are collected (importing it costs half a second).
    from kubernetes.utils import parse_quantity

    return parse_quantity(text)


def _requests(container: dict) -> tuple[Decimal, Decimal]:
    req = (container.get("resources") or {}).get("requests") or {}
    return _quantity(str(req.get("cpu", "0"))), _quantity(str(req.get("memory", "0")))


def _cpu(v: Decimal) -> str:
    return f"{int(v * 1000)}m"


def _mem(v: Decimal) -> str:
    return f"{v / (1024 ** 3):.1f}Gi"


def capacity_fits(nodes: list[dict], pods: list[dict], deployment: dict | None, hpa: dict | None) -> Finding:
    """Schedulable capacity (allocatable minus requests on Ready nodes) fits the deployment at its HPA max."""
    if deployment is None:
        return failed("the deployment to size for does not exist", observed=None, expected="a Deployment")
    name = _name(deployment)
    containers = deployment["spec"]["template"]["spec"].get("containers", [])
    per_pod_cpu = sum((_requests(c)[0] for c in containers), Decimal(0))
    per_pod_mem = sum((_requests(c)[1] for c in containers), Decimal(0))
    current = (deployment.get("status") or {}).get("replicas") or deployment["spec"].get("replicas", 1)
    maximum = ((hpa or {}).get("spec") or {}).get("maxReplicas", current)
    schedulable = {_name(n) for n in nodes
                   if (_condition(n, "Ready") or {}).get("status") == "True" and not (n.get("spec") or {}).get("unschedulable")}
    # Requests summed per node in one pass over the pods: linear in nodes + pods, not their product.
    used: dict[str, list[Decimal]] = {}
    for pod in pods:
        node_name = (pod.get("spec") or {}).get("nodeName")
        if node_name not in schedulable or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        on_node = used.setdefault(node_name, [Decimal(0), Decimal(0)])
        for c in pod["spec"].get("containers", []):
            cpu, mem = _requests(c)
            on_node[0] += cpu
            on_node[1] += mem
    free_cpu = free_mem = Decimal(0)
    for node in nodes:
        if _name(node) not in schedulable:
            continue
        alloc = (node.get("status") or {}).get("allocatable") or {}
        used_cpu, used_mem = used.get(_name(node), (Decimal(0), Decimal(0)))
        free_cpu += _quantity(str(alloc.get("cpu", "0"))) - used_cpu
        free_mem += _quantity(str(alloc.get("memory", "0"))) - used_mem
    extra = max(0, maximum - current)
    need_cpu, need_mem = per_pod_cpu * extra, per_pod_mem * extra
    observed = {"schedulable_nodes": len(schedulable), "free_cpu": _cpu(free_cpu), "free_memory": _mem(free_mem),
                "replicas": current, "hpa_max": maximum, "per_pod": {"cpu": _cpu(per_pod_cpu), "memory": _mem(per_pod_mem)}}
    expected = {"cpu": _cpu(need_cpu), "memory": _mem(need_mem)}
    short = [] if schedulable else ["no node is Ready and schedulable"]
    if free_cpu < need_cpu:
        short.append(f"CPU short by {_cpu(need_cpu - free_cpu)}")
    if free_mem < need_mem:
        short.append(f"memory short by {_mem(need_mem - free_mem)}")
    if short:
        return failed(f"{len(schedulable)} schedulable nodes cannot fit {name} at its HPA maximum of {maximum} "
                      f"(+{extra} pods need {_cpu(need_cpu)} CPU, {_mem(need_mem)}; free {_cpu(free_cpu)}, "
                      f"{_mem(free_mem)}): {', '.join(short)}", resource=name, observed=observed, expected=expected,
                      hint="Add nodes (raise the node group's desired size) before go-live.")
    return passed(f"{len(schedulable)} schedulable nodes fit {name} at its HPA maximum of {maximum} "
                  f"(+{extra} pods need {_cpu(need_cpu)} CPU, {_mem(need_mem)}; free {_cpu(free_cpu)}, {_mem(free_mem)})",
                  resource=name, observed=observed, expected=expected)


def autoscaling_configured(hpa: dict | None, apiservice: dict | None, nodegroup: dict, hpa_name: str) -> Finding:
    """HPA with targets and live metrics; metrics-server serving; node group able to grow."""
    problems, observed = [], {}
    if hpa is None:
        problems.append(f"HPA {hpa_name} does not exist")
    else:
        spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
        observed["hpa"] = {"min": spec.get("minReplicas"), "max": spec.get("maxReplicas"),
                           "metrics": [m.get("resource", {}).get("name") for m in spec.get("metrics") or []],
                           "current": status.get("currentReplicas")}
        if not spec.get("metrics"):
            problems.append(f"HPA {hpa_name} has no metric targets")
        if (spec.get("maxReplicas") or 0) <= (spec.get("minReplicas") or 1):
            problems.append(f"HPA {hpa_name} cannot scale (max {spec.get('maxReplicas')} <= min {spec.get('minReplicas')})")
        problems += wiring.hpa_condition_problems(hpa, hpa_name)  # AbleToScale, ScalingActive
    available = _condition(apiservice or {}, "Available")
    observed["metrics_api"] = (available or {}).get("status")
    if not available or available.get("status") != "True":
        problems.append(f"metrics API {_name(apiservice or {}) if apiservice else 'v1beta1.metrics.k8s.io'} is not "
                        f"Available ({(available or {}).get('reason', 'missing')})")
    if "Error" in nodegroup:
        problems.append(f"node group: {nodegroup['Error'].get('Code')}: {nodegroup['Error'].get('Message', '')}")
    else:
        scaling = (nodegroup.get("nodegroup") or {}).get("scalingConfig") or {}
        observed["nodegroup"] = scaling
        lo, want, hi = scaling.get("minSize", 0), scaling.get("desiredSize", 0), scaling.get("maxSize", 0)
        if not lo <= want <= hi:
            problems.append(f"node group scaling is inconsistent (min {lo}, desired {want}, max {hi})")
        elif hi <= want:
            problems.append(f"node group cannot grow: desired {want} is already its max {hi}")
    if problems:
        return failed("auto-scaling not ready: " + "; ".join(problems), resource=hpa_name, observed=observed,
                      expected="HPA active with targets, metrics API Available, node group max above desired")
    return passed(f"HPA {hpa_name} active ({observed['hpa']['min']}-{observed['hpa']['max']} replicas on "
                  f"{', '.join(filter(None, observed['hpa']['metrics']))}), metrics API Available, node group can grow "
                  f"to {observed['nodegroup'].get('maxSize')}", resource=hpa_name, observed=observed)


def load_balancer_healthy(lbs: dict, health_by_tg: dict[str, dict], name: str) -> Finding:
    """The ALB is active and every registered target of each of its target groups is healthy."""
    found = [lb for lb in lbs.get("LoadBalancers", []) if lb.get("LoadBalancerName") == name]
    if "Error" in lbs or not found:
        err = lbs.get("Error", {}).get("Code", "not found")
        return failed(f"load balancer {name}: {err}", resource=name, observed=lbs.get("Error"), expected="exists")
    lb = found[0]
    state = (lb.get("State") or {}).get("Code")
    problems, counts = [], {}
    if state != "active":
        problems.append(f"state {state}")
    if not health_by_tg:
        problems.append("no target groups")
    for tg, health in health_by_tg.items():
        descs = health.get("TargetHealthDescriptions", [])
        if not descs:
            problems.append(f"target group {tg.rsplit('/', 2)[-2] if '/' in tg else tg} has 0 targets")
        for d in descs:
            th = d.get("TargetHealth", {})
            counts[th.get("State")] = counts.get(th.get("State"), 0) + 1
            if th.get("State") != "healthy":
                target = d.get("Target", {})
                problems.append(f"target {target.get('Id')}:{target.get('Port')} {th.get('State')}"
                                f" ({th.get('Reason') or th.get('Description') or 'no reason'})")
    observed = {"state": state, "targets": counts, "dns": lb.get("DNSName")}
    if problems:
        return failed(f"load balancer {name} unhealthy: " + "; ".join(problems), resource=name, observed=observed,
                      expected="active, every target healthy",
                      hint="Check the target group's health check path and the pods behind it.")
    return passed(f"load balancer {name} active with {counts.get('healthy', 0)} healthy targets", resource=name,
                  observed=observed, expected="active, every target healthy")


WORLD = {"0.0.0.0/0", "::/0"}


def security_groups_closed(groups: list[dict], alb_group_ids: set[str], allowed_ports: list[int]) -> Finding:
    """No ingress from the whole internet, except the allowed ports (80/443) on the load balancer's groups."""
    if not groups:
        return failed("expected security groups in the cluster's VPC, found 0", observed=[], expected="> 0")
    open_rules = []
    for g in groups:
        for perm in g.get("IpPermissions", []):
            sources = {r.get("CidrIp") for r in perm.get("IpRanges", [])} | {r.get("CidrIpv6") for r in perm.get("Ipv6Ranges", [])}
            if not sources & WORLD:
                continue
            lo, hi = perm.get("FromPort", -1), perm.get("ToPort", -1)
            proto = perm.get("IpProtocol")
            allowed = (g["GroupId"] in alb_group_ids and proto == "tcp" and lo == hi and lo in allowed_ports)
            if not allowed:
                ports = "all ports" if proto == "-1" else (f"port {lo}" if lo == hi else f"ports {lo}-{hi}")
                open_rules.append(f"{g.get('GroupName', g['GroupId'])} ({g['GroupId']}) opens {ports}/{proto} to the world")
    observed = {"groups": len(groups), "world_open": open_rules}
    if open_rules:
        return failed("; ".join(open_rules), resource="security groups", observed=observed,
                      expected=f"world-open only {allowed_ports} on the load balancer",
                      hint="Revoke the named ingress rules or narrow their source CIDR.")
    return passed(f"{len(groups)} security groups: nothing world-open except {'/'.join(map(str, allowed_ports))} on "
                  f"the load balancer", resource="security groups", observed=observed)


def nodegroup_healthy(response: dict, name: str) -> Finding:
    """`aws eks describe-nodegroup`: the managed node group is ACTIVE and reports no health issues."""
    if "Error" in response:
        err = response["Error"]
        return failed(f"EKS node group {name}: {err.get('Code')}: {err.get('Message', '')}".strip(), resource=name,
                      observed=err, expected="the node group exists, ACTIVE", final=True,
                      hint="Recreate or repair the node group (eksctl / Terraform) before go-live.")
    group = response.get("nodegroup") or {}
    issues = [f"{i.get('code')}: {i.get('message', '')}".strip()
              for i in (group.get("health") or {}).get("issues") or []]
    observed = {"status": group.get("status"), "scaling": group.get("scalingConfig"), "issues": issues}
    if group.get("status") != "ACTIVE" or issues:
        what = f"is {group.get('status')}, not ACTIVE" if group.get("status") != "ACTIVE" else "is ACTIVE"
        return failed(f"EKS node group {name} {what}" + (f" with health issues: {'; '.join(issues)}" if issues else ""),
                      resource=name, observed=observed, expected={"status": "ACTIVE", "issues": []},
                      final=group.get("status") not in IN_PROGRESS,
                      hint="Read the issues in the EKS console (Compute tab) and fix their cause (IAM, subnets, AMI).")
    return passed(f"EKS node group {name} is ACTIVE with no health issues", resource=name, observed=observed,
                  expected={"status": "ACTIVE", "issues": []})


def deployment_available(deployment: dict | None, name: str, namespace: str) -> Finding:
    """A Deployment exists, reports Available=True and has all its replicas ready."""
    where = f"{namespace}/{name}"
    if deployment is None:
        return failed(f"Deployment {where} does not exist", resource=where, observed=None, expected="Available",
                      final=True, hint=f"Install it (helm list -n {namespace}) before going on.")
    status = deployment.get("status") or {}
    want, ready = (deployment.get("spec") or {}).get("replicas", 1), status.get("readyReplicas", 0)
    cond = _condition(deployment, "Available") or {}
    observed = {"available": cond.get("status"), "reason": cond.get("reason"), "ready": ready, "replicas": want}
    if want < 1:  # Kubernetes calls a Deployment scaled to 0 Available, yet nothing runs it
        return failed(f"Deployment {where} is scaled to 0 replicas: nothing runs it", resource=where,
                      observed=observed, expected="Available=True, all replicas ready",
                      hint=f"kubectl -n {namespace} scale deployment {name} --replicas=1 (or its chart's replica count).")
    if cond.get("status") != "True" or ready < want:
        return failed(f"Deployment {where} is not Available ({cond.get('reason') or 'no Available condition'}: "
                      f"{ready} of {want} replicas ready)", resource=where, observed=observed,
                      expected="Available=True, all replicas ready",
                      hint=f"kubectl -n {namespace} describe deployment {name}; read its pods' events and logs.")
    return passed(f"Deployment {where} is Available with {ready} of {want} replicas ready", resource=where,
                  observed=observed, expected="Available=True, all replicas ready")


def crds_served(crds: dict[str, dict | None]) -> Finding:
    """Each CustomResourceDefinition exists, is Established and serves a version."""
    problems, observed = [], {}
    for name, crd in crds.items():
        served = [v["name"] for v in ((crd or {}).get("spec") or {}).get("versions") or [] if v.get("served")]
        established = (_condition(crd or {}, "Established") or {}).get("status")
        observed[name] = {"exists": crd is not None, "established": established, "served": served}
        if crd is None:
            problems.append(f"{name} does not exist")
        elif established != "True" or not served:
            problems.append(f"{name} is {'not Established' if established != 'True' else 'serving no version'}")
    if not crds:
        return failed("expected CustomResourceDefinitions to check, found 0 configured", observed=observed,
                      expected="> 0 CRDs")
    if problems:
        return failed("CustomResourceDefinitions not served: " + "; ".join(problems), resource="CRDs",
                      observed=observed, expected="each Established with a served version",
                      hint="Reinstall the operator's Helm chart with installCRDs=true.")
    versions = ", ".join(f"{n} {observed[n]['served'][0]}" for n in crds)
    return passed(f"{len(crds)} CustomResourceDefinitions Established and served ({versions})", resource="CRDs",
                  observed=observed)


def no_workloads_labelled(found: dict[str, list[dict]], namespace: str, selector: str,
                          namespace_obj: dict | None = None) -> Finding:
    """No workload in the namespace matches the label selector (e.g. leftovers labelled environment=staging).
    "None found" counts only in a namespace that exists (`namespace_obj`): an empty API holds no staging either."""
    if namespace_obj is None:
        return failed(f"namespace {namespace} does not exist, so finding no {selector} workloads in it proves "
                      f"nothing", resource=namespace, observed=None, expected="the namespace, without them")
    matches = [f"{kind[:-1]} {_name(obj)}" for kind, objs in found.items() for obj in objs]
    observed = {kind: [_name(o) for o in objs] for kind, objs in found.items()}
    query = f"kubectl get {','.join(found)} -n {namespace} -l {selector}"
    if not found:
        return failed(f"expected workload kinds to search for {selector} in namespace {namespace}, found 0",
                      resource=namespace, observed=observed, expected="> 0 kinds searched")
    if matches:
        return failed(f"namespace {namespace} still holds workloads labelled {selector}: "
                      + ", ".join(matches), resource=namespace, observed=observed, expected="none", query=query,
                      hint=f"Delete them (`kubectl delete {','.join(found)} -n {namespace} -l {selector}`) "
                           "once their owners agree.")
    return passed(f"namespace {namespace} holds no {', '.join(found)} labelled {selector}", resource=namespace,
                  observed=observed, expected="none", query=query)


def namespace_labelled(namespace: dict | None, name: str, labels: dict[str, str]) -> Finding:
    """The namespace exists, is Active and carries its expected labels."""
    if namespace is None:
        return failed(f"namespace {name} does not exist", resource=name, observed=None, expected=labels,
                      hint="Create it from the team's manifests (phase 1) before deploying.")
    have = (namespace.get("metadata") or {}).get("labels") or {}
    phase = (namespace.get("status") or {}).get("phase")
    wrong = [f"{k}={have.get(k, '<missing>')} (want {v})" for k, v in labels.items() if have.get(k) != v]
    observed = {"phase": phase, "labels": have}
    if phase != "Active" or wrong:
        what = f"is {phase}" if phase != "Active" else "has wrong labels: " + ", ".join(wrong)
        return failed(f"namespace {name} {what}", resource=name, observed=observed, expected=labels,
                      hint=f"kubectl label namespace {name} " + " ".join(f"{k}={v}" for k, v in labels.items())
                           + " --overwrite")
    wanted = ", ".join(f"{k}={v}" for k, v in labels.items()) or "none required"
    return passed(f"namespace {name} is Active with its labels ({wanted})", resource=name, observed=observed,
                  expected=labels)


def rollouts_complete(deployments: list[dict], namespace: str) -> Finding:
    """No rollout pending: each Deployment's controller has seen its spec and updated every replica."""
    pending, observed = [], {}
    for d in deployments:
        meta, spec, status = d.get("metadata") or {}, d.get("spec") or {}, d.get("status") or {}
        seen, generation = status.get("observedGeneration", 0), meta.get("generation", 0)
        updated, desired = status.get("updatedReplicas", 0), spec.get("replicas", 1)
        observed[_name(d)] = {"generation": generation, "observedGeneration": seen, "updated": updated,
                              "desired": desired}
        if seen < generation:
            pending.append(f"{_name(d)} (generation {generation} not yet observed, controller at {seen})")
        elif updated != desired:
            pending.append(f"{_name(d)} ({updated} of {desired} replicas updated)")
    if pending:
        return failed(f"rollouts pending in namespace {namespace}: " + "; ".join(pending), resource=namespace,
                      observed=observed, expected="observedGeneration == generation, updated == desired",
                      query=f"kubectl rollout status deployment -n {namespace}",
                      hint="Let the rollout finish (or undo it) before the go-live deployment starts.")
    what = (f"each of its {len(deployments)} Deployments observed and fully updated" if deployments
            else "it has no Deployments yet")
    return passed(f"no rollout pending in namespace {namespace}: {what}", resource=namespace, observed=observed,
                  expected="observedGeneration == generation, updated == desired")


def quotas_headroom(readings: list[tuple]) -> Finding:
    """Each Service Quotas limit leaves its headroom above current usage.

    `readings`: (quota config, get_service_quota response, units in use) per configured quota.
    """
    problems, lines, observed = [], [], {}
    for quota, response, used in readings:
        label = f"{quota.name} ({quota.service_code}/{quota.quota_code})"
        if "Error" in response:
            err = response["Error"]
            observed[label] = {"error": err, "used": used}
            problems.append(f"{label} could not be read: {err.get('Code')}: {err.get('Message', '')}".strip())
            continue
        limit = (response.get("Quota") or {}).get("Value")
        observed[label] = {"limit": limit, "used": used, "free": limit - used, "headroom": quota.headroom}
        line = f"{label}: {used:g} of {limit:g} used, {limit - used:g} left, need {quota.headroom} free"
        (problems if limit - used < quota.headroom else lines).append(line)
    if not readings:
        return failed("expected quotas to verify, found 0 configured ([[quotas]] in golive.toml)", observed=observed,
                      expected="> 0 quotas")
    if problems:
        return failed(f"{len(problems)} of {len(readings)} AWS quotas lack headroom or cannot be read: "
                      + "; ".join(problems), resource="AWS Service Quotas", observed=observed,
                      expected="each quota readable with its headroom free",
                      hint="Request increases in Service Quotas now (they take hours to days); a quota that cannot be "
                           "read needs servicequotas:GetServiceQuota and the right service code.")
    return passed(f"all {len(readings)} AWS quotas leave their headroom: " + "; ".join(lines),
                  resource="AWS Service Quotas", observed=observed,
                  expected="each quota readable with its headroom free")


def script_succeeded(run) -> Finding:
    """A deploy script (a `ScriptRun`) exited 0; its output tail is the evidence."""
    script = PurePath(run.command[1] if run.command[0] == "python3" else run.command[0]).name
    observed = {"exit_code": run.exit_code, "seconds": run.seconds, "output": run.output}
    lines = [line for line in run.output.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else "no output"
    if run.exit_code != 0:
        how = "timed out" if run.exit_code == -1 else f"exited {run.exit_code}"
        return failed(f"{script} {how} after {run.seconds} s: {last}", resource=script, observed=observed,
                      expected="exit code 0", query=" ".join(run.command),
                      hint="Read the script's output in the evidence; fix the cause and re-run the phase.")
    return passed(f"{script} exited 0 in {run.seconds} s: {last}", resource=script, observed=observed,
                  expected="exit code 0", query=" ".join(run.command))


def revision(obj: dict) -> int:
    """A Deployment's or ReplicaSet's rollout revision (0 when it has none)."""
    return int(((obj.get("metadata") or {}).get("annotations") or {}).get("deployment.kubernetes.io/revision", 0))


def _images(obj: dict) -> list[str]:
    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [c.get("image") for c in pod.get("containers", [])]


def rollout_history(deployment: dict, replicasets: list[dict]) -> tuple[dict | None, dict | None]:
    """The Deployment's current and previous ReplicaSets (by revision), as `kubectl rollout history` sees them."""
    meta = deployment.get("metadata") or {}
    owned = sorted((rs for rs in replicasets for ref in (rs.get("metadata") or {}).get("ownerReferences") or []
                    if ref.get("kind") == "Deployment" and ref.get("name") == meta.get("name")
                    and ref.get("uid") in (None, meta.get("uid"))), key=revision)
    current = next((rs for rs in owned if revision(rs) == revision(deployment)), None)
    previous = [rs for rs in owned if 0 < revision(rs) < revision(deployment)]
    return current, previous[-1] if previous else None


def previous_revision(deployment: dict | None, replicasets: list[dict], name: str) -> Finding:
    """The Deployment has a previous ReplicaSet revision, so `kubectl rollout undo` has somewhere to go."""
    if deployment is None:
        return failed(f"Deployment {name} does not exist: nothing to roll back", resource=name, observed=None,
                      expected="a Deployment with a previous revision")
    current, previous = rollout_history(deployment, replicasets)
    observed = {"current": {"revision": revision(deployment), "replicaset": _name(current) if current else None,
                            "images": _images(current or deployment)},
                "previous": {"revision": revision(previous), "replicaset": _name(previous),
                             "images": _images(previous)} if previous else None}
    now = f"revision {revision(deployment)} ({', '.join(_images(current or deployment))})"
    if previous is None:
        return failed(f"Deployment {name} is at {now} with no previous ReplicaSet revision: `kubectl rollout undo` "
                      "has nowhere to go", resource=name, observed=observed, expected="a previous revision",
                      query=f"kubectl rollout history deployment/{name}",
                      hint="Keep revisionHistoryLimit > 0 and do not delete old ReplicaSets; otherwise roll back by "
                           "redeploying the previous image tag.")
    return passed(f"Deployment {name} is at {now} in ReplicaSet {observed['current']['replicaset'] or '(missing)'}; "
                  f"rollback target revision {revision(previous)} is ReplicaSet {_name(previous)} "
                  f"({', '.join(_images(previous))})",
                  resource=name, observed=observed, expected="a previous revision",
                  query=f"kubectl rollout history deployment/{name}")
