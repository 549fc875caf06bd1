"""The runbook is the spine: its leaves, their stable IDs, and the one-test-per-leaf mapping."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from golive import coverage, runbook
from golive.runbook import SHIPPED_RUNBOOK

from tests.harness import ROOT

GOLIVE = [sys.executable, "-m", "golive.cli"]


def test_leaf_ids_are_stable():
    """IDs are what tests, attestations and waivers refer to: a change must be deliberate."""
    expected = (ROOT / "tests" / "data" / "runbook_ids.txt").read_text().split()
    assert [i.id for i in runbook.load().items] == expected


def test_leaves_follow_the_issue_definition():
    book = runbook.load()
    commands = [i for i in book.items if i.is_command]
    assert len(book.items) == 213
    assert len(commands) == 13  # 4 at T-2h, 4 dry runs at T-1h, 4 deploy phases at T-0, 1 validator at T+15m
    assert sum(i.section == "Success Criteria" for i in book.items) == 28
    assert sum(i.section == "Communication" and not i.id.startswith("emergency/") for i in book.items) == 18
    assert sum(i.id.startswith("contacts/") for i in book.items) == 9
    # Emergency Procedures: twelve Critical Issue Response lines, four matrix rows; five templates.
    assert sum(i.id.startswith("emergency/critical-issue-response/") for i in book.items) == 12
    assert [i.text for i in book.items if i.id.startswith("emergency/rollback-decision-matrix/")] == [
        "Application Crash | Critical | Immediate rollback", "Performance Degradation | High | Monitor, rollback if persists",
        "Minor Functionality | Medium | Fix in place", "Monitoring Issues | Low | Continue, fix post-deployment"]
    assert [i.text for i in book.items if i.id.startswith("templates/")] == list(book.templates)
    assert all(i.markers == ("incident",) for i in book.items if i.id.startswith("emergency/critical-issue-response/"))
    assert set(book.templates) == {"Pre-Deployment", "During Deployment", "Post-Deployment", "Critical Issue",
                                   "Rollback Decision"}


def test_sandbox_runbook_copy_has_the_same_leaves():
    assert [i.id for i in runbook.load(ROOT / "sandbox/runbook/GO_LIVE_RUNBOOK.md").items] == \
        [i.id for i in runbook.load().items]


def test_every_leaf_has_exactly_one_test_where_its_id_says():
    result = coverage.coverage(ROOT / "checks")
    assert result.ok, "\n".join(result.problems())


def _golive_runbook(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*GOLIVE, "runbook", "-q", *args], cwd=tmp, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_a_new_runbook_line_without_a_test_fails_coverage_and_is_named(tmp_path):
    text = SHIPPED_RUNBOOK.read_text().replace(
        "- [ ] **Resource Validation**",
        "- [ ] **DNS Failover**\n  - Verify Route 53 health checks\n\n- [ ] **Resource Validation**")
    changed = tmp_path / "RUNBOOK.md"
    changed.write_text(text)
    done = _golive_runbook(ROOT, "--runbook", str(changed))
    assert done.returncode == 1
    assert "no test for runbook item t-2h/dns-failover/verify-route-53-health-checks" in done.stderr


def test_a_removed_test_fails_coverage_and_names_its_item(tmp_path):
    subprocess.run(["cp", "-r", str(ROOT / "checks"), str(tmp_path / "checks")], check=True)
    module = tmp_path / "checks" / "t_minus_2h" / "test_resource_validation.py"
    source = module.read_text()
    start = source.index('@runbook("t-2h/resource-validation/validate-security-groups"')
    module.write_text(source[:start])
    (tmp_path / "checks" / "t_minus_2h" / "test_success_criteria.py").write_text(
        (tmp_path / "checks" / "t_minus_2h" / "test_success_criteria.py").read_text()
        .replace("test_validate_security_groups,", "").replace(", test_validate_security_groups)", ")"))
    done = _golive_runbook(tmp_path, "--checks", str(tmp_path / "checks"))
    assert done.returncode == 1
    assert "no test for runbook item t-2h/resource-validation/validate-security-groups" in done.stderr


def test_golive_runbook_prints_the_matrix():
    done = subprocess.run([*GOLIVE, "runbook"], cwd=ROOT, capture_output=True, text=True)
    assert "t-2h/final-infrastructure-check/kubectl-get-nodes" in done.stdout
    assert "checks/t_minus_2h/test_final_infrastructure_check.py::test_kubectl_get_nodes" in done.stdout
    assert "213 runbook leaves" in done.stdout
    assert "NO TEST" not in done.stdout


def test_phase_markers_are_documented():
    done = subprocess.run([sys.executable, "-m", "pytest", "--markers", "-p", "no:cacheprovider"], cwd=ROOT,
                          capture_output=True, text=True)
    for marker in ("pre_go_live", "t_minus_24", "t_minus_4", "t_minus_2", "t_minus_1", "smoke", "t_zero",
                   "phase1_infrastructure", "phase4_monitoring", "t_plus_15", "t_plus_1h", "t_plus_24",
                   "post_go_live", "incident", "mutating", "manual", "communication"):
        assert f"@pytest.mark.{marker}:" in done.stdout, marker


def test_a_phase_collects_in_runbook_order():
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "t_minus_2", "--golive-env",
                           "sandbox", "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True)
    names = [line.split("::")[1] for line in done.stdout.splitlines() if "::" in line]
    assert names[:3] == ["test_kubectl_cluster_info", "test_kubectl_get_nodes", "test_aws_eks_describe_cluster"]
    assert names[-1] == "test_ready_to_proceed_with_deployment"
    assert len(names) == 13
