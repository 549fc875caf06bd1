"""The endpoint matrix: every endpoint golive reads, made to misbehave every way (sandbox/misbehave.py).

Each endpoint in turn is replaced by a misbehaving one (golive pointed at it through a copy of golive.toml,
the rest of the sandbox healthy) that refuses connections, hangs, answers 403, 500, an HTML page, JSON of the
wrong shape, or empty lists. A representative set of the checks that depend on it must then end as *error*
(could not decide) or *failed*, naming the endpoint, never passing, never as a bare Python exception, and
the run is never GO. The preflight is skipped: it would stop most of these runs before any check (exit 4),
and what is tested here is what the checks make of the answers.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sandbox import stack
from sandbox.misbehave import MODES, Misbehaving

from tests.harness import ROOT, config_copy, run_suite

SANDBOX_TIMEOUTS = "timeouts = { connect_seconds = 2, read_seconds = 5, settle_seconds = 20, settle_interval_seconds = 1 }"
# Short timeouts: a hang costs one of them; settle loops keep the sandbox's 20 s (they must stop early).
MATRIX_TIMEOUTS = "timeouts = { connect_seconds = 1, read_seconds = 2, settle_seconds = 20, settle_interval_seconds = 1 }"

# endpoint -> (what it is called in golive's messages, the checks that depend on it)
ENDPOINTS = {
    "kubernetes": ("Kubernetes API", [
        "t-2h/final-infrastructure-check/kubectl-cluster-info", "t-2h/final-infrastructure-check/kubectl-get-nodes",
        "t-2h/resource-validation/confirm-sufficient-node-capacity", "t-0/phase1/verify-infrastructure/verify-node-health",
        "t-0/phase3/verify-application/check-pod-status", "t-0/phase2/verify-secrets/validate-kubernetes-secrets"]),
    "prometheus": ("Prometheus", [
        "t-2h/success-criteria/no-critical-alerts", "t-30m/critical-path-testing/confirm-monitoring-metrics",
        "t+24h/incident-review/review-any-incidents", "t-0/phase4/verify-monitoring/check-prometheus-targets",
        "t+1h/performance-monitoring/monitor-error-rates", "t+15m/monitoring-verification/verify-prometheus-metrics"]),
    "alertmanager": ("Alertmanager", [
        "t-2h/success-criteria/no-critical-alerts", "post/immediate-first-2-hours/respond-to-any-alerts",
        "t+1h/alert-tuning/verify-escalation-procedures"]),
    "grafana": ("Grafana", [
        "t+15m/monitoring-verification/check-grafana-dashboards", "t-0/phase4/verify-monitoring/verify-grafana-dashboards"]),
    "app": ("App", [
        "t-0/phase3/verify-application/test-health-endpoints", "t-30m/critical-path-testing/test-api-endpoints",
        "t-0/phase3/verify-application/confirm-ingress-working"]),
    "aws": ("AWS", [
        "t-2h/final-infrastructure-check/aws-eks-describe-cluster",
        "t-2h/final-infrastructure-check/aws-secretsmanager-list-secrets",
        "t-2h/resource-validation/check-load-balancer-health", "t-2h/resource-validation/validate-security-groups",
        "t-0/phase1/verify-infrastructure/check-eks-cluster-status",
        "t-4h/environment-preparation/verify-aws-quotas-and-limits",
        "t-24h/infrastructure-verification/confirm-backup-systems-operational"]),
}

# Lines of the sandbox environment that name each endpoint, and what points them at the misbehaving one.
POINT_AT = {
    "prometheus": ('url = "http://127.0.0.1:18090", service = "monitoring/kube-prometheus-stack-prometheus:9090"',
                   'url = "{url}"'),
    "alertmanager": ('url = "http://127.0.0.1:18093", service = "monitoring/kube-prometheus-stack-alertmanager:9093"',
                     'url = "{url}"'),
    "grafana": ('grafana = { url = "http://127.0.0.1:18300"', 'grafana = {{ url = "{url}"'),
    "app": ('base_url = "http://127.0.0.1:18000", ingress_url = "http://127.0.0.1:18000"',
            'base_url = "{url}", ingress_url = "{url}"'),
    "aws": ('endpoint_url = "http://127.0.0.1:18500"', 'endpoint_url = "{url}"'),
    "kubernetes": ('kubeconfig = "${GOLIVE_SANDBOX_DIR:-.sandbox}/kubeconfig"', 'kubeconfig = "{kubeconfig}"'),
}

# Empty answers that are a healthy state, not an absence: an Alertmanager with no alert active.
EMPTY_IS_HEALTHY = {("alertmanager", "t-2h/success-criteria/no-critical-alerts"),
                    ("alertmanager", "post/immediate-first-2-hours/respond-to-any-alerts")}
# Where golive cannot have been answered by the endpoint's API: could not decide, whatever the endpoint (but the
# app, whose every answer is the target's own: a 403 or a web page there fails its checks).
UNDECIDABLE = ("down", "hang", "403", "html")

# A check that broke on an answer says so in golive's words; these lead a message only when it did not.
BARE = re.compile(r"^(?:\w+\.)*(AttributeError|TypeError|KeyError|IndexError|ValueError|JSONDecodeError|RetryError|"
                  r"ResponseParserError|Exception)\b")


def config_for(tmp_path: Path, endpoint: str, url: str) -> Path:
    """The sandbox's config with ENDPOINT pointed at the stub (and shorter timeouts), usable from any folder."""
    old, new = POINT_AT[endpoint]
    kubeconfig = tmp_path / "kubeconfig"
    if endpoint == "kubernetes":
        config = json.loads((stack.state_dir() / "kubeconfig").read_text())
        config["clusters"][0]["cluster"] = {"server": url}
        kubeconfig.write_text(json.dumps(config))
    return config_copy(tmp_path, (SANDBOX_TIMEOUTS, MATRIX_TIMEOUTS), (old, new.format(url=url, kubeconfig=kubeconfig)))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_a_misbehaving_endpoint_never_passes_and_is_named(sandbox, tmp_path, endpoint, mode):
    name, items = ENDPOINTS[endpoint]
    with Misbehaving(mode, endpoint) as stub:
        config = config_for(tmp_path, endpoint, stub.url)
        args = ["checks", "--golive-env", "sandbox", "--golive-config", str(config), "--golive-no-preflight"]
        for item in items:
            args += ["--golive-item", item]
        run = run_suite(*args)
    problems = []
    for item in items:
        result = run.results.get(item)
        if result is None:
            problems.append(f"{item}: did not run")
            continue
        said = f"{item}: {result.outcome}: {result.message[:300]}"
        if result.outcome == "passed" and (endpoint, item) in EMPTY_IS_HEALTHY and mode == "empty":
            continue
        if result.outcome not in ("error", "failed"):
            problems.append(f"{result.outcome}: {said}")
        elif BARE.match(result.message) or result.detail:
            problems.append(f"a bare exception: {said} {result.detail[-300:]}")
        elif mode != "empty" and name not in result.message and stub.url.split("//")[1] not in result.message:
            problems.append(f"does not name {name} ({stub.url}): {said}")
        elif mode in UNDECIDABLE and endpoint != "app" and result.outcome != "error":
            problems.append(f"decided on an answer that is not the API's, instead of could-not-decide: {said}")
    assert not problems, f"{endpoint} {mode}:\n" + "\n".join(problems)
    assert run.exit_code != 0, f"{endpoint} {mode}: the run was GO"


