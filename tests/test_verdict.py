"""The verdict, the exit-code contract, waivers, redaction and charts: pure units, no sandbox."""
from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest

from golive import cli, redact, verdict, waivers
from golive import outcomes as o
from golive.reporters.charts import chart_svg
from golive.attest import iso, now
from golive.results import Result, thin
from golive.verdict import decide, exit_code

CRASH, PERF, MINOR, MONITORING = "Application Crash", "Performance Degradation", "Minor Functionality", "Monitoring Issues"


def r(outcome, severity="critical", impact=CRASH, waiver=None, rid="t+15m/x/y"):  # after T-0: the matrix's action
    return Result(rid, outcome, severity=severity, impact=impact, message=f"{rid} {outcome}",
                  waiver={"status": waiver} if waiver else None)


@pytest.mark.parametrize("results, decision, action, code", [
    ([r("passed"), r("passed", "medium", MINOR)], "GO", verdict.PROCEED, 0),
    ([r("passed"), r("failed", "medium", MINOR)], "GO WITH FINDINGS", "Fix in place", 10),
    ([r("failed", "low", MONITORING)], "GO WITH FINDINGS", "Continue, fix post-deployment", 10),
    ([r("error", "medium", MINOR)], "GO WITH FINDINGS", "Fix in place", 10),  # undecided medium: a finding
    ([r("attestation missing", "medium", MINOR)], "GO WITH FINDINGS", "Fix in place", 10),
    ([r("failed")], "NO-GO", "Immediate rollback", 1),
    ([r("failed", "critical", "Security Breach")], "NO-GO", "Immediate rollback", 1),
    ([r("failed", "critical", "Data Corruption")], "NO-GO", "Immediate rollback", 1),
    ([r("failed", "high", PERF)], "NO-GO", "Monitor, rollback if persists", 1),
    ([r("error")], "NO-GO", "Immediate rollback", 1),  # an endpoint down kept a critical check from deciding
    ([r("skipped")], "NO-GO", "Immediate rollback", 1),  # not decided is not passed
    ([r("attestation missing", "high", PERF)], "NO-GO", "Monitor, rollback if persists", 1),
    # the most severe blocking result decides the action, whatever the order
    ([r("failed", "high", PERF), r("failed", "medium", MINOR), r("failed")], "NO-GO", "Immediate rollback", 1),
    ([r("waived")], "GO WITH FINDINGS", verdict.PROCEED + "; the waived checks stay open until their tickets close", 10),
    ([r("failed", "low", MONITORING, waiver="expired")], "NO-GO", "Continue, fix post-deployment", 1),
    ([r("passed", waiver="expired")], "GO", verdict.PROCEED, 0),  # an expired waiver nobody needed
    ([Result("checks/test_x.py::test_plain", "failed", severity="")], "NO-GO", "Immediate rollback", 1),
    # a success criterion (impact CRASH) that summarises only medium failures fails as medium
    ([r("failed", "medium", CRASH)], "GO WITH FINDINGS", "Fix in place", 10),
])
def test_rollback_decision_matrix(results, decision, action, code):
    v = decide(results)
    assert (v.decision, v.action, exit_code(v)) == (decision, action, code)
    assert v.reason


def test_before_t0_a_blocking_failure_says_do_not_proceed():
    """Nothing is deployed before T-0: the action is not a rollback (the terminal and the page show this action)."""
    v = decide([r("failed", rid="t-30m/critical-path-testing/test-application-startup"), r("passed", rid="pre/a/b")])
    assert v.decision == "NO-GO" and v.action.startswith("Do not proceed: before T-0 nothing is deployed")
    assert "the matrix says: Immediate rollback" in v.action
    # One result after T-0 in the run: the matrix's action stands.
    assert decide([r("failed", rid="t-30m/a/b"), r("failed", rid="t-0/phase3/x/y")]).action == "Immediate rollback"
    # Findings only: the matrix's medium/low action, before T-0 too.
    assert decide([r("failed", "medium", MINOR, rid="t-2h/a/b")]).action == "Fix in place"


def test_lines_needing_mutating_count_as_not_run_and_are_named():
    from golive.outcomes import NEEDS_MUTATING

    skipped = [Result(f"t-1h/staging-deployment/dry-run-{n}", "skipped", severity="critical", impact=CRASH,
                      message=NEEDS_MUTATING) for n in range(1, 5)]
    v = decide([r("passed", rid="t-1h/a/b"), *skipped], selected=5)
    assert v.decision == "NO-GO" and exit_code(v) == 1 and not v.blocking
    assert v.incomplete == ("4 lines not run: pass --golive-mutating (" + ", ".join(s.id for s in skipped) + ")",)
    assert v.action == "Do not proceed: run them with --golive-mutating"
    # Alongside a real failure, the failure decides the action and the lines not run are still named.
    v = decide([r("failed"), skipped[0]])
    assert v.action == "Immediate rollback" and v.incomplete[0].startswith("1 line not run: pass --golive-mutating")


