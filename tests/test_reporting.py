"""Each verdict and exit code on the sandbox, and the artifacts: HTML + sidecar, JUnit (also under xdist), JSONL.

Runs the real suite in-process against the one shared sandbox (T-2h, the phase that has checks),
with faults injected through the stand-ins' APIs and healed afterwards. Tests that need T-2h green are
`baseline`: they run before any fault (windowed faults of other self-tests linger in Prometheus).
"""
from __future__ import annotations

import base64
import json
import logging
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest

from golive import config as configuration
from golive.attest import iso, now
from golive.results import SCHEMA
from sandbox import stack
from sandbox.faults import all_faults
from sandbox.seed_aws import CANARY_PREFIX

from tests.harness import ROOT, run_suite

FAULTS = all_faults()
T2 = "t-2h/"
NODES = "t-2h/final-infrastructure-check/kubectl-get-nodes"
SECURITY_GROUPS = "t-2h/resource-validation/validate-security-groups"
INFRA_OK = "t-2h/success-criteria/all-infrastructure-components-healthy"
NO_CRITICAL_ALERTS = "t-2h/success-criteria/no-critical-alerts"
GREEN = "t-2h/communication/infrastructure-status-green"
READY = "t-2h/communication/ready-to-proceed-with-deployment"
PYTEST = [str(ROOT / ".venv" / "bin" / "pytest"), "-p", "no:cacheprovider"]
PHASE = "checks/t_minus_2h"  # collect only the phase under test: other phases' modules may be mid-edit


class Artifacts:
    """What a run left in its reports folder (read through the stable `latest` names)."""

    def __init__(self, folder: Path):
        self.folder = folder

    @property
    def html(self) -> str:
        return (self.folder / "latest.html").read_text()

    @property
    def lines(self) -> list[dict]:
        return [json.loads(line) for line in (self.folder / "latest.jsonl").read_text().splitlines()]

    @property
    def summary(self) -> dict:
        return self.lines[-1]

    @property
    def junit(self) -> ET.Element:
        return ET.parse(self.folder / "latest.xml").getroot()

    def run_files(self, suffix: str) -> list[Path]:
        return [p for p in self.folder.glob(f"sandbox_*{suffix}")]


def golive(tmp_path: Path, *args: str, plugins=()):
    folder = tmp_path / "reports"
    run = run_suite(PHASE, "--golive-env", "sandbox", "--golive-reports", str(folder), *args, plugins=plugins)
    return run, Artifacts(folder)


def verified(path: Path) -> bool:
    done = subprocess.run(["sha256sum", "-c", f"{path.name}.sha256"], cwd=path.parent, capture_output=True, text=True)
    return done.returncode == 0 and f"{path.name}: OK" in done.stdout


@pytest.mark.baseline
def test_healthy_phase_is_go_with_every_artifact(sandbox, tmp_path):
    user_html = tmp_path / "smoke.html"  # the README's main job passes --html: honoured, with its sidecar
    run, out = golive(tmp_path, "--golive-item", T2, f"--html={user_html}", "--self-contained-html")
    assert run.exit_code == 0
    summary = out.summary
    assert summary["verdict"]["decision"] == "GO" and summary["exit_code"] == 0
    assert summary["verdict"]["action"] == "Proceed to the next step of the runbook"
    # HTML: golive's page with the verdict on top, self-contained, signed by its sidecar
    for path in [user_html, out.folder / "latest.html", *out.run_files(".html")]:
        assert verified(path), f"{path} does not match its .sha256"
    tampered = tmp_path / "tampered" / "smoke.html"  # an edited report no longer matches its sidecar
    tampered.parent.mkdir()
    for name in ("smoke.html", "smoke.html.sha256"):
        shutil.copy(tmp_path / name, tampered.parent / name)
    tampered.write_text(tampered.read_text().replace("v-go", "v-nogo"))
    assert not verified(tampered)
    html = out.html
    assert 'class="verdict v-go"' in html and 'href="http' not in html and "<link" not in html
    assert html.index('id="verdict"') < html.index('id="results"') < html.index('id="signoff"')
    assert all(f'id="{section}"' in html for section in ("run", "counts", "attestations", "waivers", "messages",
                                                         "coverage", "ledger"))
    assert "Deployment Lead" in html and "DevOps Lead" in html  # sign-off roles from the runbook's Team line
    assert configuration.load("sandbox").digest in html
    # JSONL: header, selection, one result per check, summary; every key documented
    lines = out.lines
    assert lines[0]["type"] == "run" and lines[0]["schema"] == SCHEMA and lines[1] == {
        "type": "selection", "count": 13, "nodeids": lines[1]["nodeids"]}
    results = [line for line in lines if line["type"] == "result"]
    assert len(results) == 13 and {r["outcome"] for r in results} == {"passed"}
    assert [r["order"] for r in results] == sorted(r["order"] for r in results)
    documented = set(re.findall(r"^\| `(\w+)` \|", (ROOT / "docs" / "results-schema.md").read_text(), re.M))
    emitted = {key for line in lines for key in line} | set(summary["verdict"])
    assert emitted <= documented, f"undocumented keys: {emitted - documented}"
    assert summary["ledger"] and all(row["count"] >= 1 for row in summary["ledger"])
    assert summary["coverage"]["leaves"] >= 192 and summary["coverage"]["run"] == 13
    # JUnit: test cases named by runbook ID with phase, severity and outcome
    cases = out.junit.findall(".//testcase")
    assert len(cases) == 13 and cases[0].get("name") == "t-2h/final-infrastructure-check/kubectl-cluster-info"
    props = {p.get("name"): p.get("value") for p in cases[0].find("properties")}
    assert props["phase"] == "T-2 Hours: Infrastructure Verification" and props["severity"] == "critical"
    assert props["outcome"] == "passed" and cases[0].get("classname") == "golive.t-2h.final-infrastructure-check"


