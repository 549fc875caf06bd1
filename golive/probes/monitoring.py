"""Monitoring probes: Prometheus, Alertmanager and Grafana state in, one Finding out. No I/O here."""
from __future__ import annotations

import re
from datetime import datetime


from golive.check import Finding, failed, passed, undecided
from golive.probes import kube


def no_critical_alerts(alerts: list[dict], source: str) -> Finding:
    """No alert with severity=critical is firing (Prometheus /api/v1/alerts)."""
    firing = [a for a in alerts if a.get("state") == "firing" and (a.get("labels") or {}).get("severity") == "critical"]
    names = sorted({(a.get("labels") or {}).get("alertname", "?") for a in firing})
    observed = {"firing_critical": [{"alertname": (a.get("labels") or {}).get("alertname"),
                                     "since": a.get("activeAt"), "summary": (a.get("annotations") or {}).get("summary")}
                                    for a in firing],
                "firing_total": sum(1 for a in alerts if a.get("state") == "firing")}
    if firing:
        return failed(f"{len(firing)} critical alert(s) firing in {source}: {', '.join(names)}", resource=source,
                      observed=observed, expected="no critical alert firing",
                      hint="Open Alertmanager, read each alert's runbook_url and resolve or silence it with a reason.")
    return passed(f"no critical alert firing in {source} ({observed['firing_total']} firing of lower severity)",
                  resource=source, observed=observed, expected="no critical alert firing")


def alerting_rules_loaded(rule_groups: list[dict], source: str) -> Finding:
    """Prometheus evaluates at least one alerting rule: a quiet alert list means something only then."""
    rules = [r for g in rule_groups or [] for r in g.get("rules") or [] if r.get("type") == "alerting"]
    critical = [r for r in rules if (r.get("labels") or {}).get("severity") == "critical"]
    observed = {"groups": len(rule_groups or []), "alerting_rules": len(rules), "critical_rules": len(critical)}
    if not critical:
        what = "no alerting rule" if not rules else f"{len(rules)} alerting rules, none of severity critical"
        return failed(f"{source} evaluates {what}: no firing alert proves nothing", resource=source,
                      observed=observed, expected="at least one alerting rule of severity critical loaded",
                      hint="Load the app's PrometheusRule (check the rule selector of the Prometheus resource) "
                           "and see /rules in Prometheus.")
    return passed(f"{source} evaluates {len(rules)} alerting rules, {len(critical)} of severity critical",
                  resource=source, observed=observed, expected="at least one alerting rule of severity critical loaded")


def no_critical_alerts_routed(alerts: list[dict], source: str) -> Finding:
    """No active, unsilenced critical alert in Alertmanager (Alertmanager /api/v2/alerts), whichever
    sender raised it (another Prometheus, Grafana-managed alerts); golive's own test alerts excepted."""
    if not isinstance(alerts, list):
        return undecided(f"{source} answered /api/v2/alerts with {type(alerts).__name__}, not a list of alerts",
                         resource=source, observed=alerts, expected="a list of alerts")
    active = [a for a in alerts if (a.get("status") or {}).get("state", "active") == "active"
              and "golive_run" not in (a.get("labels") or {})]
    critical = [a for a in active if (a.get("labels") or {}).get("severity") == "critical"]
    observed = {"critical": [{"alertname": (a.get("labels") or {}).get("alertname"), "since": a.get("startsAt"),
                              "sender": a.get("generatorURL")} for a in critical], "active_total": len(active)}
    if critical:
        names = sorted({(a.get("labels") or {}).get("alertname", "?") for a in critical})
        return failed(f"{len(critical)} critical alert(s) active in {source}: {', '.join(names)}", resource=source,
                      observed=observed, expected="no active critical alert",
                      hint="Read each alert's generatorURL to find its sender; resolve it, or silence it with a reason.")
    return passed(f"no critical alert active in {source} ({len(active)} active of lower severity)",
                  resource=source, observed=observed, expected="no active critical alert")


# --- Prometheus --------------------------------------------------------------------------------

