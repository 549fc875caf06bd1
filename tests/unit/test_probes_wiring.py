"""Table-driven tests of golive/probes/wiring.py: recorded objects in, the verdict and its sentence out.

Base objects are the sandbox seed as the API serves it (tests/data/probes/wiring, `record.py wiring`): wired
right. Each row derives one defect and names what the sentence must say (both ends of the broken link).
The NetworkPolicy rows follow the API reference: policyTypes defaulting, empty selectors, one peer ANDing
namespaceSelector and podSelector vs two peers ORed, ports by number, range or name, ipBlock and except.
"""
from __future__ import annotations

import copy

import pytest

from fixtures.http import Response
from golive.probes import monitoring as mon
from golive.probes import wiring
from golive.probes.wiring import Flow, Peer
from tests.unit.recorded import DROP, FAIL, PASS, UNDECIDED, condition, derive, drop_condition, load, row, verdict

APP, NS = "nba-mcp-synthesis", "nba-mcp-synthesis"
WHAT = f"Deployment {APP}"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.4.0"
SERVICE, HEADLESS, INGRESS = "nba-mcp-synthesis-service", "nba-mcp-synthesis-headless", "nba-mcp-synthesis-ingress"
HPA, PDB, POLICY = "nba-mcp-synthesis-hpa", "nba-mcp-synthesis-pdb", "nba-mcp-synthesis-network-policy"
TARGET = "nba-mcp-synthesis-secrets"

DEPLOYMENT = load("wiring", "deployment")
SERVICES = load("wiring", "services")
INGRESS_OBJ = load("wiring", "ingress")
HPA_OBJ = load("wiring", "hpa")
APISERVICE = load("wiring", "apiservice")
BUDGETS = load("wiring", "poddisruptionbudgets")
POLICIES = load("wiring", "networkpolicies")
NAMESPACES = load("wiring", "namespaces")
CONFIGMAPS = load("wiring", "configmaps")
SECRETS = load("wiring", "secrets")
ACCOUNTS = load("wiring", "serviceaccounts")
EXTERNAL_SECRETS = load("wiring", "externalsecrets")
RULE = load("wiring", "prometheusrule")
CONTAINER = "spec.template.spec.containers.0"
POD = "spec.template.spec"


def deployment(changes=None, edit=None):
    return derive(DEPLOYMENT, changes, edit)


def service(name=SERVICE, changes=None):
    return derive(next(s for s in SERVICES if s["metadata"]["name"] == name), changes)


def appended(path: str, item):
    """edit=: append `item` to the list at the dotted `path` (created if absent)."""
    def edit(obj):
        node = obj
        *parents, last = path.split(".")
        for step in parents:
            node = node[int(step)] if isinstance(node, list) else node.setdefault(step, {})
        node.setdefault(last, []).append(item)
    return edit


# --- references_resolve -----------------------------------------------------------------------

SEEDED_APP = object()


def refs(workload=SEEDED_APP, configmaps=None, secrets=None, claims=(), accounts=None, external_secrets=None):
    return wiring.references_resolve(DEPLOYMENT if workload is SEEDED_APP else workload, WHAT,
                                     CONFIGMAPS if configmaps is None else configmaps,
                                     SECRETS if secrets is None else secrets, list(claims),
                                     ACCOUNTS if accounts is None else accounts,
                                     EXTERNAL_SECRETS if external_secrets is None else external_secrets)


def volume(item, mount=True):
    def edit(obj):
        appended(f"{POD}.volumes", item)(obj)
        if mount:
            appended(f"{CONTAINER}.volumeMounts", {"name": item["name"], "mountPath": "/mnt/x"})(obj)
    return edit


def env(source: str, name: str, key: str, optional=None):
    ref = {"name": name, "key": key, **({"optional": optional} if optional is not None else {})}
    return appended(f"{CONTAINER}.env", {"name": "EXTRA", "valueFrom": {source: ref}})


PROMPTS = {"name": "prompts", "configMap": {"name": "nba-mcp-synthesis-prompts"}}
NO_SECRETS_YET = []  # before the deploy: the ExternalSecret has not written its target Secret


