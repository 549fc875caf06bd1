"""Drift against the sandbox: what runs is what was reviewed (T-0 "Check pod status", given --golive-drift).

The reviewed manifests are made from the sandbox's own seed at test time (what a team would have applied:
no status, no server metadata, nothing a controller made), so the healthy sandbox has no drift; then one live
field is edited through the sandbox's Kubernetes API and drift names the object and the field.
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from fixtures.manifests import KIND_NAMES, RUNTIME
from golive.probes.drift import SERVER_METADATA
from tests.harness import ROOT

POD_STATUS = "t-0/phase3/verify-application/check-pod-status"
APP_NS = "nba-mcp-synthesis"
DECLARABLE = {KIND_NAMES[k] for k in KIND_NAMES if k not in RUNTIME}


def seed_as_manifests() -> list[dict]:
    """The seed's objects as a team's manifests declare them."""
    out = []
    for doc in yaml.safe_load_all((ROOT / "sandbox" / "seed" / "kubernetes.yaml").read_text()):
        if not doc or doc.get("kind") not in DECLARABLE or (doc.get("metadata") or {}).get("ownerReferences"):
            continue
        doc = copy.deepcopy(doc)
        doc.pop("status", None)
        doc["metadata"] = {k: v for k, v in doc["metadata"].items() if k not in SERVER_METADATA}
        out.append(doc)
    return out


def reviewed(tmp_path: Path, docs: list[dict]) -> Path:
    path = tmp_path / "reviewed.yaml"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return path


def drift_finding(run) -> dict:
    found = [f for f in run[POD_STATUS].findings() if f.get("resource") == "drift"]
    assert len(found) == 1, run[POD_STATUS].evidence
    return found[0]


def test_the_healthy_sandbox_runs_what_was_reviewed(run_checks, tmp_path):
    run = run_checks(POD_STATUS, extra=("--golive-drift", str(reviewed(tmp_path, seed_as_manifests()))))
    finding = drift_finding(run)
    assert finding["ok"], finding
    assert run[POD_STATUS].outcome == "passed", run[POD_STATUS].message


def test_drift_names_an_edited_live_field(run_checks, sandbox, tmp_path):
    path = reviewed(tmp_path, seed_as_manifests())
    sandbox.kube.patch("ConfigMap", "nba-mcp-synthesis-config", APP_NS, body={"data": {"LOG_LEVEL": "DEBUG"}})
    try:
        run = run_checks(POD_STATUS, extra=("--golive-drift", str(path)))
    finally:
        sandbox.kube.restore("ConfigMap", "nba-mcp-synthesis-config", APP_NS)
    result = run[POD_STATUS]
    assert result.outcome == "failed"
    assert f"ConfigMap {APP_NS}/nba-mcp-synthesis-config: data.LOG_LEVEL: declared" in result.message, result.message
    assert "live 'DEBUG'" in result.message
    assert drift_finding(run)["observed"]["differ"] == {
        f"ConfigMap {APP_NS}/nba-mcp-synthesis-config": [drift_finding(run)["observed"]["differ"][
            f"ConfigMap {APP_NS}/nba-mcp-synthesis-config"][0]]}


def test_drift_names_what_is_missing_live_and_what_no_manifest_declares(run_checks, tmp_path):
    docs = seed_as_manifests()
    extra = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "reviewed-only", "namespace": APP_NS},
             "data": {"a": "b"}}
    # One of the app namespace's service accounts left out: ServiceAccounts stay a managed kind there.
    without = [d for d in docs if not (d["kind"] == "ServiceAccount" and d["metadata"]["name"] == "external-secrets-sa")]
    assert len(without) == len(docs) - 1
    run = run_checks(POD_STATUS, extra=("--golive-drift", str(reviewed(tmp_path, without + [extra]))))
    observed = drift_finding(run)["observed"]
    assert observed["missing live"] == [f"ConfigMap {APP_NS}/reviewed-only"]
    assert observed["live but not declared"] == [f"ServiceAccount {APP_NS}/external-secrets-sa"]
    assert "declared object(s) missing live (ConfigMap nba-mcp-synthesis/reviewed-only)" in run[POD_STATUS].message


def test_unreadable_reviewed_manifests_are_an_error_naming_them(run_checks, tmp_path):
    run = run_checks(POD_STATUS, extra=("--golive-drift", str(tmp_path / "nowhere")))
    assert run[POD_STATUS].outcome == "error"
    assert "does not exist" in run[POD_STATUS].message


@pytest.mark.parametrize("mode", ["manifests"])
def test_drift_is_not_applicable_before_the_deploy(mode, tmp_path, monkeypatch):
    """In manifest mode nothing is live: the drift part is recorded as not applicable, the rest decides."""
    from tests.harness import run_suite
    from tests.test_manifests import healthy_documents, write_set

    monkeypatch.setenv("GOLIVE_SANDBOX_DIR", str(tmp_path / "no-sandbox"))
    k8s = write_set(tmp_path / "k8s", healthy_documents())
    run = run_suite("checks", "--golive-env", "sandbox", "--golive-reports", "none", "--golive-item", POD_STATUS,
                    "--golive-manifests", str(k8s), "--golive-drift", str(k8s))
    result = run[POD_STATUS]
    assert result.outcome == "passed"
    assert any("(drift)" in e.get("summary", "") for e in result.evidence if e.get("not_applicable"))
