"""Communication lines announce what the run measured, in the runbook's own templates."""
from __future__ import annotations

import os
from pathlib import Path

from golive.check import CRASH, MINOR, MONITORING, CheckFailed, Spec, Undecidable
from golive.communications import measured_status
from golive.reporters import html
from sandbox.faults import all_faults

GREEN_LINE = "t-2h/communication/infrastructure-status-green"
READY_LINE = "t-2h/communication/ready-to-proceed-with-deployment"


def spec(impact):
    return Spec("t-2h/x/y", "automated", impact, "infrastructure")


def test_status_rule():
    assert measured_status([(spec(CRASH), None)]) == ("GREEN", [])
    assert measured_status([(spec(MINOR), CheckFailed("a"))])[0] == "YELLOW"
    assert measured_status([(spec(MONITORING), CheckFailed("a")), (spec(MINOR), None)])[0] == "YELLOW"
    assert measured_status([(spec(CRASH), CheckFailed("node down"))])[0] == "RED"
    # A low-severity check that could not decide is not a pass either: it counts as blocking.
    assert measured_status([(spec(MONITORING), Undecidable("Prometheus unreachable"))])[0] == "RED"


def message(item_id: str) -> str:
    """The message the last run wrote, in its reports folder (the self-tests' GOLIVE_REPORTS_DIR)."""
    folder = Path(os.environ["GOLIVE_REPORTS_DIR"]) / "messages" / "sandbox"
    return (folder / (item_id.replace("/", "__") + ".txt")).read_text()


def test_green_is_announced_when_green(run_checks):
    run = run_checks("t-2h/")
    assert run[GREEN_LINE].outcome == "passed", run[GREEN_LINE].message
    text = message(GREEN_LINE)
    assert "Subject: [sandbox] NBA MCP Synthesis - Pre-Deployment Status" in text
    assert "Current Status: GREEN" in text and "Next Milestone: T-1 Hour: Deploy to Staging" in text
    assert "[GREEN/YELLOW/RED]" not in text


def test_green_is_refused_when_the_infrastructure_is_not(sandbox, run_checks):
    fault = all_faults()["world-open-ssh"]
    fault.inject(sandbox)
    try:
        run = run_checks("t-2h/")
    finally:
        fault.heal(sandbox)
    assert run[GREEN_LINE].outcome == "failed"
    assert "measured status is RED" in run[GREEN_LINE].message
    text = message(GREEN_LINE)
    assert "Current Status: RED" in text and "t-2h/resource-validation/validate-security-groups" in text
    assert run[READY_LINE].outcome == "failed"


def _slack_received(sandbox) -> list:
    import requests

    url = f"http://{sandbox.host}:{sandbox.ports['webhook']}/_sandbox/received"
    return requests.get(url, params={"path": "/golive-slack"}, timeout=5).json()


def test_messages_are_posted_only_when_asked(sandbox, run_checks, monkeypatch):
    monkeypatch.setenv("GOLIVE_SLACK_WEBHOOK_URL", f"http://{sandbox.host}:{sandbox.ports['webhook']}/golive-slack")
    before = len(_slack_received(sandbox))
    run_checks(GREEN_LINE)
    assert len(_slack_received(sandbox)) == before, "posted without --golive-mutating"
    run = run_checks(GREEN_LINE, extra=("--golive-mutating",))
    assert run[GREEN_LINE].outcome == "passed", run[GREEN_LINE].message
    received = _slack_received(sandbox)[before:]
    assert len(received) == 1 and "Current Status: GREEN" in received[0]["body"]["text"]
    posted = next(e["posted"] for e in run[GREEN_LINE].evidence if "posted" in e)
    assert posted == "posted to Slack" and "golive-slack" not in str(run[GREEN_LINE].evidence)


def test_fill_looks_a_placeholder_up_by_its_line_label_then_its_name():
    from golive.communications import fill

    text, unfilled = fill("Issue: [Description]\nImpact: [Description]\nNext: [Description]\n[Customer impact]",
                          {"Issue": "pod down", "Impact": "users see 502", "Description": "T+15"})
    assert text == "Issue: pod down\nImpact: users see 502\nNext: T+15\n[Customer impact]"
    assert unfilled == ["[Customer impact]"]


def test_a_template_golive_cannot_fill_fails_its_line(sandbox, tmp_path, monkeypatch):
    """The team adds a placeholder to the Critical Issue template: its line names it; the others still pass."""
    from sandbox import stack
    from tests.harness import ROOT, run_suite

    book = tmp_path / "RUNBOOK.md"
    book.write_text((ROOT / "sandbox/runbook/GO_LIVE_RUNBOOK.md").read_text().replace(
        "Action: [Description]\nETA: [Time]", "Action: [Description]\nCustomer impact: [Customer impact]\nETA: [Time]"))
    config = tmp_path / "golive.toml"
    config.write_text((ROOT / "golive.toml").read_text()
                      .replace('runbook = "${GOLIVE_SANDBOX_RUNBOOK:-sandbox/runbook/GO_LIVE_RUNBOOK.md}"', f'runbook = "{book}"')
                      .replace('workdir = "sandbox/scripts"', f'workdir = "{ROOT}/sandbox/scripts"'))
    monkeypatch.setenv("GOLIVE_SANDBOX_DIR", str(stack.state_dir()))
    run = run_suite("checks", "--golive-env", "sandbox", "--golive-config", str(config), "--golive-item", "templates/")
    critical = run["templates/incident-communication/critical-issue"]
    assert critical.outcome == "failed" and "leaves [Customer impact] unfilled" in critical.message
    others = {i: r.outcome for i, r in run.results.items() if i != critical.runbook_id}
    assert len(others) == 4 and set(others.values()) == {"passed"}, others


def test_each_completed_deployment_phase_renders_its_during_deployment_update(sandbox, run_checks):
    run = run_checks("t-0/phase1/", extra=("--golive-mutating",))
    updates = run.model.summary["phase_updates"]
    assert [u["phase"] for u in updates] == ["T-0 Phase 1: Infrastructure"], updates
    text = Path(updates[0]["message"]).read_text()
    assert "Current Phase: T-0 Phase 1: Infrastructure" in text and "Next: T-0 Phase 2: Secrets Migration" in text
    assert "Duration: " in text and "[Time elapsed]" not in text
    assert f"Status: {updates[0]['status']}" in text
    page = html.render(run.model.as_dict())  # the page lists it beside the run's messages
    assert "During Deployment updates" in page and "T-0 Phase 1: Infrastructure</b>: " in page
    # Without --golive-mutating the deploy line is not run: the phase did not complete, no update.
    assert run_checks("t-0/phase1/").model.summary["phase_updates"] == []
