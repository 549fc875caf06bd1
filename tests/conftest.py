"""Self-test fixtures: one sandbox for the whole run, and `run_checks` to run checks against it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "baseline: runs before any fault is injected")
    config.addinivalue_line("markers", "clean_windows: judges Prometheus windows (error rate, latency) that faults "
                                       "leave traces in for minutes: runs right after the baseline")
    config.addinivalue_line("markers", "container: builds golive's image and runs a phase in it (podman; "
                                       "skipped where podman is absent)")


def pytest_collection_modifyitems(items):
    # The healthy baseline first, then what else reads clean windows: windowed faults (latency, errors) stay in
    # Prometheus for minutes.
    items.sort(key=lambda item: (item.get_closest_marker("baseline") is None,
                                 item.get_closest_marker("clean_windows") is None))

from tests.harness import Run, run_suite


@pytest.fixture(scope="session", autouse=True)
def _reports_elsewhere(tmp_path_factory):
    """Self-test runs write their reports to a temporary folder, not the team's reports/ (and latest.html)."""
    os.environ.setdefault("GOLIVE_REPORTS_DIR", str(tmp_path_factory.mktemp("reports")))
    # Nor do they remember Grafana's refused logins in the user's state folder (fixtures/logins.py).
    os.environ.setdefault("GOLIVE_STATE_DIR", str(tmp_path_factory.mktemp("state")))


_USER_REPORTS = Path(__file__).resolve().parent.parent / "reports"


def _listing() -> set[str]:
    return {str(p) for p in _USER_REPORTS.rglob("*")} if _USER_REPORTS.is_dir() else set()


def pytest_sessionstart(session):
    session.config.stash[_BEFORE] = _listing()


def pytest_sessionfinish(session):
    """The self-tests leave the team's reports/ as they found it: a test that writes there fails the run."""
    written = sorted(_listing() - session.config.stash.get(_BEFORE, set()))
    if written and not hasattr(session.config, "workerinput"):
        session.config.get_terminal_writer().line(
            f"self-tests wrote into {_USER_REPORTS} (pass --golive-reports or GOLIVE_REPORTS_DIR): {written[:5]}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_BEFORE = pytest.StashKey[set]()


@pytest.fixture(scope="session")
def sandbox():
    """The rehearsal sandbox, started once for the whole self-test run (and stopped if we started it)."""
    from sandbox import stack
    from sandbox.control import Sandbox

    started = not all(ok for _, _, ok in stack.status())
    if started:
        stack.up()
    yield Sandbox()
    if started and not os.environ.get("GOLIVE_KEEP_SANDBOX"):
        stack.down()


@pytest.fixture
def run_checks(sandbox):
    """Run the given runbook items (or prefixes ending in '/') against the sandbox."""
    def run(*item_ids: str, extra: tuple[str, ...] = ()) -> Run:
        args = ["checks", "--golive-env", "sandbox", *extra]
        for item_id in item_ids:
            args += ["--golive-item", item_id]
        return run_suite(*args)
    return run