@pytest.mark.parametrize("kwargs, expected, fragments", [
    row("all-resolve", {}, PASS, f"{WHAT}: all 7 references of its pod template resolve in namespace {NS}"),
    row("before-deploy-external-secret-writes-the-keys", {"secrets": NO_SECRETS_YET}, PASS, "all 7 references"),
    row("absent", {"workload": None}, FAIL, f"{WHAT} does not exist"),
    row("configmap-volume-missing", {"workload": deployment(edit=volume(PROMPTS))}, FAIL,
        f"{WHAT} mounts ConfigMap nba-mcp-synthesis-prompts (volume prompts), which does not exist in namespace {NS}"),
    row("configmap-volume-optional", {"workload": deployment(edit=volume(
        {"name": "prompts", "configMap": {"name": "nba-mcp-synthesis-prompts", "optional": True}}))}, PASS,
        "resolve"),
    row("configmap-item-key-missing", {"workload": deployment(edit=volume(
        {"name": "cfg", "configMap": {"name": "nba-mcp-synthesis-config", "items": [{"key": "PROMPTS", "path": "p"}]}}))},
        FAIL, f"{WHAT} mounts key PROMPTS of ConfigMap nba-mcp-synthesis-config (volume cfg): ConfigMap "
              "nba-mcp-synthesis-config has no such key"),
    row("configmap-env-key-missing", {"workload": deployment(edit=env("configMapKeyRef", "nba-mcp-synthesis-config",
                                                                      "REDIS_URL"))}, FAIL,
        f"reads key REDIS_URL of ConfigMap nba-mcp-synthesis-config into container {APP} env EXTRA: ConfigMap "
        "nba-mcp-synthesis-config has no such key"),
    row("configmap-env-key-present", {"workload": deployment(edit=env("configMapKeyRef", "nba-mcp-synthesis-config",
                                                                      "LOG_LEVEL"))}, PASS, "all 8 references"),
    row("configmap-envfrom-missing", {"configmaps": []}, FAIL,
        f"{WHAT} loads ConfigMap nba-mcp-synthesis-config into container {APP} (envFrom), which does not exist"),
    row("secret-envfrom-missing", {"workload": deployment(edit=appended(f"{CONTAINER}.envFrom",
                                                                        {"secretRef": {"name": "app-extra"}}))}, FAIL,
        f"{WHAT} loads Secret app-extra into container {APP} (envFrom), which does not exist in namespace {NS}"),
    row("secret-key-not-written", {"workload": deployment(edit=env("secretKeyRef", TARGET, "REDIS_PASSWORD")),
                                   "secrets": NO_SECRETS_YET}, FAIL,
        f"reads key REDIS_PASSWORD of Secret {TARGET} into container {APP} env EXTRA: ExternalSecret {TARGET} does not "
        "write it"),
    row("secret-key-missing-from-existing-secret", {"workload": deployment(edit=env("secretKeyRef", TARGET, "REDIS_PASSWORD")),
                                                    "external_secrets": []}, FAIL,
        f"Secret {TARGET} has no such key"),
    row("external-secret-datafrom-keys-unknowable", {
        "workload": deployment(edit=env("secretKeyRef", TARGET, "REDIS_PASSWORD")), "secrets": NO_SECRETS_YET,
        "external_secrets": [derive(EXTERNAL_SECRETS[0], {"spec.dataFrom": [{"extract": {"key": "nba/all"}}]})]}, PASS,
        "all 8 references"),
    row("external-secret-target-name-defaults-to-its-own", {
        "secrets": NO_SECRETS_YET, "external_secrets": [derive(EXTERNAL_SECRETS[0], {"spec.target": DROP})]}, PASS,
        "all 7 references"),
    row("secret-volume-missing", {"workload": deployment(edit=volume({"name": "tls", "secret": {"secretName": "app-tls"}}))},
        FAIL, f"mounts Secret app-tls (volume tls), which does not exist in namespace {NS}"),
    row("projected-configmap-missing", {"workload": deployment(edit=volume(
        {"name": "all", "projected": {"sources": [{"configMap": {"name": "extra"}}]}}))}, FAIL,
        "mounts ConfigMap extra (projected volume all), which does not exist"),
    row("claim-missing", {"workload": deployment(edit=volume({"name": "data", "persistentVolumeClaim":
                                                              {"claimName": "app-data"}}))}, FAIL,
        f"mounts PersistentVolumeClaim app-data (volume data), which does not exist in namespace {NS}"),
    row("claim-present", {"workload": deployment(edit=volume({"name": "data", "persistentVolumeClaim":
                                                              {"claimName": "app-data"}})),
                          "claims": [{"metadata": {"name": "app-data", "namespace": NS}}]}, PASS, "all 8 references"),
    row("statefulset-claim-template", {"workload": deployment({"kind": "StatefulSet", "spec.volumeClaimTemplates":
                                                               [{"metadata": {"name": "data"}}]},
                                                              edit=volume({"name": "x", "persistentVolumeClaim":
                                                                           {"claimName": "data"}}))}, PASS,
        "all 8 references"),
    row("service-account-missing", {"accounts": []}, FAIL,
        f"{WHAT} runs as ServiceAccount {APP}, which does not exist in namespace {NS}"),
    row("default-service-account-always-exists", {"workload": deployment({f"{POD}.serviceAccountName": "default"}),
                                                  "accounts": []}, PASS, "all 6 references"),
    row("image-pull-secret-missing", {"workload": deployment({f"{POD}.imagePullSecrets": [{"name": "ecr-pull"}]})}, FAIL,
        f"{WHAT} pulls its images with Secret ecr-pull (imagePullSecrets), which does not exist"),
    row("mount-without-volume", {"workload": deployment(edit=appended(f"{CONTAINER}.volumeMounts",
                                                                      {"name": "cache", "mountPath": "/cache"}))}, FAIL,
        f"{WHAT} mounts volume cache into container {APP}, which the pod spec does not define"),
    row("two-defects-both-named", {"workload": deployment(edit=volume(PROMPTS)), "accounts": []}, FAIL,
        ("nba-mcp-synthesis-prompts (volume prompts), which does not exist", f"; {WHAT} runs as ServiceAccount")),
])
def test_references_resolve(kwargs, expected, fragments):
    verdict(refs(**kwargs), expected, fragments)


