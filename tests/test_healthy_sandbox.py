"""On the healthy sandbox every phase is GO: every item passes, mutating ones (dry-run deploys, test alerts) included.

A rehearsal that can never be green teaches people to ignore red, so there is no list of known gaps here:
an item the sandbox cannot answer is a sandbox defect to fix. The rehearsal team's sign-offs are seeded
by `up` (sandbox/signoffs.py), so manual and sign-off items are decided too.

Runs first (see tests/conftest.py): faults that move Prometheus windows leave traces for minutes.
"""
from __future__ import annotations

import time

import pytest

from golive import runbook
from golive.probes import performance
from sandbox import stack
from tests.harness import run_suite

# t_zero is the umbrella of its four phases, which run one by one below. The incident lines are decided
# from an incident record, which a healthy sandbox has none of (tests/test_incident.py).
PHASES = [marker for marker, _ in runbook.PHASE_MARKERS if marker not in {"t_zero", "incident"}]
# Phases that judge a window of Prometheus data: a sandbox just started has too little of it, and the checks
# rightly fail on that ("a brand-new deployment needs a few minutes of data").
WINDOWED = {"t_plus_1h", "t_plus_24", "post_go_live"}


def wait_for_window_data(sandbox, timeout: float = 90) -> None:
    """Until Prometheus holds enough of the app's samples for the longest window a check judges."""
    cfg = stack.sandbox_config()
    windows = (performance.monitoring_window(cfg), performance.review_window(cfg))
    needed_s = max(w.needed * w.step + w.step for w in windows)
    scrape = cfg.prometheus.scrape_interval_seconds
    query = f'count_over_time(up{{job="{cfg.prometheus.app_job}"}}[{int(max(w.seconds for w in windows))}s])'
    deadline = time.monotonic() + timeout
    while True:
        held = max((float(r["value"][1]) * scrape for r in sandbox.prometheus(query)), default=0)
        if held >= needed_s:
            return
        assert time.monotonic() < deadline, f"Prometheus holds {held:.0f} s of the app's samples, not {needed_s} s"
        time.sleep(1)


@pytest.mark.baseline
@pytest.mark.parametrize("marker", PHASES)
def test_phase_is_go_on_the_healthy_sandbox(marker, sandbox):
    if marker in WINDOWED:
        wait_for_window_data(sandbox)
    run = run_suite("checks", "-m", marker, "--golive-env", "sandbox", "--golive-mutating")
    assert run.results, f"no checks ran for {marker}"
    not_passed = {i: f"{r.outcome}: {r.message[:300]}" for i, r in run.results.items() if r.outcome != "passed"}
    assert not not_passed, "\n".join(f"{i} -> {m}" for i, m in not_passed.items())
    assert run.exit_code == 0, f"{marker}: exit {run.exit_code}, not GO"
