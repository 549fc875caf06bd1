"""Application probes: the deployment, its pods, Service, Ingress, HTTP and MCP answers, data stores.

Observed state in (API JSON, HTTP answers, query rows), one Finding out. No I/O here. The same
probe answers the same question in every phase (T-1h staging, T-30m smoke, T-0, T+15m).
"""
from __future__ import annotations

from datetime import datetime

from golive.check import Finding, failed, passed
from golive.probes import kube

# The components the app's GET /health reports (its contract, target-system.md).
DATABASE_COMPONENT, S3_COMPONENT = "database", "s3"
# Waiting reasons of a container that will not start by itself.
BAD_WAITING = {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
               "CreateContainerError", "InvalidImageName", "RunContainerError"}


def _name(obj: dict | None) -> str:
    return ((obj or {}).get("metadata") or {}).get("name", "?")


_condition = kube.condition  # {} when absent


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _oneline(text, limit: int = 200) -> str:
    """Error text from a dependency, on one line (drivers put newlines and tabs in theirs)."""
    return " ".join(str(text).split())[:limit]


def _labels(selector: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "(empty)"


# --- Kubernetes --------------------------------------------------------------------------------


def rollout_complete(deployment: dict | None, name: str) -> Finding:
    """The rollout finished: observedGeneration current, updated = ready = available = desired, Available=True."""
    if deployment is None:
        return failed(f"deployment {name} does not exist", resource=name, observed=None, expected="a Deployment",
                      hint="Run the phase 3 deploy script (or `kubectl apply`) and check its output.")
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    desired = spec.get("replicas", 1)
    generation = (deployment.get("metadata") or {}).get("generation")
    available, progressing = _condition(deployment, "Available"), _condition(deployment, "Progressing")
    observed = {"generation": generation, "observedGeneration": status.get("observedGeneration"),
                "desired": desired, "replicas": status.get("replicas", 0), "updated": status.get("updatedReplicas", 0),
                "ready": status.get("readyReplicas", 0), "available": status.get("availableReplicas", 0),
                "Available": available.get("status"), "Progressing": progressing.get("reason")}
    expected = {"observedGeneration": generation, "replicas = updated = ready = available": desired,
                "Available": "True"}
    problems = []
    if (status.get("observedGeneration") or 0) < (generation or 0):
        problems.append(f"the controller has not seen generation {generation} yet "
                        f"(observed {status.get('observedGeneration')})")
    for field in ("updated", "ready", "available"):
        if observed[field] != desired:
            problems.append(f"{observed[field]} of {desired} replicas {field}")
    if observed["replicas"] > desired:
        problems.append(f"{observed['replicas'] - desired} old replica(s) still running")
    if available.get("status") != "True":
        problems.append(f"Available is {available.get('status', 'absent')} ({available.get('reason', 'no reason')})")
    if progressing.get("status") == "False":
        problems.append(f"Progressing is False ({progressing.get('reason')}: {progressing.get('message', '')})")
    if problems:
        return failed(f"deployment {name} rollout incomplete: " + "; ".join(problems), resource=name,
                      observed=observed, expected=expected,
                      hint=f"`kubectl rollout status deployment/{name}` and `kubectl describe` its newest ReplicaSet.")
    return passed(f"deployment {name} rolled out: {desired} of {desired} replicas updated, ready and available "
                  f"(generation {generation})", resource=name, observed=observed, expected=expected)


def _pod_problems(pod: dict, container: str, expected_image: str | None, window_minutes: float,
                  now: datetime) -> list[str]:
    name, status = _name(pod), pod.get("status") or {}
    phase = status.get("phase")
    if phase == "Pending":
        scheduled = _condition(pod, "PodScheduled")
        # A scheduled pod whose image cannot be pulled (or whose config is broken) stays Pending for good.
        stuck = []
        for cs in status.get("containerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in BAD_WAITING:
                stuck.append(f"container {cs.get('name')} {waiting['reason']}: {waiting.get('message', '')}".strip())
        why = f"{scheduled.get('reason')}: {scheduled.get('message', '')}" if scheduled.get("status") == "False" \
            else "; ".join(stuck) or "scheduled, containers not started yet"
        return [f"pod {name} Pending ({why.strip()})"]
    problems = [] if phase == "Running" else \
        [f"pod {name} is {phase} ({status.get('reason') or 'no reason'}: {_oneline(status.get('message', ''), 120)})"]
    for cs in status.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        last = ((cs.get("lastState") or {}).get("terminated")) or {}
        finished = _time(last.get("finishedAt"))
        restarts = cs.get("restartCount", 0)
        if waiting.get("reason") in BAD_WAITING:
            problems.append(f"pod {name} container {cs.get('name')} {waiting['reason']} after {restarts} restarts"
                            f" ({waiting.get('message') or last.get('reason') or 'no message'})")
        elif finished and (now - finished).total_seconds() < window_minutes * 60:
            ago = (now - finished).total_seconds() / 60
            problems.append(f"pod {name} container {cs.get('name')} restarting: restarted {restarts} times, "
                            f"last {ago:.0f} min ago ({last.get('reason', 'no reason')}, exit {last.get('exitCode')})")
    ready = _condition(pod, "Ready")
    if phase == "Running" and ready.get("status") != "True" and not problems:
        problems.append(f"pod {name} not Ready ({ready.get('reason') or 'readiness probe failing'})")
    if expected_image:
        images = {c.get("image") for c in (pod.get("spec") or {}).get("containers") or [] if c.get("name") == container}
        images |= {cs.get("image") for cs in status.get("containerStatuses") or [] if cs.get("name") == container}
        wrong = sorted(i for i in images if i and i != expected_image)
        if wrong:
            problems.append(f"pod {name} runs image {', '.join(wrong)}, expected {expected_image}")
    return problems


def pods_started(pods: list[dict], deployment: dict | None, container: str, expected_image: str | None,
                 restart_window_minutes: float, now: datetime) -> Finding:
    """The app's pods started: all Running and Ready, none Pending, restarting or crash-looping, on the right image.

    `now` is when the pod list arrived: a restart's age is measured to it, not to a later clock.
    """
    if deployment is None:
        return failed("the app's Deployment does not exist: no pod of it can start", resource="deployment",
                      observed={"pods": [_name(p) for p in pods]}, expected="a Deployment with its pods Running",
                      final=True, hint="Run the phase 3 deploy script (or `kubectl apply`) and check its output.")
    name, desired = _name(deployment), (deployment.get("spec") or {}).get("replicas", 1)
    problems = [problem for pod in pods
                for problem in _pod_problems(pod, container, expected_image, restart_window_minutes, now)]
    ready = [_name(p) for p in pods if (p.get("status") or {}).get("phase") == "Running"
             and _condition(p, "Ready").get("status") == "True"]
    observed = {"pods": {_name(p): {"phase": (p.get("status") or {}).get("phase"),
                                     "ready": _condition(p, "Ready").get("status"),
                                     "restarts": sum(cs.get("restartCount", 0)
                                                     for cs in (p.get("status") or {}).get("containerStatuses") or [])}
                         for p in pods},
                "problems": problems}
    expected = {"pods Running and Ready": desired, "image": expected_image or "any",
                f"no restart within {restart_window_minutes:g} min": True}
    if not pods:
        return failed(f"expected {desired} pods of {name}, found 0", resource=name, observed=observed,
                      expected=expected, hint="Check the ReplicaSet events: `kubectl describe deployment`.")
    if problems or len(ready) < desired:
        short = [] if len(ready) >= desired else [f"only {len(ready)} of {desired} pods Running and Ready"]
        return failed(f"deployment {name}: " + "; ".join(short + problems), resource=name, observed=observed,
                      expected=expected,
                      hint="`kubectl describe pod` and `kubectl logs --previous` on the named pods; roll back if "
                           "the new version crashes.")
    image = f" on {expected_image}" if expected_image else ""
    return passed(f"deployment {name}: {len(ready)} of {desired} pods Running and Ready{image}, none restarting",
                  resource=name, observed=observed, expected=expected)


_selects = kube.map_selects  # a Service's plain selector map: empty selects nothing


def service_routes(service: dict | None, pods: list[dict], endpoints: dict | None, name: str) -> Finding:
    """The Service selects the app's pods, targets a container port, and has a ready endpoint per ready pod."""
    if service is None:
        return failed(f"Service {name} does not exist", resource=name, observed=None, expected="a Service")
    selector = (service.get("spec") or {}).get("selector") or {}
    selected = [p for p in pods if _selects(selector, (p.get("metadata") or {}).get("labels") or {})]
    ready_pods = {_name(p) for p in selected if _condition(p, "Ready").get("status") == "True"}
    container_ports = {(port.get("name"), port.get("containerPort")) for p in selected
                       for c in (p.get("spec") or {}).get("containers") or [] for port in c.get("ports") or []}
    names, numbers = {n for n, _ in container_ports}, {n for _, n in container_ports}
    unmatched = [f"{port.get('name') or port.get('port')} -> {port.get('targetPort')}"
                 for port in (service.get("spec") or {}).get("ports") or []
                 if port.get("targetPort", port.get("port")) not in names | numbers]
    addresses = [a for s in (endpoints or {}).get("subsets") or [] for a in s.get("addresses") or []]
    behind = {(a.get("targetRef") or {}).get("name") for a in addresses}
    missing = sorted(ready_pods - behind)
    observed = {"selector": selector, "selected_pods": [_name(p) for p in selected], "ready_pods": sorted(ready_pods),
                "endpoint_addresses": [a.get("ip") for a in addresses], "unmatched_ports": unmatched}
    expected = "selects the app's pods; every targetPort is a container port; a ready address per ready pod"
    problems = []
    if not selected:
        problems.append(f"selector {_labels(selector)} selects no pod")
    if selected and unmatched:
        problems.append(f"port(s) {', '.join(unmatched)} match no container port")
    if endpoints is None or not addresses:
        problems.append(f"Endpoints {name} has no ready addresses")
    elif missing:
        problems.append(f"ready pod(s) {', '.join(missing)} missing from its Endpoints")
    if problems:
        return failed(f"Service {name}: " + "; ".join(problems), resource=name, observed=observed, expected=expected,
                      hint=f"Compare `kubectl get svc {name} -o yaml` with the pod labels and ports; "
                           f"`kubectl get endpoints {name}`.")
    return passed(f"Service {name} selects {len(selected)} pods ({_labels(selector)}), its ports reach container "
                  f"ports, and its Endpoints list all {len(ready_pods)} ready pods", resource=name,
                  observed=observed, expected=expected)


def ingress_routes(ingress: dict | None, service: dict | None, host: str | None, name: str) -> Finding:
    """The Ingress has a load-balancer hostname and routes the configured host to a port of the Service."""
    if ingress is None:
        return failed(f"Ingress {name} does not exist", resource=name, observed=None, expected="an Ingress")
    lb = [i.get("hostname") or i.get("ip") for i in
          ((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []]
    svc_name = _name(service) if service else None
    svc_ports = {p.get("port") for p in ((service or {}).get("spec") or {}).get("ports") or []} | \
                {p.get("name") for p in ((service or {}).get("spec") or {}).get("ports") or []}
    routes = []
    for rule in (ingress.get("spec") or {}).get("rules") or []:
        for path in (rule.get("http") or {}).get("paths") or []:
            backend = (path.get("backend") or {}).get("service") or {}
            port = backend.get("port") or {}
            routes.append({"host": rule.get("host"), "path": path.get("path"), "service": backend.get("name"),
                           "port": port.get("number", port.get("name"))})
    good = [r for r in routes if (host is None or r["host"] == host) and r["service"] == svc_name
            and r["port"] in svc_ports]
    observed = {"load_balancer": lb, "routes": routes}
    expected = {"load_balancer": "a hostname", "route": f"{host or 'any host'} -> {svc_name} (a Service port)"}
    problems = []
    if not any(lb):
        problems.append("has no load-balancer hostname (the ALB controller has not provisioned it)")
    if not good:
        problems.append(f"routes no path for host {host or 'any'} to a port of Service {svc_name or '(missing)'} "
                        f"(routes: {routes or 'none'})")
    if problems:
        return failed(f"Ingress {name} " + "; ".join(problems), resource=name, observed=observed, expected=expected,
                      hint=f"`kubectl describe ingress {name}`; check the aws-load-balancer-controller logs.")
    return passed(f"Ingress {name} is served by {lb[0]} and routes {good[0]['host'] or '*'}{good[0]['path'] or ''} to "
                  f"{svc_name}:{good[0]['port']}", resource=name, observed=observed, expected=expected)


# --- HTTP and MCP --------------------------------------------------------------------------------


def health_endpoint(response, where: str) -> Finding:
    """GET /health: HTTP 200, status healthy, and every component healthy ('degraded' is a finding)."""
    body = response.json if isinstance(response.json, dict) else {}
    components = body.get("components") if isinstance(body.get("components"), dict) else {}
    sick = {k: v for k, v in components.items() if (v or {}).get("status") != "healthy"}
    observed = {"http": response.status, "status": body.get("status"), "ms": response.ms,
                "components": {k: (v or {}).get("status") for k, v in components.items()},
                "errors": {k: (v or {}).get("error") for k, v in sick.items()}}
    expected = {"http": 200, "status": "healthy", "components": "all healthy"}
    what = "; ".join(f"{k} {(v or {}).get('status')}: {_oneline((v or {}).get('error', 'no detail'))}"
                     for k, v in sick.items())
    hint = "Read the named components' errors; check the database and S3 from inside the pod."
    if response.status != 200 or body.get("status") != "healthy":
        if not body:
            return failed(f"{where} answered HTTP {response.status} without a health report: {response.text[:120]!r}",
                          resource=where, observed=observed, expected=expected, hint=hint)
        return failed(f"{where} answered HTTP {response.status} with status {body.get('status')}"
                      + (f" ({what})" if what else ""), resource=where, observed=observed, expected=expected,
                      hint=hint)
    if not components:
        return failed(f"{where} reports healthy but lists no components (expected database, s3, ...)",
                      resource=where, observed=observed, expected=expected)
    if sick:
        return failed(f"{where} reports healthy but components are not: {what}", resource=where,
                      observed=observed, expected=expected, hint=hint)
    return passed(f"{where} answered 200: healthy, components {', '.join(sorted(components))} healthy",
                  resource=where, observed=observed, expected=expected)


def component_healthy(response, component: str, where: str) -> Finding:
    """The app's own view of one dependency (a component of GET /health) is healthy."""
    body = response.json if isinstance(response.json, dict) else {}
    state = ((body.get("components") or {}) if isinstance(body.get("components"), dict) else {}).get(component)
    observed = {"http": response.status, "component": state}
    if not isinstance(state, dict):
        return failed(f"{where} does not report a {component} component (HTTP {response.status})", resource=where,
                      observed=observed, expected=f"{component}: healthy")
    if state.get("status") != "healthy":
        error = _oneline(state.get("error", "no detail"))
        return failed(f"the app reports its {component} {state.get('status')}: {error}",
                      resource=where, observed=observed, expected=f"{component}: healthy",
                      hint=f"The app cannot use its {component}: check connectivity and credentials from the pod.")
    return passed(f"the app reports its {component} healthy ({state.get('latency_ms', '?')} ms)", resource=where,
                  observed=observed, expected=f"{component}: healthy")


def ready_endpoint(response, where: str) -> Finding:
    """GET /ready: HTTP 200 with {"ready": true}."""
    body = response.json if isinstance(response.json, dict) else {}
    observed = {"http": response.status, "body": body or response.text[:200], "ms": response.ms}
    if response.status != 200 or body.get("ready") is not True:
        return failed(f"{where} answered HTTP {response.status} {body or response.text[:80]!r}, not ready",
                      resource=where, observed=observed, expected={"http": 200, "ready": True},
                      hint="The app is up but not ready to serve: read its logs for failing startup steps.")
    return passed(f"{where} answered 200 ready in {response.ms:.0f} ms", resource=where, observed=observed,
                  expected={"http": 200, "ready": True})


def answers(response, where: str, expect_status: int = 200, keys: tuple[str, ...] = ()) -> Finding:
    """An HTTP request answered with the expected status (e.g. /health through the public ingress URL) and, when
    `keys` names them, with a JSON object carrying those keys (the app's own document, not any web server's page).

    `response` None: the URL is not configured (only app.ingress_url may be unset).
    """
    if response is None:
        return failed("app.ingress_url is not configured, so the public URL was not tried from here",
                      resource="app.ingress_url", observed=None, expected=expect_status,
                      hint="Set app.ingress_url in golive.toml to the public URL the runner can reach.")
    observed = {"http": response.status, "ms": response.ms, "body": response.text[:200]}
    expected = {"http": expect_status, "json_keys": list(keys)} if keys else expect_status
    if response.status != expect_status:
        return failed(f"{where} answered HTTP {response.status}, expected {expect_status}", resource=where,
                      observed=observed, expected=expected,
                      hint="Check the load balancer's target health and listener rules.")
    missing = document_lacks(response, keys)
    if missing:
        return failed(f"{where} answered {response.status} with {missing}", resource=where, observed=observed,
                      expected=expected, hint="Something other than the app answers this URL (a default backend, "
                                              "a web server's welcome page): check the Ingress's rules and backend.")
    return passed(f"{where} answered {response.status} in {response.ms:.0f} ms", resource=where,
                  observed=observed, expected=expected)


def document_lacks(response, keys: tuple[str, ...] | list[str], json_required: bool = False) -> str:
    """What is wrong with an answer that should be a JSON object with `keys` ("" when nothing is)."""
    if not keys and not json_required:
        return ""
    kind = (response.headers or {}).get("Content-Type", "no content type").split(";")[0].strip()
    if not isinstance(response.json, dict) or "json" not in kind:
        return f"{kind} {response.text[:60]!r}, not the app's JSON document"
    absent = [k for k in keys if k not in response.json]
    return f"a JSON document without {', '.join(absent)}" if absent else ""


def endpoints_ok(results: list[tuple], where: str) -> Finding:
    """Each configured endpoint answered its expected status within its latency budget (measured)."""
    rows, problems = [], []
    for endpoint, response in results:
        rows.append({"endpoint": endpoint.name, "request": f"{endpoint.method} {endpoint.path}",
                     "status": response.status, "expected": endpoint.expect_status, "ms": response.ms,
                     "budget_ms": endpoint.budget_ms})
        lacks = document_lacks(response, endpoint.expect_keys, endpoint.expect_json and endpoint.method == "GET"
                               and endpoint.expect_status < 300)
        if response.status != endpoint.expect_status:
            problems.append(f"{endpoint.method} {endpoint.path} answered {response.status} "
                            f"(expected {endpoint.expect_status})")
        elif lacks:
            problems.append(f"{endpoint.method} {endpoint.path} answered {response.status} with {lacks}")
        elif response.ms > endpoint.budget_ms:
            problems.append(f"{endpoint.method} {endpoint.path} took {response.ms:.0f} ms, over its "
                            f"{endpoint.budget_ms:g} ms budget")
    if not results:
        return failed("expected configured endpoints (app.endpoints), found 0", resource=where, observed=rows)
    if problems:
        return failed(f"{len(problems)} of {len(results)} endpoints at {where} failed: " + "; ".join(problems),
                      resource=where, observed=rows, expected="expected status within budget",
                      hint="Read the app's logs and latency dashboards; a slow dependency shows in /health.")
    return passed(f"{len(results)} endpoints at {where} answered as expected within budget: "
                  + ", ".join(f"{r['endpoint']} {r['status']} in {r['ms']:.0f} ms" for r in rows),
                  resource=where, observed=rows, expected="expected status within budget")


def mcp_works(transcript, expected_tools: list[str], call: str | None = None) -> Finding:
    """MCP end to end: a conversation opens (either era), tools/list has every expected tool, the tool call succeeds."""
    where = f"MCP at {transcript.url}"
    observed = {"era": transcript.era, "protocol_version": transcript.protocol_version,
                "steps": [s.summary() for s in transcript.steps], "session": bool(transcript.session)}
    expected = {"tools": expected_tools, "call": f"{call}: isError false" if call else None}
    hint = "Read the app's logs for the failing MCP method; test it with an MCP client against the same URL."
    for step in transcript.steps:
        # An era probe the server refused before the client spoke the older era; prompts and resources are
        # the interface check's (Verify user interfaces), not what the tools need.
        if step.fallback or step.method in ("prompts/list", "resources/list"):
            continue
        if step.status // 100 != 2:
            return failed(f"{where}: {step.label} answered HTTP {step.status}: {step.text[:120]!r}", resource=where,
                          observed=observed, expected=expected, hint=hint)
        error = (step.message or {}).get("error")
        if error:
            return failed(f"{where}: {step.label} failed with JSON-RPC error {error.get('code')}: "
                          f"{error.get('message')}", resource=where, observed=observed, expected=expected, hint=hint)
    if transcript.problem:
        return failed(f"{where}: the MCP client refused the server's answer: {transcript.problem}", resource=where,
                      observed=observed, expected=expected, hint=hint)
    listed = [t.get("name") for t in transcript.listed("tools")]
    observed["tools"] = listed
    missing = [t for t in expected_tools if t not in listed]
    if missing:
        return failed(f"{where}: tools/list lacks {', '.join(missing)} (listed {len(listed)}: "
                      f"{', '.join(listed) or 'none'})", resource=where, observed=observed, expected=expected,
                      hint="Check that the deployed version registers every tool.")
    opening = transcript.opening  # 2026-07-28 names the server in _meta; the handshake in serverInfo
    server = opening.get("serverInfo") or (opening.get("_meta") or {}).get("io.modelcontextprotocol/serverInfo") or {}
    named = f"; {server.get('name', '?')} {server.get('version', '')}".rstrip() if server else ""
    said = f"{where}: conversation opened ({transcript.spoke()}{named}), " \
           f"tools/list has all {len(expected_tools)} expected tools"
    if call:
        result = transcript.result("tools/call")
        if result is None:
            return failed(f"{where}: tools/call {call} got no result", resource=where, observed=observed,
                          expected=expected)
        text = " ".join(c.get("text", "") for c in result.get("content") or [] if isinstance(c, dict))
        observed["call"] = {"isError": result.get("isError"), "content": text[:300]}
        if result.get("isError") not in (False, None) or not result.get("content"):
            return failed(f"{where}: tools/call {call} returned isError {result.get('isError')}: {_oneline(text, 160)}",
                          resource=where, observed=observed, expected=expected, hint=hint)
        said += f", {call} answered (isError false) in {transcript.step('tools/call').ms:.0f} ms"
    return passed(said, resource=where, observed=observed, expected=expected)


# --- Data stores and integrations -----------------------------------------------------------------


def database_answers(rows: list[tuple], query: str, tables: list[str], expected_tables: list[str],
                     where: str) -> Finding:
    """PostgreSQL answers the read query with rows (a count above 0), and the expected tables exist."""
    missing = [t for t in expected_tables if t not in tables]
    observed = {"rows": [list(r) for r in rows[:5]], "row_count": len(rows), "tables": tables, "missing": missing}
    expected = {"rows": ">= 1 (a count > 0)", "tables": expected_tables}
    single = rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else None
    problems = []
    if not rows:
        problems.append(f"{query!r} returned no rows")
    elif isinstance(single, (int, float)) and single <= 0:
        problems.append(f"{query!r} returned {single}")
    if missing:
        problems.append(f"table(s) {', '.join(missing)} missing ({len(tables)} tables in public)")
    if problems:
        return failed(f"PostgreSQL {where}: " + "; ".join(problems), resource=where, observed=observed,
                      expected=expected, query=query, hint="Check the last migration and data load; compare with "
                                                            "the latest snapshot before restoring anything.")
    answer = f"{single}" if single is not None else f"{len(rows)} rows"
    return passed(f"PostgreSQL {where} answered {query!r} with {answer}; tables {', '.join(expected_tables)} exist",
                  resource=where, observed=observed, expected=expected, query=query)


def buckets_reachable(results: dict[str, tuple[dict, dict]]) -> Finding:
    """Each bucket answers head_bucket and list_objects_v2 returns at least one key."""
    problems, observed = [], {}
    for bucket, (head, listing) in results.items():
        observed[bucket] = {"head": head.get("Error") or "ok", "keys": listing.get("KeyCount"),
                            "first_key": ((listing.get("Contents") or [{}])[0]).get("Key")}
        if "Error" in head:
            err = head["Error"]
            missing = str(err.get("Code")) in ("404", "NoSuchBucket")
            problems.append(f"bucket {bucket} {'does not exist' if missing else 'is not accessible'} "
                            f"(head_bucket: {err.get('Code')} {err.get('Message', '')})".strip())
        elif "Error" in listing:
            problems.append(f"bucket {bucket} cannot be listed ({listing['Error'].get('Code')})")
        elif not listing.get("Contents"):
            problems.append(f"bucket {bucket} is empty")
    if not results:
        return failed("expected buckets to check, found 0", observed=observed)
    if problems:
        return failed("S3: " + "; ".join(problems), resource="S3", observed=observed,
                      expected="each bucket exists and lists a key",
                      hint="Check the bucket in the S3 console and the IAM policy of the app's role.")
    return passed(f"S3: {len(results)} buckets answer head_bucket and list a key: "
                  + ", ".join(f"{b} ({o['first_key']})" for b, o in observed.items()), resource="S3",
                  observed=observed, expected="each bucket exists and lists a key")


def integrations_answer(answers: dict[str, int | str], configured: list[str] | None) -> Finding:
    """Each configured external integration URL answers (any HTTP status below 500)."""
    where = "external integrations"
    if configured is None:
        return failed("app.external_integrations is not set, so no external integration was checked",
                      resource=where, observed=None, expected="a list of URLs ([] for none)",
                      hint="List the integration URLs in golive.toml, or set app.external_integrations = [].")
    if not configured:
        return passed("the configuration explicitly lists no external integrations (app.external_integrations = [])",
                      resource=where, observed={}, expected={})
    bad = [f"{url} answered HTTP {a}" if isinstance(a, int) else f"{url}: {a}" for url, a in answers.items()
           if not (isinstance(a, int) and a < 500)]
    bad += [f"{url}: not asked (no answer recorded)" for url in configured if url not in answers]
    if bad:
        return failed(f"{len(bad)} of {len(configured)} external integrations failing: " + "; ".join(bad),
                      resource=where, observed=answers, expected="HTTP status < 500",
                      hint="Check the provider's status page and the egress path (NAT, proxy, firewall) to it.")
    return passed(f"all {len(configured)} external integrations answer: "
                  + ", ".join(f"{u} {a}" for u, a in answers.items()), resource=where, observed=answers,
                  expected="HTTP status < 500")