def prometheus_serving(healthy, ready, where: str) -> Finding:
    """Prometheus answers /-/healthy and /-/ready with 200."""
    observed = {"healthy": healthy.status, "ready": ready.status}
    if healthy.status != 200 or ready.status != 200:
        return failed(f"Prometheus {where} is not serving: /-/healthy {healthy.status}, /-/ready {ready.status} "
                      f"({(ready.text or healthy.text)[:80].strip()})", resource=where, observed=observed,
                      expected={"healthy": 200, "ready": 200},
                      hint="Check the Prometheus pod (`kubectl -n monitoring describe pod prometheus-...`), its WAL "
                           "replay and its volume.")
    return passed(f"Prometheus {where} is healthy and ready", resource=where, observed=observed,
                  expected={"healthy": 200, "ready": 200})


def targets_up(targets: list[dict], job: str, where: str) -> Finding:
    """Every active scrape target of the app's job is up (Prometheus /api/v1/targets)."""
    mine = [t for t in targets if (t.get("labels") or {}).get("job") == job or t.get("scrapePool") == job]
    down = [t for t in mine if t.get("health") != "up"]
    observed = [{"instance": (t.get("labels") or {}).get("instance"), "health": t.get("health"),
                 "lastScrape": t.get("lastScrape"), "lastError": t.get("lastError")} for t in mine]
    if not mine:
        return failed(f"Prometheus {where} has no active scrape target for job {job}", resource=job,
                      observed=observed, expected="> 0 targets up",
                      hint="Check the ServiceMonitor's selector, namespaceSelector and port against the Service; "
                           "and that Prometheus selects the ServiceMonitor (its release label).")
    if down:
        what = "; ".join(f"{(t.get('labels') or {}).get('instance')} is {t.get('health')}: "
                         f"{t.get('lastError') or 'no error reported'}" for t in down)
        return failed(f"{len(down)} of {len(mine)} targets of job {job} down: {what}", resource=job,
                      observed=observed, expected="every target up",
                      hint="Open the app's /metrics from inside the cluster; check the pod and the metrics port.")
    return passed(f"all {len(mine)} target(s) of job {job} are up", resource=job, observed=observed,
                  expected="every target up")


def _selector(job: str, metrics: list[str]) -> str:
    return f'{{__name__=~"{"|".join(metrics)}", job="{job}"}}'


def metrics_query(job: str, metrics: list[str]) -> str:
    """PromQL: how many series each of `metrics` has in the job (a metric without series is absent)."""
    return f"count by (__name__) ({_selector(job, metrics)})"


def samples_query(job: str, metrics: list[str], seconds: float) -> str:
    """PromQL: the raw samples of `metrics` in the job over the last `seconds` (timestamps as scraped)."""
    return f"{_selector(job, metrics)}[{int(seconds * 1000)}ms]"


def metrics_present(result: list[dict], query: str, job: str, key: list[str], optional: list[str]) -> Finding:
    """Every key metric has series for the app's job; optional ones may be absent (a `metrics_query` result)."""
    series = {r["metric"].get("__name__"): int(float(r["value"][1])) for r in result if "value" in r}
    missing = [m for m in key if m not in series]
    observed = {"series": series, "missing": missing, "optional_absent": [m for m in optional if m not in series]}
    if missing:
        return failed(f"no data for {', '.join(missing)} in job {job} ({len(key) - len(missing)} of {len(key)} key "
                      f"metrics present)", resource=job, observed=observed, expected=key, query=query,
                      hint="Check the target is up, then the app's /metrics: a missing metric means its code path "
                           "or exporter is not running.")
    extra = f"; optional absent: {', '.join(observed['optional_absent'])}" if observed["optional_absent"] else ""
    return passed(f"all {len(key)} key metrics have series in job {job} ({sum(series.values())} series){extra}",
                  resource=job, observed=observed, expected=key, query=query)


def _instant(text: str) -> datetime:
    # Prometheus reports nanoseconds; Python parses at most microseconds.
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00")))


