"""A selection imports and collects only the check modules that can hold its lines (golive/selection.py), and
selects exactly what a collection of every module selects: the same node IDs, in the same order."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _pytest.mark.expression import Expression

from golive import coverage, runbook, selection

from tests.harness import CONFIG, ROOT

# Every phase marker, the README's documented selections, and expressions with not/and/or, areas and kinds
# the catalogue does not know, and arguments.
EXPRESSIONS = [name for name, _ in runbook.PHASE_MARKERS] + [
    "t_zero and phase2_secrets", "smoke or t_minus_2", "t_minus_24 and not manual", "not smoke",
    "pre_go_live and not (mutating or secrets)", "t_zero and not mutating", "monitoring", "secrets or incident",
    "not (t_zero or post_go_live) and infrastructure", "smoke and smoke(reason=1)", "runbook(spec=1) or t_plus_15",
]
ITEMS = [["t-2h/"], ["t-0/phase3/"], ["t-2h/final-infrastructure-check/kubectl-get-nodes"], ["success/"],
         ["t-2h/final-infrastructure-check/"], ["pre/", "t+15m/"], ["t-2h/no-such-section/"], ["nowhere/"]]


class Collected:
    def __init__(self):
        self.nodeids: list[str] = []
        self.modules: set[str] = set()

    def pytest_collection_finish(self, session):
        self.nodeids = [item.nodeid for item in session.items]

    def pytest_collectreport(self, report):
        if report.nodeid.endswith(".py"):
            self.modules.add(report.nodeid)


def collect(*args: str) -> Collected:
    collected, cwd = Collected(), os.getcwd()
    os.chdir(ROOT)
    try:
        code = pytest.main(["checks", "--collect-only", "-q", "-p", "no:cacheprovider", "--golive-env", "sandbox",
                            "--golive-config", str(CONFIG), *args], plugins=[collected])
    finally:
        os.chdir(cwd)
    assert code in (0, 5), f"collection of {args} ended {code}"
    return collected


@pytest.fixture(scope="module")
def everything() -> Collected:
    return collect("--golive-collect-all")


SELECTIONS = [["-m", e] for e in EXPRESSIONS] + [[a for w in i for a in ("--golive-item", w)] for i in ITEMS] + [
    ["-m", "t_minus_2 or incident", "--golive-item", "t-2h/", "--golive-item", "emergency/"]]


@pytest.mark.parametrize("args", SELECTIONS, ids=str)
def test_a_selection_collects_what_a_full_collection_selects(args, everything):
    narrowed, full = collect(*args), collect(*args, "--golive-collect-all")
    assert narrowed.nodeids == full.nodeids
    assert full.modules == everything.modules  # the switch collects every module


def test_a_phase_imports_only_its_own_modules(everything):
    smoke = collect("-m", "smoke")
    assert smoke.modules == {n.split("::")[0] for n in smoke.nodeids} < everything.modules
    assert collect("--golive-item", "t-2h/final-infrastructure-check/kubectl-get-nodes").modules == {
        "checks/t_minus_2h/test_final_infrastructure_check.py"}


@pytest.mark.parametrize("args", [["-m", "smoke", "-k", "api"], ["-m", "not smoke"], ["-m", "secrets"]], ids=str)
def test_what_the_catalogue_cannot_decide_collects_everything(args, everything):
    assert collect(*args).modules == everything.modules


def test_derived_checks_import_the_modules_they_summarise():
    # The T-2h success criteria summarise checks of other modules, which are imported, not collected.
    done = collect("--golive-item", "t-2h/success-criteria/")
    assert done.modules == {"checks/t_minus_2h/test_success_criteria.py"} and done.nodeids


@pytest.mark.parametrize("text, markers, expected", [
    ("smoke", {"smoke"}, True), ("smoke", set(), False), ("not smoke", set(), True),
    ("smoke and mutating", {"smoke"}, True), ("smoke and not mutating", {"smoke"}, True),
    ("mutating and not mutating", {"smoke"}, False), ("secrets and not secrets(a=1)", {"smoke"}, True),
    ("smoke(a=1)", {"smoke"}, False), ("t_zero and phase2_secrets", {"t_zero", "phase1_infrastructure"}, False),
])
def test_unknown_markers_may_be_either_way(text, markers, expected):
    assert selection.satisfiable(Expression.compile(text), frozenset(markers)) is expected


def test_the_coverage_a_run_reports_is_kept_only_for_the_same_files(tmp_path, monkeypatch):
    # A narrowed run reports the coverage of every check without importing them: the bindings of the last
    # run with the same files, read again whenever a file under checks/ (or the code reading them) changes.
    monkeypatch.setattr(coverage.tempfile, "gettempdir", lambda: str(tmp_path))
    checks, read = ROOT / "checks", coverage.bound_tests(ROOT / "checks")
    assert coverage.kept_bound_tests(checks) == read  # read, then kept
    [kept] = (tmp_path / f"golive-{os.getuid()}").glob("coverage-*.json")
    assert coverage.kept_bound_tests(checks) == read  # from the kept file
    kept.write_text("{not json")
    assert coverage.kept_bound_tests(checks) == read  # an unreadable file is read again
    touched, before = checks / "__init__.py", (checks / "__init__.py").stat()
    os.utime(touched, ns=(before.st_atime_ns, before.st_mtime_ns + 1000))
    try:
        stamp = json.loads(kept.read_text())["stamp"]
        assert coverage.kept_bound_tests(checks) == read
        assert json.loads(kept.read_text())["stamp"] != stamp  # another stamp: read again, kept in its place
    finally:
        os.utime(touched, ns=(before.st_atime_ns, before.st_mtime_ns))


def tree_copy(folder: Path) -> Path:
    """The product and its checks in FOLDER, importable there as themselves (a changed copy under test)."""
    for name in ("golive", "fixtures", "checks"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("conftest.py", "pytest.ini", "golive.toml"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "sandbox" / "runbook", folder / "sandbox" / "runbook")
    return folder


def run_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "checks", "-q", "-p", "no:cacheprovider", "--golive-env",
                           "sandbox", "--golive-no-preflight", "--golive-reports", "none", *args], cwd=folder,
                          capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PYTHONPATH": str(folder), "TMPDIR": str(folder)})


def test_a_module_that_cannot_be_imported_is_named_as_by_a_full_collection(tmp_path):
    # A T-2h module breaks: `-m incident` reaches none of its lines, yet it is named, and the run stops, as before.
    tree = tree_copy(tmp_path)
    with open(tree / "checks/t_minus_2h/test_resource_validation.py", "a") as module:
        module.write("\nimport no_such_module  # the breakage under test\n")
    narrowed, full = run_in(tree, "-m", "incident"), run_in(tree, "-m", "incident", "--golive-collect-all")
    assert narrowed.returncode == full.returncode == 2, narrowed.stdout[-2000:]
    named = "check module not collected: checks/t_minus_2h/test_resource_validation.py: ModuleNotFoundError"
    assert named in narrowed.stdout and named in full.stdout
    assert narrowed.stdout.splitlines()[-1].split(" in ")[0] == full.stdout.splitlines()[-1].split(" in ")[0]


def test_a_check_not_where_its_id_says_is_still_collected(tmp_path):
    # A smoke line's check copied into a T-4h module: a selection by marker would not look there; it collects all.
    tree = tree_copy(tmp_path)
    (tree / "checks/t_minus_4h/test_elsewhere.py").write_text(
        "from golive.check import runbook\n\n\n@runbook('t-30m/critical-path-testing/test-api-endpoints')\n"
        "def test_api_endpoints():\n    pass\n")
    narrowed, full = (run_in(tree, "--collect-only", "-m", "smoke", *more) for more in ((), ("--golive-collect-all",)))
    assert "checks/t_minus_4h/test_elsewhere.py::test_api_endpoints" in narrowed.stdout
    assert [line for line in narrowed.stdout.splitlines() if "::" in line] == \
        [line for line in full.stdout.splitlines() if "::" in line]
