"""Table-driven tests of golive/probes/drift.py: the reviewed manifests and the live objects in, drift out.

`declared.json` is the sandbox seed as a team's manifests declare it, `live.json` the same objects as the API
serves them (tests/data/probes/drift/README.md): no drift. Each row changes one side the way a cluster drifts.
"""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from golive.probes import drift
from tests.unit.recorded import FAIL, PASS, load, row, verdict

NS = "nba-mcp-synthesis"
DECLARED = load("drift", "declared")
LIVE = load("drift", "live")
MANAGED = {(kind, NS) for kind in ("ConfigMap", "Deployment", "Service", "Secret")}
IGNORE = ["ConfigMap/kube-root-ca.crt", "Secret/sh.helm.release.v1.*"]


def find(objects: list[dict], kind: str, name: str) -> dict:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def container(objects: list[dict]) -> dict:
    return find(objects, "Deployment", NS)["spec"]["template"]["spec"]["containers"][0]


def judge(change_declared=None, change_live=None):
    declared, live = copy.deepcopy(DECLARED), copy.deepcopy(LIVE)
    (change_declared or (lambda d: None))(declared)
    (change_live or (lambda l: None))(live)
    return drift.drift(declared, live, managed=MANAGED, ignore=IGNORE, where="k8s/")


def _append(objects, obj):
    objects.append(obj)


@pytest.mark.parametrize("declared, live, outcome, fragments", [
    row("as-reviewed", None, None, PASS, "no drift: the 5 declared objects are live as declared"),
    row("server-defaults-ignored", None, lambda l: container(l).update(stdin=False, tty=False), PASS, "no drift"),
    row("controller-annotation-ignored", None,
        lambda l: find(l, "Deployment", NS)["metadata"].setdefault("annotations", {}).update(
            {"kubectl.kubernetes.io/restartedAt": "2026-12-01T10:00:00Z"}), PASS, "no drift"),
    row("quantity-canonicalised", lambda d: container(d)["resources"]["requests"].update(memory="1024Mi", cpu="0.5"),
        None, PASS, "no drift"),
    row("int-or-string-port", lambda d: find(d, "Service", "nba-mcp-synthesis-service")["spec"]["ports"][0].update(
        targetPort="8000"), lambda l: find(l, "Service", "nba-mcp-synthesis-service")["spec"]["ports"][0].update(
        targetPort=8000), PASS, "no drift"),
    row("empty-declared-field-is-absence", lambda d: find(d, "ConfigMap", "nba-mcp-synthesis-config")["metadata"].update(
        annotations={}), None, PASS, "no drift"),
    row("controller-owned-undeclared", None, lambda l: _append(l, {
        "kind": "Secret", "metadata": {"name": "made", "namespace": NS, "ownerReferences": [{"kind": "ExternalSecret"}]}}),
        PASS, "no drift"),
    row("ignored-pattern", None, lambda l: _append(l, {"kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt",
                                                                                         "namespace": NS}}),
        PASS, "no drift"),
    row("unmanaged-namespace", None, lambda l: _append(l, {"kind": "ConfigMap", "metadata": {"name": "x",
                                                                                            "namespace": "other"}}),
        PASS, "no drift"),
    row("image-edited", None, lambda l: container(l).update(image="repo/app:hotfix"), FAIL,
        (f"drift: 1 object(s) differ from their manifests (Deployment {NS}/{NS}: spec.template.spec.containers"
         f"[{NS}].image: declared '123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.4.0', live "
         "'repo/app:hotfix')")),
    row("configmap-value-edited", None,
        lambda l: find(l, "ConfigMap", "nba-mcp-synthesis-config")["data"].update(LOG_LEVEL="DEBUG"), FAIL,
        "data.LOG_LEVEL: declared 'INFO', live 'DEBUG'"),
    row("label-removed-live", None, lambda l: find(l, "Namespace", NS)["metadata"]["labels"].pop("name"), FAIL,
        f"Namespace {NS}: metadata.labels.name: declared 'nba-mcp-synthesis', live absent"),
    row("container-removed-live", None,
        lambda l: find(l, "Deployment", NS)["spec"]["template"]["spec"].update(containers=[]), FAIL,
        f"spec.template.spec.containers[{NS}]: declared, live absent"),
    row("args-changed", lambda d: container(d).update(args=["--port", "8000"]),
        lambda l: container(l).update(args=["--port", "9000"]), FAIL, "args: declared ['--port', '8000'], live"),
    row("args-shortened", lambda d: container(d).update(args=["--port", "8000"]),
        lambda l: container(l).update(args=["--port"]), FAIL, "args: declared ['--port', '8000'], live ['--port']"),
    row("positional-objects-fewer-live", lambda d: find(d, "Deployment", NS)["spec"]["template"]["spec"].update(
        tolerations=[{"key": "a"}, {"key": "b"}]),
        lambda l: find(l, "Deployment", NS)["spec"]["template"]["spec"].update(tolerations=[{"key": "a"}]), FAIL,
        "spec.template.spec.tolerations[1]: declared, live absent"),
    row("positional-objects-more-live", lambda d: find(d, "Deployment", NS)["spec"]["template"]["spec"].update(
        tolerations=[{"key": "a"}]),
        lambda l: find(l, "Deployment", NS)["spec"]["template"]["spec"].update(tolerations=[{"key": "a"}, {"key": "z"}]),
        FAIL, "spec.template.spec.tolerations: 1 more item(s) live than declared"),
    row("positional-object-changed", lambda d: find(d, "Deployment", NS)["spec"]["template"]["spec"].update(
        tolerations=[{"key": "a"}]),
        lambda l: find(l, "Deployment", NS)["spec"]["template"]["spec"].update(tolerations=[{"key": "b"}]), FAIL,
        "tolerations[0].key: declared 'a', live 'b'"),
    row("object-became-value", None, lambda l: find(l, "Deployment", NS)["spec"].update(strategy="Recreate"), FAIL,
        "spec.strategy: declared an object, live 'Recreate'"),
    row("list-became-value", None,
        lambda l: find(l, "Deployment", NS)["spec"]["template"]["spec"].update(containers="none"), FAIL,
        "spec.template.spec.containers: declared a list, live 'none'"),
    row("missing-live", None, lambda l: l.remove(find(l, "Service", "nba-mcp-synthesis-headless")), FAIL,
        f"1 declared object(s) missing live (Service {NS}/nba-mcp-synthesis-headless)"),
    row("undeclared-live", None, lambda l: _append(l, {"kind": "ConfigMap", "metadata": {"name": "hand-made",
                                                                                        "namespace": NS}}),
        FAIL, f"1 live object(s) declared nowhere (ConfigMap {NS}/hand-made)"),
    row("two-objects-differ", None, lambda l: (container(l).update(image="x"), find(
        l, "ConfigMap", "nba-mcp-synthesis-config")["data"].update(LOG_LEVEL="DEBUG")), FAIL,
        "2 object(s) differ from their manifests"),
])
def test_drift(declared, live, outcome, fragments):
    verdict(judge(declared, live), outcome, fragments)


