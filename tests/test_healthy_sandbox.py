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


def test_without_mutating_lines_a_phase_is_not_run_where_it_needs_them_never_failed(sandbox):
    """T-1h without --golive-mutating: its dry runs are not run, and so are the criterion and the announcements
    that speak for them (they can vouch for nothing, and nothing of the target failed): NO-GO for what was not
    run, never the matrix's "Immediate rollback" of a critical criterion failing on lines nobody ran."""
    run = run_suite("checks", "-m", "t_minus_1", "--golive-env", "sandbox")
    not_passed = {i: (r.outcome, r.message) for i, r in run.results.items() if r.outcome != "passed"}
    assert {outcome for outcome, _ in not_passed.values()} == {"skipped"}, not_passed
    assert all(message.endswith("pass --golive-mutating") for _, message in not_passed.values()), not_passed
    derived = {"t-1h/success-criteria/staging-deployment-successful", "t-1h/communication/staging-deployment-success",
               "t-1h/communication/ready-for-production-deployment"}
    assert derived <= set(not_passed), not_passed
    assert "change the target and were not run (t-1h/staging-deployment/deploy-phase1-infrastructure-dry-run" in \
        not_passed["t-1h/success-criteria/staging-deployment-successful"][1]
    verdict = run.model.summary["verdict"]
    assert run.exit_code == 1 and verdict["action"] == "Do not proceed: run them with --golive-mutating", verdict
    assert not verdict["blocking"] and not verdict["findings"], verdict
