"""Preflight (golive/preflight.py): golive's own access is not the target's health.

Against the sandbox, through the real command: a run with no AWS credentials, with credentials for
another account, and with a kubeconfig for another cluster each stop before any check with exit 4
(COULD NOT RUN) and one line naming what to fix, in well under 10 s, and still leave a report. A
healthy run records what each endpoint answered; an endpoint that refuses connections is the
target's failure and the run goes on (tests/test_reporting.py's test_endpoint_down). The
classification itself is tested on the clients' own exceptions and answers, without a sandbox.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, NoCredentialsError, ProfileNotFound, UnauthorizedSSOTokenError

from golive import config as configuration
from golive import preflight, verdict
from golive.results import Run
from golive.reporters import html, junit
from sandbox import stack

from tests.harness import ROOT, config_copy

PYTEST = [str(ROOT / ".venv" / "bin" / "pytest"), "-p", "no:cacheprovider"]
PHASE = "checks/t_minus_30m"  # the smoke phase's modules only


def sandbox_env():
    return configuration.load("sandbox", ROOT / "golive.toml")


# --- classification, on the clients' own exceptions and answers ------------------------------------


@pytest.mark.parametrize("exc, status, words", [
    (NoCredentialsError(), preflight.CREDENTIALS, "no AWS credentials"),
    (ProfileNotFound(profile="golive-sandbox"), preflight.CREDENTIALS, "could not be found"),
    (UnauthorizedSSOTokenError(), preflight.CREDENTIALS, "SSO session has expired"),
    (ClientError({"Error": {"Code": "ExpiredToken", "Message": "The security token included in the request is expired"},
                  "ResponseMetadata": {"HTTPStatusCode": 403}}, "GetCallerIdentity"), preflight.UNAUTHORIZED,
     "ExpiredToken"),
    (ClientError({"Error": {"Code": "InvalidClientTokenId", "Message": "The security token is invalid"}},
                 "GetCallerIdentity"), preflight.UNAUTHORIZED, "rejected the credentials"),
])
def test_aws_failures_are_golives_missing_access(exc, status, words):
    answer = preflight.aws_failure(exc, sandbox_env())
    assert answer.status == status and answer.blocks and words in answer.detail, answer
    assert "aws sso login --profile golive-sandbox" in answer.fix


@pytest.mark.parametrize("host, inside_the_cluster", [
    ("kube-prometheus-stack-prometheus.monitoring", True), ("prometheus", True),
    ("grafana.monitoring.svc", True), ("grafana.monitoring.svc.cluster.local", True),
    ("nba-mcp-synthesis.example.com", False), ("127.0.0.1", False), ("localhost", False),
    ("nba-mcp-synthesis-db.cluster-example.us-east-1.rds.amazonaws.com", False),
])
def test_in_cluster_names(host, inside_the_cluster):
    assert preflight.in_cluster_name(host, sandbox_env()) is inside_the_cluster


def test_where_a_connection_stopped_decides_who_answers_for_it():
    env = sandbox_env()
    dns = {"host": "kube-prometheus-stack-prometheus.monitoring", "port": 9090, "stage": "dns", "error": "x"}
    unresolvable = preflight.unreached("Prometheus", "http://kube-prometheus-stack-prometheus.monitoring:9090", dns,
                                       env, "prometheus", 6)
    assert unresolvable.status == preflight.UNRESOLVABLE and unresolvable.blocks  # golive is outside the cluster
    assert "service proxy" in unresolvable.fix and "in-cluster" in unresolvable.fix
    public = preflight.unreached("Ingress", "https://nba-mcp-synthesis.example.com", {
        "host": "nba-mcp-synthesis.example.com", "port": 443, "stage": "dns", "error": "x"}, env, "app", 6)
    assert public.status == preflight.UNRESOLVABLE and not public.blocks  # the target's DNS: its checks fail
    refused = preflight.unreached("Prometheus", "http://127.0.0.1:9", {
        "host": "127.0.0.1", "port": 9, "stage": "tcp", "error": "TCP connect to 127.0.0.1:9 failed (Connection "
                                                                     "refused)"}, env, "prometheus", 6)
    assert refused.status == preflight.REFUSED and not refused.blocks and "running" in refused.fix
    silent = preflight.unreached("PostgreSQL", "postgresql://10.0.0.5:5432", {
        "host": "10.0.0.5", "port": 5432, "stage": "tcp", "error": "TCP connect to 10.0.0.5:5432 timed out"},
        env, "database", 6)
    assert silent.status == preflight.TIMEOUT and not silent.blocks and "in-cluster" in silent.fix


def test_api_server_urls_compare_by_scheme_host_and_port():
    assert preflight.server_key("https://ABC.gr7.us-east-1.eks.amazonaws.com/") == \
        preflight.server_key("https://abc.gr7.us-east-1.eks.amazonaws.com:443")
    assert preflight.server_key("https://a.eks.amazonaws.com") != preflight.server_key("https://b.eks.amazonaws.com")
    assert preflight.server_key("http://127.0.0.1:18443") != preflight.server_key("https://127.0.0.1:18443")


def test_a_stopped_run_is_could_not_run_not_a_rollback():
    lines = ("AWS (sts.us-east-1): no AWS credentials; log in",)
    v = verdict.decide([], stopped=lines)
    assert v.decision == "NO-GO" and "Immediate rollback" not in v.action and "could not get in" in v.action
    assert verdict.exit_code(v, verdict.USAGE_ERROR) == 4 and verdict.exit_code(v) == 4
    assert v.incomplete == ("preflight: " + lines[0],) and "AWS" in v.reason


# --- what the selection uses, from its checks' fixtures -------------------------------------------


def fake_item(closure, argnames=(), defined_in="fixtures.aws"):
    from types import SimpleNamespace

    defs = {name: [SimpleNamespace(func=SimpleNamespace(__module__=defined_in), argnames=())] for name in closure}
    info = SimpleNamespace(names_closure=list(closure), argnames=tuple(argnames), name2fixturedefs=defs)
    return SimpleNamespace(_fixtureinfo=info, obj=None)


def test_the_selection_uses_the_endpoints_its_fixtures_reach():
    # The app's fixture takes the Kubernetes client (to route through the service proxy): App, not the cluster.
    assert preflight.uses([fake_item(["cfg", "app", "kube_client", "aws_session", "request"])]) == {"app"}
    assert preflight.uses([fake_item(["k8s", "kube_client", "aws_session"]), fake_item(["db"])]) == {
        "kubernetes", "database"}
    assert preflight.uses([fake_item(["kube_client"], argnames=["kube_client"])]) == {"kubernetes"}
    assert preflight.uses([]) == set()
    # A fixture golive does not know (the team's own conftest): every endpoint is asked, as without a selection.
    assert preflight.uses([fake_item(["app", "their_fixture"], defined_in="conftest")]) is None
    assert preflight.uses([object()]) is None


def test_a_success_criterion_reaches_what_its_summarised_checks_use():
    from checks.t_minus_30m import test_rollback_preparation as rollback
    from checks.emergency_contacts import test_external_contacts as external
    from checks.emergency_contacts import test_primary_contacts as primary

    found = preflight._summarised(rollback.test_confirm_emergency_contacts, set())
    assert {primary.test_deployment_lead, primary.test_technical_lead, primary.test_devops_lead,
            external.test_pagerduty} <= found
    assert preflight._summarised(rollback.test_prepare_rollback_commands, set()) == set()  # summarises nothing


# --- against the sandbox, through the command a user runs ------------------------------------------


def golive(tmp_path: Path, config: Path | None = None, *extra: str, env: dict | None = None):
    folder = tmp_path / "reports"
    args = [*PYTEST, PHASE, "-m", "smoke", "--golive-env", "sandbox", "--golive-reports", str(folder), *extra]
    if config is not None:
        args += ["--golive-config", str(config)]
    start = time.monotonic()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GOLIVE_SANDBOX_DIR": str(stack.state_dir()), **(env or {})})
    return done, time.monotonic() - start, folder


CREDENTIALS_FILE = 'credentials_file = "${GOLIVE_SANDBOX_DIR:-.sandbox}/aws/credentials"'
KUBECONFIG = 'kubeconfig = "${GOLIVE_SANDBOX_DIR:-.sandbox}/kubeconfig"'


def no_credentials(sandbox, tmp_path):
    (tmp_path / "credentials").write_text("")  # the profile golive is told to use is not there
    return config_copy(tmp_path, (CREDENTIALS_FILE, f'credentials_file = "{tmp_path / "credentials"}"'))


def wrong_account(sandbox, tmp_path):
    """Valid credentials, for another account: a role assumed there (moto's STS knows the account)."""
    c = sandbox.aws("sts").assume_role(RoleArn="arn:aws:iam::210987654321:role/golive-readonly",
                                       RoleSessionName="golive")["Credentials"]
    (tmp_path / "credentials").write_text(
        f"[golive-sandbox]\naws_access_key_id = {c['AccessKeyId']}\naws_secret_access_key = {c['SecretAccessKey']}\n"
        f"aws_session_token = {c['SessionToken']}\n")
    return config_copy(tmp_path, (CREDENTIALS_FILE, f'credentials_file = "{tmp_path / "credentials"}"'))


def other_cluster(sandbox, tmp_path):
    """The sandbox's own kubeconfig, its server another cluster's."""
    kubeconfig = json.loads((stack.state_dir() / "kubeconfig").read_text())
    kubeconfig["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:28443"
    (tmp_path / "kubeconfig").write_text(json.dumps(kubeconfig))
    return config_copy(tmp_path, (KUBECONFIG, f'kubeconfig = "{tmp_path / "kubeconfig"}"'))


@pytest.mark.parametrize("make, endpoint, words", [
    (no_credentials, "AWS", ["no AWS credentials", "aws sso login --profile golive-sandbox"]),
    (wrong_account, "AWS", ["account 210987654321", "sandbox is account 123456789012", "choose sandbox's profile"]),
    (other_cluster, "Kubernetes API", ["points at https://127.0.0.1:28443", "answers at https://127.0.0.1:18443",
                                       "aws eks update-kubeconfig --name {cluster}"]),
], ids=["no-credentials", "wrong-account", "other-cluster"])
def test_golive_that_cannot_get_in_could_not_run(sandbox, tmp_path, make, endpoint, words):
    done, seconds, folder = golive(tmp_path, make(sandbox, tmp_path))
    said = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 4, said
    assert len(said) == 1 and said[0].startswith(f"ERROR: golive: {endpoint} ("), said  # one line: what to fix
    words = [w.format(cluster=sandbox_env().eks.cluster) for w in words]
    assert all(w in said[0] for w in words) and "Traceback" not in said[0] and "rollback" not in said[0], said
    print(f"stopped at the preflight in {seconds:.1f} s")  # a figure, not an assertion: tests never time
    # No check ran, and the report says why: COULD NOT RUN, not a NO-GO with a rollback.
    lines = [json.loads(line) for line in (folder / "latest.jsonl").read_text().splitlines()]
    assert [line["type"] for line in lines] == ["run", "summary"]
    v = lines[-1]["verdict"]
    assert v["exit_name"] == "COULD NOT RUN" and v["exit_code"] == 4 and not v["blocking"]
    assert "Immediate rollback" not in v["action"] and lines[0]["preflight"]["blocking"] == 1
    page = (folder / "latest.html").read_text()
    assert '<div class="decision">COULD NOT RUN</div>' in page and 'id="preflight"' in page
    case = junit_cases(folder)[0]
    assert case.get("name") == f"preflight/{endpoint}" and case.find("error") is not None


def test_endpoints_behind_an_unusable_service_proxy_say_so_and_are_not_asked(sandbox, tmp_path):
    """No kubeconfig: the Kubernetes line says what to fix; Prometheus and Alertmanager, reached through the
    Kubernetes API's service proxy, say that their route (fixtures/http.py Route.unusable) is why."""
    config = config_copy(tmp_path, (KUBECONFIG, f'kubeconfig = "{tmp_path / "none"}"'))
    answers = {a.endpoint: a for a in preflight.run(configuration.load("sandbox", config)).answers}
    assert answers["Kubernetes API"].blocks
    for name in ("Prometheus", "Alertmanager"):
        said = answers[name]
        assert said.status == "error" and said.target.startswith("service monitoring/"), said
        assert "service proxy, which golive cannot use here (cannot load the kubeconfig" in said.detail, said
        assert said.fix == "fix golive's access to the Kubernetes API (above)" and said.ms is None, said
    assert answers["Grafana"].ok  # by url: asked as ever


def junit_cases(folder: Path):
    import xml.etree.ElementTree as ET

    return ET.parse(folder / "latest.xml").getroot().findall(".//testcase")


@pytest.mark.baseline
def test_a_healthy_run_records_what_each_endpoint_answered(sandbox, tmp_path):
    done, seconds, folder = golive(tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    record = json.loads((folder / "latest.jsonl").read_text().splitlines()[0])["preflight"]
    assert record["blocking"] == 0 and not record["skipped"]
    # The smoke checks' endpoints only: no smoke check reads Alertmanager or Grafana.
    assert record["uses"] == ["app", "aws", "database", "kubernetes", "prometheus"], record["uses"]
    assert {a["endpoint"]: a["status"] for a in record["answers"]} == {
        e: "ok" for e in ("AWS", "Kubernetes API", "App", "Prometheus", "PostgreSQL")}
    ident = record["identity"]
    assert ident["account"] == ident["expected_account"] == "123456789012"
    assert ident["binding"].startswith("bound") and ident["api_server"] == ident["cluster_endpoint"]
    assert record["seconds"] < 2, record["seconds"]  # a handful of cheap questions, asked at once
    assert "Preflight: 5 of 5 endpoints the selection uses answered" in done.stdout and "bound" in done.stdout
    page = (folder / "latest.html").read_text()
    assert 'id="preflight"' in page and "sts GetCallerIdentity" in page


def test_no_preflight_is_explicit_and_said(sandbox, tmp_path):
    done, _, folder = golive(tmp_path, None, "--golive-no-preflight")
    assert done.returncode in (0, 10, 1), done.stdout[-2000:]
    record = json.loads((folder / "latest.jsonl").read_text().splitlines()[0])["preflight"]
    assert record["skipped"] == "--golive-no-preflight" and record["answers"] == []
    assert "Preflight: skipped (--golive-no-preflight)" in done.stdout


def test_a_refused_endpoint_is_the_targets_failure_with_a_hint(sandbox, tmp_path):
    """Prometheus's port closed: the run goes on (checks that need it error: tests/test_reporting.py's
    test_endpoint_down), and the preflight says what to do. Alertmanager's, closed too, is not asked: no smoke
    check reads it."""
    # By url, not through the service proxy.
    config = config_copy(tmp_path, (f'url = "http://127.0.0.1:{stack.PORTS["prometheus"]}", '
                                    f'service = "monitoring/kube-prometheus-stack-prometheus:9090"',
                                    'url = "http://127.0.0.1:9"'),
                         (f'url = "http://127.0.0.1:{stack.PORTS["alertmanager"]}", '
                          f'service = "monitoring/kube-prometheus-stack-alertmanager:9093"',
                          'url = "http://127.0.0.1:19"'))
    done, _, folder = golive(tmp_path, config)
    assert done.returncode != 4, done.stdout[-2000:]
    lines = [json.loads(line) for line in (folder / "latest.jsonl").read_text().splitlines()]
    answers = {a["endpoint"]: a for a in lines[0]["preflight"]["answers"]}
    answer = answers["Prometheus"]
    assert answer["status"] == "refused" and not answer["blocks"] and "running" in answer["fix"]
    assert "Alertmanager" not in answers and "alertmanager" not in lines[0]["preflight"]["uses"]
    assert any(line["type"] == "result" for line in lines)  # the checks ran
    assert "Prometheus (http://127.0.0.1:9): refused" in done.stdout and "what to do: is Prometheus" in done.stdout
    assert "What to do" in (folder / "latest.html").read_text()


def test_the_junit_of_a_stopped_run_is_an_error_per_endpoint():
    """Rendered from a model: `<error>` (could not decide), never `<failure>` (the target is wrong)."""
    run = Run(facts={"environment": "production", "preflight": {"blocking": 1, "answers": [
        {"endpoint": "AWS", "target": "sts.us-east-1", "question": "sts GetCallerIdentity", "status": "credentials",
         "detail": "the SSO session has expired", "fix": "log in: `aws sso login --profile prod`", "blocks": True,
         "ms": 12.0},
        {"endpoint": "App", "target": "https://x", "question": "GET /health", "status": "ok", "detail": "HTTP 200",
         "fix": "", "blocks": False, "ms": 3.0}]}})
    root = junit.document(run, attachment="reports/x.html").getroot()
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["preflight/AWS"]
    assert cases[0].find("failure") is None and "SSO session has expired" in cases[0].find("error").get("message")
    assert root.find("testsuite").get("errors") == "1"
    assert cases[0].find("system-out").text == "[[ATTACHMENT|reports/x.html]]"
    assert html.decision({"run": run.facts, "summary": {"verdict": {"decision": "NO-GO"}}}) == "COULD NOT RUN"


def test_the_readme_states_the_exit_code_contract():
    assert verdict.exit_codes_markdown() in (ROOT / "README.md").read_text()


def test_the_first_client_of_a_session_is_made_alone():
    """The preflight's thread and the reads ahead make clients of the one AWS session at once; botocore sets up what
    they share with the first, which is not safe from two threads (a spurious ProfileNotFound)."""
    import threading

    from fixtures.aws import OPERATIONS, Session

    inside, most = [0], [0]
    lock = threading.Lock()

    class Core:
        def create_client(self, service, **options):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.05 if service == "sts" else 0)
            with lock:
                inside[0] -= 1
            return service

    session = Session(Core(), OPERATIONS)
    first = threading.Thread(target=session.client, args=("sts",))
    first.start()
    time.sleep(0.01)
    assert session.client("eks") == "eks"  # waited for the first: never two setups at once
    first.join()
    assert most[0] == 1
