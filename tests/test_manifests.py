"""Manifest mode: the same checks before the deploy, over the team's files instead of the cluster.

tests/data/manifests/healthy is a manifest set wired right; each file in tests/data/manifests/variants
is one wiring defect (the same files are the live faults of sandbox/faults/wiring.py). No server runs
here: in manifest mode only Kubernetes objects are read, from files, and every runtime part of a check is
"not applicable before the deploy".
"""
from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from fixtures import manifests
from fixtures.kubernetes import KINDS
from golive.check import NotBeforeDeploy
from golive.gather import Ledger, SourceUnavailable
from golive.outcomes import NOT_APPLICABLE
from golive.probes import kube
from sandbox.faults.wiring import variants
from sandbox.kube_api import json_patch
from tests.harness import ROOT, run_suite

HEALTHY = ROOT / "tests" / "data" / "manifests" / "healthy"
APP_NS = "nba-mcp-synthesis"
VARIANTS = variants()
# Every check that decides from manifests (manifests=True); the others end "not applicable".
MANIFEST_CHECKS = {
    "t-24h/infrastructure-verification/check-node-capacity-and-scaling",
    "t-24h/infrastructure-verification/validate-network-connectivity",
    "t-24h/application-validation/test-monitoring-and-alerting",
    "t-2h/resource-validation/verify-auto-scaling-configured",
    "t-24h/application-validation/validate-secret-management",
    "t-0/phase2/verify-secrets/validate-kubernetes-secrets",
    "t-0/phase2/verify-secrets/test-secret-access",
    "t-0/phase3/verify-application/check-pod-status",
    "t-0/phase3/verify-application/verify-service-connectivity",
    "t-0/phase3/verify-application/confirm-ingress-working",
    "t-0/phase4/verify-monitoring/check-prometheus-targets",
    "t-0/phase4/verify-monitoring/test-alerting-rules",
}


@pytest.fixture(autouse=True)
def _no_sandbox_needed(monkeypatch, tmp_path):
    # Nothing may reach for the sandbox's files or servers: point its state folder at nothing.
    monkeypatch.setenv("GOLIVE_SANDBOX_DIR", str(tmp_path / "no-sandbox"))


def healthy_documents() -> list[dict]:
    return [d for f in sorted(HEALTHY.glob("*.yaml")) if f.name != "kustomization.yaml"
            for d in yaml.safe_load_all(f.read_text()) if d]


def with_variant(docs: list[dict], variant) -> list[dict]:
    """The documents with the variant's changes applied (JSON patches, deletions) to the objects it names."""
    docs = copy.deepcopy(docs)
    for change in variant.changes:
        hit = [i for i, d in enumerate(docs) if d["kind"] == change["kind"] and d["metadata"]["name"] == change["name"]]
        assert hit, f"{variant.name}: no {change['kind']} {change['name']} in the healthy set"
        if change.get("delete"):
            del docs[hit[0]]
        else:
            docs[hit[0]] = json_patch(docs[hit[0]], change["patch"])
    return docs


