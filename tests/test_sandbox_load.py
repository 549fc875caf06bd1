"""Rehearse your own manifests: `golive-sandbox load` puts a team's files into the sandbox's Kubernetes API,
and the live checks judge them as they would a cluster.

The proof of issue 11: the healthy manifest set loaded passes the checks that decide from manifests, now live;
each variant (one wiring defect, tests/data/manifests/variants) loaded with --prune fails the checks it names,
with the message naming both objects; every load is undone afterwards, so the shared sandbox is healed.
"""
from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from sandbox import load as loader
from tests.harness import ROOT
from tests.test_manifests import HEALTHY, MANIFEST_CHECKS, VARIANTS, healthy_documents, with_variant, write_set

APP_NS = "nba-mcp-synthesis"


@pytest.fixture
def loaded(sandbox):
    """Load manifests into the sandbox; every load is undone at the end of the test, whatever happened."""
    done = []

    def run(*paths, prune=False):
        result = sandbox.load(paths, prune=prune)
        done.append(result)
        assert not result.refused, result.refused
        return result
    yield run
    for result in reversed(done):
        result.undo()


def snapshot(sandbox) -> dict:
    """What the checks read of the app namespace's declared objects: spec, data (a Secret's keys), labels, status
    (with whether it has observed the current generation, not the generation itself)."""
    found = {}
    for kind in loader.PRUNED:
        for obj in sandbox.kube.http.get(f"{sandbox.kube.base}{kind.path(APP_NS)}", timeout=5).json()["items"]:
            meta, status = obj["metadata"], dict(obj.get("status") or {})
            seen = status.pop("observedGeneration", None)
            data = sorted(obj.get("data") or {}) if kind.kind == "Secret" else obj.get("data")
            found[(kind.kind, meta["name"])] = {"spec": obj.get("spec"), "data": data, "labels": meta.get("labels"),
                                                "status": status, "current": seen in (None, meta.get("generation"))}
    return found


def test_the_healthy_set_loaded_passes_live(loaded, run_checks, sandbox):
    before = snapshot(sandbox)
    result = loaded(HEALTHY, prune=True)  # a kustomization folder, rendered with kubectl kustomize
    assert {line.split()[0] for line in result.lines} == {"replaced"}  # the sandbox's names are the set's
    assert not any(line.startswith("pruned") for line in result.lines)
    run = run_checks(*sorted(MANIFEST_CHECKS))
    failing = {i: f"{r.outcome}: {r.message}" for i, r in run.results.items() if r.outcome != "passed"}
    assert not failing, failing
    result.undo()
    assert snapshot(sandbox) == before  # healed: what the checks read is as seeded


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_a_variant_loaded_fails_its_checks_live(name, loaded, run_checks, tmp_path):
    variant = VARIANTS[name]
    loaded(write_set(tmp_path / "k8s", with_variant(healthy_documents(), variant)), prune=True)
    run = run_checks(*variant.breaks)
    still_green = [i for i in variant.breaks if run[i].outcome != "failed"]
    assert not still_green, {i: f"{run[i].outcome}: {run[i].message}" for i in still_green}
    assert variant.expect in run[variant.breaks[0]].message, run[variant.breaks[0]].message


def test_new_objects_get_a_plausible_status_and_unload_deletes_them(sandbox, tmp_path):
    manifests = tmp_path / "new.yaml"
    manifests.write_text(yaml.safe_dump_all([
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "golive-cache"}, "spec": {
            "replicas": 2, "serviceName": "golive-cache", "selector": {"matchLabels": {"app": "golive-cache"}},
            "template": {"metadata": {"labels": {"app": "golive-cache"}}, "spec": {
                "containers": [{"name": "redis", "image": "redis:7.2.4"}]}}}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "golive-data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "golive-nightly"}, "spec": {
            "schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "job", "image": "busybox:1.36"}]}}}}}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "golive-plain"}, "stringData": {"k": "v"}},
    ]))
    cli = [sys.executable, "-m", "sandbox"]
    done = subprocess.run([*cli, "load", str(manifests)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    try:
        assert done.returncode == 0, done.stderr
        assert f"created StatefulSet {APP_NS}/golive-cache" in done.stdout
        sts = sandbox.kube.http.get(f"{sandbox.kube.base}/apis/apps/v1/namespaces/{APP_NS}/statefulsets/golive-cache",
                                    timeout=5).json()
        assert sts["status"]["readyReplicas"] == 2 and sts["status"]["observedGeneration"] == 1
        pvc = sandbox.kube.http.get(
            f"{sandbox.kube.base}/api/v1/namespaces/{APP_NS}/persistentvolumeclaims/golive-data", timeout=5).json()
        assert pvc["status"] == {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "5Gi"}}
        secret = sandbox.kube.http.get(f"{sandbox.kube.base}/api/v1/namespaces/{APP_NS}/secrets/golive-plain",
                                       timeout=5).json()
        assert secret["data"] == {"k": "dg=="} and "stringData" not in secret
    finally:
        undone = subprocess.run([*cli, "unload"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert undone.returncode == 0, undone.stderr
    assert f"deleted StatefulSet {APP_NS}/golive-cache" in undone.stdout and "put back" in undone.stdout
    gone = sandbox.kube.http.get(f"{sandbox.kube.base}/apis/apps/v1/namespaces/{APP_NS}/statefulsets/golive-cache",
                                 timeout=5)
    assert gone.status_code == 404


def test_an_invalid_object_is_refused_naming_its_field_and_the_rest_load(sandbox, tmp_path):
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "golive-ok"}, "data": {"a": "b"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "golive-bad"}, "spec": {
            "selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "x"}},
                                                                    "spec": {"containers": [{"image": "x:1"}]}}}},
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}},
    ]))
    result = sandbox.load([tmp_path / "bad.yaml"])
    try:
        assert [line for line in result.lines] == [f"created ConfigMap {APP_NS}/golive-ok"]
        assert any("Deployment" in r and "spec.template.spec.containers[0].name: Required value" in r
                   for r in result.refused), result.refused
        assert any("example.com/v1 Widget is not served" in r for r in result.refused), result.refused
    finally:
        result.undo()


def test_bad_input_is_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "sandbox", "load", str(tmp_path / "missing")], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "does not exist" in done.stderr


def test_a_crd_and_its_resources_load_together(sandbox, tmp_path):
    """A project's own CRD in the same files as its resources: the CRD goes first, discovery then finds the kind."""
    from tests.test_kube_emulator import CERTIFICATE_CRD

    certificate = {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "golive-cert"},
                   "spec": {"secretName": "golive-tls"}}
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all([certificate, CERTIFICATE_CRD]))
    result = sandbox.load([tmp_path / "all.yaml"])
    try:
        assert not result.refused, result.refused
        assert result.lines == ["created CustomResourceDefinition certificates.cert-manager.io",
                                f"created Certificate {APP_NS}/golive-cert"]
    finally:
        result.undo()
    gone = sandbox.kube.http.get(f"{sandbox.kube.base}/apis/cert-manager.io/v1/namespaces/{APP_NS}/certificates",
                                 timeout=5)
    assert gone.status_code == 404