def checks_reading(fixture: str) -> list[str]:
    """The non-mutating automated checks that take `fixture` (every check whose answer depends on that endpoint)."""
    import importlib
    import inspect

    from golive import coverage
    from golive.check import AUTOMATED

    found = []
    for item, bound in sorted(coverage.bound_tests(ROOT / "checks").items()):
        spec, (module, name) = bound[0].spec, bound[0].test.split("::")
        if spec.kind != AUTOMATED or spec.mutating:
            continue
        fn = getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), name)
        if fixture in inspect.signature(inspect.unwrap(fn)).parameters:
            found.append(item)
    return found


# Checks that take the fixture but do not judge its contents, each with why it may pass on an empty endpoint.
NOT_JUDGED_FROM = {
    "k8s": {"t-0/phase1/verify-infrastructure/validate-network-connectivity":
            "reads only the API server's address, to test TCP to it"},
    "prom": {},
}


@pytest.mark.parametrize("endpoint, fixture", [("prometheus", "prom"), ("kubernetes", "k8s")])
def test_no_check_passes_on_an_empty_endpoint(sandbox, tmp_path, endpoint, fixture):
    """Prometheus with no series, rules or targets, a Kubernetes API with no objects: every check that reads it
    fails or cannot decide, so no selection of checks is GO on them."""
    items = [i for i in checks_reading(fixture) if i not in NOT_JUDGED_FROM[fixture]]
    with Misbehaving("empty", endpoint) as stub:
        args = ["checks", "--golive-env", "sandbox", "--golive-config", str(config_for(tmp_path, endpoint, stub.url)),
                "--golive-no-preflight"]
        for item in items:
            args += ["--golive-item", item]
        run = run_suite(*args)
    assert len(items) > 5 and not [i for i in items if i not in run.results]
    passing = [f"{i}: {run[i].message or run[i].evidence}"[:300] for i in items if run[i].outcome == "passed"]
    assert not passing, f"passed with {endpoint} empty:\n" + "\n".join(passing)