def write_set(folder: Path, docs: list[dict]) -> Path:
    """One file per object, as a team's plain manifest folder holds them."""
    folder.mkdir(parents=True)
    for i, doc in enumerate(docs):
        (folder / f"{i:02d}-{doc['kind'].lower()}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return folder


def run_manifests(*paths: Path, extra: tuple[str, ...] = ()):
    args = ["checks", "--golive-env", "sandbox", "--golive-reports", "none", *extra]
    for path in paths:
        args += ["--golive-manifests", str(path)]
    return run_suite(*args)


# --- the healthy set passes, in every form a team hands it over ------------------------------------


def decided(run) -> dict:
    return {i: r for i, r in run.results.items() if r.outcome != NOT_APPLICABLE}


def assert_healthy(run) -> None:
    assert set(decided(run)) == MANIFEST_CHECKS, sorted(set(decided(run)) ^ MANIFEST_CHECKS)
    failing = {i: f"{r.outcome}: {r.message}" for i, r in decided(run).items() if r.outcome != "passed"}
    assert not failing, failing
    assert run.exit_code == 0
    # Every other check is in the run, as not applicable before the deploy, saying why; the verdict says so.
    live_only = [r for r in run.results.values() if r.outcome == NOT_APPLICABLE]
    assert live_only and all("needs the live cluster" in r.message for r in live_only)
    reason = run.model.summary["verdict"]["reason"]
    assert reason.startswith(f"GO for what manifests can decide: {len(MANIFEST_CHECKS)} checks; "
                             f"{len(live_only)} checks need the live cluster"), reason


def test_healthy_plain_folder_passes(tmp_path):
    run = run_manifests(write_set(tmp_path / "k8s", healthy_documents()))  # benchmarks/manifests.py: how long
    assert_healthy(run)
    # Each check says which of its parts could not be decided before the deploy, and decided the rest.
    pods = run["t-0/phase3/verify-application/check-pod-status"]
    assert any(e.get("not_applicable") for e in pods.evidence)
    assert any("references of its pod template resolve" in f["summary"] for f in pods.findings())


def test_healthy_single_file_passes(tmp_path):
    """`helm template ... > rendered.yaml`: one multi-document file with `# Source:` comments."""
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text("".join(f"---\n# Source: nba-mcp-synthesis/templates/{d['kind'].lower()}.yaml\n"
                                + yaml.safe_dump(d, sort_keys=False) for d in healthy_documents()))
    assert_healthy(run_manifests(rendered))


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl renders kustomizations")
def test_healthy_kustomization_passes():
    """A folder holding kustomization.yaml is rendered with `kubectl kustomize`."""
    assert_healthy(run_manifests(HEALTHY))


def test_only_manifest_capable_checks_run(tmp_path):
    """The T-24h pre-deploy gate: `-m t_minus_24 --golive-manifests k8s/` runs the T-24h checks that can decide."""
    run = run_manifests(write_set(tmp_path / "k8s", healthy_documents()), extra=("-m", "t_minus_24"))
    assert set(decided(run)) == {i for i in MANIFEST_CHECKS if i.startswith("t-24h/")}
    assert all(i.startswith(("t-24h/", "pre/", "contacts/")) or r.outcome == NOT_APPLICABLE
               for i, r in run.results.items())
    assert run.exit_code == 0


def test_not_applicable_is_its_own_outcome_in_every_report(tmp_path):
    """JSONL says it, JUnit shows it skipped with the reason, the page badges it, and nothing calls it passed."""
    import json
    import xml.etree.ElementTree as ET

    reports = tmp_path / "reports"
    run_suite("checks", "--golive-env", "sandbox", "--golive-reports", str(reports), "-m", "t_minus_24",
              "--golive-manifests", str(write_set(tmp_path / "k8s", healthy_documents())))
    lines = [json.loads(line) for line in next(reports.glob("*.jsonl")).read_text().splitlines()]
    na = [x for x in lines if x["type"] == "result" and x["outcome"] == NOT_APPLICABLE]
    assert na and all("needs the live cluster" in x["message"] for x in na)
    summary = lines[-1]["verdict"]
    assert summary["before_deploy"] and {d["runbook_id"] for d in summary["not_applicable"]} == \
        {x["runbook_id"] for x in na}
    cases = {c.get("name"): c for c in ET.parse(next(reports.glob("*.xml"))).iter("testcase")}
    for x in na:
        skipped = cases[x["runbook_id"]].find("skipped")
        assert skipped is not None and "needs the live cluster" in skipped.get("message")
    page = next(reports.glob("production*.html"), None) or next(p for p in reports.glob("*.html")
                                                                 if p.name != "latest.html")
    assert "NOT APPLICABLE" in page.read_text() and "needs the live cluster" in page.read_text()


def test_a_run_with_nothing_decidable_from_manifests_is_never_a_go(tmp_path):
    """T-4h holds no check that decides from manifests: every line is not applicable, and that is no GO."""
    run = run_manifests(write_set(tmp_path / "k8s", healthy_documents()), extra=("-m", "t_minus_4"))
    assert run.results and all(r.outcome == NOT_APPLICABLE for r in run.results.values())
    verdict = run.model.summary["verdict"]
    assert verdict["reason"].startswith("nothing was decided: all ") and verdict["checked"] == 0
    assert run.exit_code == 4  # checking nothing is never a GO (COULD NOT RUN), and it is no failure of the target


# --- each wiring defect fails its checks, naming both objects ---------------------------------------


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_fails_its_checks(name, tmp_path):
    variant = VARIANTS[name]
    run = run_manifests(write_set(tmp_path / "k8s", with_variant(healthy_documents(), variant)))
    still_green = [i for i in variant.breaks if run[i].outcome != "failed"]
    assert not still_green, {i: f"{run[i].outcome}: {run[i].message}" for i in still_green}
    assert variant.expect in run[variant.breaks[0]].message, run[variant.breaks[0]].message
    blocking = any(run[i].severity in ("critical", "high") for i in variant.breaks)
    assert run.exit_code == (1 if blocking else 10)  # NO-GO, or GO WITH FINDINGS for monitoring-only defects


def test_every_variant_changes_something_the_seed_has():
    """The live faults apply the same changes: every object a variant names is in the sandbox seed."""
    seed = [d for d in yaml.safe_load_all((ROOT / "sandbox" / "seed" / "kubernetes.yaml").read_text()) if d]
    for variant in VARIANTS.values():
        for change in variant.changes:
            assert any(d["kind"] == change["kind"] and d["metadata"]["name"] == change["name"]
                       and d["metadata"].get("namespace") == change.get("namespace", APP_NS) for d in seed), \
                f"{variant.name}: {change['kind']} {change['name']} is not seeded"


# --- the manifest source itself -------------------------------------------------------------------


def source(tmp_path: Path, text: str, name: str = "objects.yaml") -> manifests.Manifests:
    (tmp_path / name).write_text(text)
    return manifests.load([tmp_path], APP_NS, KINDS, Ledger())


SECRET = """
apiVersion: v1
kind: Secret
metadata: {name: db, labels: {app: db}}
stringData: {password: hunter2}
data: {user: YWRtaW4=}
"""


def test_secret_values_are_dropped_and_string_data_keys_kept(tmp_path):
    secret = source(tmp_path, SECRET).get("secrets", "db", APP_NS)
    assert secret["data"] == {"user": "<redacted>", "password": "<redacted>"}
    assert "stringData" not in secret and "hunter2" not in str(secret)


def test_namespace_defaults_and_selectors(tmp_path):
    found = source(tmp_path, SECRET + "---\n" + SECRET.replace("name: db", "name: cache").replace("app: db", "app: cache"))
    assert kube.namespace(found.get("secrets", "db", APP_NS)) == APP_NS
    assert [kube.name(s) for s in found.list("secrets", APP_NS, "app in (db)")] == ["db"]
    assert [kube.name(s) for s in found.list("secrets", None, "app!=db")] == ["cache"]
    assert found.get("secrets", "db", "other") is None


def test_lists_status_and_unknown_kinds(tmp_path):
    text = """
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {k: v}}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: h}
spec: {minReplicas: 1, maxReplicas: 2}
status: {conditions: [{type: ScalingActive, status: "True"}]}
"""
    found = source(tmp_path, text)
    assert [kube.name(c) for c in found.list("configmaps")] == ["a"]
    assert "status" not in found.get("horizontalpodautoscalers", "h", APP_NS)  # a file's status is no observation


@pytest.mark.parametrize("kind", ["pods", "endpoints", "nodes", "replicasets", "events"])
def test_runtime_kinds_are_not_decidable_before_the_deploy(kind, tmp_path):
    with pytest.raises(NotBeforeDeploy, match="exist only on a cluster"):
        source(tmp_path, SECRET).list(kind)


def test_chart_and_kustomization_files_are_noted_not_read(tmp_path):
    (tmp_path / "values.yaml").write_text("grafana: {adminPassword: prom-operator}\n")
    found = source(tmp_path, SECRET)
    assert any("values.yaml: skipped" in note for note in found.notes)


def test_unreadable_manifests_make_every_question_an_error(tmp_path):
    found = source(tmp_path, "kind: [unclosed\n")
    with pytest.raises(SourceUnavailable, match="is not valid YAML"):
        found.list("deployments")
    missing = manifests.load([tmp_path / "nope"], APP_NS, KINDS, Ledger())
    with pytest.raises(SourceUnavailable, match="does not exist"):
        missing.get("deployments", "x", APP_NS)


def test_every_kind_has_a_manifest_name():
    assert set(manifests.KIND_NAMES) == set(KINDS)


def test_duplicates_are_noted_and_the_later_one_counts(tmp_path):
    found = source(tmp_path, SECRET + "---\n" + SECRET.replace("app: db", "app: db2"))
    assert kube.labels(found.get("secrets", "db", APP_NS)) == {"app": "db2"}
    assert any("declared twice" in note for note in found.notes)


def test_json_files_and_the_cluster_only_questions(tmp_path):
    found = source(tmp_path, '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}', "cm.json")
    assert [kube.name(c) for c in found.list("configmaps", APP_NS)] == ["j"]
    for ask in (found.version, found.health):
        with pytest.raises(NotBeforeDeploy, match="known only on a cluster"):
            ask()
    with pytest.raises(KeyError):
        found.list("cronjobs")


def test_a_broken_kustomization_is_an_error_naming_it(tmp_path, monkeypatch):
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    if shutil.which("kubectl") is None:
        found = manifests.load([tmp_path], APP_NS, KINDS, Ledger())
        with pytest.raises(SourceUnavailable, match="kubectl is not on PATH"):
            found.list("deployments")
        return
    found = manifests.load([tmp_path], APP_NS, KINDS, Ledger())
    with pytest.raises(SourceUnavailable, match="kubectl kustomize .* failed"):
        found.list("deployments")
    monkeypatch.setattr(shutil, "which", lambda _: None)
    with pytest.raises(SourceUnavailable, match="kubectl is not on PATH"):
        manifests.load([tmp_path], APP_NS, KINDS, Ledger()).list("deployments")
