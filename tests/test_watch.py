"""`golive watch`, `golive diff`, `golive report A B` and the watch's metrics, against the sandbox.

Windows are scaled from minutes to seconds: rounds every 1-2 s (each round is a real pytest process of
~3-10 s on a shared machine, so rounds run back to back), a rollback window of 4 s where a fault must
persist and of 120 s where it must not. The persistence and flapping rules themselves are proven on
synthetic rounds in tests/unit/test_persistence.py; these tests prove the loop, the stream, the page and
the metrics around them. Each watch is stopped by a Ctrl-C (KeyboardInterrupt) before a chosen round, so
the number of rounds does not depend on how fast the machine is.
"""
from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from golive import cli, compare, persistence
from golive import watch as watching
from sandbox.faults import all_faults

from tests.harness import ROOT

FAULT = all_faults()["hpa-scaling-inactive"]
CHECK = "t+1h/performance-monitoring/verify-auto-scaling"  # high: "Monitor, rollback if persists"
NEIGHBOUR = "t+1h/performance-monitoring/monitor-error-rates"  # stays passing; carries a chart

# The neighbour's error-rate window must hold no other fault's errors: these run before the windowed faults.
pytestmark = pytest.mark.clean_windows
ITEMS = ["--golive-item", CHECK, "--golive-item", NEIGHBOUR]


def watch(tmp_path, sandbox, faulty_rounds, *, rounds: int, rollback_after: float, stop=False):
    """Watch CHECK and NEIGHBOUR; the fault is in place exactly in `faulty_rounds`; Ctrl-C before round rounds+1."""
    def before(number):
        if number > rounds:
            raise KeyboardInterrupt
        (FAULT.inject if number in faulty_rounds else FAULT.heal)(sandbox)

    lines: list[str] = []
    opts = watching.Options(marker="t_plus_1h", environment="sandbox", every_s=1, for_s=600,
                            policy=persistence.Policy(rollback_after_s=rollback_after),
                            reports=tmp_path, stop_on_rollback=stop, pytest_args=ITEMS, before_round=before,
                            echo=lines.append)
    try:
        code = watching.run(opts)
    finally:
        FAULT.heal(sandbox)
    (stream,) = tmp_path.glob("*.jsonl")
    w = watching.load(stream)
    return code, w, w.judge(), stream, "\n".join(lines)


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # each round runs pytest where a user would: beside golive.toml and checks/


def history(verdict, check=CHECK):
    return next(h for h in verdict.histories if h.check == check)


def test_a_fault_shorter_than_the_window_is_a_finding_and_no_rollback(tmp_path, sandbox):
    started = time.monotonic()
    code, w, v, stream, said = watch(tmp_path, sandbox, {2, 3}, rounds=4, rollback_after=120)
    print(f"watch of 4 rounds: {time.monotonic() - started:.1f} s")
    assert [r.number for r in w.rounds] == [1, 2, 3, 4] and w.end["reason"] == watching.INTERRUPTED
    assert history(v).outcomes == ("passed", "failed", "failed", "passed")
    (ep,) = history(v).episodes
    assert (ep.first_round, ep.rounds, ep.ongoing) == (2, 2, False) and ep.held_s < 120
    assert v.decision == "GO WITH FINDINGS" and v.rule == persistence.EPISODES and not v.rollback, v.reason
    assert code == 10 and "then recovered" in v.reason
    assert history(v, NEIGHBOUR).outcomes == ("passed",) * 4
    page = stream.with_suffix(".html").read_text()
    assert CHECK in page and "Episodes (1)" in page and "Metrics over the whole watch" in page and "<svg" in page
    assert "ScalingActive" in page  # the failing rounds' message, in the strip's cells and the episode
    assert "stopped: interrupted" in page


def test_a_fault_held_longer_than_the_window_turns_the_watch_to_rollback_since_its_start(tmp_path, sandbox, capsys):
    started = time.monotonic()
    code, w, v, stream, said = watch(tmp_path, sandbox, set(range(1, 9)), rounds=8, rollback_after=4, stop=True)
    print(f"watch until the rollback: {len(w.rounds)} rounds, {time.monotonic() - started:.1f} s")
    assert v.decision == persistence.ROLLBACK and v.rule == persistence.PERSISTS and code == 1, v.reason
    first = float(w.rounds[0].record["at"])
    assert v.since == first and v.check == CHECK and v.decided_round == len(w.rounds) >= 2
    assert f"since {w.rounds[0].record['started']}" in v.reason and "longer than the 4 s rollback window" in v.reason
    assert w.end["reason"] == watching.ROLLED_BACK and "ROLLBACK" in said
    # The stream alone rebuilds the page and the verdict (golive report of a watch stream).
    assert cli.main(["report", str(stream), "--html", str(tmp_path / "again.html")]) == 1
    out = capsys.readouterr().out
    assert "\nROLLBACK: Roll back" in out and "rollback if persists" in out
    assert "ROLLBACK" in (tmp_path / "again.html").read_text()


