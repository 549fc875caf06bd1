"""Reaching the cluster as from outside it: the sandbox's Kubernetes API over HTTPS with a bearer
token, the service proxy to in-cluster endpoints, EKS tokens made with botocore, and the database
that no API server can proxy. Everything goes through golive's own gatherers and the real clients.
"""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from kubernetes import client, config as kubeconfig

from fixtures import aws as aws_fixture
from fixtures import eks
from fixtures.http import Route
from fixtures.kubernetes import make_api_client
from golive import config
from sandbox import stack
from sandbox.pki import Pki
from tests.harness import ROOT, config_copy, run_suite

PROMETHEUS = "monitoring/kube-prometheus-stack-prometheus:9090"


@pytest.fixture(scope="module")
def env(sandbox):
    return config.load("sandbox", ROOT / "golive.toml")


@pytest.fixture(scope="module")
def pki(sandbox):
    return Pki(stack.state_dir())


def test_the_api_server_speaks_https_with_its_own_ca_and_wants_a_token(sandbox, pki):
    url = f"{stack.KUBE_URL}/api/v1/nodes"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, timeout=5, verify=True)  # the system's trust store does not know the sandbox CA
    anonymous = requests.get(url, timeout=5, verify=str(pki.ca))
    assert anonymous.status_code == 401 and anonymous.json()["reason"] == "Unauthorized"
    wrong = requests.get(url, timeout=5, verify=str(pki.ca), headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401
    nodes = requests.get(url, timeout=5, verify=str(pki.ca), headers={"Authorization": f"Bearer {pki.token('golive')}"})
    assert nodes.status_code == 200 and len(nodes.json()["items"]) == 3


def test_the_written_kubeconfig_carries_ca_and_token_for_the_official_client(sandbox, pki):
    written = json.loads((stack.state_dir() / "kubeconfig").read_text())
    cluster, user = written["clusters"][0]["cluster"], written["users"][0]["user"]
    assert cluster["server"].startswith("https://") and base64.b64decode(cluster["certificate-authority-data"]) == \
        pki.ca.read_bytes()
    assert user["token"] == pki.token("golive")
    api = kubeconfig.new_client_from_config(config_file=str(stack.state_dir() / "kubeconfig"))
    assert client.VersionApi(api).get_code().git_version.startswith("v1.28")


def test_the_service_proxy_reaches_prometheus_with_the_kubeconfigs_credentials(env):
    api = make_api_client(env)
    route = Route(env.prometheus.url, PROMETHEUS, api)
    assert route.base_url == f"{stack.KUBE_URL}/api/v1/namespaces/monitoring/services/{PROMETHEUS.split('/')[1]}/proxy"
    answer = route.session.get(f"{route.base_url}/api/v1/query", params={"query": "up"}, timeout=5)
    assert answer.status_code == 200 and answer.json()["status"] == "success"
    # The official client's own service-proxy call reaches the same stand-in, by port name too.
    text = client.CoreV1Api(api).connect_get_namespaced_service_proxy_with_path(
        "kube-prometheus-stack-prometheus:http-web", "monitoring", "-/ready")
    assert "Ready" in text


def test_a_missing_service_or_port_is_golive_not_getting_in_not_a_backend_answer(env):
    api = make_api_client(env)
    for service, words in (("monitoring/no-such-prometheus:9090", 'services "no-such-prometheus" not found'),
                           ("monitoring/kube-prometheus-stack-prometheus:9999", "no endpoints available")):
        route = Route(env.prometheus.url, service, api)
        with pytest.raises(requests.ConnectionError, match=words):
            route.session.get(f"{route.base_url}/-/ready", timeout=5)


def test_the_sandbox_reaches_prometheus_and_alertmanager_through_the_proxy(sandbox):
    run = run_suite("checks", "--golive-env", "sandbox", "--golive-item", "t-24h/application-validation/test-monitoring-and-alerting")
    result = run["t-24h/application-validation/test-monitoring-and-alerting"]
    assert result.outcome == "passed", result.message
    evidence = json.dumps(run.model.as_dict())
    assert "/api/v1/namespaces/monitoring/services/kube-prometheus-stack-prometheus:9090/proxy" in evidence
    assert "/api/v1/namespaces/monitoring/services/kube-prometheus-stack-alertmanager:9093/proxy" in evidence


# --- EKS tokens ---------------------------------------------------------------------------------

def test_an_eks_token_is_a_presigned_get_caller_identity_for_the_cluster(env):
    session = aws_fixture.make_session(env)
    token = eks.token(session, env.eks.cluster, env.aws.region, env.aws.endpoint_url)
    assert token.startswith("k8s-aws-v1.") and "=" not in token
    url = urlsplit(base64.urlsafe_b64decode(token[len("k8s-aws-v1."):] + "==").decode())
    query = parse_qs(url.query)
    assert query["Action"] == ["GetCallerIdentity"] and query["X-Amz-Expires"] == ["60"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")


def test_the_api_server_accepts_eks_tokens_verified_by_sts(env, pki):
    session = aws_fixture.make_session(env)
    version = f"{stack.KUBE_URL}/version"
    ours = eks.token(session, env.eks.cluster, env.aws.region, env.aws.endpoint_url)
    assert requests.get(version, timeout=10, verify=str(pki.ca), headers={"Authorization": f"Bearer {ours}"}).ok
    # A presigned GetCallerIdentity that does not sign the cluster header is not an EKS token. (Which
    # cluster was signed is STS's to check against the signature; moto does not verify signatures.)
    unbound = session.client("sts", region_name=env.aws.region, endpoint_url=env.aws.endpoint_url) \
        .generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    forged = "k8s-aws-v1." + base64.urlsafe_b64encode(unbound.encode()).decode().rstrip("=")
    assert requests.get(version, timeout=10, verify=str(pki.ca),
                        headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_checks_run_on_an_eks_token_under_the_aws_profile(sandbox, tmp_path):
    """`kubernetes.auth = "eks"`: the kubeconfig gives the cluster, the AWS profile gives the identity."""
    copy = config_copy(tmp_path, ('context = "golive-sandbox", expected_image',
                                  'context = "golive-sandbox", auth = "eks", expected_image'))
    env_eks = config.load("sandbox", copy)
    assert env_eks.kubernetes.auth == "eks"
    api = make_api_client(env_eks, aws_fixture.make_session(env_eks))
    assert api.configuration.get_api_key_with_prefix("BearerToken").startswith("Bearer k8s-aws-v1.")
    run = run_suite("checks", "--golive-env", "sandbox", "--golive-config", str(copy),
                    "--golive-item", "t-2h/final-infrastructure-check/kubectl-get-nodes",
                    "--golive-item", "t-24h/application-validation/test-monitoring-and-alerting")
    assert {i: r.outcome for i, r in run.results.items()} == {
        "t-2h/final-infrastructure-check/kubectl-get-nodes": "passed",
        "t-24h/application-validation/test-monitoring-and-alerting": "passed"}


def test_without_a_kubeconfig_an_eks_token_finds_the_cluster_in_eks(env, tmp_path):
    """A CI runner with AWS credentials only: endpoint and CA come from describe_cluster."""
    copy = config_copy(tmp_path, ('kubeconfig = "${GOLIVE_SANDBOX_DIR:-.sandbox}/kubeconfig", context = "golive-sandbox",',
                                  'auth = "eks",'))
    env_eks = config.load("sandbox", copy)
    session = aws_fixture.make_session(env_eks)
    described = session.client("eks", region_name="us-east-1", endpoint_url=env_eks.aws.endpoint_url) \
        .describe_cluster(name=env_eks.eks.cluster)["cluster"]
    api = make_api_client(env_eks, session)
    assert api.configuration.host == described["endpoint"]  # moto's made-up endpoint: not reachable here
    assert open(api.configuration.ssl_ca_cert, "rb").read() == base64.b64decode(described["certificateAuthority"]["data"])


def test_the_cluster_ca_written_from_eks_is_gone_when_the_run_ends(env, tmp_path):
    """Every run on a CI runner or a laptop wrote one more CA file into /tmp and left it there."""
    copy = config_copy(tmp_path, ('kubeconfig = "${GOLIVE_SANDBOX_DIR:-.sandbox}/kubeconfig", context = "golive-sandbox",',
                                  'auth = "eks",'))
    script = ("import sys; from golive import config; from fixtures import aws; from fixtures.kubernetes import "
              "make_api_client; env = config.load('sandbox', sys.argv[1]); "
              "print(make_api_client(env, aws.make_session(env)).configuration.ssl_ca_cert)")
    made = subprocess.run([sys.executable, "-c", script, str(copy)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert made.returncode == 0, made.stderr
    written = Path(made.stdout.strip())
    assert written.name.startswith("golive-eks-ca-") and not written.exists()


# --- configuration ------------------------------------------------------------------------------

@pytest.mark.parametrize("change, words", [
    (lambda t: t.replace('service = "monitoring/kube-prometheus-stack-prometheus:9090", scrape',
                         'service = "kube-prometheus-stack-prometheus", scrape'), "is not NAMESPACE/SERVICE:PORT"),
    (lambda t: t.replace('grafana = { url = "http://127.0.0.1:18300",', 'grafana = { url = "http://127.0.0.1:18300", service = "monitoring/g:80",'),
     "Grafana cannot be reached through the Kubernetes API"),
    (lambda t: t.replace('context = "golive-sandbox", expected_image', 'context = "golive-sandbox", auth = "iam", expected_image'),
     "kubernetes.auth"),
])
def test_bad_reach_settings_are_one_line(tmp_path, change, words):
    copy = config_copy(tmp_path, change)
    with pytest.raises(config.ConfigError) as error:
        config.load("sandbox", copy)
    assert words in str(error.value) and "\n" not in str(error.value)


def test_a_database_out_of_reach_says_so_once_and_what_to_do(sandbox, tmp_path):
    copy = config_copy(tmp_path, ('database = { host = "127.0.0.1"', 'database = { host = "nba-db.cluster-x.invalid"'))
    run = run_suite("checks", "--golive-env", "sandbox", "--golive-config", str(copy), "-m", "t_plus_1h or t_plus_15")
    about_db = [r for r in run.results.values() if r.message.startswith("PostgreSQL at nba-db.cluster-x.invalid")]
    assert len(about_db) >= 2, [(r.runbook_id, r.message[:80]) for r in run.results.values() if r.outcome != "passed"]
    assert all(r.outcome == "error" for r in about_db), [(r.runbook_id, r.outcome) for r in about_db]
    hinted = [r for r in about_db if "not reachable through the Kubernetes API" in r.message]
    assert len(hinted) == 1 and "run golive in-cluster" in hinted[0].message
    assert "first failure" in next(r for r in about_db if r not in hinted).message

