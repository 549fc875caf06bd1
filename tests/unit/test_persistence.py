"""golive.persistence: "rollback if persists" made exact, episodes, flapping, over rounds of results."""
from __future__ import annotations

import pytest

from golive import persistence as p
from golive.results import Result

HIGH = "t+1h/performance-monitoring/verify-auto-scaling"
CRITICAL = "t+1h/user-acceptance-testing/test-end-to-end-workflows"
MEDIUM = "t+1h/user-acceptance-testing/verify-user-interfaces"
SEVERITY = {HIGH: "high", CRITICAL: "critical", MEDIUM: "medium"}
T0 = 1_800_000_000.0
POLICY = p.Policy(rollback_after_s=15 * 60, flapping_changes=3, flapping_rounds=10)


def rounds(*columns: str, every: float = 300, checks=(HIGH,)) -> list[p.Round]:
    """Rounds from strings of outcome letters, one string per check: P passed, F failed, E error, W waived."""
    words = {"P": "passed", "F": "failed", "E": "error", "W": "waived", "-": None}
    out = []
    for n in range(len(columns[0])):
        results = tuple(Result(runbook_id=check, outcome=words[col[n]], severity=SEVERITY[check],
                               message=f"{check} broke" if col[n] != "P" else "", order=i)
                        for i, (check, col) in enumerate(zip(checks, columns)) if words[col[n]] is not None)
        out.append(p.Round(number=n + 1, at=T0 + n * every, results=results))
    return out


def test_all_passing_rounds_are_go():
    v = p.judge(rounds("PPPP"), POLICY)
    assert (v.decision, v.rule, v.since) == ("GO", p.ALL_PASSED, T0)
    assert "all 1 checks passed in all 4 rounds" in v.reason


def test_a_high_failure_shorter_than_the_window_that_healed_is_a_finding_not_a_rollback():
    v = p.judge(rounds("PFFFPP"), POLICY)  # failing 5..15 min: held 10 min < 15
    assert v.decision == "GO WITH FINDINGS" and v.rule == p.EPISODES
    (ep,) = v.histories[0].episodes
    assert (ep.start, ep.end, ep.rounds, ep.duration_s, ep.ongoing) == (T0 + 300, T0 + 1200, 3, 900, False)
    assert f"{HIGH} (high) failed for 15 min" in v.reason and "then recovered" in v.reason


def test_a_high_failure_held_longer_than_the_window_is_a_rollback_naming_since_when():
    v = p.judge(rounds("PFFFFFP"), POLICY)  # failing from 5 min; at 25 min it has held 20 min > 15
    assert v.decision == p.ROLLBACK and v.rule == p.PERSISTS and v.rollback
    assert v.since == T0 + 300 and v.decided_round == 6 and v.decided_at == T0 + 1500 and v.check == HIGH
    assert "since 2027-01-15T08:05:00Z" in v.reason and "longer than the 15 min rollback window" in v.reason
    assert v.action.startswith("Roll back")


def test_held_exactly_the_window_is_not_longer_than_it():
    assert p.judge(rounds("FFFF"), POLICY).decision == "NO-GO"  # 0..15 min: 15 min is not more than 15
    assert p.judge(rounds("FFFFF"), POLICY).decision == p.ROLLBACK


def test_an_ongoing_high_failure_within_the_window_is_no_go_to_monitor():
    v = p.judge(rounds("PPFF"), POLICY)
    assert v.decision == "NO-GO" and v.rule == p.LATEST and v.since == T0 + 600
    assert "Monitor, rollback if persists" in v.action
    assert f"{HIGH} failed for 5 min of the 15 min window" in v.reason


def test_a_rollback_stays_decided_after_the_check_recovers():
    v = p.judge(rounds("FFFFFFPPPP"), POLICY)
    assert v.decision == p.ROLLBACK and v.decided_round == 5