@pytest.mark.parametrize("workload, names", [
    pytest.param(DEPLOYMENT, [TARGET], id="seeded-target-secret-once"),
    pytest.param(deployment({f"{POD}.imagePullSecrets": [{"name": "ecr-pull"}]}), [TARGET, "ecr-pull"],
                 id="pull-secret-too"),
    pytest.param(None, [], id="no-workload"),
])
def test_secret_names_are_the_secrets_the_pod_template_names(workload, names):
    assert wiring.secret_names(workload) == names


# --- service_selects_workload -----------------------------------------------------------------

@pytest.mark.parametrize("svc, workload, expected, fragments", [
    row("wired", service(), DEPLOYMENT, PASS,
        f"Service {SERVICE} selects the pods of {WHAT} (app={APP}) and each port reaches a container port "
        f"(http 80 -> {APP}:8000, metrics 9090 -> {APP}:9090)"),
    row("headless", service(HEADLESS), DEPLOYMENT, PASS, f"http 8000 -> {APP}:8000"),
    row("absent", None, DEPLOYMENT, FAIL, f"Service {SERVICE} does not exist"),
    row("workload-absent", service(), None, FAIL, f"Service {SERVICE}: {WHAT} does not exist"),
    row("no-selector", service(changes={"spec.selector": DROP}), DEPLOYMENT, FAIL, "has no selector"),
    row("selector-mismatch", service(changes={"spec.selector": {"app": "nba-mcp-synthesis-v2"}}), DEPLOYMENT, FAIL,
        f"selects app=nba-mcp-synthesis-v2, which no pod of {WHAT} carries"),
    row("named-target-port-missing", service(changes={"spec.ports.1.targetPort": "prometheus"}), DEPLOYMENT, FAIL,
        f"port metrics 9090 targets prometheus/TCP, which no container of {WHAT} declares (they declare http 8000/TCP, "
        "metrics 9090/TCP)"),
    row("named-target-port", service(changes={"spec.ports.1.targetPort": "metrics"}), DEPLOYMENT, PASS, "metrics 9090"),
    row("numbered-target-port-undeclared", service(changes={"spec.ports.0.targetPort": 8080}), DEPLOYMENT, FAIL,
        "port http 80 targets 8080/TCP"),
    row("protocol-must-agree", service(changes={"spec.ports.0.protocol": "UDP"}), DEPLOYMENT, FAIL,
        "targets 8000/UDP"),
    row("target-port-defaults-to-port", service(HEADLESS, {"spec.ports.0.targetPort": DROP}), DEPLOYMENT, PASS,
        "http 8000 -> "),
])
def test_service_selects_workload(svc, workload, expected, fragments):
    name = HEADLESS if svc and svc["metadata"]["name"] == HEADLESS else SERVICE
    verdict(wiring.service_selects_workload(svc, workload, name, WHAT), expected, fragments)


# --- ingress_routes_resolve -------------------------------------------------------------------

SERVED = wiring.served_paths(DEPLOYMENT, ["/health", "/ready"])
HOST = "nba-mcp-synthesis.example.com"


def ingress(changes=None, edit=None):
    return derive(INGRESS_OBJ, changes, edit)


def path(route: str, name=SERVICE, port=None):
    return appended("spec.rules.0.http.paths", {"path": route, "pathType": "Prefix", "backend": {
        "service": {"name": name, "port": port or {"number": 80}}}})


@pytest.mark.parametrize("obj, expected, fragments", [
    row("wired", ingress(), PASS, f"Ingress {INGRESS} routes all 1 path(s) to existing Service ports ({HOST}/ -> "
                                  f"{SERVICE}:80); the ALB health check /health is served"),
    row("absent", None, FAIL, f"Ingress {INGRESS} does not exist"),
    row("second-path-port-missing", ingress(edit=path("/mcp", port={"number": 8080})), FAIL,
        f"routes {HOST}/mcp to port 8080 of Service {SERVICE}, which has no such port (it has http 80, metrics 9090)"),
    row("service-missing", ingress(edit=path("/v2", name="nba-mcp-synthesis-v2")), FAIL,
        f"routes {HOST}/v2 to Service nba-mcp-synthesis-v2, which does not exist in namespace {NS}"),
    row("port-by-name", ingress(edit=path("/metrics", port={"name": "metrics"})), PASS, "routes all 2 path(s)"),
    row("port-name-missing", ingress(edit=path("/metrics", port={"name": "prom"})), FAIL, "to port prom of Service"),
    row("default-backend", ingress({"spec.defaultBackend": {"service": {"name": SERVICE, "port": {"number": 81}}}}), FAIL,
        f"routes * (default backend) to port 81 of Service {SERVICE}"),
    row("resource-backend-is-not-a-service", ingress(edit=appended("spec.rules.0.http.paths", {
        "path": "/static", "pathType": "Prefix", "backend": {"resource": {"kind": "StorageBucket", "name": "s"}}})),
        PASS, "routes all 1 path(s)"),
    row("health-check-not-served", ingress({("metadata", "annotations", wiring.ALB_HEALTHCHECK): "/healthz"}), FAIL,
        "has the ALB health-check /healthz, which the app does not serve (it serves /health, /ready)"),
    row("alb-default-health-check-path", ingress({("metadata", "annotations", wiring.ALB_HEALTHCHECK): DROP}), FAIL,
        "has the ALB health-check /, which the app does not serve"),
    row("not-an-alb", ingress({"spec.ingressClassName": "nginx", "metadata.annotations": {}}), PASS,
        f"-> {SERVICE}:80)"),
    row("routes-nothing", ingress({"spec.rules": []}), FAIL, "routes nothing"),
])
def test_ingress_routes_resolve(obj, expected, fragments):
    verdict(wiring.ingress_routes_resolve(obj, SERVICES, SERVED, INGRESS), expected, fragments)


