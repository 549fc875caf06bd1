"""golive as the team installs it: the built wheel in a fresh venv, run from a folder holding only a golive.toml.

The wheel is built once per session from a copy of the packaged folders (never in this tree: a build leaves
golive.egg-info here, whose metadata every run with this tree on sys.path would read), and installed offline
(--no-index, --no-deps) into a venv of its own; the dependencies come from this project's venv through a .pth
file, so nothing of this repository is importable there but what the wheel holds.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from sandbox import stack
from tests.harness import ROOT, config_copy

PACKAGED = ("pyproject.toml", "README.md", "golive", "fixtures", "checks", "sandbox")


@pytest.fixture(scope="session")
def venv(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source, dist, venv = work / "source", work / "dist", work / "venv"
    for name in PACKAGED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    # No build isolation: the project venv's setuptools (>= 70.1, bdist_wheel built in) builds it offline.
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "--no-index", "-w", str(dist), str(source)], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("golive-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "golive-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                                "-q", "--no-deps", "--no-index", str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return venv


def run(venv: Path, folder: Path, *args: str, command: str = "golive", **environ: str) -> subprocess.CompletedProcess:
    argv = [str(venv / "bin" / "golive")] if command == "golive" else [str(venv / "bin" / "python"), "-m", "pytest"]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GOLIVE_REPORTS_DIR", "GOLIVE_CONFIG",
                                                            "GOLIVE_ENV")}
    env.update(GOLIVE_SANDBOX_DIR=str(stack.state_dir()), PYTEST_ADDOPTS="-p no:cacheprovider", **environ)
    return subprocess.run([*argv, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=180)


def test_the_installed_package_holds_the_checks_and_gatherers(venv, tmp_path):
    done = subprocess.run([venv / "bin" / "python", "-c", "import checks, fixtures.aws, golive.plugin, sandbox; "
                           "print(checks.__file__, fixtures.aws.__file__, golive.plugin.__file__)"],
                          cwd=tmp_path, capture_output=True, text=True, env={"PATH": os.environ["PATH"]})
    assert done.returncode == 0, done.stderr
    assert all(path.startswith(str(venv)) for path in done.stdout.split()), done.stdout
    # The commands that read the checks find the installed ones too.
    done = run(venv, tmp_path, "runbook", "-q")
    assert done.returncode == 0 and "runbook leaves in" in done.stdout, done.stdout + done.stderr


def test_the_smoke_phase_runs_from_a_folder_holding_only_golive_toml(sandbox, venv, tmp_path):
    config_copy(tmp_path)
    done = run(venv, tmp_path, "-m", "smoke", "--golive-env", "sandbox")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "golive verdict: GO (sandbox)" in done.stdout
    stream = tmp_path / "reports" / "latest.jsonl"
    records = [json.loads(line) for line in stream.read_text().splitlines()]
    passed = [r for r in records if r.get("type") == "result" and r.get("outcome") == "passed"]
    assert passed and all(r["runbook_id"].startswith("t-30m/") for r in passed), passed[:2]
    assert records[-1]["type"] == "summary" and records[-1]["verdict"]["decision"] == "GO"
    assert (tmp_path / "reports" / "latest.html").is_file()


@pytest.mark.parametrize("command", ["golive", "pytest"])
@pytest.mark.parametrize("form", ["space", "equals"])
def test_a_config_outside_the_folder_is_taken_in_both_forms(sandbox, venv, tmp_path, form, command):
    """The options are pytest's before any conftest is looked for: `--golive-config PATH` is not a test path."""
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    config = config_copy(elsewhere, name="x.toml")
    reports = tmp_path / "out"
    option = (["--golive-config", str(config), "--golive-reports", str(reports)] if form == "space"
              else [f"--golive-config={config}", f"--golive-reports={reports}"])
    done = run(venv, here, "-m", "smoke", "--golive-env", "sandbox", *option, command=command)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "golive verdict: GO (sandbox)" in done.stdout
    assert (reports / "latest.html").is_file() and not (here / "reports").exists()


def test_in_this_repository_an_installed_entry_point_and_conftest_load_the_plugin_once(sandbox, venv, tmp_path):
    """As after `pip install -e .`: the entry point's metadata installed, this tree's code and conftest.py first
    on sys.path. The plugin loads once, and from a subfolder a config elsewhere in the space form works (it
    failed with 'unrecognized arguments: --golive-env --golive-config PATH' while only conftest.py loaded it)."""
    config, reports = config_copy(tmp_path / "elsewhere", name="x.toml"), tmp_path / "out"
    done = run(venv, ROOT / "checks", "-m", "smoke", "--golive-env", "sandbox", "--golive-config", str(config),
               "--golive-reports", str(reports), command="pytest", PYTHONPATH=str(ROOT))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "golive verdict: GO (sandbox)" in done.stdout and (reports / "latest.jsonl").is_file()


def test_a_run_naming_no_environment_is_the_teams_own_pytest_run(venv, tmp_path):
    """Installed, the plugin loads in every pytest run of that venv: without --golive-env it collects nothing of
    golive's, and `-p no:golive` leaves it out altogether."""
    (tmp_path / "test_own.py").write_text("def test_own():\n    pass\n")
    for opt_out in ((), ("-p", "no:golive")):
        done = run(venv, tmp_path, "-q", *opt_out, command="pytest")
        assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
        assert "golive" not in done.stdout.replace(str(tmp_path), "")
    done = run(venv, tmp_path, "-p", "no:golive", "--golive-env", "sandbox", command="pytest")
    assert done.returncode == 4 and "unrecognized arguments: --golive-env" in done.stderr, done.stderr
