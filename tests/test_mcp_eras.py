"""Every MCP check in each protocol era, against the official SDK's server (sandbox/app.py), with the official
SDK's client (fixtures/mcp.py): green when healthy, and each MCP fault failing it clearly, in each era.

The app serves both eras by default (the client then negotiates the stateless 2026-07-28 revision); its
`mcp_era` fault makes it a handshake-era server (as one on mcp 1.x: initialize, Mcp-Session-Id, 2025-11-25
at most) or a 2026-07-28-only one. The eras run here are those two single-era servers.
"""
from __future__ import annotations

import subprocess
import sys

import pytest
from mcp_types.version import LATEST_HANDSHAKE_VERSION, LATEST_MODERN_VERSION

from sandbox import stack
from sandbox.faults import all_faults

FAULTS = all_faults()
MCP_CHECKS = ("t-1h/staging-validation/test-application-functionality",
              "t+15m/critical-functionality-test/test-all-api-endpoints",
              "t+1h/user-acceptance-testing/test-end-to-end-workflows",
              "t+1h/user-acceptance-testing/verify-user-interfaces",
              "t+1h/user-acceptance-testing/confirm-data-accuracy")
MCP_FAULTS = ("mcp-broken", "mcp-tool-missing", "tool-without-description", "mcp-resources-broken", "stale-app-data")
ERAS = {"handshake": LATEST_HANDSHAKE_VERSION, "stateless": LATEST_MODERN_VERSION}


def _spoken(result) -> set[tuple]:
    return {(f["observed"].get("era"), f["observed"].get("protocol_version")) for f in result.findings()
            if isinstance(f.get("observed"), dict) and "era" in f["observed"]}


@pytest.mark.parametrize("era", ERAS)
def test_mcp_checks_pass_and_record_the_era(era, sandbox, run_checks):
    sandbox.app_faults(mcp_era=era)
    try:
        run = run_checks(*MCP_CHECKS)
    finally:
        sandbox.app_faults()
    assert set(MCP_CHECKS) <= set(run.results)
    not_passed = {i: f"{r.outcome}: {r.message}" for i, r in run.results.items() if r.outcome != "passed"}
    assert not not_passed, not_passed
    for item in ("t-1h/staging-validation/test-application-functionality",
                 "t+1h/user-acceptance-testing/verify-user-interfaces"):
        assert _spoken(run[item]) == {(era, ERAS[era])}, run[item].findings()
        summary = " ".join(f["summary"] for f in run[item].findings())
        assert f"{era} {ERAS[era]}" in summary, summary
    # One conversation served every check: one opening, each list once; tool calls are fresh.
    asked = [call for r in run.results.values() for _source, call, *_ in r.calls if "/mcp" in call]
    opening = "POST /mcp initialize" if era == "handshake" else "POST /mcp server/discover"
    assert asked.count(opening) == 1, asked
    for kind in ("tools", "prompts", "resources"):
        assert asked.count(f"POST /mcp {kind}/list") == 1, asked
    assert asked.count("POST /mcp tools/call list_tables") == 2, asked  # two checks call it


def test_default_server_speaks_both_eras_and_the_client_picks_the_newest(sandbox, run_checks):
    run = run_checks("t+1h/user-acceptance-testing/verify-user-interfaces")
    assert _spoken(run["t+1h/user-acceptance-testing/verify-user-interfaces"]) == {("stateless", LATEST_MODERN_VERSION)}


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("name", MCP_FAULTS)
def test_mcp_fault_fails_its_checks_in_each_era(name, era, sandbox, run_checks):
    fault = FAULTS[name]
    try:
        sandbox.app_faults(mcp_era=era)
        fault.inject(sandbox)
        run = run_checks(*fault.breaks)
    finally:
        fault.heal(sandbox)
        sandbox.app_faults()
    still_green = [i for i in fault.breaks if run[i].outcome == "passed"]
    assert not still_green, f"{name} ({era}): still passed: {still_green}"
    first = run[fault.breaks[0]]
    assert fault.expect.lower() in first.message.lower(), f"{name} ({era}): {first.message}"


def test_an_endpoint_that_fails_every_request_is_a_clear_failure(sandbox, run_checks):
    # Neither era can be negotiated: the check names the HTTP status, never a traceback or a pass.
    sandbox.app_faults(error_rate=1.0)
    try:
        run = run_checks("t-1h/staging-validation/test-application-functionality")
    finally:
        sandbox.app_faults()
    result = run["t-1h/staging-validation/test-application-functionality"]
    assert result.outcome != "passed"
    assert "HTTP 500" in result.message, result.message


def _up(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sandbox", "up", *args], capture_output=True, text=True, timeout=180,
                          cwd=stack.ROOT)


def test_up_mcp_era_makes_the_app_serve_that_era_until_changed(sandbox, run_checks):
    """`golive-sandbox up --mcp-era handshake` on a running sandbox: the app serves that era from then on, a
    fault reset included (it is the app's default now), and golive's MCP client records that it spoke it."""
    item = "t+1h/user-acceptance-testing/verify-user-interfaces"
    chosen = _up("--mcp-era", "handshake")
    try:
        assert chosen.returncode == 0, chosen.stderr
        assert "mcp era: the app serves the handshake era only" in chosen.stdout
        sandbox.app_faults()  # a reset returns to the era `up` chose, not to both
        run = run_checks(item)
        assert run[item].outcome == "passed", run[item].message
        assert _spoken(run[item]) == {("handshake", LATEST_HANDSHAKE_VERSION)}, run[item].findings()
    finally:
        both = _up("--mcp-era", "both")
    assert both.returncode == 0, both.stderr
    assert not (stack.state_dir() / "mcp_era").exists()


def test_up_refuses_an_unknown_mcp_era_in_one_line():
    refused = _up("--mcp-era", "sse")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "--mcp-era" in refused.stderr and "handshake" in refused.stderr
