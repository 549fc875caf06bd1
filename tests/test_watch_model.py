"""Without the sandbox: the watch stream read back, durations, diff and fleet on synthetic runs, the metrics
a scrape and a Pushgateway see, and the pages rendered from them."""
from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
import requests

from golive import compare, metrics, persistence, results
from golive import watch as watching
from golive.reporters import jsonl, pages

HIGH, LOW = "t+1h/performance-monitoring/verify-auto-scaling", "t+1h/alert-tuning/adjust-alert-thresholds"
T0 = 1_800_000_000.0


def run(outcomes: dict[str, str], decision: str = "GO", **facts) -> results.Run:
    rs = [results.Result(runbook_id=i, outcome=out, severity="high" if i == HIGH else "low", order=n,
                         phase="T+1 Hour: Extended Monitoring", message="" if out == "passed" else f"{i} broke",
                         duration_s=0.25)
          for n, (i, out) in enumerate(outcomes.items())]
    return results.Run(facts={"schema": results.SCHEMA, "environment": "sandbox", "cluster": "c1", "region": "r1",
                              "selection_label": "t-plus-1h", "started": "2027-01-15T08:00:00Z", **facts},
                       selected=len(rs), results=rs,
                       summary={"type": "summary", "verdict": {"decision": decision, "action": "act", "reason": "why",
                                                               "exit_code": {"GO": 0, "NO-GO": 1}.get(decision, 10)}})


def stream(tmp_path: Path, name: str, r: results.Run) -> Path:
    return jsonl.write(r, tmp_path / f"{name}.jsonl")


def watch_stream(tmp_path: Path, columns: list[dict[str, str]], rollback_after_s: float = 900) -> Path:
    records = [{"type": "watch", "schema": watching.SCHEMA, "environment": "sandbox", "selection": "t_plus_1h",
                "every_s": 300, "for_s": 7200, "rollback_after_s": rollback_after_s, "flapping_changes": 3,
                "flapping_rounds": 10, "started_at": T0}]
    for n, outcomes in enumerate(columns, start=1):
        records.append({"type": "round", "round": n, "at": T0 + (n - 1) * 300, "started": results.iso(T0 + (n - 1) * 300),
                        "seconds": 3.0, "exit_code": 0})
        records += [{**r, "round": n} for r in run(outcomes).records()]
    path = tmp_path / "watch.jsonl"
    path.write_text("".join(jsonl.line(r) for r in records))
    return path


def test_durations_and_the_runbooks_phase_windows():
    assert [watching.seconds(t) for t in ("30s", "5m", "1.5h", "2d")] == [30, 300, 5400, 172800]
    for bad in ("5", "m", "-5m", "0m", "5x", ""):
        with pytest.raises(watching.WatchError):
            watching.seconds(bad)
    assert watching.phase_duration("t_plus_1h", None) == 7200  # "T+1 Hour: Extended Monitoring ... 2 hours"
    assert watching.phase_duration("t_plus_15", None) == 1800
    assert watching.phase_duration("t_plus_24", None) == 3600
    assert watching.phase_duration("pre_go_live", None) is None


def test_a_watch_stream_reads_back_round_by_round_and_judges_as_it_ran(tmp_path):
    path = watch_stream(tmp_path, [{HIGH: "passed", LOW: "passed"}] + [{HIGH: "failed", LOW: "passed"}] * 5)
    w = watching.load(path)
    assert [r.number for r in w.rounds] == [1, 2, 3, 4, 5, 6] and w.end is None
    assert all(len(r.run.results) == 2 for r in w.rounds)
    v = w.judge()
    assert v.decision == "ROLLBACK" and v.since == T0 + 300 and v.decided_round == 6
    model = watching.page_model(w, v)
    assert [c["outcome"] for c in model["rows"][0]["cells"]] == ["passed"] + ["failed"] * 5
    page = pages.render_watch(model)
    assert "ROLLBACK" in page and "rollback if persists" in page and "ongoing" in page
    assert compare.read(path).decision == "ROLLBACK" and compare.read(path).kind == "watch"


def test_a_watch_stream_cut_in_half_still_reads(tmp_path):
    path = watch_stream(tmp_path, [{HIGH: "passed"}, {HIGH: "failed"}])
    path.write_text(path.read_text() + '{"type": "round", "rou')
    assert len(watching.load(path).rounds) == 2
    with pytest.raises(results.StreamError):
        watching.load(stream(tmp_path, "plain", run({HIGH: "passed"})))


