"""Running the real suite in-process from a self-test.

`run_suite` runs the real suite in-process (the same plugin, fixtures and hooks a user runs)
and returns what each runbook item did, so a self-test reads: inject, run, assert, heal.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ItemResult:
    outcome: str  # passed, failed, error, attestation missing, skipped
    message: str
    evidence: list


class _Collector:
    def __init__(self):
        self.results: dict[str, ItemResult] = {}

    def pytest_runtest_logreport(self, report):
        props = dict(report.user_properties)
        if "golive" not in props:
            return
        meta = json.loads(props["golive"])
        if report.when == "call" or (report.failed and report.when == "setup") or report.skipped:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = crash.message if crash else (str(report.longrepr) if report.longrepr else "")
            evidence = json.loads(props.get("golive_evidence", "[]"))
            self.results[meta["runbook_id"]] = ItemResult(meta["outcome"], message, evidence)


@dataclass
class Run:
    exit_code: int
    results: dict[str, ItemResult]

    def __getitem__(self, item_id: str) -> ItemResult:
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
    return Run(int(code), collector.results)
