"""The run model against the sandbox: evidence on the right row, no Secret value cached, messages in
the run's reports folder, and a NO-GO that fits one screen.
"""
from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from golive import config as configuration
from golive.communications import elapsed_text
from golive.gather import Ledger, Source
from sandbox.faults import all_faults

from fixtures.kubernetes import Kubernetes, make_api_client
from tests.harness import ROOT, run_suite

CRITERION = "pre/technical-readiness/monitoring-stack-operational"  # summarises T-0 phase 4 checks
LATER_CHECK = "t-0/phase4/verify-monitoring/check-prometheus-targets"
PYTEST = [str(ROOT / ".venv" / "bin" / "pytest"), "-p", "no:cacheprovider"]


def test_a_criterion_refers_to_the_checks_it_summarises_their_evidence_stays_on_their_rows(sandbox, tmp_path):
    """The criterion runs first (runbook order) and decides the later check on its behalf."""
    run = run_suite("checks", "--golive-env", "sandbox", "--golive-reports", str(tmp_path),
                    "--golive-item", CRITERION, "--golive-item", LATER_CHECK)
    criterion, check = run[CRITERION], run[LATER_CHECK]
    assert [r.runbook_id for r in run.model.results] == [CRITERION, LATER_CHECK]
    assert criterion.outcome == check.outcome == "passed", (criterion.message, check.message)
    # The criterion's row holds one entry: what it summarises, by runbook ID.
    assert len(criterion.evidence) == 1 and LATER_CHECK in criterion.evidence[0]["summarises"]
    assert LATER_CHECK in criterion.summarises and not criterion.findings()
    # The check's own row has its findings, although it was decided while the criterion ran.
    assert check.findings() and all(f["ok"] for f in check.findings())


def test_secret_values_are_dropped_before_anything_is_cached(sandbox):
    env = configuration.load("sandbox")
    source = Source("Kubernetes API", "sandbox", Ledger())
    kube = Kubernetes(make_api_client(env), source, (2, 5))
    listed = kube.list("secrets", env.kubernetes.app_namespace)
    one = kube.get("secrets", listed[0]["metadata"]["name"], env.kubernetes.app_namespace)
    cached = [v.value for v in source._cache.values() if v.value]
    values = [value for obj in [*(x for v in cached for x in (v if isinstance(v, list) else [v]))]
              for value in (obj.get("data") or {}).values()]
    assert values, "the sandbox namespace has Secrets with data: the test must see some"
    assert set(values) == {"<redacted>"} and one["data"] and set(one["data"].values()) == {"<redacted>"}


class SlowSetup:
    """Time passes before the message is written, as it does in a real deployment phase."""

    def pytest_runtest_setup(self, item):
        time.sleep(2.2)


def test_a_message_says_how_long_the_run_has_taken(sandbox, tmp_path):
    """'Duration: [Time elapsed]' is measured from the run's start (it read an attribute nothing set: 0 min)."""
    item = "t-0/communication/application-live-and-operational"
    run = run_suite("checks", "--golive-env", "sandbox", "--golive-reports", str(tmp_path), "--golive-item", item,
                    plugins=(SlowSetup(),))
    text = next(ev["text"] for ev in run[item].evidence if "template" in ev)
    seconds = int(re.search(r"Duration: (\d+) s", text).group(1))
    assert seconds >= 2, text
    assert (elapsed_text(0.4), elapsed_text(42), elapsed_text(185)) == ("0 s", "42 s", "3 min 5 s")


def test_crash_looping_nogo_fits_one_screen_and_messages_follow_the_reports_folder(sandbox, tmp_path):
    fault = all_faults()["pod-crash-looping"]
    fault.inject(sandbox)
    try:
        done = subprocess.run([*PYTEST, "-m", "smoke", "--golive-env", "sandbox", "--golive-reports", str(tmp_path)],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        fault.heal(sandbox)
    out = done.stdout + done.stderr
    lines = out.splitlines()
    assert done.returncode == 1, out
    assert len(lines) <= 50, f"{len(lines)} lines:\n{out}"
    assert "Traceback" not in out and "def test_" not in out and "golive/check.py" not in out
    assert "golive verdict: NO-GO" in out and "Recommended action: Do not proceed: before T-0" in out
    assert re.search(r"CrashLoopBackOff", out) and "what to do: " in out and "observed: " in out
    # The communication messages went to this run's reports folder, and the page shows their text.
    messages = list((tmp_path / "messages" / "sandbox").glob("*.txt"))
    assert messages and all("Measured status: RED" in m.read_text() for m in messages)
    stream = [json.loads(line) for line in (tmp_path / "latest.jsonl").read_text().splitlines()]
    paths = [ev["message"] for r in stream if r["type"] == "result" for ev in r["evidence"] if "template" in ev]
    assert paths and all(p.startswith(str(tmp_path)) for p in paths)
    # The run's start time is the messages' clock (it used to be read from an attribute nothing set).
    texts = [ev["text"] for r in stream if r["type"] == "result" for ev in r["evidence"] if "template" in ev]
    assert not any("[Time elapsed]" in t for t in texts)


@pytest.mark.parametrize("record_key", ["summarises", "captured"])
def test_new_result_keys_are_documented(record_key):
    assert f"| `{record_key}` |" in (ROOT / "docs" / "results-schema.md").read_text()


def test_the_api_ledger_shows_calls_as_a_person_writes_them(sandbox, tmp_path):
    """No Python reprs of boto parameters, no cache keys' unique IDs: each call as one would type it."""
    env = configuration.load("sandbox")
    run = run_suite("checks", "--golive-env", "sandbox", "--golive-reports", str(tmp_path),
                    "--golive-item", "t-30m/", "--golive-item", "t-1h/staging-validation/")
    calls = {(row["source"], row["call"]) for row in run.model.as_dict()["summary"]["ledger"]}
    assert ("AWS rds", f"rds DescribeDBInstances DBInstanceIdentifier={env.database.rds_instance}") in calls, calls
    assert ("Kubernetes API", f"kubectl get pods -n {env.kubernetes.app_namespace} -l {env.kubernetes.app_label}") \
        in calls, calls
    endpoint = env.app.endpoints[0]
    assert ("App", f"{endpoint.method} {endpoint.path}") in calls  # the uncached latency probe: no unique ID
    assert ("App", f"POST {env.app.mcp_path} tools/list") in calls
    for source, call in calls:
        assert not re.search(r"\(\('|[0-9a-f]{32}|\(\)$", call), (source, call)


def test_a_sandbox_report_never_reads_like_production(sandbox, tmp_path):
    """The environment in the banner, the title and every message; the cluster named as the sandbox's."""
    env = configuration.load("sandbox")
    assert "sandbox" in env.eks.cluster and env.eks.cluster != configuration.load("production").eks.cluster
    run = run_suite("checks", "--golive-env", "sandbox", "--golive-reports", str(tmp_path), "--golive-item", "t-2h/")
    page = (tmp_path / "latest.html").read_text()
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    banner = page[page.index('id="verdict"'):page.index('id="run"')]
    assert "· sandbox ·" in title, title
    assert re.search(r'class="environment">sandbox · cluster ' + re.escape(env.eks.cluster), banner), banner
    assert run.model.facts["cluster"] == env.eks.cluster
    messages = [ev for r in run.model.results for ev in r.evidence if isinstance(ev, dict) and "template" in ev]
    assert messages, "t-2h has communication items"
    for ev in messages:
        assert ev["text"].startswith("Subject: [sandbox] "), ev["text"][:80]
        assert (tmp_path / "messages" / "sandbox").is_dir() and "[sandbox]" in open(ev["message"]).read()
