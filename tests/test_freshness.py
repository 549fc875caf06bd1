"""A check whose truth is "recent" judges an answer by when it arrived, not by when it is read.

`t+15m/monitoring-verification/verify-prometheus-metrics` reuses the Prometheus answers that the
pre-go-live criterion cached at the start of the run. A slow run must not make them look stale
(it measured golive's own cache once), and a target that really stopped being scraped must still fail.
"""
from __future__ import annotations

from datetime import datetime

from sandbox.faults import all_faults

EARLY = "pre/technical-readiness/monitoring-stack-operational"  # caches the samples and targets at the start
FRESHNESS = "t+15m/monitoring-verification/verify-prometheus-metrics"
# Checks that ask the app: under the injected latency, each request waits. The reads are made ahead beside the
# checks, but the latency probes (t-30m) wait until nothing else is on its way, the MCP workflow's chain included
# (opening, lists, two tool calls), and FRESHNESS runs after them.
SLOWED = ("t-30m/critical-path-testing/test-api-endpoints", "t-0/phase3/verify-application/test-health-endpoints",
          "t+1h/user-acceptance-testing/test-end-to-end-workflows")
LATENCY_MS = 3000  # five app requests one after another: 15 s, past the sandbox's 10 s freshness limit, within
# its 5 s read timeout


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _prometheus_calls(result) -> list:
    return [call for call in result.calls if call[0] == "Prometheus"]


def test_freshness_passes_on_a_run_slowed_by_latency(sandbox, run_checks):
    prom = sandbox.config.prometheus
    limit = prom.fresh_within_scrapes * prom.scrape_interval_seconds
    try:
        sandbox.app_faults(latency_ms=LATENCY_MS)
        run = run_checks(EARLY, *SLOWED, FRESHNESS)
    finally:
        sandbox.app_faults()
    early, fresh = run[EARLY], run[FRESHNESS]
    # The scenario holds: the cached answers are older than the limit when the check reads them ...
    assert (_at(fresh.started) - _at(early.started)).total_seconds() > limit, "the run was not slowed enough"
    assert _prometheus_calls(early) and not _prometheus_calls(fresh), "the check did not read the cached answers"
    # ... and it judges them as of their arrival.
    assert fresh.outcome == "passed", fresh.message


def test_freshness_fails_on_a_target_no_longer_scraped(sandbox, run_checks):
    prom, stopped = sandbox.config.prometheus, all_faults()["metrics-collection-stopped"]
    try:
        stopped.inject(sandbox)
        run = run_checks(EARLY, FRESHNESS)
    finally:
        stopped.heal(sandbox)
    fresh = run[FRESHNESS]
    assert not _prometheus_calls(fresh), "the check did not read the cached answers"
    assert fresh.outcome == "failed"
    limit = prom.fresh_within_scrapes * prom.scrape_interval_seconds
    assert f"metrics of job {prom.app_job} are stale" in fresh.message, fresh.message
    assert f"no sample in the last {limit:g} s of http_requests_total" in fresh.message, fresh.message