def metrics_fresh(result: list[dict], query: str, targets: list[dict], job: str, key: list[str],
                  max_age_s: float, queried_at: datetime, listed_at: datetime | None = None) -> Finding:
    """Key metrics are fresh: each has a sample, and each target of the job a successful scrape, within `max_age_s`.

    `result` is a `samples_query` over the same `max_age_s`: a metric without a sample in it is stale. Ages are
    measured to when each answer arrived: the samples at `queried_at`, the targets at `listed_at` (default the
    same), never to the clock of a later moment that reads them from the session's cache.
    """
    listed_at = listed_at or queried_at
    newest = {}
    for r in result:
        name, stamps = r["metric"].get("__name__"), [float(t) for t, _ in r.get("values") or []]
        if stamps:
            newest[name] = max(newest.get(name, 0), *stamps)
    ages = {m: queried_at.timestamp() - t for m, t in newest.items()}
    problems = []
    mine = [t for t in targets if (t.get("labels") or {}).get("job") == job or t.get("scrapePool") == job]
    scrapes = {}
    for t in mine:
        instance = (t.get("labels") or {}).get("instance")
        last = t.get("lastScrape")
        age = (listed_at - _instant(last)).total_seconds() if last and not last.startswith("0001") else None
        scrapes[instance] = {"health": t.get("health"), "last_scrape_s_ago": age, "error": t.get("lastError")}
        if t.get("health") != "up":
            problems.append(f"target {instance} failing its scrapes ({t.get('lastError') or t.get('health')})")
        elif age is None or age > max_age_s:
            problems.append(f"target {instance} last scraped {'never' if age is None else f'{age:.0f} s ago'}")
    if not mine:
        problems.append(f"Prometheus has no scrape target for job {job}")
    unsampled = [m for m in key if m not in ages]
    if unsampled:
        problems.append(f"no sample in the last {max_age_s:g} s of {', '.join(unsampled)}")
    observed = {"newest_sample_s_ago": {m: round(a, 1) for m, a in ages.items()}, "targets": scrapes,
                "ages_measured_to": {"samples": queried_at.isoformat(), "targets": listed_at.isoformat()}}
    expected = f"every key metric sampled, and every target scraped, within the last {max_age_s:g} s"
    if problems:
        return failed(f"metrics of job {job} are stale: " + "; ".join(problems), resource=job, observed=observed,
                      expected=expected, query=query,
                      hint="Check the target's scrape errors in Prometheus (Status > Targets) and that its scrape "
                           "job or ServiceMonitor is still loaded.")
    return passed(f"all {len(key)} key metrics of job {job} are fresh (latest samples at most "
                  f"{max(ages.values()):.1f} s old, limit {max_age_s:g} s) and its {len(mine)} target(s) scraped successfully", resource=job,
                  observed=observed, expected=expected, query=query)


def rules_loaded(groups: list[dict], expected: list[str], where: str) -> Finding:
    """Each configured rule group is loaded, every rule in it with health ok and no lastError."""
    by_name = {g.get("name"): g for g in groups}
    missing = [g for g in expected if g not in by_name]
    broken = [f"{r.get('name')} (" + ("not evaluated yet" if r.get("health") == "unknown" and not r.get("lastError")
                                      else f"{r.get('health')}: {r.get('lastError') or 'no error text'}") + ")"
              for g in expected for r in (by_name.get(g) or {}).get("rules") or []
              if r.get("health") != "ok" or r.get("lastError")]
    counts = {g: len((by_name.get(g) or {}).get("rules") or []) for g in expected}
    observed = {"loaded_groups": sorted(filter(None, by_name)), "rules": counts, "unhealthy": broken}
    problems = [f"rule group {g} is not loaded" for g in missing]
    problems += [f"rule group {g} is empty" for g in expected if g in by_name and not counts[g]]
    if broken:
        problems.append(f"rules failing: {'; '.join(broken)}")
    if problems:
        return failed(f"Prometheus {where}: " + "; ".join(problems), resource=where, observed=observed,
                      expected={"groups": expected, "health": "ok"},
                      hint="Check the PrometheusRule objects (labels Prometheus selects) and the operator's logs; "
                           "`promtool check rules` on the rule file.")
    return passed(f"Prometheus {where} has rule group(s) {', '.join(expected)} loaded ({sum(counts.values())} rules, "
                  f"all health ok)", resource=where, observed=observed, expected={"groups": expected, "health": "ok"})