def test_a_critical_failure_is_an_immediate_rollback():
    v = p.judge(rounds("PP", "PF", checks=(HIGH, CRITICAL)), POLICY)
    assert v.decision == p.ROLLBACK and v.rule == p.IMMEDIATE and v.since == T0 + 300 and v.check == CRITICAL
    assert v.action == "Immediate rollback"


def test_could_not_decide_never_rolls_back_and_breaks_a_failing_run():
    v = p.judge(rounds("FFEFF"), POLICY)  # 20 min not passing, but the failures hold 5 min at most
    assert v.decision == "NO-GO" and [e.outcome for e in v.histories[0].episodes] == ["failed", "error", "failed"]
    assert p.judge(rounds("EEEEEEE", checks=(CRITICAL,)), POLICY).decision == "NO-GO"


def test_alternating_checks_are_flagged_as_flapping():
    v = p.judge(rounds("FPFPFP", every=60), POLICY)
    assert v.decision == "GO WITH FINDINGS" and v.rule == p.FLAPPING
    assert v.histories[0].flapping and v.histories[0].changes == 5
    assert f"{HIGH} is flapping: 5 changes" in v.reason


def test_one_episode_is_not_flapping_and_old_changes_age_out():
    assert not p.judge(rounds("PFFP"), POLICY).histories[0].flapping
    assert not p.judge(rounds("FPFP" + "P" * 10), POLICY).histories[0].flapping  # changes outside the last 10


def test_a_flapping_check_failing_now_keeps_the_latest_rounds_verdict():
    v = p.judge(rounds("PFPFPF", every=60), POLICY)
    assert v.decision == "NO-GO" and v.histories[0].flapping and any("flapping" in f for f in v.findings)


def test_medium_failures_are_findings_and_waived_is_quiet():
    v = p.judge(rounds("WWW", "FFFFF"[:3], checks=(HIGH, MEDIUM)), POLICY)
    assert v.decision == "GO WITH FINDINGS" and v.rule == p.LATEST
    assert v.histories[0].episodes == ()


def test_a_check_missing_from_a_round_ends_its_episode():
    v = p.judge(rounds("FF-P"), POLICY)
    assert [(e.rounds, e.end) for e in v.histories[0].episodes] == [(2, T0 + 600)]
    assert v.histories[0].outcomes == ("failed", "failed", None, "passed")


def test_no_round_is_no_go():
    assert p.judge([], POLICY).decision == "NO-GO"


def test_a_round_that_could_not_run_says_why():
    stopped = p.Round(number=2, at=T0 + 300, results=(), selected=0, note="nothing was checked: the preflight stopped the run (Prometheus)")
    v = p.judge([*rounds("P"), stopped], POLICY)
    assert v.decision == "NO-GO" and v.reason == "latest round: nothing was checked: the preflight stopped the run " \
                                                 "(Prometheus)"
    assert v.histories[0].outcomes == ("passed", None)


@pytest.mark.parametrize("decisions, expected", [
    (["GO", "GO WITH FINDINGS"], "GO WITH FINDINGS"), (["NO-GO", "ROLLBACK", "GO"], "ROLLBACK"),
    (["GO", "NO-GO (INCOMPLETE)"], "NO-GO"), ([], "NO-GO"), (["GO"], "GO")])
def test_the_worst_decision(decisions, expected):
    assert p.worst(decisions) == expected


def test_the_record_and_the_exit_code():
    v = p.judge(rounds("FFFFF"), POLICY)
    rec = p.record(v)
    assert rec["type"] == "judgement" and rec["decision"] == "ROLLBACK" and rec["since"] == T0
    assert p.exit_code(v) == 1 and p.exit_code(p.judge(rounds("P"), POLICY)) == 0
    assert p.exit_code(p.judge(rounds("PFP"), POLICY)) == 10


def test_spans_read_in_the_right_unit():
    assert [p._span(s) for s in (5, 119, 900, 7200 * 2)] == ["5 s", "119 s", "15 min", "4.0 h"]
