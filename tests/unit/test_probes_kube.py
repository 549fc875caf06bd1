"""Table-driven tests of golive/probes/kube.py: the Kubernetes rules every probe shares, as the API documents them."""
from __future__ import annotations

import pytest

from golive.probes import kube
from tests.unit.recorded import load, row

DEPLOYMENT = load("wiring", "deployment")
SPEC = kube.pod_spec(DEPLOYMENT)
LABELS = {"app": "nba-mcp-synthesis", "version": "v1.4.0"}


def expr(key, operator, *values):
    return {"matchExpressions": [{"key": key, "operator": operator, **({"values": list(values)} if values else {})}]}


@pytest.mark.parametrize("selector, labels, expected", [
    row("null-selects-nothing", None, LABELS, False),
    row("empty-selects-everything", {}, LABELS, True),
    row("empty-selects-unlabelled", {}, {}, True),
    row("match-labels", {"matchLabels": {"app": "nba-mcp-synthesis"}}, LABELS, True),
    row("match-labels-all-must-hold", {"matchLabels": {"app": "nba-mcp-synthesis", "tier": "web"}}, LABELS, False),
    row("in", expr("version", "In", "v1.3.2", "v1.4.0"), LABELS, True),
    row("in-absent-key", expr("tier", "In", "web"), LABELS, False),
    row("not-in", expr("version", "NotIn", "v1.4.0"), LABELS, False),
    row("not-in-absent-key-matches", expr("tier", "NotIn", "web"), LABELS, True),
    row("exists", expr("app", "Exists"), LABELS, True),
    row("exists-absent-key", expr("tier", "Exists"), LABELS, False),
    row("does-not-exist", expr("app", "DoesNotExist"), LABELS, False),
    row("does-not-exist-absent-key", expr("tier", "DoesNotExist"), LABELS, True),
    row("unknown-operator", expr("app", "Equals", "nba-mcp-synthesis"), LABELS, False),
    row("labels-and-expressions", {"matchLabels": {"app": "nba-mcp-synthesis"}, **expr("version", "In", "v2")}, LABELS,
        False),
])
def test_selector_matches(selector, labels, expected):
    assert kube.selector_matches(selector, labels) is expected


@pytest.mark.parametrize("selector, expected", [
    row("pairs", {"app": "nba-mcp-synthesis"}, True),
    row("empty-service-selector-selects-nothing", {}, False),
    row("missing-pair", {"app": "nba-mcp-synthesis", "tier": "web"}, False),
])
def test_map_selects(selector, expected):
    assert kube.map_selects(selector, LABELS) is expected


@pytest.mark.parametrize("text, selector", [
    row("equality", "app=x,tier==web", {"matchLabels": {"app": "x", "tier": "web"}}),
    row("inequality", "app!=x", {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["x"]}]}),
    row("set", "env in (a, b),tier notin (c)", {"matchExpressions": [
        {"key": "env", "operator": "In", "values": ["a", "b"]}, {"key": "tier", "operator": "NotIn", "values": ["c"]}]}),
    row("existence", "app,!legacy", {"matchExpressions": [{"key": "app", "operator": "Exists"},
                                                          {"key": "legacy", "operator": "DoesNotExist"}]}),
    row("empty", "", {}),
])
def test_parse_selector(text, selector):
    assert kube.parse_selector(text) == selector


def test_parse_selector_refuses_what_it_cannot_read():
    with pytest.raises(ValueError, match="cannot parse"):
        kube.parse_selector("app=(x")


@pytest.mark.parametrize("selector, text", [
    row("null", None, "(nothing)"), row("empty", {}, "(everything)"),
    row("service-map", {"app": "x"}, "app=x"),
    row("expressions", {"matchLabels": {"a": "1"}, **expr("b", "In", "x", "y"), }, "a=1,b in (x,y)"),
])
def test_selector_text(selector, text):
    assert kube.selector_text(selector) == text


@pytest.mark.parametrize("port, protocol, found", [
    row("by-name", "metrics", "TCP", 9090), row("by-number", 8000, "TCP", 8000), row("numeric-string", "8000", "TCP", 8000),
    row("protocol-must-agree", 8000, "UDP", None), row("unknown-name", "grpc", "TCP", None),
    row("undeclared-number", 8080, "TCP", None), row("bool-is-no-port", True, "TCP", None),
])
def test_resolve_port(port, protocol, found):
    resolved = kube.resolve_port(SPEC, port, protocol)
    assert (resolved or {}).get("containerPort") == found


@pytest.mark.parametrize("text, seconds", [
    row("hours-minutes", "1h30m", 5400), row("milliseconds", "500ms", 0.5), row("seconds", "30s", 30),
    row("fraction", "1.5h", 5400), row("not-a-duration", "soon", None), row("trailing-garbage", "5m!", None),
])
def test_duration_seconds(text, seconds):
    assert kube.duration_seconds(text) == seconds


@pytest.mark.parametrize("value, total, scaled", [
    row("integer", 2, 3, 2), row("percent-rounds-up", "50%", 7, 4), row("small-percent-rounds-up", "34%", 3, 2),
    row("digit-string", "1", 3, 1), row("not-a-count", "most", 3, None), row("bool-is-not-a-count", True, 3, None),
])
def test_scaled(value, total, scaled):
    assert kube.scaled(value, total) == scaled


def test_pod_template_of_each_workload_kind():
    pod = {"kind": "Pod", "metadata": {"name": "p", "labels": {"a": "1"}}, "spec": {"containers": [{"name": "c"}]}}
    cron = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"b": "2"}}}}}}}
    assert kube.template_labels(pod) == {"a": "1"} and kube.containers(kube.pod_spec(pod)) == [{"name": "c"}]
    assert kube.template_labels(cron) == {"b": "2"}
    assert kube.template_labels(DEPLOYMENT)["app"] == "nba-mcp-synthesis"
    assert kube.condition(None, "Ready") == {} and kube.condition(DEPLOYMENT, "Available")["status"] == "True"


def test_named_finds_by_name_in_a_namespace_or_any():
    objects = [{"metadata": {"name": "a", "namespace": "x"}}, {"metadata": {"name": "a", "namespace": "y"}}]
    assert len(kube.named(objects, "a")) == 2 and kube.named(objects, "a", "y") == objects[1:]
    assert kube.named(objects, "b") == []