def rules_match_object(groups: list[dict], rule_object: dict | None, expected: list[str], name: str) -> Finding:
    """The alerts loaded in Prometheus are the alerts the PrometheusRule object in the cluster defines."""
    if rule_object is None:
        return failed(f"PrometheusRule {name} does not exist in the cluster", resource=name, observed=None,
                      expected="the PrometheusRule", hint="Re-run the phase 4 (monitoring) deploy script.")
    defined = {r.get("alert") for g in (rule_object.get("spec") or {}).get("groups") or [] if g.get("name") in expected
               for r in g.get("rules") or [] if r.get("alert")}
    loaded = {r.get("name") for g in groups if g.get("name") in expected for r in g.get("rules") or []
              if r.get("type", "alerting") == "alerting"}
    observed = {"in_object": sorted(defined), "loaded": sorted(loaded)}
    problems = []
    if defined - loaded:
        problems.append(f"defined but not loaded: {', '.join(sorted(defined - loaded))}")
    if loaded - defined:
        problems.append(f"loaded but not in the object: {', '.join(sorted(loaded - defined))}")
    if not defined:
        problems.append(f"the object defines no alert in group(s) {', '.join(expected)}")
    if problems:
        return failed(f"PrometheusRule {name} and the loaded rules differ: " + "; ".join(problems), resource=name,
                      observed=observed, expected="the same alert names",
                      hint="Prometheus runs rules the operator did not (re)load: check the operator's logs and the "
                           "rule selector.")
    return passed(f"PrometheusRule {name} and Prometheus agree on {len(defined)} alerts", resource=name,
                  observed=observed, expected="the same alert names")


def servicemonitor_selects(monitor: dict | None, service: dict | None, namespace: str, name: str,
                           searched: str = "") -> Finding:
    """The ServiceMonitor selects the app's Service (labels, namespace) and scrapes a port the Service has.

    `searched` says where it was looked for ("in any namespace"), for the message when it is absent.
    """
    if monitor is None:
        return failed(f"ServiceMonitor {name} does not exist" + (f" ({searched})" if searched else ""), resource=name,
                      observed=None, expected="a ServiceMonitor", hint="Re-run the phase 4 (monitoring) deploy script.")
    spec = monitor.get("spec") or {}
    labels = ((service or {}).get("metadata") or {}).get("labels") or {}
    ports = {p.get("name") for p in ((service or {}).get("spec") or {}).get("ports") or []}
    namespaces = spec.get("namespaceSelector") or {}
    in_namespace = namespaces.get("any") or namespace in (namespaces.get("matchNames")
                                                         or [(monitor.get("metadata") or {}).get("namespace")])
    scraped = [e.get("port") for e in spec.get("endpoints") or []]
    observed = {"selector": spec.get("selector"), "service_labels": labels, "namespaces": namespaces,
                "endpoint_ports": scraped, "service_ports": sorted(filter(None, ports))}
    problems = []
    if service is None:
        problems.append("the Service it should select does not exist")
    elif not kube.selector_matches(spec.get("selector") or {}, labels):  # {} selects every Service in scope
        problems.append(f"its selector {spec.get('selector')} does not select Service {_service_name(service)} "
                        f"(labels {labels})")
    if not in_namespace:
        problems.append(f"its namespaceSelector {namespaces} leaves out namespace {namespace}")
    if not any(p in ports for p in scraped):
        problems.append(f"it scrapes port(s) {scraped or 'none'}, which the Service does not name "
                        f"({sorted(filter(None, ports))})")
    if problems:
        return failed(f"ServiceMonitor {name} wiring broken: " + "; ".join(problems) + " - Prometheus scrapes nothing",
                      resource=name, observed=observed,
                      expected="selects the Service, in its namespace, on a named port",
                      hint="Fix the ServiceMonitor's selector/port to match the Service's labels and port names.")
    return passed(f"ServiceMonitor {name} selects Service {_service_name(service)} in {namespace} and scrapes its port "
                  f"{next(p for p in scraped if p in ports)}", resource=name, observed=observed,
                  expected="selects the Service, in its namespace, on a named port")