@pytest.mark.parametrize("row", ["application-crash", "performance-degradation", "minor-functionality",
                                 "monitoring-issues"])
def test_each_decision_matrix_row_is_applied_by_the_verdict(row):
    """The runbook's four matrix rows, as their checks (checks/emergency) decide them: each passes on golive."""
    from checks.emergency import test_rollback_decision_matrix as rows
    from golive import runbook
    from golive.probes.incident import matrix_row_applied

    leaf = runbook.load()[f"emergency/rollback-decision-matrix/{row}"]
    finding = matrix_row_applied(leaf.text, rows.applied(leaf.text))
    assert finding.ok, finding.summary
    # A runbook whose row says otherwise fails the check, naming the difference.
    issue, severity, _action = leaf.text.split(" | ")
    changed = matrix_row_applied(f"{issue} | {severity} | Page the CEO", rows.applied(leaf.text))
    assert not changed.ok and "(runbook: 'Page the CEO')" in changed.summary


def test_drivers_are_named_most_severe_first():
    v = decide([r("failed", "medium", MINOR, rid="a"), r("failed", "high", PERF, rid="b"), r("error", rid="c")])
    assert [d.runbook_id for d in v.blocking] == ["c", "b"]
    assert [d.runbook_id for d in v.findings] == ["a"]
    assert "1 critical error" in v.reason and "1 high failed" in v.reason
    assert v.counts == {"medium": {"failed": 1}, "high": {"failed": 1}, "critical": {"error": 1}}


def test_incomplete_runs_are_never_go():
    v = decide([r("passed")], selected=3)
    assert v.decision == "NO-GO" and "2 of 3 selected checks did not run" in v.reason and exit_code(v) == 1
    v = decide([r("passed")], status=verdict.INTERRUPTED)
    assert v.decision == "NO-GO" and exit_code(v, verdict.INTERRUPTED) == 2
    assert exit_code(decide([r("passed")]), verdict.INTERNAL_ERROR) == 3
    v = decide([r("passed")], status=verdict.INTERRUPTED, broken=("checks/t_x/test_y.py: ImportError: no z",))
    assert v.decision == "NO-GO" and v.incomplete == ("check module not collected: checks/t_x/test_y.py: ImportError: no z",)


def test_nothing_checked_could_not_run():
    v = decide([], selected=0, status=verdict.NO_TESTS_COLLECTED)
    assert v.decision == "NO-GO" and v.nothing_checked and "nothing was checked" in v.reason
    assert exit_code(v, verdict.NO_TESTS_COLLECTED) == 4  # never 5: CI recipes wave 5 through
    assert exit_code(v, verdict.USAGE_ERROR) == 4


def test_not_applicable_before_deploy_is_neither_a_pass_nor_a_nogo():
    """A manifest run: what needs the live cluster is left out of the verdict, which says how much it left out."""
    na = r("not applicable", waiver="expired")  # not decided: even an expired waiver cannot block it
    v = decide([r("passed"), na, r("not applicable", rid="t-24h/x/z")], before_deploy=True)
    assert v.decision == "GO" and exit_code(v) == 0 and v.checked == 1 and len(v.not_applicable) == 2
    assert v.reason == ("GO for what manifests can decide: 1 check; 2 checks need the live cluster (not applicable "
                        "before deploy); all 1 decided checks passed")
    assert not v.blocking and not v.findings
    v = decide([r("failed"), na])
    assert v.decision == "NO-GO" and v.reason.startswith("NO-GO for what manifests can decide: 1 check; 1 check need")
    assert v.blocking == (v.blocking[0],) and v.blocking[0].outcome == "failed"
    decided_part = Result("t-24h/x/w", "passed", evidence=[{"not_applicable": "before deploy", "summary": "pods"}])
    v = decide([decided_part], before_deploy=True)
    assert v.reason.startswith("GO for what manifests can decide: 1 check; 0 checks need the live cluster (not "
                               "applicable before deploy), and 1 part of the decided checks;")


INCIDENT_LINE = "emergency/critical-issue-response/immediate-assessment/assess-severity-and-impact"


