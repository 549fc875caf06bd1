"""Attestations: a human sign-off is required, signed, current, by the right role."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from golive import attest, coverage
from golive.runbook import SHIPPED_RUNBOOK
from sandbox import signoffs, stack
from tests.harness import ROOT, run_suite

KEY = b"k" * 32
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
ITEM = "t-24h/team-briefing/review-go-live-timeline"


def _ledger(tmp_path, **overrides):
    path = tmp_path / "ledger.json"
    attest.record(path, KEY, ITEM, overrides.pop("role", "Technical Lead"), "Ana Ruiz", "https://wiki/brief",
                  overrides.pop("valid_for", timedelta(hours=24)), at=overrides.pop("at", NOW - timedelta(hours=1)))
    return path


def judge(path, role="Technical Lead", key=KEY):
    return attest.judge(attest.read(path), ITEM, role, key, timedelta(hours=72), at=NOW)


def test_a_current_signed_attestation_passes(tmp_path):
    verdict = judge(_ledger(tmp_path))
    assert verdict.ok and "attested by Ana Ruiz (Technical Lead)" in verdict.message


def test_missing_attestation_names_the_role_and_the_command(tmp_path):
    verdict = judge(tmp_path / "absent.json")
    assert not verdict.ok
    assert "the Technical Lead has not signed off" in verdict.message
    assert f"golive attest {ITEM} --role 'Technical Lead'" in verdict.message


def test_the_hint_calls_golive_as_it_is_installed_with_the_environment(tmp_path, monkeypatch):
    """After `make bootstrap` golive is .venv/bin/golive (not on PATH); the hint must run as pasted."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "golive").write_text("#!/bin/sh\n")
    monkeypatch.setattr(sys, "executable", str(tmp_path / ".venv" / "bin" / "python"))
    assert attest.invocation("production", tmp_path / "golive.toml") == ".venv/bin/golive --golive-env production"
    assert attest.invocation("staging", "/etc/golive/team.toml") == (
        ".venv/bin/golive --golive-env staging --golive-config /etc/golive/team.toml")
    verdict = attest.judge([], ITEM, "Technical Lead", KEY, timedelta(hours=72), at=NOW,
                           command=attest.invocation("production", tmp_path / "golive.toml"))
    assert (f"-> record it: .venv/bin/golive --golive-env production attest {ITEM} --role 'Technical Lead' "
            "--by 'FULL NAME' --evidence URL") in verdict.message


def test_another_roles_attestation_does_not_count(tmp_path):
    verdict = judge(_ledger(tmp_path, role="QA Lead"))
    assert not verdict.ok and "attested by QA Lead, but this item needs the Technical Lead" in verdict.message


def test_expired_attestation_fails(tmp_path):
    verdict = judge(_ledger(tmp_path, valid_for=timedelta(minutes=30)))
    assert not verdict.ok and "expired at" in verdict.message


def test_old_attestation_fails(tmp_path):
    verdict = judge(_ledger(tmp_path, at=NOW - timedelta(days=5), valid_for=timedelta(days=10)))
    assert not verdict.ok and "older than the 72 h allowed" in verdict.message


def test_hand_edited_attestation_does_not_verify(tmp_path):
    path = _ledger(tmp_path)
    data = json.loads(path.read_text())
    data["entries"][0]["by"] = "Somebody Else"
    path.write_text(json.dumps(data))
    verdict = judge(path)
    assert not verdict.ok and "does not verify" in verdict.message


def test_without_the_key_nothing_verifies(tmp_path):
    verdict = judge(_ledger(tmp_path), key=None)
    assert not verdict.ok and "no attestation key" in verdict.message


