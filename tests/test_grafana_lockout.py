"""Grafana locks a user out after 5 failed logins in 5 minutes, counting every run: golive's runs on one machine
try each well-known login at most once per window, recalling the refusal within it (fixtures/logins.py)."""
from __future__ import annotations

from sandbox.faults import all_faults

from tests.harness import run_suite

CHECK = "t-0/phase4/verify-monitoring/verify-grafana-dashboards"
DEFAULT_ADMIN = all_faults()["grafana-default-admin"]


def logins(result) -> list:
    return [call for call in result.calls if call[0] == "Grafana" and "/api/user" in call[1]]


def said(result) -> str:
    """Every sentence the check's findings said (a pass has no message, its evidence has)."""
    return " ".join([result.message, *(str(e.get("summary", "")) for e in result.evidence)])


def grafana_check(state):
    return run_suite("checks", "--golive-env", "sandbox", "--golive-item", CHECK, state=state)[CHECK]


def test_a_second_run_within_the_window_recalls_the_refusals_and_tries_no_login(sandbox, tmp_path):
    first = grafana_check(tmp_path)
    assert first.outcome == "passed" and len(logins(first)) == 2, (first.message, first.calls)
    assert "not tried again" not in said(first)
    second = grafana_check(tmp_path)
    assert second.outcome == "passed" and logins(second) == [], (second.message, second.calls)
    assert "not tried again within Grafana's lockout window: Grafana's default admin login refused at " in \
        said(second), said(second)
    assert "admin with grafana.weak_logins[1] refused at" in said(second)


def test_a_login_accepted_is_never_recalled(sandbox, tmp_path):
    DEFAULT_ADMIN.inject(sandbox)
    try:
        first = grafana_check(tmp_path)
        assert first.outcome == "failed" and "accepts Grafana's default admin login" in first.message, first.message
        second = grafana_check(tmp_path)  # tried again: an acceptance is not a refusal to spare
        assert second.outcome == "failed" and len(logins(second)) == 1, (second.message, second.calls)
    finally:
        DEFAULT_ADMIN.heal(sandbox)