def no_incident(rid=INCIDENT_LINE):
    return Result(rid, "not applicable", severity="critical", impact=CRASH, message=o.NO_INCIDENT_OPEN)


def test_with_no_incident_open_the_incident_lines_are_neither_a_pass_nor_a_nogo():
    """A live run (a full one selects the Critical Issue Response lines): with no incident record they are left
    out of the verdict, which says so, and the run is not a manifest run."""
    v = decide([r("passed"), no_incident(), no_incident(INCIDENT_LINE + "-2")], selected=3)
    assert v.decision == "GO" and exit_code(v) == 0 and v.checked == 1 and not v.before_deploy
    assert v.reason == ("all 1 selected checks passed; 2 lines not applicable (no incident open: these lines apply "
                        "during a critical issue (`golive incident`))")
    v = decide([r("failed"), no_incident()])
    assert v.decision == "NO-GO" and v.blocking[0].outcome == "failed" and len(v.blocking) == 1
    # Only those lines selected (-m incident), none open: nothing was decided, which is never a GO
    v = decide([no_incident()], selected=1)
    assert v.decision == "NO-GO" and v.nothing_checked and exit_code(v) == 4 and not v.blocking
    assert v.reason == ("nothing was decided: all 1 selected lines are not applicable, no incident open: these lines "
                        "apply during a critical issue (`golive incident`)")
    assert v.action.startswith("Nothing to decide on this run: run these lines during a critical issue")


def test_a_former_streams_not_applicable_reads_as_today_s():
    record = Result("t-24h/x/y", "passed").record() | {"outcome": "not applicable before deploy"}
    assert Result.from_record(record).outcome == o.NOT_APPLICABLE


def test_a_manifest_run_that_decided_nothing_is_never_a_go():
    v = decide([r("not applicable")], selected=1, before_deploy=True)
    assert v.decision == "NO-GO" and v.nothing_checked and exit_code(v) == 4
    assert v.reason == "nothing was decided: all 1 selected checks need the live cluster (not applicable before deploy)"
    v = decide([r("not applicable")], selected=2, before_deploy=True)
    assert "1 of 2 selected checks did not run" in v.reason
    assert decide([], before_deploy=True).reason == "nothing was checked: no runbook check was selected"


def test_exit_code_table_is_the_code(capsys):
    codes = [c.code for c in verdict.EXIT_CODES]
    assert codes == sorted(set(codes)) and {0, 1, 2, 3, 4, 10} == set(codes)
    assert 5 not in codes  # pytest's "no tests collected" is remapped, never returned
    assert cli.main(["exit-codes"]) == 0
    printed = capsys.readouterr().out
    assert printed.strip() == verdict.exit_codes_markdown()
    for c in verdict.EXIT_CODES:
        assert f"| {c.code} | {c.name} |" in printed
    # every verdict maps to a code in the table
    for results in ([r("passed")], [r("failed", "low", MONITORING)], [r("failed")], []):
        assert exit_code(decide(results)) in codes


# --- waivers ----------------------------------------------------------------------------------

IDS = {"t-2h/resource-validation/validate-security-groups", "t-2h/final-infrastructure-check/kubectl-get-nodes"}


def waiver(**over):
    base = {"item": "t-2h/resource-validation/validate-security-groups", "reason": "bastion SSH until SSM lands",
            "approver": "Olu Adebayo (Security Lead)", "ticket": "SEC-1432", "expires": iso(now() + timedelta(days=2))}
    return {**base, **over}


def write(tmp_path, body) -> Path:
    path = tmp_path / "waivers.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


def test_waivers_load_and_expire(tmp_path):
    path = write(tmp_path, {"version": 1, "waivers": [
        waiver(), waiver(item="t-2h/final-infrastructure-check/kubectl-get-nodes", expires="2020-01-01T00:00:00Z")]})
    found = waivers.load(path, IDS)
    assert found["t-2h/resource-validation/validate-security-groups"].status() == "active"
    assert found["t-2h/final-infrastructure-check/kubectl-get-nodes"].status() == "expired"
    assert found["t-2h/resource-validation/validate-security-groups"].as_dict()["expires_in_days"] > 1.9
    assert waivers.load(tmp_path / "absent.json", IDS) == {}
    assert waivers.load(None, IDS) == {}


