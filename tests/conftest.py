"""Self-test fixtures: one sandbox for the whole run, and `run_checks` to run checks against it."""
from __future__ import annotations

import os

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "baseline: runs before any fault is injected")
    config.addinivalue_line("markers", "container: builds golive's image and runs a phase in it (podman; "
                                       "skipped where podman is absent)")


def pytest_collection_modifyitems(items):
    # The healthy baseline first: windowed faults (latency, errors) stay in Prometheus for minutes.
    items.sort(key=lambda item: item.get_closest_marker("baseline") is None)

from tests.harness import Run, run_suite


@pytest.fixture(scope="session", autouse=True)
def _reports_elsewhere(tmp_path_factory):
    """Self-test runs write their reports to a temporary folder, not the team's reports/ (and latest.html)."""
    os.environ.setdefault("GOLIVE_REPORTS_DIR", str(tmp_path_factory.mktemp("reports")))


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
