"""The sign-off report in a real browser: headless Chromium opens a failing run's report.

What a person sees: the NO-GO banner with its action, the failing item opened with its evidence and
what to do, a chart with its threshold line, and the test log of every test. The screenshot stays in
the self-tests' reports folder (GOLIVE_REPORTS_DIR), selftest/report-nogo.png, for a human to look at.
"""
from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from golive import plugin
from golive.check import Finding, record
from sandbox.faults import all_faults

from tests.harness import run_suite

NODES = "t-2h/final-infrastructure-check/kubectl-get-nodes"
ALERTS = "t-2h/success-criteria/no-critical-alerts"
P95 = "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[15s])) by (le)) * 1000"


class LatencyChart:
    """Stands in for the T+1h latency check (not written yet): the real p95 series from the sandbox's Prometheus."""

    def pytest_runtest_call(self, item):
        if item.get_closest_marker("runbook").args[0] != ALERTS:
            return
        cfg = plugin.environment(item.config)
        rows = item.funcargs["prom"].query_range(P95, minutes=2, step="2s")
        series = {"p95": [[float(t), float(v)] for t, v in (rows[0]["values"] if rows else []) if v != "NaN"]}
        record(Finding(True, f"p95 latency over the last 2 minutes, under {cfg.thresholds.p95_latency_warn_ms:.0f} ms",
                       resource="app", query=P95, details={"chart": {
                           "title": "App p95 latency (last 2 minutes)", "unit": "ms",
                           "threshold": cfg.thresholds.p95_latency_warn_ms, "series": series}}))


def chromium(*args: str, profile) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.fail("install chromium (make bootstrap)", pytrace=False)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}"]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=90)


def test_failing_report_as_a_person_sees_it(sandbox, tmp_path):
    fault = all_faults()["node-not-ready"]
    fault.inject(sandbox)
    try:
        run = run_suite("checks/t_minus_2h", "--golive-env", "sandbox", "--golive-item", "t-2h/", "--golive-reports",
                        str(tmp_path), plugins=(LatencyChart(),))
    finally:
        fault.heal(sandbox)
    assert run.exit_code == 1
    url = (tmp_path / "latest.html").as_uri()

    dom = chromium("--virtual-time-budget=3000", "--dump-dom", url, profile=tmp_path / "profile").stdout
    banner = dom[dom.index('id="verdict"'):dom.index('id="run"')]
    assert "NO-GO" in banner and "Immediate rollback" in banner and NODES in banner
    row = dom.index(f'id="r-{NODES}"')
    failing = dom[row:]
    failing = failing[:failing.index("</details>")]
    assert 'class="check bad"' in dom[row - 40:row] and " open" in failing.split(">", 1)[0]
    assert "NotReady (KubeletNotReady)" in failing and "What to do:" in failing and "observed" in failing
    chart = dom[dom.index('id="charts"'):]
    chart = chart[:chart.index("</svg>")]
    assert "App p95 latency" in chart and 'class="threshold"' in chart and "<polyline" in chart
    # The test log lists every test, the failing one with its outcome
    log = dom[dom.index('id="testlog"'):]
    assert f'id="log-{NODES}"' in log and log.count('id="log-') == len(run.results)

    SHOT = Path(os.environ.get("GOLIVE_REPORTS_DIR", tmp_path)) / "selftest" / "report-nogo.png"
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    SHOT.unlink(missing_ok=True)
    shot = chromium("--window-size=1300,2600", "--virtual-time-budget=3000", f"--screenshot={SHOT}", url,
                    profile=tmp_path / "profile")
    assert SHOT.is_file(), shot.stderr[-500:]
    header = SHOT.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24]) == (1300, 2600)


MEASURE = """<script>addEventListener("load", () => {
  const table = document.querySelector("#ledger table").getBoundingClientRect();
  const page = document.querySelector(".page").getBoundingClientRect();
  document.body.dataset.measured = `${Math.round(table.right)} ${Math.round(page.right)} ${document.documentElement.scrollWidth}`;
});</script></body>"""


def test_the_api_ledger_fits_a_1400_px_window_with_long_queries(tmp_path):
    """One long PromQL line must wrap in its cell, not push the counts off-screen."""
    from golive.reporters import html
    from tests.test_html_reporter import model

    m = model("go")
    metrics = "|".join(f"nba_mcp_metric_number_{n}_total" for n in range(40))
    m["summary"]["ledger"] = [
        {"source": "Prometheus", "call": f'query count by (__name__) ({{__name__=~"{metrics}"}})', "count": 1,
         "failed": 0, "seconds": 0.012, "first_by": "t-30m/critical-path-testing/confirm-monitoring-metrics"},
        {"source": "AWS rds", "call": "rds DescribeDBInstances DBInstanceIdentifier=nba-mcp-synthesis-db", "count": 1,
         "failed": 0, "seconds": 0.02, "first_by": None}]
    page = tmp_path / "page.html"
    page.write_text(html.render(m).replace("</body>", MEASURE))
    dom = chromium("--window-size=1400,900", "--virtual-time-budget=2000", "--dump-dom", page.as_uri(),
                   profile=tmp_path / "profile").stdout
    table_right, page_right, scroll_width = map(int, re.search(r'data-measured="([\d ]+)"', dom).group(1).split())
    assert table_right <= page_right and scroll_width <= 1400, (table_right, page_right, scroll_width)