def test_a_fault_injected_and_healed_every_other_round_is_flapping(tmp_path, sandbox):
    code, w, v, stream, said = watch(tmp_path, sandbox, {1, 3}, rounds=4, rollback_after=120)
    h = history(v)
    assert h.outcomes == ("failed", "passed", "failed", "passed") and h.flapping and h.changes == 3
    assert v.decision == "GO WITH FINDINGS" and v.rule == persistence.FLAPPING and code == 10, v.reason
    assert f"{CHECK} is flapping" in v.reason
    assert "flapping</span>" in stream.with_suffix(".html").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scraped(sandbox, metric: str) -> tuple[int, list[dict]]:
    """`metric`'s series from the watch and the round they describe: one instant query, so both are of one scrape."""
    answer = sandbox.prometheus(f'{{job="golive-watch",__name__=~"golive_rounds|{metric}"}}')
    rounds = [float(s["value"][1]) for s in answer if s["metric"]["__name__"] == "golive_rounds"]
    return (int(rounds[0]) if rounds else 0), [s for s in answer if s["metric"]["__name__"] == metric]


def test_the_sandbox_prometheus_scrapes_a_running_watch_and_finds_its_gauges(tmp_path, sandbox):
    port = _free_port()
    command = [sys.executable, "-m", "golive.cli", "watch", "-m", "t_plus_1h", "--golive-env", "sandbox",
               "--every", "2s", "--for", "10m", "--metrics-port", str(port), "--metrics-address", "127.0.0.1",
               "--golive-reports", str(tmp_path), "--", *ITEMS]
    job = f'\n  - job_name: golive-watch\n    static_configs:\n      - targets: ["127.0.0.1:{port}"]\n'
    # Ctrl-C as a terminal sends it: a suite started in the background (a shell's `&`) ignores SIGINT, and its
    # children would inherit that (Python then installs no KeyboardInterrupt handler).
    watcher = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        sandbox.wait_for(lambda: any('"judgement"' in line for p in tmp_path.glob("*.jsonl")
                                     for line in p.read_text().splitlines()), "the watch's first round", timeout=90)
        sandbox.edit_config("prometheus", "prometheus.yml", lambda text: text + job)
        try:
            sandbox.wait_for(lambda: _scraped(sandbox, "golive_verdict")[0], "golive_verdict scraped from the watch",
                             timeout=120)
            verdict = _scraped(sandbox, "golive_verdict")
            outcome = _scraped(sandbox, "golive_check_outcome")
            assert sandbox.prometheus('golive_round_timestamp_seconds{job="golive-watch"} > 1e9')
            assert len(sandbox.prometheus('golive_check_duration_seconds{job="golive-watch"}')) == 2
        finally:
            sandbox.restore_config("prometheus")
    finally:
        watcher.send_signal(signal.SIGINT)  # Ctrl-C: the watch finishes its report
        out, _ = watcher.communicate(timeout=60)
    assert watcher.returncode in (0, 10, 1), out  # the watch's verdict (GO in a healthy sandbox; see the end)
    (stream,) = tmp_path.glob("*.jsonl")
    end = json.loads(stream.read_text().splitlines()[-1])
    assert end["type"] == "watch_end" and end["reason"] == watching.INTERRUPTED, out
    assert "metrics on http://127.0.0.1:" in out
    # The gauges say what the stream says of the round they were scraped after: the decision (one series at 1 of
    # the four), and the check's outcome with its severity and phase.
    w = watching.load(stream)
    said = {r.number: r for r in w.rounds}
    number, series = verdict
    assert [s["metric"]["decision"] for s in series if s["value"][1] == "1"] == [said[number].judgement["decision"]]
    assert sorted(s["metric"]["decision"] for s in series) == sorted(persistence.DECISIONS)
    number, series = outcome
    (result,) = [r for r in said[number].run.results if r.id == CHECK]
    (mine,) = [s["metric"] for s in series if s["metric"]["runbook_id"] == CHECK and s["value"][1] == "1"]
    assert (mine["outcome"], mine["severity"]) == (result.outcome, "high") and mine["phase"], (mine, result.outcome)
    # A healthy sandbox is GO in every round; when it was not, say why (the gauges were still right).
    verdicts = [f'round {r.number}: {r.judgement["decision"]}: {r.judgement["reason"]}' for r in w.rounds if r.judgement]
    if any(r.judgement["decision"] != "GO" for r in w.rounds if r.judgement):
        warnings.warn("the healthy watch was not GO in every round: " + " | ".join(verdicts))