def test_critical_fault_before_t0_is_nogo_do_not_proceed(sandbox, tmp_path):
    """Before T-0 nothing is deployed: the terminal, the summary and the page say "do not proceed" alike."""
    fault = FAULTS["node-not-ready"]
    fault.inject(sandbox)
    try:
        run, out = golive(tmp_path, "--golive-item", T2)
    finally:
        fault.heal(sandbox)
    assert run.exit_code == 1
    v = out.summary["verdict"]
    assert v["decision"] == "NO-GO" and v["action"].startswith("Do not proceed: before T-0 nothing is deployed")
    assert v["blocking"][0]["action"] == "Immediate rollback"  # the matrix row, kept for after the deploy
    assert v["blocking"][0]["runbook_id"] == NODES and "NotReady" in v["blocking"][0]["message"]
    assert {f["runbook_id"] for f in v["findings"]} == {GREEN, READY}  # medium: named, not blocking
    html = out.html
    assert 'class="verdict v-nogo"' in html and f"<b>{v['action']}</b>" in html and "KubeletNotReady" in html


def _waivers(tmp_path, expires) -> Path:
    tmp_path.mkdir()
    path = tmp_path / "waivers.json"
    entries = [{"item": item, "reason": "Bastion SSH stays open until the SSM migration lands",
                "approver": "Olu Adebayo (Security Lead)", "ticket": "SEC-1432", "expires": iso(expires)}
               for item in (SECURITY_GROUPS, INFRA_OK)]
    path.write_text(json.dumps({"version": 1, "waivers": entries}))
    return path


@pytest.mark.baseline
def test_waived_security_finding_goes_with_findings_until_the_waiver_expires(sandbox, tmp_path):
    """The Security Lead waived a world-open SSH port: the run goes ahead with findings; expired, it blocks."""
    fault = FAULTS["world-open-ssh"]
    fault.inject(sandbox)
    try:
        current, out = golive(tmp_path / "current", "--golive-item", T2,
                              "--golive-waivers", str(_waivers(tmp_path / "current", now() + timedelta(days=1))))
        expired, out_expired = golive(tmp_path / "expired", "--golive-item", T2,
                                      "--golive-waivers", str(_waivers(tmp_path / "expired", now() - timedelta(hours=1))))
    finally:
        fault.heal(sandbox)
    # current waiver: the checks still ran and kept their evidence; the communications honestly fail (medium)
    assert current.exit_code == 10
    assert current[SECURITY_GROUPS].outcome == "waived" and "22/tcp" in current[SECURITY_GROUPS].message
    assert current[SECURITY_GROUPS].evidence and current[GREEN].outcome == "failed"
    v = out.summary["verdict"]
    assert v["decision"] == "GO WITH FINDINGS" and v["action"] == "Fix in place"
    assert {w["runbook_id"] for w in v["waived"]} == {SECURITY_GROUPS, INFRA_OK}
    html = out.html
    assert 'class="verdict v-findings"' in html and "SEC-1432" in html and "Olu Adebayo" in html
    case = next(c for c in out.junit.iter("testcase") if c.get("name") == SECURITY_GROUPS)
    assert case.find("failure").get("message").startswith("[WAIVED until ")
    assert {p.get("name"): p.get("value") for p in case.find("properties")}["outcome"] == "waived"
    # expired waiver: the same failure blocks
    assert expired.exit_code == 1 and expired[SECURITY_GROUPS].outcome == "failed"
    v = out_expired.summary["verdict"]
    assert v["decision"] == "NO-GO" and v["blocking"][0]["waiver"] == "expired"
    assert "EXPIRED" in out_expired.html