@pytest.mark.parametrize("entry, words", [
    ({"item": ITEM}, "missing role, by, at, expires, signature"),
    ({"item": ITEM, "role": "x", "by": "y", "at": "yesterday", "expires": "2026-12-01T00:00:00Z", "signature": "s"},
     "bad time"),
    ({"item": ITEM, "role": "x", "by": "y", "at": "2026-11-29T00:00:00Z", "expires": "2026-12-01T00:00:00Z",
      "signature": "s", "colour": "red"}, "unknown keys colour"),
])
def test_malformed_ledger_entries_are_named(tmp_path, entry, words):
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps({"version": 1, "entries": [entry]}))
    with pytest.raises(attest.LedgerError, match=words):
        attest.read(path)


def test_the_rehearsal_team_signs_every_item_a_check_names_a_role_for():
    named = {(item, bound[0].spec.role) for item, bound in coverage.bound_tests(ROOT / "checks").items()
             if bound[0].spec.role}
    seeded = set(signoffs.wanted())
    assert not named - seeded, f"add to sandbox/seed/signoffs.yaml (role: item): {sorted(named - seeded)}"
    assert not seeded - named, f"no check asks for these sign-offs: {sorted(seeded - named)}"


def test_golive_accepts_the_sandbox_signoffs_and_up_adds_only_what_is_missing(tmp_path):
    key_file, ledger = tmp_path / "attestation.key", tmp_path / "attestations.json"
    assert signoffs.sign_all(key_file, ledger) == len(signoffs.wanted())
    entries, key = attest.read(ledger), attest.load_key(key_file)
    for item, role in signoffs.wanted():
        verdict = attest.judge(entries, item, role, key, timedelta(hours=72))
        assert verdict.ok, verdict.message
    assert signoffs.sign_all(key_file, ledger) == 0 and len(attest.read(ledger)) == len(entries)


def test_the_sandbox_names_an_unreadable_ledger_in_one_line(tmp_path):
    (tmp_path / "attestations.json").write_text("not json")
    with pytest.raises(stack.SandboxError, match="attestations.json: not an attestation ledger"):
        stack._seed_attestations(tmp_path)


@pytest.fixture
def empty_ledger(sandbox):
    """The sandbox's ledger moved aside for one test (the rehearsal team 'forgot' to sign)."""
    ledger = stack.state_dir() / "attestations.json"
    kept = ledger.with_suffix(".kept")
    shutil.move(ledger, kept)
    try:
        yield ledger
    finally:
        shutil.move(kept, ledger)


def test_with_an_empty_ledger_attested_items_fail_naming_the_role(empty_ledger, run_checks):
    run = run_checks("contacts/primary-contacts/", "t-24h/team-briefing/")
    assert run.results, "nothing ran"
    for item_id, result in run.results.items():
        assert result.outcome == "attestation missing", (item_id, result.outcome, result.message)
        assert "has not signed off" in result.message and "golive --golive-env sandbox attest" in result.message
    assert "the Deployment Lead has not signed off" in run["contacts/primary-contacts/deployment-lead"].message
    assert run.exit_code == 1