@pytest.mark.parametrize("body, words", [
    ("{not json", "not a readable JSON waiver file"),
    ({"waivers": []}, '"version": 1'),
    ({"version": 1, "waivers": [waiver(owner="x")]}, "unknown keys owner"),
    ({"version": 1, "waivers": [waiver(approver="")]}, "needs approver"),
    ({"version": 1, "waivers": [{k: v for k, v in waiver().items() if k != "ticket"}]}, "needs ticket"),
    ({"version": 1, "waivers": [waiver(item="t-2h/resource-validation/")]}, "is not a runbook item"),
    ({"version": 1, "waivers": [waiver(), waiver()]}, "waived twice"),
    ({"version": 1, "waivers": [waiver(expires="2026-12-01T00:00:00")]}, "no time zone"),
    ({"version": 1, "waivers": [waiver(expires="next week")]}, "bad time"),
    ({"version": 1, "waivers": [waiver(created="2030-01-01T00:00:00Z", expires="2029-01-01T00:00:00Z")]},
     "is not before expires"),
])
def test_bad_waiver_files_say_one_line(tmp_path, body, words):
    path = write(tmp_path, body)
    with pytest.raises(waivers.WaiverError) as excinfo:
        waivers.load(path, IDS)
    message = str(excinfo.value)
    assert words in message and str(path) in message and "\n" not in message


def test_the_documented_waiver_file_is_a_valid_one(tmp_path):
    from golive import runbook as catalogue

    doc = (Path(__file__).resolve().parents[1] / "docs" / "waivers.md").read_text()
    example = re.search(r"```json\n(.*?)```", doc, re.S).group(1)
    found = waivers.load(write(tmp_path, example), catalogue.load().by_id)
    assert list(found) == ["t-2h/resource-validation/validate-security-groups"]
    for key in waivers.REQUIRED + waivers.OPTIONAL:  # every key the validator knows is documented
        assert f"| `{key}` |" in doc