def test_endpoint_down_is_an_error_and_nogo(sandbox, tmp_path, monkeypatch):
    """Prometheus unreachable (a copy of the config pointing at a closed port): no-critical-alerts cannot decide."""
    monkeypatch.setenv("GOLIVE_SANDBOX_DIR", str(stack.state_dir()))
    config = tmp_path / "golive.toml"
    config.write_text((ROOT / "golive.toml").read_text().replace(
        f"http://127.0.0.1:{stack.PORTS['prometheus']}", "http://127.0.0.1:9")
        .replace('service = "monitoring/kube-prometheus-stack-prometheus:9090", ', ""))  # by url, not the proxy
    (tmp_path / "sandbox").symlink_to(ROOT / "sandbox")  # relative paths in the sandbox environment
    run, out = golive(tmp_path, "--golive-config", str(config), "--golive-item", NO_CRITICAL_ALERTS)
    assert run.exit_code == 1
    assert run[NO_CRITICAL_ALERTS].outcome == "error" and "unreachable" in run[NO_CRITICAL_ALERTS].message
    v = out.summary["verdict"]
    assert v["decision"] == "NO-GO" and v["blocking"][0]["outcome"] == "error"
    assert "ERROR: could not decide" in out.html


@pytest.mark.parametrize("args, words", [
    (["--golive-env", "nope"], "unknown environment 'nope'"),
    (["--golive-env", "sandbox", "--golive-waivers", "{waivers}"], "is not a runbook item"),
])
def test_cannot_run_is_a_usage_error_in_one_line(tmp_path, args, words):
    bad = tmp_path / "waivers.json"
    bad.write_text(json.dumps({"version": 1, "waivers": [{"item": "t-2h/no-such-item", "reason": "r", "approver": "a",
                                                            "ticket": "t", "expires": "2030-01-01T00:00:00Z"}]}))
    done = subprocess.run([*PYTEST, PHASE, *[a.format(waivers=bad) for a in args], "--golive-reports", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    said = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 4, said
    assert len(said) == 1 and words in said[0] and "Traceback" not in said[0], said
    assert not list(tmp_path.glob("*.html"))  # nothing ran, nothing to sign


def test_nothing_selected_could_not_run(sandbox, tmp_path):
    run, out = golive(tmp_path, "-m", "no_such_marker")
    assert run.exit_code == 4 and not run.results
    v = out.summary["verdict"]
    assert v["decision"] == "NO-GO" and "nothing was checked" in v["reason"] and v["exit_name"] == "COULD NOT RUN"
    assert out.run_files(".html")[0].name.startswith("sandbox_no-such-marker_")


@pytest.mark.baseline
def test_junit_and_results_under_xdist(sandbox, tmp_path):
    run, out = golive(tmp_path, "--golive-item", T2, "-n", "2")
    assert run.exit_code == 0
    names = sorted(c.get("name") for c in out.junit.iter("testcase"))
    assert len(names) == 13 and all(n.startswith(T2) for n in names)
    for case in out.junit.iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.find("properties")}
        assert {"phase", "severity", "outcome"} <= set(props)
    results = [line for line in out.lines if line["type"] == "result"]
    assert len(results) == 13 and {r["worker"] for r in results} <= {"gw0", "gw1"}
    assert out.summary["verdict"]["decision"] == "GO" and out.summary["ledger"]


class Leaky:
    """An app that logs and prints its secrets: what a check's captured output could carry."""

    def __init__(self, secrets):
        self.secrets = secrets

    def pytest_runtest_call(self, item):
        print(f"connecting with password={self.secrets['printed']}")
        logging.getLogger("nba-mcp").warning("posting to %s with key %s", self.secrets["webhook"], self.secrets["aws"])


def test_no_secret_reaches_any_artifact(sandbox, tmp_path, capfd):
    """Seeded canaries and secret-shaped values leak into a failure message, stdout and logs: none reaches an artifact."""
    env = configuration.load("sandbox")
    canaries = [CANARY_PREFIX + key for key in env.secrets.keys]
    secrets = {"printed": canaries[0], "webhook": "https://hooks.slack.com/services/T0GOLIVE/B0GOLIVE/canarycanary",
               "aws": "AKIAGOLIVECANARY0001", "node": canaries[-1], "openai": "sk-golive-canary-abcdefghijklmnop"}
    node = "ip-10-0-2-22.ec2.internal"
    # A kubelet error that quotes credentials: it becomes the check's failure message and evidence.
    reason = f"KubeletNotReady: token={secrets['node']} key={secrets['openai']}"
    current = sandbox.kube.get("Node", node)
    conditions = [dict(c, status="False", reason=reason) if c["type"] == "Ready" else c
                  for c in current["status"]["conditions"]]
    sandbox.kube.patch("Node", node, body={"status": {"conditions": conditions}}, status=True)
    log = tmp_path / "run.log"
    try:
        run, out = golive(tmp_path, "--golive-item", NODES, "--golive-item", GREEN, "-o", "junit_logging=all",
                          f"--log-file={log}", "--log-file-level=INFO", "-rA", plugins=(Leaky(secrets),))
    finally:
        FAULTS["node-not-ready"].heal(sandbox)
    terminal = capfd.readouterr()
    assert run.exit_code == 1 and "[REDACTED]" in run[NODES].message  # the leak happened, and was scrubbed
    artifacts = {p.name: p.read_text() for p in out.folder.iterdir() if p.is_file()}
    artifacts.update({"log file": log.read_text(), "terminal": terminal.out + terminal.err})
    for name, text in list(artifacts.items()):  # text extras pytest-html embeds as base64 data: URIs
        for blob in re.findall(r"data:[\w/+.\-]+(?:;[\w\-]+=[\w\-]+)*;base64,([A-Za-z0-9+/=]+)", text):
            artifacts[f"{name} (data URI)"] = base64.b64decode(blob).decode("utf-8", "replace")
    assert {"latest.html", "latest.xml", "latest.jsonl", "log file", "terminal"} <= set(artifacts)
    for value in [*canaries, *secrets.values()]:
        leaked = [name for name, text in artifacts.items() if value in text]
        assert not leaked, f"{value} reached {leaked}"
    for sink in ("log file", "latest.xml", "latest.html", "latest.jsonl", "terminal"):  # each carried a leak
        assert "[REDACTED]" in artifacts[sink], sink
    assert "password=[REDACTED]" in artifacts["latest.xml"] and "password=[REDACTED]" in artifacts["latest.html"]


CRASH_PLUGIN = '''
import os
def pytest_runtest_call(item):
    if item.name == "test_confirm_sufficient_node_capacity":
        os._exit(3)  # like pytest-timeout's thread method: no teardown, no sessionfinish
'''


def test_a_killed_run_leaves_its_results_and_a_verdict(sandbox, tmp_path):
    (tmp_path / "golive_crash.py").write_text(CRASH_PLUGIN)
    folder = tmp_path / "reports"
    done = subprocess.run([*PYTEST, PHASE, "--golive-env", "sandbox", "--golive-item", T2, "-p", "golive_crash",
                           "--golive-reports", str(folder)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    assert done.returncode == 3
    stream = next(folder.glob("sandbox_t-2h_*.jsonl"))
    lines = [json.loads(line) for line in stream.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["run", "selection"] + ["result"] * 4
    page = tmp_path / "rebuilt.html"
    report = subprocess.run([str(ROOT / ".venv" / "bin" / "golive"), "report", str(stream), "--html", str(page)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert report.returncode == 2, report.stdout + report.stderr
    assert report.stdout.startswith("NO-GO") and "9 of 13 selected checks did not run" in report.stdout
    assert "the run was interrupted" in page.read_text() and 'class="verdict v-nogo"' in page.read_text()



SLOW_PLUGIN = '''
import time
def pytest_runtest_call(item):
    if item.name == "test_confirm_sufficient_node_capacity":
        print("golive-test: waiting for SIGTERM", flush=True)
        time.sleep(60)
'''


def test_sigterm_ends_the_run_like_ctrl_c_with_every_artifact(sandbox, tmp_path):
    """What a CI timeout sends: the run stops as interrupted, and the page and JUnit are still written."""
    (tmp_path / "golive_slow.py").write_text(SLOW_PLUGIN)
    folder = tmp_path / "reports"
    proc = subprocess.Popen([*PYTEST, PHASE, "--golive-env", "sandbox", "--golive-item", T2, "-p", "golive_slow",
                             "-s", "--golive-reports", str(folder)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    for line in proc.stdout:  # bounded: the plugin says when it waits; the test run's own timeout backs it
        if "waiting for SIGTERM" in line:
            break
    proc.terminate()
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, rest
    out = Artifacts(folder)
    assert out.summary["type"] == "summary" and "interrupted" in out.summary["verdict"]["reason"]
    assert out.summary["verdict"]["decision"] == "NO-GO"
    assert 'class="verdict v-nogo"' in out.html and verified(folder / "latest.html")
    assert len(out.junit.findall(".//testcase")) == len([r for r in out.lines if r["type"] == "result"]) >= 4
    assert "Traceback" not in rest