def test_golive_attest_records_a_sign_off_that_the_check_accepts(empty_ledger, run_checks):
    done = subprocess.run([sys.executable, "-m", "golive.cli", "--golive-env", "sandbox", "attest",
                           "t-24h/team-briefing/review-go-live-timeline", "--role", "Technical Lead",
                           "--by", "Marcus Oyelaran", "--evidence", "https://wiki.example.com/briefing"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "attested t-24h/team-briefing/review-go-live-timeline as Technical Lead by Marcus Oyelaran" in done.stdout
    run = run_checks("t-24h/team-briefing/review-go-live-timeline")
    result = run["t-24h/team-briefing/review-go-live-timeline"]
    assert result.outcome == "passed", result.message
    attestation = next(e["attestation"] for e in result.evidence if "attestation" in e)
    assert attestation["by"] == "Marcus Oyelaran" and attestation["evidence"] == "https://wiki.example.com/briefing"


def test_the_runs_hint_is_a_command_that_works_as_pasted(empty_ledger, run_checks):
    before = run_checks(ITEM)[ITEM]
    assert before.outcome == "attestation missing"
    command = before.message.split("-> record it: ", 1)[1]
    assert "--golive-env sandbox attest" in command, command
    command = command.replace("'FULL NAME'", "'Marcus Oyelaran'").replace("URL", "https://wiki.example.com/briefing")
    done = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, (command, done.stderr)
    assert run_checks(ITEM)[ITEM].outcome == "passed"


def golive_attest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "golive.cli", "--golive-env", "sandbox", "attest", *args],
                          cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("args, words", [
    (["t-2h/nope", "--role", "DevOps Lead", "--by", "X"], "'t-2h/nope' is not a runbook item"),
    # A role the item does not name: the check would never read this entry.
    ([ITEM, "--role", "Tech Lead", "--by", "X"],
     f"{ITEM} is signed off by the Technical Lead, not 'Tech Lead': use --role 'Technical Lead'"),
    # An automated check decides from the systems: an attestation would change nothing.
    (["t-2h/final-infrastructure-check/kubectl-get-nodes", "--role", "DevOps Lead", "--by", "X"],
     "t-2h/final-infrastructure-check/kubectl-get-nodes takes no attestation: its automated check decides it"),
    ([ITEM, "--role", "Technical Lead", "--by", "X", "--checks", "/nonexistent"], "no checks folder at /nonexistent"),
    ([ITEM, "--role", "Technical Lead"], "the following arguments are required: --by"),
])
def test_attesting_what_no_check_reads_is_refused_in_one_line(args, words, tmp_path):
    ledger = stack.state_dir() / "attestations.json"
    before = ledger.read_bytes() if ledger.exists() else None
    done = golive_attest(*args)
    assert done.returncode == 4, done.stderr
    assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
    assert (ledger.read_bytes() if ledger.exists() else None) == before  # nothing recorded


def test_a_malformed_ledger_stops_the_run_before_any_test(sandbox, tmp_path):
    ledger = stack.state_dir() / "attestations.json"
    kept = ledger.read_bytes()
    ledger.write_text('{"entries": [{"item": "x"}]}')
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "checks", "--golive-env", "sandbox", "-p",
                               "no:cacheprovider", "--golive-item", "contacts/"], cwd=ROOT, capture_output=True,
                              text=True)
    finally:
        ledger.write_bytes(kept)
    assert done.returncode == 4
    assert "entry 1 (x) missing role" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_placeholder_contacts_fail_even_when_attested(sandbox, tmp_path, monkeypatch):
    """The checkable part of an attested item can fail on its own: the shipped runbook's [Name] placeholders."""
    config = tmp_path / "golive.toml"
    config.write_text((ROOT / "golive.toml").read_text()
                      .replace('runbook = "${GOLIVE_SANDBOX_RUNBOOK:-sandbox/runbook/GO_LIVE_RUNBOOK.md}"', f'runbook = "{SHIPPED_RUNBOOK}"')
                      .replace('workdir = "sandbox/scripts"', f'workdir = "{ROOT}/sandbox/scripts"'))
    monkeypatch.setenv("GOLIVE_SANDBOX_DIR", str(stack.state_dir()))
    run = run_suite("checks", "--golive-env", "sandbox", "--golive-config", str(config),
                    "--golive-item", "contacts/primary-contacts/", "--golive-item",
                    "t-24h/team-briefing/distribute-contact-information", "--golive-item", "contacts/external-contacts/pagerduty")
    deployment_lead = run["contacts/primary-contacts/deployment-lead"]
    assert deployment_lead.outcome == "failed"
    assert "runbook contact 'Deployment Lead' still has placeholders [Name], [Phone], [Email]" in deployment_lead.message
    assert "[Service URL]" in run["contacts/external-contacts/pagerduty"].message
    assert "8 of 9 runbook contacts are placeholders" in run["t-24h/team-briefing/distribute-contact-information"].message
