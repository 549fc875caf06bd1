"""The HTML reporter (golive/reporters/html.py) on the sample run models: no sandbox, no server.

tests/data/models/ holds small hand-written runs (runbook wording from the shipped runbook,
verdicts as golive.verdict decides them):
    nogo.json        a failing check with a hint, an undecided one (error), a waived one, an
                     attestation, a chart, a communication message, a criterion with `summarises`
    go.json          a passing smoke phase, with a test bound to no runbook item
    incomplete.json  a run killed after two results: `summary` is None
Each renders to one page that says its verdict, shows every result with its evidence and hints,
loads nothing from elsewhere, and (headless Chromium) prints with all of its evidence.
Secrets are not this reporter's business: the model arrives redacted (golive/redact.py).
"""
from __future__ import annotations

import copy
import json
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from golive.reporters import html
from golive.reporters.charts import chart_svg

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "tests" / "data" / "models"
NAMES = ("nogo", "go", "incomplete")

NODES = "t-2h/final-infrastructure-check/kubectl-get-nodes"
CLUSTER_INFO = "t-2h/final-infrastructure-check/kubectl-cluster-info"
LB = "t-2h/resource-validation/check-load-balancer-health"
HEALTHY = "t-2h/success-criteria/all-infrastructure-components-healthy"


def model(name: str) -> dict:
    return json.loads((MODELS / f"{name}.json").read_text(encoding="utf-8"))