def _service_name(service: dict | None) -> str:
    return ((service or {}).get("metadata") or {}).get("name", "?")


# --- Alertmanager --------------------------------------------------------------------------------

def alertmanager_receivers(ready, receivers: list[dict], required: list[str], where: str) -> Finding:
    """Alertmanager is ready (/-/ready) and has the required receivers (/api/v2/receivers)."""
    names = sorted(filter(None, (r.get("name") for r in receivers)))
    missing = [r for r in required if r not in names]
    observed = {"ready": ready.status, "receivers": names}
    problems = [] if ready.status == 200 else [f"not ready (/-/ready answered {ready.status})"]
    if missing:
        problems.append(f"receiver(s) {', '.join(missing)} missing (has {', '.join(names) or 'none'})")
    if problems:
        return failed(f"Alertmanager {where}: " + "; ".join(problems), resource=where, observed=observed,
                      expected={"ready": 200, "receivers": required},
                      hint="Restore the receivers in the Alertmanager configuration (kube-prometheus-stack values) "
                           "and reload it.")
    return passed(f"Alertmanager {where} is ready with receivers {', '.join(required)}", resource=where,
                  observed=observed, expected={"ready": 200, "receivers": required})


# The runbook's routing policy (target-system.md): severity=critical pages, everything else goes to chat.
PAGING_LABELS = {"severity": "critical"}
CHAT_LABELS = {"severity": "warning"}
_MATCHER = re.compile(r'^\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def _route_matches(route: dict, labels: dict) -> bool:
    conditions = [(k, "=", str(v)) for k, v in (route.get("match") or {}).items()]
    conditions += [(k, "=~", str(v)) for k, v in (route.get("match_re") or {}).items()]
    conditions += [m.groups() for m in map(_MATCHER.match, route.get("matchers") or []) if m]
    for label, op, value in conditions:
        actual = labels.get(label, "")
        hit = actual == value if op in ("=", "!=") else re.fullmatch(value, actual) is not None
        if hit == (op in ("!=", "!~")):
            return False
    return True


# Route settings a child route inherits from its parent in Alertmanager.
INHERITED = ("receiver", "group_by", "group_wait", "group_interval", "repeat_interval")
DEFAULT_ROUTE = {"repeat_interval": "4h"}  # Alertmanager's own default


def routes(tree: dict, labels: dict, inherited: dict | None = None) -> list[dict]:
    """Alertmanager's routing for an alert with `labels`: the deepest matching routes (first match, unless
    `continue`), each with the settings it inherits (receiver, repeat_interval, ...)."""
    here = {**(inherited or DEFAULT_ROUTE), **{k: tree[k] for k in INHERITED if k in tree}}
    found = []
    for child in tree.get("routes") or []:
        if _route_matches(child, labels):
            found += routes(child, labels, here)
            if not child.get("continue"):
                break
    return found or [here]


def receivers_for(tree: dict, labels: dict) -> list[str]:
    """The receivers an alert with `labels` goes to."""
    return [r.get("receiver") for r in routes(tree, labels)]


def alert_routing(config: dict, paging: str, chat: str, channel: str, where: str) -> Finding:
    """Alertmanager's configuration routes critical alerts to the paging receiver, the rest to the chat
    receiver, whose Slack channel is the configured one."""
    receivers = {r.get("name"): r for r in config.get("receivers") or []}
    tree = config.get("route") or {}
    critical, other = receivers_for(tree, PAGING_LABELS), receivers_for(tree, CHAT_LABELS)
    channels = [c.get("channel") for c in (receivers.get(chat) or {}).get("slack_configs") or []]
    observed = {"receivers": sorted(filter(None, receivers)), "critical_to": critical, "other_to": other,
                "chat_channels": channels}
    expected = {"critical_to": [paging], "other_to": [chat], "chat_channel": channel}
    problems = [f"receiver {r} is missing" for r in (paging, chat) if r not in receivers]
    if paging not in critical:
        problems.append(f"severity=critical alerts go to {', '.join(map(str, critical))}, not {paging}")
    if chat not in other:
        problems.append(f"other alerts go to {', '.join(map(str, other))}, not {chat}")
    if chat in receivers and channel not in channels:
        problems.append(f"{chat} posts to {', '.join(map(str, channels)) or 'no Slack channel'}, not {channel}")
    if problems:
        return failed(f"Alertmanager {where} routing: " + "; ".join(problems), resource=where, observed=observed,
                      expected=expected, hint="Fix the route tree and receivers in the Alertmanager configuration "
                                              "and reload it.")
    return passed(f"Alertmanager {where} routes critical alerts to {paging} and the rest to {chat} ({channel})",
                  resource=where, observed=observed, expected=expected)


# --- Grafana -------------------------------------------------------------------------------------

# Grafana's out-of-the-box login: a server that accepts it is open to anyone who knows Grafana.
GRAFANA_DEFAULT_LOGIN = ("admin", "admin")
_BUILTIN_DATASOURCES = {"-- Grafana --", "-- Mixed --", "-- Dashboard --", "grafana", "__expr__"}


def grafana_healthy(response, where: str) -> Finding:
    """Grafana's /api/health answers 200 with its database ok."""
    body = response.json if isinstance(response.json, dict) else {}
    observed = {"http": response.status, "database": body.get("database"), "version": body.get("version")}
    if response.status != 200 or body.get("database") != "ok":
        return failed(f"Grafana {where} is not healthy: HTTP {response.status}, database {body.get('database')}",
                      resource=where, observed=observed, expected={"http": 200, "database": "ok"},
                      hint="Check the Grafana pod and its database (sqlite volume or external DB).")
    return passed(f"Grafana {where} {body.get('version', '')} is healthy".replace("  ", " "), resource=where,
                  observed=observed, expected={"http": 200, "database": "ok"})


def _panels(panels: list[dict]) -> list[dict]:
    return [p for panel in panels or [] for p in [panel, *_panels(panel.get("panels") or [])]]


def panel_datasources(dashboards: dict) -> list[str]:
    """The datasource uids the dashboards' panels and queries use (Grafana's built-ins and variables left out)."""
    uids = set()
    for response in dashboards.values():
        model = ((response.json or {}) if isinstance(response.json, dict) else {}).get("dashboard") or {}
        for panel in _panels(model.get("panels") or []):
            for ref in [panel.get("datasource"), *[t.get("datasource") for t in panel.get("targets") or []]]:
                uid = ref.get("uid") if isinstance(ref, dict) else ref
                if uid and uid not in _BUILTIN_DATASOURCES and not str(uid).startswith("$"):
                    uids.add(uid)
    return sorted(uids)


def dashboards_ok(dashboards: dict, health: dict, where: str) -> Finding:
    """Each configured dashboard exists with panels, and every datasource its panels use resolves and is healthy."""
    observed, problems = {"dashboards": {}, "datasources": {}}, []
    for uid, response in dashboards.items():
        model = ((response.json or {}) if isinstance(response.json, dict) else {}).get("dashboard") or {}
        observed["dashboards"][uid] = {"http": response.status, "title": model.get("title"),
                                       "panels": len(_panels(model.get("panels") or []))}
        if response.status == 404:
            problems.append(f"dashboard {uid} not found")
        elif response.status != 200:
            problems.append(f"dashboard {uid}: HTTP {response.status}")
        elif not model.get("panels"):
            problems.append(f"dashboard {uid} ({model.get('title')}) has no panels")
    for uid, response in health.items():
        body = response.json if isinstance(response.json, dict) else {}
        observed["datasources"][uid] = {"http": response.status, "status": body.get("status"),
                                        "message": body.get("message")}
        if response.status == 404:
            problems.append(f"datasource {uid} used by the panels does not exist")
        elif body.get("status") != "OK":
            problems.append(f"datasource {uid} is unhealthy: {body.get('message') or f'HTTP {response.status}'}")
    if not dashboards:
        problems.append("expected dashboards (grafana.dashboards), found 0 configured")
    elif not health and not problems:
        problems.append("the dashboards' panels name no datasource")
    if problems:
        return failed(f"Grafana {where}: " + "; ".join(problems), resource=where, observed=observed,
                      expected="every dashboard present with panels; every panel datasource healthy",
                      hint="Re-provision the dashboards (kube-prometheus-stack dashboard ConfigMaps) and check the "
                           "datasource URL in Grafana (Connections > Data sources > Test).")
    return passed(f"Grafana {where}: {len(dashboards)} dashboards present "
                  f"({', '.join(str(d['title']) for d in observed['dashboards'].values())}); datasource(s) "
                  f"{', '.join(health)} healthy", resource=where, observed=observed,
                  expected="every dashboard present with panels; every panel datasource healthy")


def weak_logins_rejected(attempts: list[tuple[str, object]], where: str) -> Finding:
    """Grafana refuses every well-known login tried (`user:password`, the answer to GET /api/user with it):
    its own default admin:admin and the ones common Helm charts ship (kube-prometheus-stack: prom-operator).
    Logins are named by user and their place in grafana.weak_logins, never by password: one accepted is the
    password in use. A refusal recalled from an earlier run within Grafana's lockout window (`recalled`: not
    tried again, so as not to lock the user out) counts as the refusal it was, and says when it was."""
    default = ":".join(GRAFANA_DEFAULT_LOGIN)
    names = {login: "Grafana's default admin login" if login == default else
             f"{login.partition(':')[0]} with grafana.weak_logins[{n}]" for n, (login, _) in enumerate(attempts)}
    observed = {"answers": {names[login]: r.status for login, r in attempts}}
    recalled = {names[login]: r.recalled for login, r in attempts if getattr(r, "recalled", None)}
    if recalled:
        observed["recalled"] = recalled
    accepted = [names[login] for login, r in attempts if r.status // 100 == 2]
    unclear = [(names[login], r.status) for login, r in attempts if r.status != 401 and r.status // 100 != 2]
    if not attempts:
        return failed(f"Grafana {where}: expected well-known logins to try (grafana.weak_logins), found 0 configured",
                      resource=where, observed=observed, expected=401)
    if accepted:
        return failed(f"Grafana {where} accepts {', '.join(accepted)}, so anyone can administer it",
                      resource=where, observed=observed, expected=401,
                      hint="Change the admin password now (grafana-cli admin reset-admin-password, or the Helm "
                           "adminPassword from a Secret: grafana.admin.existingSecret) and review recent changes in "
                           "Grafana.")
    if unclear:
        return failed(f"Grafana {where} answered " + ", ".join(f"HTTP {status} to {name}" for name, status in unclear)
                      + ": could not confirm it is refused", resource=where, observed=observed, expected=401)
    earlier = "; ".join(f"{name} {when}" for name, when in recalled.items())
    return passed(f"Grafana {where} rejects {', '.join(names.values())} (HTTP 401"
                  + (f"; not tried again within Grafana's lockout window: {earlier}" if earlier else "") + ")",
                  resource=where, observed=observed, expected=401)


def values_admin_password(grafana: dict, key: str, weak_logins: list[str], chart_default: str | None,
                          where: str) -> Finding:
    """The Helm values (`grafana` is the map under `key`) set no well-known admin password: not one of the
    weak logins' passwords, and not unset where the chart then applies its own default (kube-prometheus-stack:
    prom-operator). A password read from a Secret (admin.existingSecret) is not in the values. The value itself
    is never reported, unless it is a well-known default (which is public)."""
    prefix = f"{key}." if key else ""
    resource = f"Helm values {where}"
    user = grafana.get("adminUser") or "admin"
    admin = grafana.get("admin")
    secret = admin.get("existingSecret") if isinstance(admin, dict) else None
    password = grafana.get("adminPassword")
    weak = {entry.partition(":")[2] for entry in weak_logins}  # a well-known password is weak for any user
    observed = {"adminUser": user, "admin.existingSecret": secret or None,
                "adminPassword": "set" if password else "unset"}
    expected = "admin password from a Secret (admin.existingSecret), or set and not a well-known default"
    hint = (f"Set {prefix}admin.existingSecret to a Secret holding a strong password (or a strong {prefix}adminPassword "
            "kept out of the repository).")
    if secret:
        return passed(f"{resource}: Grafana's admin password comes from Secret {secret} ({prefix}admin.existingSecret), "
                      "not from the values", resource=resource, observed=observed, expected=expected)
    if not password:
        if chart_default:
            return failed(f"{resource} set neither {prefix}adminPassword nor {prefix}admin.existingSecret, so the "
                          f"chart's well-known default password applies: anyone can log in as {user}",
                          resource=resource, observed=observed, expected=expected, hint=hint)
        return passed(f"{resource}: no {prefix}adminPassword, so the chart generates a random one", resource=resource,
                      observed=observed, expected=expected)
    if str(password) in weak | ({chart_default} if chart_default else set()):
        # Which default it is stays out of the report: it is the admin password now in use.
        return failed(f"{resource} set {prefix}adminPassword to a well-known default (grafana.weak_logins or the "
                      f"chart's own): anyone can log in as {user}", resource=resource, observed=observed,
                      expected=expected, hint=hint)
    return passed(f"{resource}: {prefix}adminPassword is set and is none of the well-known defaults (the value is "
                  "not shown)", resource=resource, observed=observed, expected=expected)


# --- Log aggregation -----------------------------------------------------------------------------

def daemonset_ready(daemonset: dict | None, name: str) -> Finding:
    """A DaemonSet (the log agent) is fully scheduled and ready: desired = ready = available = updated > 0."""
    if daemonset is None:
        return failed(f"DaemonSet {name} does not exist: no logs are being shipped", resource=name, observed=None,
                      expected="a DaemonSet", hint="Install the log agent (its Helm release) before go-live.")
    status = daemonset.get("status") or {}
    counts = {k: status.get(f) or 0 for k, f in (("desired", "desiredNumberScheduled"), ("scheduled",
              "currentNumberScheduled"), ("ready", "numberReady"), ("available", "numberAvailable"),
              ("updated", "updatedNumberScheduled"))}
    desired = counts["desired"]
    lagging = [f"{v} of {desired} {k}" for k, v in counts.items() if k != "desired" and v != desired]
    if not desired or lagging:
        what = "schedules no pod" if not desired else "; ".join(lagging)
        return failed(f"DaemonSet {name} {what}: logs from some nodes are not collected", resource=name,
                      observed=counts, expected="desired = scheduled = ready = available = updated > 0",
                      hint=f"`kubectl describe daemonset {name}` and the logs of its not-ready pods.")
    return passed(f"DaemonSet {name} is ready on all {desired} nodes", resource=name, observed=counts,
                  expected="desired = scheduled = ready = available = updated > 0")


def alerts_acknowledged(alerts: list[dict], source: str) -> Finding:
    """Every active alert in Alertmanager is acknowledged: silenced (with a comment) or inhibited."""
    if not isinstance(alerts, list):
        return failed(f"{source} answered /api/v2/alerts with {type(alerts).__name__}, not a list of alerts",
                      resource=source, observed=str(alerts)[:200], expected="a list")
    active = [a for a in alerts if (a.get("status") or {}).get("state") == "active"]
    unanswered = sorted({(a.get("labels") or {}).get("alertname", "?") for a in active})
    observed = {"active_unacknowledged": unanswered,
                "silenced": sum(1 for a in alerts if (a.get("status") or {}).get("silencedBy")),
                "inhibited": sum(1 for a in alerts if (a.get("status") or {}).get("inhibitedBy"))}
    if active:
        return failed(f"{len(active)} alert(s) firing in {source} with nobody responding (not silenced): "
                      f"{', '.join(unanswered)}", resource=source, observed=observed,
                      expected="every firing alert resolved, or silenced with a comment by its responder",
                      hint="Work each alert by its runbook_url; silence it with a comment naming the responder.")
    return passed(f"no unacknowledged alert in {source} ({observed['silenced']} silenced, "
                  f"{observed['inhibited']} inhibited)", resource=source, observed=observed)
