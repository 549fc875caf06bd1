"""Running the real suite in-process from a self-test.

`run_suite` runs the real suite in-process (the same plugin, fixtures and hooks a user runs)
and returns the run model's result for each runbook item, so a self-test reads: inject, run,
assert, heal.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from golive import plugin
from golive.results import Result

ROOT = Path(__file__).resolve().parent.parent


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


def run_suite(*args: str, plugins: tuple = ()) -> Run:
    collector = _Collector()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        code = pytest.main(["-q", "-p", "no:cacheprovider", "--no-header", "-o", "console_output_style=classic",
                            *args], plugins=[collector, *plugins])
    finally:
        os.chdir(cwd)
    return Run(int(code), collector.results, collector.model)
