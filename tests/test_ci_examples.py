"""The CI gate, ready to copy (examples/ci/): the workflows lint, gate as they say, and golive speaks to each CI.

- examples/ci/github-golive.yml lints clean with actionlint (and a broken copy does not: the lint is real);
  examples/ci/gitlab-golive.yml parses and keeps every artifact whatever the outcome.
- Each gate's own shell code, run for each exit code: 0 passes, 10 only when findings are accepted.
- golive run with GITHUB_ACTIONS=true writes the job summary and `::error` annotations; with
  GITLAB_CI=true its JUnit links the HTML report from each case that did not pass; a check that could
  not decide is a JUnit `<error>`, one that decided the target is wrong a `<failure>`.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from sandbox import stack
from sandbox.faults import all_faults

from tests.harness import ROOT

EXAMPLES = ROOT / "examples" / "ci"
GITHUB, GITLAB = EXAMPLES / "github-golive.yml", EXAMPLES / "gitlab-golive.yml"
PYTEST = [str(ROOT / ".venv" / "bin" / "pytest"), "-p", "no:cacheprovider"]
T2 = "checks/t_minus_2h"
NODES = "t-2h/final-infrastructure-check/kubectl-get-nodes"
NO_CRITICAL_ALERTS = "t-2h/success-criteria/no-critical-alerts"


def actionlint() -> str:
    found = Path(sys.executable).parent / "actionlint"
    return str(found) if found.exists() else (shutil.which("actionlint") or pytest.fail(
        "actionlint not installed: `make bootstrap` (the sandbox extra pins it)"))


def test_the_github_workflow_lints_clean(tmp_path):
    done = subprocess.run([actionlint(), "-no-color", str(GITHUB)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "golive.yml"  # the lint is real: an unknown input and a bad expression are caught
    broken.write_text(GITHUB.read_text().replace("role-to-assume:", "role-to-asume:")
                      .replace("${{ inputs.phase }}", "${{ inputs.phase_name }}", 1))
    done = subprocess.run([actionlint(), "-no-color", str(broken)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "role-to-asume" in done.stdout and "phase_name" in done.stdout, done.stdout


def test_the_gitlab_pipeline_keeps_every_artifact():
    job = yaml.safe_load(GITLAB.read_text())["golive"]
    assert job["artifacts"]["when"] == "always" and job["artifacts"]["reports"]["junit"] == "reports/latest.xml"
    assert {"reports/*.html", "reports/*.sha256", "reports/*.xml", "reports/*.jsonl"} <= set(job["artifacts"]["paths"])
    assert any("--golive-env" in line for line in job["script"])


def test_the_github_workflow_uploads_every_artifact():
    steps = yaml.safe_load(GITHUB.read_text())["jobs"]["golive"]["steps"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    assert set(upload["with"]["path"].split()) == {"reports/*.html", "reports/*.sha256", "reports/*.xml",
                                                   "reports/*.jsonl"}


def _github_gate() -> tuple[str, dict]:
    steps = yaml.safe_load(GITHUB.read_text())["jobs"]["golive"]["steps"]
    gate = next(s for s in steps if s.get("name") == "Gate on the verdict")
    return gate["run"], gate["env"]


def _gitlab_gate() -> str:
    script = yaml.safe_load(GITLAB.read_text())["golive"]["script"]
    return next(line for line in script if line.lstrip().startswith("case "))


@pytest.mark.parametrize("code, accept, passes", [
    ("0", "false", True), ("10", "true", True), ("10", "false", False), ("1", "true", False), ("4", "true", False),
    ("2", "true", False), ("3", "true", False),
])
def test_each_gate_passes_go_and_findings_only_when_accepted(code, accept, passes):
    github, _ = _github_gate()
    done = subprocess.run(["bash", "-c", github], env={"PATH": os.environ["PATH"], "CODE": code,
                                                       "ACCEPT_FINDINGS": accept}, capture_output=True, text=True)
    assert (done.returncode == 0) is passes, (code, accept, done.stdout)
    done = subprocess.run(["bash", "-c", f"code={code}\n{_gitlab_gate()}"],
                          env={"PATH": os.environ["PATH"], "GOLIVE_ACCEPT_FINDINGS": accept},
                          capture_output=True, text=True)
    assert (done.returncode == 0) is passes, (code, accept, done.stdout)


# --- golive under each CI's environment variables, against the sandbox -----------------------------


def golive(tmp_path: Path, *args: str, env: dict, config: Path | None = None):
    folder = tmp_path / "reports"
    command = [*PYTEST, T2, "--golive-env", "sandbox", "--golive-reports", str(folder), *args]
    if config is not None:
        command += ["--golive-config", str(config)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "CI_"))}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env={**clean, "GOLIVE_SANDBOX_DIR": str(stack.state_dir()), **env})
    return done, folder


def test_under_github_actions_a_nogo_writes_the_job_summary_and_annotations(sandbox, tmp_path):
    fault = all_faults()["node-not-ready"]
    summary = tmp_path / "step_summary.md"
    github = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_SERVER_URL": "https://github.com",
              "GITHUB_REPOSITORY": "team/nba-mcp-synthesis", "GITHUB_RUN_ID": "4242"}
    waivers = tmp_path / "waivers.json"
    waivers.write_text(json.dumps({"version": 1, "waivers": [{
        "item": "t-2h/resource-validation/validate-security-groups", "reason": "Bastion SSH until SSM lands",
        "approver": "Olu Adebayo (Security Lead)", "ticket": "SEC-1432", "expires": "2099-01-01T00:00:00Z"}]}))
    fault.inject(sandbox)
    try:
        done, folder = golive(tmp_path, "--golive-item", "t-2h/", "--golive-waivers", str(waivers), env=github)
    finally:
        fault.heal(sandbox)
    assert done.returncode == 1, done.stdout[-3000:]
    text = summary.read_text()
    assert "## ⛔ golive: NO-GO · sandbox · t-2h" in text and "**Recommended action:** Do not proceed: before T-0" in text  # nothing deployed yet
    assert "### Blocking" in text and f"`{NODES}`" in text and "NotReady" in text  # the item and its message
    assert "### Waivers (1)" in text and "SEC-1432" in text and "Olu Adebayo" in text
    page = next(folder.glob("sandbox_t-2h_*.html")).name
    assert f"**Report:** `{page}`" in text and "https://github.com/team/nba-mcp-synthesis/actions/runs/4242" in text
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert any(f"title=golive NO-GO%3A {NODES} (critical%2C failed)::" in line and "NotReady" in line
               for line in errors), errors
    assert all(line.startswith("::error title=") for line in errors)


def test_under_github_actions_could_not_run_says_what_to_fix(sandbox, tmp_path):
    (tmp_path / "credentials").write_text("")
    config = tmp_path / "golive.toml"
    config.write_text((ROOT / "golive.toml").read_text().replace(
        'credentials_file = "${GOLIVE_SANDBOX_DIR:-.sandbox}/aws/credentials"',
        f'credentials_file = "{tmp_path / "credentials"}"'))
    (tmp_path / "sandbox").symlink_to(ROOT / "sandbox")
    summary = tmp_path / "step_summary.md"
    done, _ = golive(tmp_path, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}, config=config)
    assert done.returncode == 4
    text = summary.read_text()
    assert "golive: COULD NOT RUN" in text and "### golive could not get in" in text and "aws sso login" in text
    assert "Immediate rollback" not in text
    assert any(line.startswith("::error title=golive could not run%3A AWS::") for line in done.stdout.splitlines())


def test_under_gitlab_the_junit_links_the_report_and_errors_are_not_failures(sandbox, tmp_path):
    """Prometheus closed (could not decide: <error>) and a node NotReady (decided: <failure>), under GitLab."""
    config = tmp_path / "golive.toml"
    config.write_text((ROOT / "golive.toml").read_text().replace(
        f"http://127.0.0.1:{stack.PORTS['prometheus']}", "http://127.0.0.1:9")
        .replace('service = "monitoring/kube-prometheus-stack-prometheus:9090", ', ""))  # by url, not the proxy
    (tmp_path / "sandbox").symlink_to(ROOT / "sandbox")
    fault = all_faults()["node-not-ready"]
    fault.inject(sandbox)
    try:
        done, folder = golive(tmp_path, "--golive-item", NODES, "--golive-item", NO_CRITICAL_ALERTS, config=config,
                              env={"GITLAB_CI": "true", "CI_PROJECT_DIR": str(tmp_path)})
    finally:
        fault.heal(sandbox)
    assert done.returncode == 1, done.stdout[-3000:]
    page = next(folder.glob("sandbox_*.html")).name
    cases = {c.get("name"): c for c in ET.parse(folder / "latest.xml").getroot().iter("testcase")}
    assert cases[NODES].find("failure") is not None and cases[NODES].find("error") is None
    assert cases[NO_CRITICAL_ALERTS].find("error") is not None and cases[NO_CRITICAL_ALERTS].find("failure") is None
    for case in cases.values():
        assert re.match(rf"\[\[ATTACHMENT\|reports/{re.escape(page)}\]\]", case.find("system-out").text), case.get("name")
    # Outside GitLab, no attachment lines.
    plain, folder = golive(tmp_path / "plain", "--golive-item", NODES, env={})
    assert "[[ATTACHMENT|" not in (folder / "latest.xml").read_text()