@pytest.fixture(scope="module")
def healthy_and_faulty(sandbox, tmp_path_factory):
    """Two runs of the fault's checks and their neighbours: healthy, then under the fault."""
    from tests.harness import run_suite

    args = ["checks", "--golive-env", "sandbox", *ITEMS]
    for item in FAULT.breaks:
        args += ["--golive-item", item]
    healthy = run_suite(*args)
    try:
        FAULT.inject(sandbox)
        faulty = run_suite(*args)
    finally:
        FAULT.heal(sandbox)
    return [Path(r.model.facts["artifacts"]["jsonl"]) for r in (healthy, faulty)]


def test_diff_of_a_healthy_and_a_faulty_run_lists_exactly_what_the_fault_breaks(healthy_and_faulty, tmp_path, capsys):
    a, b = healthy_and_faulty
    d = compare.diff(compare.read(a), compare.read(b))
    assert {c.check for c in d.newly_failing} == set(FAULT.breaks)
    assert not (d.fixed or d.still_failing or d.newly_waived or d.only_in_a or d.only_in_b)
    assert (d.a.decision, d.b.decision, d.worse) == ("GO", "NO-GO", True)
    page = tmp_path / "diff.html"
    assert cli.main(["diff", str(a), str(b), "--html", str(page)]) == 1
    out = capsys.readouterr().out
    assert "verdict: GO -> NO-GO" in out and f"newly failing ({len(FAULT.breaks)}):" in out
    assert all(f"  {item} [" in out for item in FAULT.breaks) and NEIGHBOUR not in out
    assert "ScalingActive" in out
    text = page.read_text()
    assert "GO → NO-GO" in text and all(item in text for item in FAULT.breaks) and "Fixed (0)" in text
    assert cli.main(["diff", str(b), str(b), "--html", str(tmp_path / "same.html")]) == 0
    same = capsys.readouterr().out
    assert "verdict: NO-GO (unchanged)" in same and "newly failing" not in same
    assert f"still failing ({len(FAULT.breaks)}):" in same


def test_report_of_two_runs_shows_both_and_the_worst_verdict(healthy_and_faulty, tmp_path, capsys):
    a, b = healthy_and_faulty
    page = tmp_path / "fleet.html"
    assert cli.main(["report", str(a), str(b), "--html", str(page)]) == 1
    out = capsys.readouterr().out
    assert "run 1: GO" in out and "run 2: NO-GO" in out and "NO-GO: " in out.splitlines()[2]
    text = page.read_text()
    assert 'id="run-1"' in text and 'id="run-2"' in text and "Run 2: NO-GO" in text
    assert '<div class="decision">NO-GO</div>' in text and all(item in text for item in FAULT.breaks)


def test_bad_input_is_one_line(tmp_path, capsys):
    junk = tmp_path / "junk.jsonl"
    junk.write_text("not json\nnor this\n")
    assert cli.main(["diff", str(junk), str(junk)]) == 4
    assert cli.main(["watch", "-m", "t_plus_1h", "--golive-env", "sandbox", "--every", "5x"]) == 4
    assert cli.main(["watch", "-m", "pre_go_live", "--golive-env", "sandbox"]) == 4
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and "not a JSON line" in err[0] and "'5x'" in err[1] and "--for" in err[2], err
    # A marker that selects nothing: the first round cannot run, and watching would only repeat it.
    assert cli.main(["watch", "-m", "no_such_phase", "--golive-env", "sandbox", "--every", "1s", "--for", "1m",
                     "--golive-reports", str(tmp_path)]) == 4
    out = capsys.readouterr().out
    assert "the first round could not run" in out and "no runbook check was selected" in out