def test_diff_sorts_every_change_into_its_group(tmp_path):
    a = run({HIGH: "passed", LOW: "failed", "x/fixed": "failed", "x/waived": "failed", "x/gone": "passed"})
    b = run({HIGH: "failed", LOW: "error", "x/fixed": "passed", "x/waived": "waived", "x/new": "passed"}, "NO-GO")
    d = compare.diff(compare.read(stream(tmp_path, "a", a)), compare.read(stream(tmp_path, "b", b)))
    groups = {g: [c.check for c in getattr(d, g)] for g in compare.Diff.GROUPS}
    assert groups == {"newly_failing": [HIGH], "fixed": ["x/fixed"], "still_failing": [LOW],
                      "newly_waived": ["x/waived"], "only_in_a": ["x/gone"], "only_in_b": ["x/new"]}
    assert d.verdict_changed and d.worse
    lines = compare.diff_lines(d)
    assert "verdict: GO -> NO-GO" in lines and f"  {LOW} [low, failed -> error]: {LOW} broke" in lines
    page = pages.render_diff(compare.diff_model(d))
    assert "Newly failing (1)" in page and "Only in b (1)" in page


def test_fleet_takes_the_worst_verdict_and_a_killed_run_is_no_go(tmp_path):
    good = stream(tmp_path, "good", run({HIGH: "passed"}, environment="eu"))
    findings = stream(tmp_path, "findings", run({HIGH: "passed", LOW: "failed"}, "GO WITH FINDINGS", environment="us"))
    killed = run({HIGH: "passed"}, environment="ap")
    killed.summary = None
    model = compare.fleet_model([compare.read(p) for p in (good, findings)])
    assert (model["decision"], model["exit_code"]) == ("GO WITH FINDINGS", 10) and "us" in model["reason"]
    model = compare.fleet_model([compare.read(p) for p in (good, findings, stream(tmp_path, "killed", killed))])
    assert model["decision"] == "NO-GO" and "stopped before its summary" in model["reason"]
    page = pages.render_fleet(model)
    assert page.count('<section id="run-') == 3 and "Outcomes by run" in page


def _scrape(exporter) -> str:
    return requests.get(f"http://127.0.0.1:{exporter.port}/metrics", timeout=5).text


def test_the_watch_serves_outcome_verdict_round_and_duration_gauges(tmp_path):
    w = watching.load(watch_stream(tmp_path, [{HIGH: "passed", LOW: "failed"}]))
    exporter = metrics.serve(0, "127.0.0.1")
    try:
        exporter.update(w, w.judge())
        text = _scrape(exporter)
    finally:
        exporter.close()
    assert (f'golive_check_outcome{{outcome="failed",phase="T+1 Hour: Extended Monitoring",runbook_id="{LOW}",'
            f'severity="low"}} 1.0') in text
    assert f'golive_check_outcome{{outcome="passed",phase="T+1 Hour: Extended Monitoring",runbook_id="{LOW}",' \
           f'severity="low"}} 0.0' in text
    assert 'golive_verdict{decision="GO WITH FINDINGS",environment="sandbox",selection="t_plus_1h"} 1.0' in text
    assert 'golive_verdict{decision="ROLLBACK",environment="sandbox",selection="t_plus_1h"} 0.0' in text
    assert 'golive_round_timestamp_seconds{environment="sandbox",selection="t_plus_1h"} 1.8e+09' in text
    assert f'golive_check_duration_seconds{{phase="T+1 Hour: Extended Monitoring",runbook_id="{HIGH}"}} 0.25' in text


def test_a_single_run_pushes_its_metrics_to_a_pushgateway(tmp_path):
    got: list[tuple[str, str, bytes]] = []

    class Gateway(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):  # noqa: N802 - http.server's naming
            got.append((self.command, self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        key = metrics.push(run({HIGH: "failed"}, "NO-GO"), f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
    assert key == {"environment": "sandbox", "selection": "t-plus-1h"}
    ((method, path, body),) = got
    assert method == "PUT" and path == "/metrics/job/golive/environment/sandbox/selection/t-plus-1h"
    assert b'golive_verdict{decision="NO-GO",environment="sandbox",selection="t-plus-1h"} 1.0' in body
    assert persistence.DECISIONS[-1] == "ROLLBACK"