def test_the_report_lists_differences_per_object_capped():
    def many(live):
        find(live, "ConfigMap", "nba-mcp-synthesis-config")["data"] = {}
    declared = copy.deepcopy(DECLARED)
    find(declared, "ConfigMap", "nba-mcp-synthesis-config")["data"] = {f"K{i}": "v" for i in range(drift.MAX_SHOWN + 3)}
    finding = judge(lambda d: d.__setitem__(slice(None), declared), many)
    listed = finding.observed["differ"][f"ConfigMap {NS}/nba-mcp-synthesis-config"]
    assert len(listed) == drift.MAX_SHOWN + 1 and listed[-1] == "… 3 more"


def test_secret_values_are_neither_compared_nor_shown():
    secret = {"kind": "Secret", "metadata": {"name": "s", "namespace": NS}, "data": {"password": "<redacted>"}}
    live = {"kind": "Secret", "metadata": {"name": "s", "namespace": NS}, "data": {"password": "<redacted>"}}
    assert drift.drift([secret], [live], managed=MANAGED, ignore=[]).ok
    gone = drift.drift([secret], [{**live, "data": {}}], managed=MANAGED, ignore=[])
    assert not gone.ok and "data.password: declared '<redacted>', live absent" in gone.summary


def test_nothing_reviewed_cannot_pass():
    verdict(drift.drift([], LIVE, managed=MANAGED, ignore=[], where="k8s/"), FAIL,
            "no manifests to compare the live objects with (k8s/)")
    assert "nothing given" in drift.drift([], [], managed=set(), ignore=[]).summary


@pytest.mark.parametrize("value, number", [
    ("500m", Decimal("0.5")), ("1Gi", Decimal(2**30)), (2, Decimal(2)), ("1e3", Decimal(1000)), ("0.5", Decimal("0.5")),
    ("http", None), (True, None), ({"a": 1}, None), (None, None),
])
def test_quantity(value, number):
    assert drift.quantity(value) == number


def test_long_values_are_shortened():
    shown = drift.differences({"a": "x" * 300}, {"a": "y"})[0]
    assert shown.startswith("a: declared 'xxx") and "…" in shown and len(shown) < 300