def test_golive_waivers_prints_a_template_that_waives_nothing_until_filled_in(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    assert cli.main(["--golive-env", "production", "waivers", "--template"]) == 0
    template = json.loads(capsys.readouterr().out)
    entry = template["waivers"][0]
    assert set(entry) == set(waivers.REQUIRED + waivers.OPTIONAL)
    path = write(tmp_path, template)
    with pytest.raises(waivers.WaiverError, match="item, reason, approver, ticket still the template's placeholder"):
        waivers.load(path, IDS)
    entry.update(item="t-2h/resource-validation/validate-security-groups")  # filled in part way: still refused
    with pytest.raises(waivers.WaiverError, match=r"\(t-2h/resource-validation/validate-security-groups\): reason, "
                                                  "approver, ticket still"):
        waivers.load(write(tmp_path, template), IDS)
    entry.update(reason="r", approver="a", ticket="T-1")
    assert waivers.load(write(tmp_path, template), IDS)["t-2h/resource-validation/validate-security-groups"]
    # Without a file, the listing says how to start one.
    assert cli.main(["--golive-env", "production", "waivers", "--file", str(tmp_path / "absent.json")]) == 0
    said = capsys.readouterr().out
    assert f"no waiver file at {tmp_path / 'absent.json'}: nothing is waived" in said
    assert "--golive-env production waivers --template >" in said


# --- redaction --------------------------------------------------------------------------------

LEAKS = [
    ("key AKIAQWERTYUIOPASDFGH used", "AKIAQWERTYUIOPASDFGH"),
    ("openai sk-proj-abcdefghijklmnopqrstuvwx failed", "sk-proj-abcdefghijklmnopqrstuvwx"),
    ("posted to https://hooks.slack.com/services/T0001/B0001/abcdefghijkl", "T0001/B0001/abcdefghijkl"),
    ("slack xoxb-123456789012-abcdefABCDEF", "xoxb-123456789012-abcdefABCDEF"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlMTIz", "eyJhbGciOiJIUzI1NiJ9"),
    ("dsn host=db user=app password=Tr0ub4dor&3 dbname=nba", "Tr0ub4dor"),
    ("postgresql://app:hunter2hunter2@db:5432/nba", "hunter2hunter2"),
    ('{"api_key": "abc123def456"}', "abc123def456"),
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "wJalrXUtnFEMI"),
    ("grafana glsa_QZzCE5gjYabcdefghijklmnopqrstu_1234abcd", "glsa_QZzCE5gjY"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow"),
    ("linear lin_api_abcdefghijklmnopqrstuvwxyz012345", "lin_api_abcdefghij"),
]


@pytest.mark.parametrize("text, secret", LEAKS)
def test_secret_shapes_are_redacted(text, secret):
    clean = redact.Redactor().text(text)
    assert secret not in clean and redact.REDACTED in clean


def test_names_and_ordinary_sentences_survive():
    r = redact.Redactor()
    for text in ("Secrets Manager holds all 11 expected secrets under nba-mcp-synthesis/production/",
                 "secret_store aws-secrets-manager Ready", "token_env = GRAFANA_TOKEN",
                 "2 of 3 nodes Ready (need 3)", "rotation not enabled: nba-mcp-synthesis/production/database-password"):
        assert r.text(text) == text
    data = {"secret_store": "aws-secrets-manager", "missing": ["nba-mcp-synthesis/production/openai-api-key"],
            "password": "x" * 12, "nested": {"db_password": 1234, "token": None, "Authorization": "Basic abc"}}
    assert r.data(data) == {"secret_store": "aws-secrets-manager", "missing": data["missing"],
                            "password": redact.REDACTED, "nested": {"db_password": redact.REDACTED, "token": None,
                                                                   "Authorization": redact.REDACTED}}


def test_known_values_and_patterns_from_the_environment(tmp_path):
    r = redact.Redactor(known=["s3cr3t-from-file-0001", "short"], patterns=["golive-canary-[A-Za-z0-9-]+"])
    assert r.text("token file said s3cr3t-from-file-0001; canary golive-canary-openai-api-key; short") == (
        "token file said [REDACTED]; canary [REDACTED]; short")  # values under 8 characters stay (too common)
    environ = {"GRAFANA_TOKEN": "glsa_abcdefghijklmnopqrstu", "PGPASSWORD": "pg-pass-9876", "HOME": "/root",
               "GOLIVE_ATTESTATION_KEY": "k" * 32, "SECRET_STORE_NAME": "not-a-secret"}
    assert sorted(redact.known_secrets(None, environ)) == sorted(["glsa_abcdefghijklmnopqrstu", "pg-pass-9876", "k" * 32])


def test_json_and_markup_stay_well_formed():
    r = redact.Redactor()
    line = json.dumps({"message": 'login failed: password="p@ss w0rd!" token=abcdef123456', "n": 1})
    assert json.loads(r.text(line))["message"] == 'login failed: password="[REDACTED] w0rd!" token=[REDACTED]'
    escaped = json.dumps({"m": 'password=\\"abc\\"'})
    json.loads(r.text(escaped))  # an escaped quote is never split


def test_log_records_are_redacted():
    record = logging.LogRecord("app", logging.WARNING, __file__, 1, "connecting with password=%s", ("hunter22",), None)
    redact.LogFilter(redact.Redactor()).filter(record)
    assert record.getMessage() == "connecting with password=[REDACTED]"


# --- charts -----------------------------------------------------------------------------------

def test_chart_svg_draws_series_and_threshold():
    chart = {"title": "p95 latency", "unit": "ms", "threshold": 500,
             "series": {"p95": [[1764410400 + 15 * i, 300 + (400 if i == 5 else 0)] for i in range(12)],
                        "p50": [[1764410400 + 15 * i, 120] for i in range(12)]}}
    svg = chart_svg(chart)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<polyline") == 2 and 'class="threshold"' in svg and "threshold 500 ms" in svg
    assert svg.count("<circle") == 1  # the one point over the threshold
    assert "no data" in chart_svg({"title": "error rate", "series": {"5xx": []}})


def test_downsampling_keeps_spikes():
    points = [[i, 1.0] for i in range(5000)]
    points[3217][1] = 99.0
    kept = thin(points, 400)
    assert len(kept) <= 400 and [3217, 99.0] in kept and kept == sorted(kept)


def test_the_terminal_and_the_verdict_record_keep_the_first_sentence_and_the_action():
    from golive.reporters import terminal
    from golive.results import verdict_record

    sentence = "EKS cluster nba-mcp-synthesis-prod: node group standard-workers is DEGRADED " + "x" * 400
    action = "record it: .venv/bin/golive --golive-env production attest t-2h/x/y --role 'DevOps Lead'"
    long = r("failed")
    long.message = f"{sentence}; another finding -> {action}"
    lines = terminal.lines_for(long)
    assert lines[1].strip() == f"{sentence} (+1 more) -> {action}" and "…" not in lines[1]
    recorded = verdict_record(decide([long]), 1)["blocking"][0]["message"]
    assert recorded == f"{sentence} (+1 more) -> {action}"


def test_a_bracketed_semicolon_belongs_to_its_sentence():
    from golive.outcomes import brief

    first = "2 schedulable nodes cannot fit the app (+7 pods need 3500m CPU; free 2860m): CPU short by 640m"
    assert brief(f"{first}; {'x' * 300} -> Add nodes", 200) == f"{first} (+1 more) -> Add nodes"
    assert brief("short; message -> act", 200) == "short; message -> act"
