"""The direction of imports ([tool.importlinter] in pyproject.toml): the product never imports the rig.

No servers: import-linter reads the source. It runs in a subprocess with the tree under test first
on the path, so a copy is linted as itself, not as the installed checkout.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import ROOT

PACKAGES = ("golive", "fixtures", "checks", "sandbox")
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LINT, "--config", str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True,
                          timeout=60)


def test_the_contracts_hold_on_this_tree():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout, done.stdout


@pytest.mark.parametrize("module, violation, contract", [
    ("golive/config.py", "import sandbox.stack", "The product does not import the sandbox"),
    ("fixtures/http.py", "from sandbox.control import Sandbox", "The product does not import the sandbox"),
    ("golive/probes/network.py", "import requests", "Probes are pure"),
])
def test_a_violation_breaks_its_contract(tmp_path, module, violation, contract):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with open(tmp_path / module, "a") as source:
        source.write(f"\n{violation}  # the violation under test\n")
    done = lint(tmp_path)
    importer = module.removesuffix(".py").replace("/", ".")
    imported = violation.split()[1]
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{contract}" in done.stdout and "BROKEN" in done.stdout, done.stdout
    assert f"{importer} -> {imported}" in done.stdout, done.stdout