def test_served_paths_are_the_endpoints_and_probe_paths():
    assert SERVED == ["/health", "/ready"]  # the probes' /health once
    assert wiring.served_paths(None, ["/ready"]) == ["/ready"]


# --- rule_groups_defined ----------------------------------------------------------------------

GROUPS, RULE_NAME = ["nba-mcp-synthesis.rules"], "nba-mcp-synthesis-alerts"


@pytest.mark.parametrize("obj, groups, expected, fragments", [
    row("defined", RULE, GROUPS, PASS,
        f"PrometheusRule monitoring/{RULE_NAME} defines group(s) nba-mcp-synthesis.rules with 5 alerts"),
    row("absent", None, GROUPS, FAIL, f"PrometheusRule {RULE_NAME} does not exist (in any namespace)"),
    row("group-missing", RULE, GROUPS + ["nba-mcp-synthesis.slo"], FAIL,
        "lacks rule group(s) nba-mcp-synthesis.slo (defines nba-mcp-synthesis.rules)"),
])
def test_rule_groups_defined(obj, groups, expected, fragments):
    verdict(wiring.rule_groups_defined(obj, groups, RULE_NAME, "in any namespace"), expected, fragments)


# --- NetworkPolicy reachability ---------------------------------------------------------------

APP_PODS = wiring.pod_peer(DEPLOYMENT, f"{WHAT} pods")
PROMETHEUS = Peer("Prometheus (monitoring)", "monitoring", {"app.kubernetes.io/name": "prometheus"})
GRAFANA = Peer("Grafana (monitoring)", "monitoring", {"app.kubernetes.io/name": "grafana"})
ALB = Peer("the load balancer (10.0.0.0/16)", cidr="10.0.0.0/16")
DATABASE = Peer("the database (10.0.0.0/16)", cidr="10.0.0.0/16")
DNS = Peer("cluster DNS (kube-system)", "kube-system", {"k8s-app": "kube-dns"})
SCRAPE = Flow("scrapes the metrics port", PROMETHEUS, APP_PODS, 9090)
SERVE = Flow("sends requests to the serving port", ALB, APP_PODS, 8000)
QUERY = Flow("queries the database", APP_PODS, DATABASE, 5432)
RESOLVE = Flow("resolves names", APP_PODS, DNS, 53, "UDP")
FLOWS = [SCRAPE, SERVE, QUERY, RESOLVE]
SEEDED = next(p for p in POLICIES if p["metadata"]["name"] == POLICY)


def policy(spec: dict, name="test-policy", namespace=NS) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": {"podSelector": {}, **spec}}


def seeded(changes=None):
    return derive(SEEDED, changes)


def ingress_from(*peers, ports=None):
    return {"policyTypes": ["Ingress"], "ingress": [{"from": list(peers), **({"ports": ports} if ports else {})}]}


MONITORING_NS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
PROMETHEUS_PODS = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}


