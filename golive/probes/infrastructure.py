"""Infrastructure probes: observed state in (API JSON), one Finding out. No I/O here."""
from __future__ import annotations

from decimal import Decimal

from kubernetes.utils import parse_quantity

from golive.check import Finding, failed, passed


def _condition(obj: dict, kind: str) -> dict | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == kind), None)


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


def eks_cluster_active(response: dict, name: str, expected_version: str, min_supported: str) -> Finding:
    """`aws eks describe-cluster`: ACTIVE, the expected version, still supported, with an endpoint."""
    if "Error" in response:
        err = response["Error"]
        return failed(f"EKS cluster {name}: {err.get('Code')}: {err.get('Message', '')}".strip(),
                      resource=name, observed=err, expected="the cluster exists")
    cluster = response.get("cluster") or {}
    status, version, endpoint = cluster.get("status"), cluster.get("version"), cluster.get("endpoint")
    observed = {"status": status, "version": version, "endpoint": endpoint}
    expected = {"status": "ACTIVE", "version": expected_version, "min_supported": min_supported}
    if status != "ACTIVE":
        return failed(f"EKS cluster {name} is {status}, not ACTIVE", resource=name, observed=observed, expected=expected)
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


def _requests(container: dict) -> tuple[Decimal, Decimal]:
    req = (container.get("resources") or {}).get("requests") or {}
    return parse_quantity(req.get("cpu", "0")), parse_quantity(req.get("memory", "0"))


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
    free_cpu = free_mem = Decimal(0)
    for node in nodes:
        if _name(node) not in schedulable:
            continue
        alloc = (node.get("status") or {}).get("allocatable") or {}
        used_cpu = used_mem = Decimal(0)
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") == _name(node) and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                for c in pod["spec"].get("containers", []):
                    cpu, mem = _requests(c)
                    used_cpu, used_mem = used_cpu + cpu, used_mem + mem
        free_cpu += parse_quantity(alloc.get("cpu", "0")) - used_cpu
        free_mem += parse_quantity(alloc.get("memory", "0")) - used_mem
    extra = max(0, maximum - current)
    need_cpu, need_mem = per_pod_cpu * extra, per_pod_mem * extra
    observed = {"schedulable_nodes": len(schedulable), "free_cpu": _cpu(free_cpu), "free_memory": _mem(free_mem),
                "replicas": current, "hpa_max": maximum, "per_pod": {"cpu": _cpu(per_pod_cpu), "memory": _mem(per_pod_mem)}}
    expected = {"cpu": _cpu(need_cpu), "memory": _mem(need_mem)}
    short = []
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
        active = _condition(hpa, "ScalingActive")
        if not active or active.get("status") != "True":
            problems.append(f"HPA {hpa_name} ScalingActive is {(active or {}).get('status', 'absent')}"
                            f" ({(active or {}).get('reason', 'no reason')})")
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