def text(markup: str) -> str:
    """What a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    from html import unescape

    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", markup)))


def section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    end = page.find("<section", start)
    return page[start:end if end != -1 else len(page)]


def row(page: str, item: str) -> str:
    """The result row of `item`: its <details> element, nested ones included."""
    start = page.rindex("<details", 0, page.index(f'id="{html.anchor(item)}"'))
    depth, at = 0, start
    for tag in re.finditer(r"<(/?)details\b", page[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            at = start + tag.end()
            break
    return page[start:page.index(">", at) + 1]


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return {name: html.render(model(name)) for name in NAMES}


def findings(result: dict):
    return [ev for ev in result.get("evidence") or [] if isinstance(ev, dict)]


# --- the page --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_renders_one_complete_page(pages, name):
    page = pages[name]
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert f"<title>{html.title(model(name))}</title>" in page
    for part in ("verdict", "run", "results", "attestations", "waivers", "ledger", "signoff", "testlog"):
        assert f'id="{part}"' in page, part


@pytest.mark.parametrize("name, decision", [("nogo", "NO-GO"), ("go", "GO"), ("incomplete", "NO-GO (INCOMPLETE)")])
def test_banner_says_the_verdict_and_the_signoff_repeats_it(pages, name, decision):
    banner = text(section(pages[name], "verdict"))
    assert banner.startswith(f'id="verdict"> {decision} ') or f" {decision} " in banner
    assert f"verdict {decision} for" in text(section(pages[name], "signoff"))


def test_nogo_banner_names_what_drove_it_and_links_each_to_its_row(pages):
    banner = section(pages["nogo"], "verdict")
    assert "Recommended action: Immediate rollback" in text(banner)
    blocking = model("nogo")["summary"]["verdict"]["blocking"]
    assert {d["runbook_id"] for d in blocking} == {NODES, LB, HEALTHY}
    for d in blocking:
        assert f'href="#{html.anchor(d["runbook_id"])}"' in banner
        assert f'id="{html.anchor(d["runbook_id"])}"' in pages["nogo"]


LONG_SENTENCE = ("not attested: the Technical Lead has not signed off "
                 "'t-24h/team-briefing/review-go-live-timeline', the timeline review the whole team relies on "
                 "before the production window opens and the change freeze starts")
ACTION = ("record it: .venv/bin/golive --golive-env production attest t-24h/team-briefing/review-go-live-timeline "
          "--role 'Technical Lead' --by 'FULL NAME' --evidence URL")


def test_banner_and_test_log_keep_the_first_sentence_and_the_action_whole():
    """A long message loses its later sentences, never the end of the first one nor what to do after '->'."""
    m = model("nogo")
    message = f"{LONG_SENTENCE}; a second finding; a third finding -> {ACTION}"
    m["summary"]["verdict"]["blocking"][0]["message"] = message
    next(r for r in m["results"] if r["runbook_id"] == NODES)["message"] = message
    page = html.render(m)
    shown = f"{LONG_SENTENCE} (+2 more) -> {ACTION}"
    assert shown in text(section(page, "verdict")), text(section(page, "verdict"))
    assert shown in text(section(page, "testlog"))
    assert "…" not in text(section(page, "verdict"))


@pytest.mark.parametrize("name", NAMES)
def test_every_result_is_a_row_with_its_evidence_and_hints(pages, name):
    page = pages[name]
    for r in model(name)["results"]:
        item = html.key(r)
        body = text(row(page, item))
        assert item in body and r["text"] in body
        for ev in findings(r):
            if "summary" in ev:
                assert ev["summary"] in body, (item, ev["summary"])
            if ev.get("hint") and ev.get("ok") is False:
                assert f"What to do: {ev['hint']}" in body, item


def test_rows_that_did_not_pass_are_open_the_rest_collapsed(pages):
    page = pages["nogo"]
    for r in model("nogo")["results"]:
        opening = row(page, html.key(r)).split(">", 1)[0]
        assert (" open" in opening) == (r["outcome"] != "passed"), (r["runbook_id"], opening)


def test_a_criterion_links_to_the_rows_it_summarises(pages):
    healthy = row(pages["nogo"], HEALTHY)
    for item in (CLUSTER_INFO, NODES, LB):
        assert f'href="#{html.anchor(item)}"' in healthy
    assert "aws-eks-describe-cluster</code> <span class=\"muted\">(not in this run)" in healthy
    assert "Did not pass:" in healthy


def test_waiver_attestation_message_and_chart_are_shown(pages):
    page = pages["nogo"]
    waived = text(row(page, "t-2h/resource-validation/validate-security-groups"))
    assert "waived (check failed): Port 8080 stays open" in waived and "ticket OPS-2291" in waived
    assert "applied: the check did not pass and stays waived" in text(section(page, "waivers"))
    attestations = text(section(page, "attestations"))
    assert "Dana Whitfield" in attestations and "https://wiki.example.com/golive/briefing-2026-12-04" in attestations
    messages = text(section(page, "messages"))
    assert "measured RED , claims GREEN" in messages and "Status: RED" in messages
    charts = section(page, "charts")
    assert "<svg" in charts and 'class="threshold"' in charts and "threshold 500 ms" in charts


def test_test_log_lists_every_test_collapsed_with_its_captured_output(pages):
    for name in NAMES:
        log = section(pages[name], "testlog")
        assert "<details class=\"log\" open" not in log and " open>" not in log
        for r in model(name)["results"]:
            assert f'id="{html.log_anchor(html.key(r))}"' in log and r["nodeid"] in log
            for title, captured in r.get("captured") or []:
                assert f"<h5>{title}</h5>" in log and captured.split()[0] in log
    assert "outside the runbook" in text(section(pages["go"], "results"))


def test_incomplete_run_says_so_everywhere(pages):
    page, m = pages["incomplete"], model("incomplete")
    assert m["summary"] is None
    banner = text(section(page, "verdict"))
    assert "NO-GO (INCOMPLETE)" in banner and "Do not proceed" in banner and "(2 of 11 selected)" in banner
    assert NODES in banner  # what failed so far
    assert html.title(m).endswith("INCOMPLETE")
    assert "did not finish" in text(section(page, "run"))


@pytest.mark.parametrize("name", NAMES)
def test_one_file_that_loads_nothing(pages, name):
    page = pages[name]
    assert not re.search(r"<link\b|<iframe\b|<object\b|<embed\b|<img\b|@import|url\(", page, re.I)
    assert not re.search(r"\bsrc\s*=", page, re.I)
    hrefs = re.findall(r"\bhref\s*=\s*[\"']?([^\"'\s>]*)", page, re.I)
    assert hrefs and all(h.startswith("#") for h in hrefs), [h for h in hrefs if not h.startswith("#")]
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)) and {h[1:] for h in hrefs} <= set(ids)  # every link lands on one place


def test_model_text_is_text_not_markup():
    hostile = model("go")
    hostile["results"][0]["text"] = "<script>alert('x')</script>"
    hostile["results"][0]["evidence"][0]["summary"] = 'replica "a" & <b>b</b>'
    page = html.render(hostile)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "replica &#34;a&#34; &amp; &lt;b&gt;b&lt;/b&gt;" in page


def test_missing_keys_render_blank_not_a_crash():
    sparse = copy.deepcopy(model("nogo"))
    for r in sparse["results"]:
        for k in ("detail", "calls", "duration_s", "worker", "waiver", "captured"):
            r.pop(k, None)
    sparse["summary"].pop("coverage")
    assert 'id="signoff"' in html.render(sparse)


def test_importable_and_renders_without_pytest():
    code = ("import sys, json; sys.modules['pytest'] = None\n"
            "from golive.reporters import html\n"
            f"print(len(html.render(json.load(open({str(MODELS / 'go.json')!r})))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout) > 1000


def test_chart_has_its_threshold_line_and_marks_points_over_it():
    svg = chart_svg({"title": "p95", "unit": "ms", "threshold": 500,
                     "series": {"p95": [[1796392800, 200], [1796392830, 650], [1796392860, 210]]}})
    assert 'class="threshold"' in svg and "threshold 500 ms" in svg and "<polyline" in svg
    assert svg.count("<circle") == 1  # the one point above 500
    assert "no data" in chart_svg({"title": "error rate", "series": {"5xx": []}})


# --- printed: what a signer gets from the browser's print or PDF ------------------------------


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-pdf-header-footer", f"--user-data-dir={profile}"]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=120)


def _pdf(page: str, tmp_path: Path, name: str) -> Path:
    source, pdf = tmp_path / f"{name}.html", tmp_path / f"{name}.pdf"
    source.write_text(page, encoding="utf-8")
    run = _chromium(f"--print-to-pdf={pdf}", source.as_uri(), profile=tmp_path / "profile")
    assert pdf.is_file() and pdf.stat().st_size > 0, run.stderr[-1500:]
    return pdf


def _squeezed(words: str) -> str:
    # A sentence wrapped across lines still matches (pdftotext drops the hyphen a line ends on).
    return re.sub(r"[\s-]+", "", words)


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")),
                    reason="chromium is not installed: the printed copy cannot be checked (apt-get install chromium)")
@pytest.mark.parametrize("opener", ["css and script", "css alone"])
def test_printed_copy_carries_every_results_evidence(tmp_path, opener):
    """Print to PDF; the collapsed rows' evidence and the failures' hints are in its text, on pages it fits.

    'css alone' prints the page without its beforeprint script: ::details-content opens the rows.
    """
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: apt-get install poppler-utils", pytrace=False)
    m = model("nogo")
    page = html.render(m)
    if opener == "css alone":
        page = re.sub(r"<script>.*?</script>", "", page, flags=re.S)
    pdf = _pdf(page, tmp_path, "nogo")
    printed = _squeezed(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)

    for r in m["results"]:
        for ev in findings(r):
            if "summary" in ev:  # passing rows are collapsed on screen: their evidence must still print
                assert _squeezed(ev["summary"]) in printed, (r["outcome"], ev["summary"])
            if ev.get("hint") and ev.get("ok") is False:
                assert _squeezed(f"What to do: {ev['hint']}") in printed
    captured = next(r for r in m["results"] if r["runbook_id"] == CLUSTER_INFO)["captured"][0][1]
    assert _squeezed(captured) in printed  # the test log prints open too
    assert _squeezed("We reviewed this report: verdict NO-GO") in printed
    assert _squeezed("page 1 of") in printed  # the page footer numbers the pages

    # Nothing runs past the right margin, and Chromium did not shrink the page to make it fit.
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))
    right = [float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes)]
    heights = [float(b) - float(a) for a, b in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', boxes)]
    margin = 12 / 25.4 * 72  # @page margin: 12 mm left and right
    assert max(right) <= width - margin + 1.5, f"text at x={max(right):.1f} of {width:.1f}"
    assert statistics.median(heights) > 9, "the print was scaled down: something is wider than the page"
