"""`golive incident`: from the smoke NO-GO of a crash-looping pod to its verified resolution, against the sandbox.

The messages and the page go to the sandbox's webhook sink (sandbox/webhook_sink.py), which stands in for Slack and
the PagerDuty Events API v2; the payloads are checked as the sink received them.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from xml.etree import ElementTree

import pytest
import requests

from golive import incident, results
from sandbox.faults import all_faults
from tests.harness import ROOT, run_suite

GOLIVE = [sys.executable, "-m", "golive.cli"]
ROUTING_KEY = "sandbox-routing-key-incident-test"
STARTUP = "t-30m/critical-path-testing/test-application-startup"


def _received(sandbox, path: str) -> list:
    url = f"http://{sandbox.host}:{sandbox.ports['webhook']}/_sandbox/received"
    return requests.get(url, params={"path": path}, timeout=5).json()


def golive(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*GOLIVE, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=600)


@pytest.fixture
def sending(sandbox):
    base = f"http://{sandbox.host}:{sandbox.ports['webhook']}"
    return {"GOLIVE_SLACK_WEBHOOK_URL": f"{base}/golive-slack", "GOLIVE_PAGERDUTY_ROUTING_KEY": ROUTING_KEY}


def smoke(folder) -> results.Run:
    run_suite("checks", "-m", "smoke", "--golive-env", "sandbox", "--golive-reports", str(folder))
    return results.load(folder / "latest.jsonl")


def test_a_crash_looping_pod_from_no_go_to_resolution(sandbox, tmp_path, sending):
    fault = all_faults()["pod-crash-looping"]
    slack_before, pd_before = len(_received(sandbox, "/golive-slack")), len(_received(sandbox, "/golive-pagerduty"))
    fault.inject(sandbox)
    try:
        run = smoke(tmp_path)
        assert run.summary["verdict"]["decision"] == "NO-GO"
        opened = golive("incident", "--reports", str(tmp_path), "--golive-mutating", env=sending)
    finally:
        fault.heal(sandbox)
    assert opened.returncode == 0, opened.stderr
    assert "Application Crash (critical)" in opened.stdout and "rollback scope: application, expected 5-10 min" \
        in opened.stdout

    record = json.loads(incident.find(tmp_path, None).read_text())
    a = record["assessment"]
    assert (a["severity"], a["impact"], a["scope"], a["before_t0"]) == ("critical", "Application Crash",
                                                                        "application", True)
    assert a["action"].startswith("Do not proceed") and STARTUP in a["rerun"]
    assert [r["impact"] for r in a["rows"]] == ["Application Crash", "Minor Functionality"]
    assert ROUTING_KEY not in json.dumps(record) and "golive-slack" not in json.dumps(record)

    # Both messages, filled from the evidence, reached "Slack"; the trigger reached "PagerDuty".
    slack = [r["body"]["text"] for r in _received(sandbox, "/golive-slack")[slack_before:]]
    assert len(slack) == 2
    critical, rollback = slack
    assert critical.startswith("Subject: [sandbox] URGENT") and "CrashLoopBackOff" in critical
    assert "Impact: Application Crash (critical)" in critical and "Action: Do not proceed" in critical
    assert "rollback procedures due to Application Crash (critical)" in rollback and "Rollback ETA: " in rollback
    assert "[Description]" not in critical + rollback and "[reason]" not in rollback
    (trigger,) = [r["body"] for r in _received(sandbox, "/golive-pagerduty")[pd_before:]]
    assert trigger["event_action"] == "trigger" and trigger["routing_key"] == ROUTING_KEY
    assert trigger["dedup_key"] == record["page"]["dedup_key"] == f"golive/sandbox/{record['id']}"
    assert trigger["payload"]["severity"] == "critical" and trigger["payload"]["component"] == "application"
    assert STARTUP in trigger["payload"]["custom_details"]["failing"]
    folder = incident.find(tmp_path, None).parent
    assert {p.name for p in folder.iterdir()} >= {"incident.json", "incident.md", "postmortem.md", "messages"}

    # Healed: verify re-runs exactly the lines that failed, goes green, resolves the page.
    verified = golive("incident", "verify", "--reports", str(tmp_path), "--golive-mutating", env=sending)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    record = json.loads(incident.find(tmp_path, None).read_text())
    assert record["status"] == "resolved" and record["attempts"][-1]["green"]
    rerun = results.load(folder / "attempts" / f"{len(record['attempts']):02d}" / "latest.jsonl")
    assert sorted(r.id for r in rerun.results) == sorted(a["rerun"])
    (resolve,) = [r["body"] for r in _received(sandbox, "/golive-pagerduty")[pd_before + 1:]]
    assert resolve == {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": trigger["dedup_key"]}
    resolution = _received(sandbox, "/golive-slack")[slack_before + 2:]
    assert len(resolution) == 1 and "resolution verified" in resolution[0]["body"]["text"]
    events = [e["event"] for e in record["timeline"]]
    assert events[0] == "detected" and events[-1] == "resolved" and "page resolved" in events
    assert "## Timeline" in (folder / "incident.md").read_text()
    assert "## Action items" in (folder / "postmortem.md").read_text()

    # The Critical Issue Response lines, decided from this record (the sign-offs only a person can give are the
    # rehearsal team's, sandbox/seed/signoffs.yaml).
    os.environ["GOLIVE_INCIDENT"] = str(folder / "incident.json")
    try:
        lines = run_suite("checks", "-m", "incident", "--golive-env", "sandbox", "--golive-reports",
                          str(tmp_path / "lines")).results
    finally:
        del os.environ["GOLIVE_INCIDENT"]
    assert len(lines) == 12 and sum(r.kind == "attested" for r in lines.values()) == 5
    assert {i: r.outcome for i, r in lines.items()} == dict.fromkeys(lines, "passed"), \
        {i: r.message for i, r in lines.items() if r.outcome != "passed"}


def test_without_mutating_nothing_is_sent_and_the_lines_say_so(sandbox, tmp_path):
    fault = all_faults()["pod-crash-looping"]
    slack_before = len(_received(sandbox, "/golive-slack"))
    fault.inject(sandbox)
    try:
        smoke(tmp_path)
    finally:
        fault.heal(sandbox)
    done = golive("incident", "--reports", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "not posted: pass --golive-mutating" in done.stdout and "not paged: pass --golive-mutating" in done.stdout
    assert len(_received(sandbox, "/golive-slack")) == slack_before
    record = json.loads(incident.find(tmp_path, None).read_text())
    assert not record["page"]["triggered"]
    assert (incident.find(tmp_path, None).parent / "messages" / "critical-issue.txt").read_text().startswith(
        "Subject: [sandbox] URGENT")
    # The lines that need the messages and the page sent say what is missing.
    os.environ["GOLIVE_INCIDENT"] = str(incident.find(tmp_path, None))
    try:
        lines = run_suite("checks", "--golive-env", "sandbox", "--golive-reports", str(tmp_path / "lines"),
                          "--golive-item", "emergency/critical-issue-response/communication/").results
    finally:
        del os.environ["GOLIVE_INCIDENT"]
    notification = lines["emergency/critical-issue-response/communication/send-incident-notification"]
    assert notification.outcome == "failed" and "was not sent: not posted: pass --golive-mutating" in notification.message
    assert "was not escalated" in lines["emergency/critical-issue-response/communication/escalate-if-necessary"].message


def test_with_no_incident_open_its_lines_are_not_applicable_and_decide_nothing(sandbox, tmp_path, monkeypatch):
    """A run that selects the Critical Issue Response lines (a full run does) with no incident record: each is not
    applicable, saying why, neither a pass nor a NO-GO; the phase selected beside them decides the run."""
    monkeypatch.delenv("GOLIVE_INCIDENT", raising=False)
    run = run_suite("checks", "-m", "incident or smoke", "--golive-env", "sandbox", "--golive-reports", str(tmp_path))
    lines = {i: r for i, r in run.results.items() if i.startswith("emergency/critical-issue-response/")}
    assert len(lines) == 12 and {(r.outcome, r.message) for r in lines.values()} == {
        ("not applicable", "no incident open: these lines apply during a critical issue (`golive incident`)")}
    verdict = run.model.summary["verdict"]
    assert run.exit_code == 0 and verdict["decision"] == "GO" and not verdict["before_deploy"], verdict["reason"]
    assert verdict["reason"].endswith("; 12 lines not applicable (no incident open: these lines apply during a "
                                      "critical issue (`golive incident`))")
    skipped = ElementTree.parse(tmp_path / "latest.xml").iter("skipped")  # JUnit: skipped, saying why
    assert sum("no incident open: these lines apply" in s.get("message", "") for s in skipped) == 12
    # Only those lines: nothing was decided, which is never a GO, nor the target's NO-GO (exit 4, not 1)
    alone = run_suite("checks", "-m", "incident", "--golive-env", "sandbox", "--golive-reports", str(tmp_path / "alone"))
    assert alone.exit_code == 4 and not alone.model.summary["verdict"]["blocking"]
    assert alone.model.summary["verdict"]["reason"].startswith("nothing was decided: all 12 selected lines are not "
                                                               "applicable, no incident open")


def test_bad_input_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("GOLIVE_SLACK_WEBHOOK_URL", raising=False)
    missing = golive("incident", "--from", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 4 and len(missing.stderr.strip().splitlines()) == 1 and "nope.jsonl" in missing.stderr
    no_incident = golive("incident", "verify", "--reports", str(tmp_path))
    assert no_incident.returncode == 4 and "open one with `golive incident` first" in no_incident.stderr
    stream = tmp_path / "run.jsonl"
    failing = results.Run(facts={"schema": results.SCHEMA, "environment": "sandbox", "name": "a-run"},
                          results=[results.Result(STARTUP, "failed", severity="critical", impact="Application Crash",
                                                  message="pod crash-loops")])
    stream.write_text("".join(json.dumps(record) + "\n" for record in failing.records()))
    unsent = golive("incident", "--from", str(stream), "--reports", str(tmp_path), "--golive-mutating",
                    env={"GOLIVE_PAGERDUTY_ROUTING_KEY": ""})
    assert unsent.returncode == 4 and "set GOLIVE_SLACK_WEBHOOK_URL and GOLIVE_PAGERDUTY_ROUTING_KEY" in unsent.stderr
    assert not (tmp_path / "incidents").exists()  # nothing half-done
    # Without sending, the same run opens an incident from its evidence alone.
    done = golive("incident", "--from", str(stream), "--reports", str(tmp_path))
    assert done.returncode == 0 and "Application Crash (critical) -> Do not proceed" in done.stdout, done.stderr


def _run(*results_) -> results.Run:
    return results.Run(facts={"schema": results.SCHEMA, "name": "r", "environment": "sandbox"}, results=list(results_))


def _failed(rid, severity="critical", impact="Application Crash", kind="automated"):
    return results.Result(rid, "failed", severity=severity, impact=impact, kind=kind, message=f"{rid} broke")


@pytest.mark.parametrize("failing, areas, scope, minutes", [
    ([_failed("t-0/phase3/verify-application/check-pod-status")], {"t-0/phase3/verify-application/check-pod-status":
                                                                   "application"}, "application", [5, 10]),
    ([_failed("t-0/phase2/verify-secrets/x")], {"t-0/phase2/verify-secrets/x": "secrets"}, "secrets", [10, 15]),
    ([_failed("t-0/phase1/a/b"), _failed("t-0/phase3/a/b")], {"t-0/phase1/a/b": "infrastructure",
                                                              "t-0/phase3/a/b": "application"}, "full", [120, 240]),
    # A criterion summarising others says nothing about the layer; a monitoring failure rolls nothing back.
    ([_failed("t-0/success-criteria/x", kind="derived"), _failed("t-0/phase4/a/b", "low", "Monitoring Issues")],
     {"t-0/success-criteria/x": "infrastructure", "t-0/phase4/a/b": "monitoring"}, "none", []),
])
def test_the_rollback_scope_follows_the_blocking_checks_areas(failing, areas, scope, minutes):
    a = incident.assess(_run(*failing), areas)
    assert (a.scope, a.minutes) == (scope, minutes)
    assert not a.before_t0 and a.rerun == [r.id for r in failing]


def test_durations_come_from_the_configuration_and_the_messages_fill_every_placeholder():
    from golive import runbook

    a = incident.assess(_run(_failed("t-0/phase3/a/b"), results.Result("t-0/phase3/c/d", "passed")),
                        {"t-0/phase3/a/b": "application"}, {"application": [1, 2]})
    assert a.duration == "1-2 min" and a.action == "Immediate rollback"
    values = incident.incident_values(a, run_name="r", env_name="staging", at=incident.now())
    book = runbook.load()
    for name in incident.TEMPLATES:
        text, unfilled = incident.render(book.templates[name], values, "staging")
        assert not unfilled and text.startswith("Subject: [staging] ")
    assert "t-0/phase3/a/b: t-0/phase3/a/b broke" in values["Issue"] and "roll back the application (1-2 min)" in \
        values["Action"]