@pytest.mark.parametrize("flows, policies, expected, fragments", [
    row("seeded-policy-allows-all", FLOWS, [SEEDED], PASS,
        ("NetworkPolicies allow all 4 connections", f"allowed by {POLICY} ingress rule 1",
         f"allowed by {POLICY} egress rule 2")),
    row("no-policy-no-isolation", FLOWS, [], PASS, f"no NetworkPolicy isolates {WHAT} pods for ingress"),
    row("no-flows", [], [SEEDED], FAIL, "expected connections to check against the NetworkPolicies, found 0"),
    # policyTypes absent: Ingress always, Egress only when the policy has egress rules
    row("policy-types-default-ingress-only", [QUERY], [seeded({"spec.policyTypes": DROP, "spec.egress": DROP})], PASS,
        f"no NetworkPolicy isolates {WHAT} pods for egress"),
    row("policy-types-default-egress-from-rules", [QUERY], [seeded({"spec.policyTypes": DROP, "spec.egress": [
        {"to": [{"podSelector": {}}]}]})], FAIL, f"egress of {WHAT} pods is isolated by {POLICY}"),
    row("empty-ingress-denies-all", [SCRAPE], [policy({"policyTypes": ["Ingress"], "ingress": []})], FAIL,
        f"ingress of {WHAT} pods is isolated by test-policy, and none of its 0 ingress rule(s) admits Prometheus"),
    row("empty-rule-allows-all", [SCRAPE, SERVE], [policy({"policyTypes": ["Ingress"], "ingress": [{}]})], PASS,
        "allowed by test-policy ingress rule 1"),
    row("empty-pod-selector-selects-every-pod", [SCRAPE], [policy({"podSelector": {}, "policyTypes": ["Ingress"]})], FAIL,
        "isolated by test-policy"),
    row("policy-selecting-other-pods-does-not-isolate", [SCRAPE], [policy({"podSelector": {"matchLabels": {"app": "db"}},
                                                                           "policyTypes": ["Ingress"]})], PASS,
        f"no NetworkPolicy isolates {WHAT} pods for ingress"),
    row("policy-in-other-namespace-does-not-apply", [SCRAPE], [policy({"policyTypes": ["Ingress"]}, namespace="other")],
        PASS, "no NetworkPolicy isolates"),
    row("one-peer-ands-namespace-and-pods", [SCRAPE], [policy(ingress_from({**MONITORING_NS, **PROMETHEUS_PODS}))], PASS,
        "allowed by test-policy ingress rule 1"),
    row("one-peer-and-excludes-other-pods", [Flow("dashboards", GRAFANA, APP_PODS, 8000)],
        [policy(ingress_from({**MONITORING_NS, **PROMETHEUS_PODS}))], FAIL, "admits Grafana (monitoring) on 8000/TCP"),
    row("two-peers-or", [Flow("dashboards", GRAFANA, APP_PODS, 8000)],
        [policy(ingress_from(MONITORING_NS, PROMETHEUS_PODS))], PASS, "allowed by test-policy ingress rule 1"),
    row("pod-selector-alone-is-own-namespace", [SCRAPE], [policy(ingress_from(PROMETHEUS_PODS))], FAIL,
        "none of its 1 ingress rule(s) admits Prometheus (monitoring)"),
    row("empty-namespace-selector-is-every-namespace", [SCRAPE], [policy(ingress_from({"namespaceSelector": {}}))], PASS,
        "allowed by test-policy"),
    row("namespace-selector-expression", [SCRAPE], [policy(ingress_from({"namespaceSelector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["ingress-nginx", NS]}]}}))], FAIL,
        "admits Prometheus (monitoring) on 9090/TCP"),
    row("namespace-labels-from-the-object", [SCRAPE], [policy(ingress_from({"namespaceSelector": {"matchLabels":
                                                                           {"environment": "production"}}}))], FAIL,
        "isolated by test-policy"),
    row("port-by-number", [SCRAPE], [policy(ingress_from(MONITORING_NS, ports=[{"port": 9090}]))], PASS, "rule 1"),
    row("port-by-name", [SCRAPE], [policy(ingress_from(MONITORING_NS, ports=[{"port": "metrics"}]))], PASS, "rule 1"),
    row("port-name-unknown", [SCRAPE], [policy(ingress_from(MONITORING_NS, ports=[{"port": "http-metrics"}]))], FAIL,
        "admits Prometheus (monitoring) on 9090/TCP"),
    row("port-range", [SCRAPE], [policy(ingress_from(MONITORING_NS, ports=[{"port": 9000, "endPort": 9100}]))], PASS,
        "rule 1"),
    row("port-outside-range", [SCRAPE], [policy(ingress_from(MONITORING_NS, ports=[{"port": 8000, "endPort": 8100}]))],
        FAIL, "isolated by test-policy"),
    row("protocol-defaults-to-tcp", [RESOLVE], [policy({"policyTypes": ["Egress"], "egress": [{"ports": [{"port": 53}]}]})],
        FAIL, f"egress of {WHAT} pods is isolated by test-policy, and none of its 1 egress rule(s) admits cluster DNS "
              "(kube-system) on 53/UDP"),
    row("ports-without-port-match-every-port", [SCRAPE], [policy(ingress_from(MONITORING_NS, ports=[{"protocol": "TCP"}]))],
        PASS, "rule 1"),
    row("ip-block-admits-the-vpc", [SERVE], [policy(ingress_from({"ipBlock": {"cidr": "10.0.0.0/8"}}))], PASS, "rule 1"),
    row("ip-block-must-hold-the-whole-range", [SERVE], [policy(ingress_from({"ipBlock": {"cidr": "10.0.1.0/24"}}))],
        FAIL, "admits the load balancer (10.0.0.0/16)"),
    row("ip-block-except", [SERVE], [policy(ingress_from({"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}))],
        FAIL, "isolated by test-policy"),
    # whether an ipBlock holds a pod depends on the pod's IP (EKS pods have VPC addresses): golive needs its range
    row("ip-block-and-pods-of-unknown-address", [SCRAPE], [policy(ingress_from({"ipBlock": {"cidr": "0.0.0.0/0"}}))],
        UNDECIDED, "whether an ipBlock admits Prometheus (monitoring) depends on its address, which golive does not know"),
    row("ip-block-and-pods-of-known-range", [Flow("scrapes", Peer("Prometheus", "monitoring", {}, "10.0.5.0/24"),
                                                 APP_PODS, 9090)],
        [policy(ingress_from({"ipBlock": {"cidr": "10.0.0.0/16"}}))], PASS, "allowed by test-policy ingress rule 1"),
    row("ip-block-other-ip-version", [SERVE], [policy(ingress_from({"ipBlock": {"cidr": "::/0"}}))], FAIL,
        "isolated by test-policy"),
    row("ip-block-malformed", [SERVE], [policy(ingress_from({"ipBlock": {"cidr": "10.0.0.0/33"}}))], FAIL,
        "isolated by test-policy"),
    row("empty-peer-selects-nothing", [SCRAPE], [policy(ingress_from({}))], FAIL, "isolated by test-policy"),
    row("selectors-do-not-select-addresses", [SERVE], [policy(ingress_from({"namespaceSelector": {}}))], FAIL,
        "admits the load balancer"),
    row("policies-add-up", [SCRAPE], [policy({"policyTypes": ["Ingress"], "ingress": []}, name="deny-all"),
                                      policy(ingress_from(MONITORING_NS), name="allow-monitoring")], PASS,
        "allowed by allow-monitoring ingress rule 1"),
    row("source-egress-isolated", [SCRAPE], [policy({"policyTypes": ["Egress"], "egress": []}, name="monitoring-deny",
                                                    namespace="monitoring")], FAIL,
        "egress of Prometheus (monitoring) is isolated by monitoring-deny"),
    row("database-address-unknown", [Flow("queries the database", APP_PODS, Peer("the database (db.example)"), 5432)],
        [SEEDED], UNDECIDED, "whether an ipBlock admits the database (db.example) depends on its address"),
    row("database-address-unknown-but-any-destination", [Flow("queries", APP_PODS, Peer("the database"), 5432)],
        [policy({"policyTypes": ["Egress"], "egress": [{"ports": [{"port": 5432}]}]})], PASS, "egress rule 1"),
    row("issue-policy-two-namespaces-http-only", FLOWS, [policy({
        "podSelector": {"matchLabels": {"app": APP}}, "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
                              {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": NS}}}],
                     "ports": [{"port": "http"}]}],
        "egress": [{"to": [{"podSelector": {}}]}]}, name=POLICY)], FAIL,
        ("NetworkPolicy blocks 4 of 4 connections", "(scrapes the metrics port): ingress of", "(queries the database): "
         f"egress of {WHAT} pods is isolated by {POLICY}")),
])
def test_network_policies_allow(flows, policies, expected, fragments):
    verdict(wiring.network_policies_allow(flows, policies, NAMESPACES), expected, fragments)


def test_flow_allowed_names_the_deciding_rule():
    decided = wiring.flow_allowed(SERVE, [SEEDED], NAMESPACES)
    assert decided["allowed"] is True and decided["ingress"]["why"] == f"allowed by {POLICY} ingress rule 2"


def connectivity(workload=DEPLOYMENT, policies=None, metrics_port="metrics", serving_port="http"):
    return wiring.app_connectivity(workload, WHAT, [SEEDED] if policies is None else policies, NAMESPACES,
                                   prometheus=PROMETHEUS, load_balancer=ALB, database=DATABASE, dns=DNS,
                                   metrics_port=metrics_port, serving_port=serving_port, database_port=5432)


@pytest.mark.parametrize("kwargs, expected, fragments", [
    row("seeded", {}, PASS, ("allow all 4 connections", "on 9090/TCP (scrapes the metrics port)",
                             "on 8000/TCP (sends requests to the serving port)", "on 5432/TCP (queries the database)",
                             "on 53/UDP (resolves names)")),
    row("absent", {"workload": None}, FAIL, f"{WHAT} does not exist: no pods to compute NetworkPolicy reachability for"),
    row("metrics-port-unknown", {"metrics_port": "prometheus"}, FAIL,
        f"{WHAT} declares no container metrics port prometheus"),
    row("ports-by-number", {"metrics_port": "9090", "serving_port": 8000}, PASS, "allow all 4"),
])
def test_app_connectivity(kwargs, expected, fragments):
    verdict(connectivity(**kwargs), expected, fragments)


# --- disruption_budget ------------------------------------------------------------------------

def budget(spec_changes=None, name=PDB):
    return derive(BUDGETS[0], {"metadata.name": name, **(spec_changes or {})})


@pytest.mark.parametrize("budgets, workload, hpa, expected, fragments", [
    row("seeded", BUDGETS, DEPLOYMENT, HPA_OBJ, PASS,
        f"PodDisruptionBudget {PDB} (minAvailable 2) lets a drain evict 1 of 3 pods of {WHAT} at a time and keeps 2"),
    row("absent-workload", BUDGETS, None, HPA_OBJ, FAIL, f"{WHAT} does not exist"),
    row("none", [], DEPLOYMENT, HPA_OBJ, FAIL,
        f"no PodDisruptionBudget in namespace {NS} selects the pods of {WHAT}: a node drain or cluster scale-down may "
        "evict all 3 at once"),
    row("selects-other-pods", [budget({"spec.selector.matchLabels.app": "redis"})], DEPLOYMENT, HPA_OBJ, FAIL,
        "no PodDisruptionBudget"),
    row("other-namespace", [budget({"metadata.namespace": "other"})], DEPLOYMENT, HPA_OBJ, FAIL, "no PodDisruptionBudget"),
    row("empty-selector-selects-all-v1", [budget({"spec.selector": {}})], DEPLOYMENT, HPA_OBJ, PASS, "evict 1 of 3"),
    row("two-budgets", BUDGETS + [budget(name="nba-mcp-synthesis-pdb-2")], DEPLOYMENT, HPA_OBJ, FAIL,
        "2 PodDisruptionBudgets select the pods of"),
    row("min-available-equals-replicas", [budget({"spec.minAvailable": 3})], DEPLOYMENT, HPA_OBJ, FAIL,
        f"PodDisruptionBudget {PDB} (minAvailable 3) allows no eviction at 3 replicas"),
    row("min-available-percent-rounds-up", [budget({"spec.minAvailable": "50%"})], DEPLOYMENT, HPA_OBJ, PASS,
        "(minAvailable 50%) lets a drain evict 1 of 3 pods"),
    row("min-available-zero-keeps-none", [budget({"spec.minAvailable": 0})], DEPLOYMENT, HPA_OBJ, FAIL,
        "lets a drain evict all 3 pods"),
    row("max-unavailable-one", [budget({"spec.minAvailable": DROP, "spec.maxUnavailable": 1})], DEPLOYMENT, HPA_OBJ,
        PASS, "(maxUnavailable 1) lets a drain evict 1 of 3 pods"),
    row("max-unavailable-zero", [budget({"spec.minAvailable": DROP, "spec.maxUnavailable": 0})], DEPLOYMENT, HPA_OBJ,
        FAIL, "allows no eviction"),
    row("max-unavailable-all", [budget({"spec.minAvailable": DROP, "spec.maxUnavailable": "100%"})], DEPLOYMENT,
        HPA_OBJ, FAIL, "lets a drain evict all 3 pods"),
    row("neither", [budget({"spec.minAvailable": DROP})], DEPLOYMENT, HPA_OBJ, FAIL,
        "sets neither a valid minAvailable nor maxUnavailable"),
    row("no-hpa-uses-replicas", [budget({"spec.minAvailable": 2})], deployment({"spec.replicas": 2}), None, FAIL,
        "allows no eviction at 2 replicas"),
    row("hpa-minimum-counts", BUDGETS, DEPLOYMENT, derive(HPA_OBJ, {"spec.minReplicas": 2}), FAIL,
        "allows no eviction at 2 replicas"),
])
def test_disruption_budget(budgets, workload, hpa, expected, fragments):
    verdict(wiring.disruption_budget(budgets, workload, hpa, WHAT), expected, fragments)


# --- hpa_targets, hpa_active ------------------------------------------------------------------

def hpa(changes=None, edit=None):
    return derive(HPA_OBJ, changes, edit)


@pytest.mark.parametrize("obj, workload, expected, fragments", [
    row("seeded", HPA_OBJ, DEPLOYMENT, PASS,
        f"HPA {HPA} targets {WHAT} (3..10 replicas on cpu, memory), whose containers request what it scales on"),
    row("absent", None, DEPLOYMENT, FAIL, f"HPA {HPA} does not exist: {WHAT} will not scale"),
    row("target-absent", HPA_OBJ, None, FAIL, "its target Deployment nba-mcp-synthesis does not exist"),
    row("other-target", hpa({"spec.scaleTargetRef.name": "nba-mcp-synthesis-v2"}), DEPLOYMENT, FAIL,
        f"targets Deployment nba-mcp-synthesis-v2, not {WHAT}"),
    row("range-inverted", hpa({"spec.minReplicas": 12}), DEPLOYMENT, FAIL, "its range 12..10 is not a range"),
    row("no-metrics", hpa({"spec.metrics": []}), DEPLOYMENT, FAIL, "it has no metrics to scale on"),
    row("no-cpu-request", HPA_OBJ, deployment({f"{CONTAINER}.resources.requests": {"memory": "1Gi"}}), FAIL,
        f"it scales on cpu utilization but container(s) {APP} of {WHAT} request no cpu (the HPA reports "
        "FailedGetResourceMetric)"),
    row("average-value-needs-no-request", hpa({"spec.metrics.0.resource.target": {"type": "AverageValue",
                                                                                   "averageValue": "500m"}}),
        deployment({f"{CONTAINER}.resources.requests": {"memory": "1Gi"}}), PASS, "on memory"),
])
def test_hpa_targets(obj, workload, expected, fragments):
    verdict(wiring.hpa_targets(obj, workload, HPA, WHAT), expected, fragments)


METRICS_API = "v1beta1.metrics.k8s.io"


@pytest.mark.parametrize("obj, apiservice, expected, fragments", [
    row("active", HPA_OBJ, APISERVICE, PASS,
        f"HPA {HPA} is able to scale and active (ValidMetricFound), metrics API {METRICS_API} Available"),
    row("absent", None, APISERVICE, FAIL, f"HPA {HPA} does not exist"),
    row("scaling-inactive", condition(hpa(), "ScalingActive", status="False", reason="FailedGetResourceMetric"),
        APISERVICE, FAIL, f"HPA {HPA} ScalingActive is False (FailedGetResourceMetric)"),
    row("unable-to-scale", condition(hpa(), "AbleToScale", status="False", reason="FailedGetScale"), APISERVICE, FAIL,
        f"HPA {HPA} AbleToScale is False (FailedGetScale)"),
    row("no-status-yet", hpa({"status": DROP}), APISERVICE, FAIL, f"HPA {HPA} AbleToScale is absent (no reason)"),
    row("metrics-api-unavailable", HPA_OBJ, drop_condition(copy.deepcopy(APISERVICE), "Available"), FAIL,
        f"metrics API {METRICS_API} is not Available (missing)"),
    row("metrics-api-absent", HPA_OBJ, None, FAIL, "is not Available"),
])
def test_hpa_active(obj, apiservice, expected, fragments):
    verdict(wiring.hpa_active(obj, apiservice, HPA, METRICS_API), expected, fragments)


# --- images_pinned ----------------------------------------------------------------------------

def image(ref: str):
    return deployment({f"{CONTAINER}.image": ref})


@pytest.mark.parametrize("workload, expected_image, expected, fragments", [
    row("pinned-and-expected", DEPLOYMENT, IMAGE, PASS,
        f"{WHAT}: all 1 container image(s) resolved and pinned, {APP} on {IMAGE}"),
    row("any-image-allowed", DEPLOYMENT, None, PASS, "all 1 container image(s) resolved and pinned"),
    row("absent", None, IMAGE, FAIL, f"{WHAT} does not exist"),
    row("issue-placeholder-and-latest", image("ACCOUNT_ID.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:latest"),
        None, FAIL, f"container {APP} image ACCOUNT_ID.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:latest has an "
                    "unsubstituted placeholder (ACCOUNT_ID) and a mutable tag (latest)"),
    row("shell-variable", image("${AWS_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.4.0"), None, FAIL,
        "placeholder (${AWS_ACCOUNT})"),
    row("helm-template-left", image("123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:{{ .Values.tag }}"),
        None, FAIL, "placeholder ({{ .Values.tag }})"),
    row("ecr-account-not-digits", image("accountid.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.4.0"), None,
        FAIL, "placeholder (accountid)"),
    row("no-tag", image("123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis"), None, FAIL,
        "no tag (Kubernetes pulls :latest)"),
    row("registry-port-is-not-a-tag", image("registry.local:5000/nba-mcp-synthesis"), None, FAIL, "no tag"),
    row("digest-pins-even-latest", image("123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:latest@sha256:"
                                         + "a" * 64), None, PASS, "resolved and pinned"),
    row("unexpected-image", image(IMAGE.replace("v1.4.0", "v1.3.2")), IMAGE, FAIL,
        f"container {APP} runs {IMAGE.replace('v1.4.0', 'v1.3.2')}, expected {IMAGE}"),
    row("init-container-checked", deployment(edit=appended(f"{POD}.initContainers", {"name": "migrate",
                                                                                     "image": "migrate:latest"})),
        IMAGE, FAIL, "container migrate image migrate:latest has a mutable tag (latest)"),
    row("image-missing", deployment({f"{CONTAINER}.image": DROP}), None, FAIL, f"container {APP} image None has no image"),
    row("container-missing", deployment({f"{CONTAINER}.name": "app"}), IMAGE, FAIL, f"has no container {APP}"),
])
def test_images_pinned(workload, expected_image, expected, fragments):
    verdict(wiring.images_pinned(workload, WHAT, APP, expected_image, ["latest"]), expected, fragments)


# --- Grafana's well-known logins (monitoring.weak_logins_rejected) ------------------------------

GRAFANA_URL = "http://127.0.0.1:18300"


def answer(status: int, body=None) -> Response:
    return Response(GRAFANA_URL, status, body, "", 9.0, {})


REFUSED, ACCEPTED = answer(401, {"message": "Invalid username or password"}), answer(200, load("monitoring", "grafana_user"))


@pytest.mark.parametrize("attempts, expected, fragments", [
    row("all-refused", [("admin:admin", REFUSED), ("admin:prom-operator", REFUSED)], PASS,
        f"Grafana {GRAFANA_URL} rejects Grafana's default admin login, admin with grafana.weak_logins[1] (HTTP 401)"),
    row("chart-default-accepted", [("admin:admin", REFUSED), ("admin:prom-operator", ACCEPTED)], FAIL,
        f"Grafana {GRAFANA_URL} accepts admin with grafana.weak_logins[1], so anyone can administer it"),
    row("default-accepted", [("admin:admin", ACCEPTED)], FAIL, "accepts Grafana's default admin login"),
    row("unclear", [("admin:admin", REFUSED), ("admin:prom-operator", answer(500))], FAIL,
        "answered HTTP 500 to admin with grafana.weak_logins[1]: could not confirm it is refused"),
    row("none-configured", [], FAIL, "expected well-known logins to try (grafana.weak_logins), found 0 configured"),
    row("one-recalled", [("admin:admin", Response(GRAFANA_URL, 401, None, "", 0.0, {},
                                                  recalled="refused at 21:30:01 UTC, 125 s ago")),
                         ("admin:prom-operator", REFUSED)], PASS,
        "(HTTP 401; not tried again within Grafana's lockout window: Grafana's default admin login refused at "
        "21:30:01 UTC, 125 s ago)"),
])
def test_weak_logins_rejected(attempts, expected, fragments):
    finding = mon.weak_logins_rejected(attempts, GRAFANA_URL)
    verdict(finding, expected, fragments)
    # A login is named by user and place, never by password: an accepted one is the password in use.
    assert not any(password in finding.summary + str(finding.observed) for password in (":admin", "prom-operator"))
