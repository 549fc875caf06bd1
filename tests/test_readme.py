"""What the README promises a new user: its exit-code table, where the ledger belongs, figures that stay true."""
from __future__ import annotations

import re
import subprocess

from golive import config, verdict
from tests.harness import ROOT

README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else len(README)]


def test_the_exit_code_table_is_the_one_golive_prints():
    assert verdict.exit_codes_markdown() in README, "regenerate the table: golive exit-codes"


def test_the_readme_says_where_each_environments_ledger_belongs(monkeypatch):
    """A ledger inside the work tree is either ignored by git or named in the README as one to commit."""
    monkeypatch.delenv("GOLIVE_SANDBOX_DIR", raising=False)  # the shipped default, not this run's folder
    said = section("Attestations")
    for name in config.environment_names(ROOT / "golive.toml"):
        env = config.load(name, ROOT / "golive.toml")
        ledger = env.path(env.attestations.ledger).resolve()
        if not ledger.is_relative_to(ROOT):
            continue  # outside the work tree: nothing to commit or ignore
        relative = ledger.relative_to(ROOT).as_posix()
        ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", relative], cwd=ROOT).returncode == 0
        assert ignored or (f"`{relative}`" in said and "Commit them" in said), (
            f"{name}'s ledger {relative}: ignore it in .gitignore or say in the README's Attestations section "
            "that it is committed")


def test_figures_that_drift_are_measured_not_written_down():
    """A test count in the README goes stale with every new self-test: it says how to count instead."""
    assert not re.search(r"\b\d+ (?:self-)?tests\b", README), "say how to count the tests, not how many there were"
    assert not re.search(r"\b\d+ (?:of which|inject)", README)
    quick_start = " ".join(section("Quick start").split())
    for command in ("make bootstrap", "make smoke", "make test"):
        assert f"`time {command}`" in quick_start, f"say how the {command} time was measured"
    assert "--collect-only -q | tail -1" in quick_start
    smoke = re.search(r"the (\d+) smoke\s+checks", quick_start)
    if smoke:  # a runbook figure: it moves only with the runbook
        done = subprocess.run([str(ROOT / ".venv" / "bin" / "pytest"), "checks", "--collect-only", "-q", "-m", "smoke",
                               "--golive-env", "sandbox", "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        # "13 tests collected": only the modules the selection reaches are collected (golive/selection.py)
        assert re.match(rf"{smoke.group(1)}\b", done.stdout.splitlines()[-1]), done.stdout.splitlines()[-1]


def test_golive_report_writes_the_page_and_its_sidecar_by_default(tmp_path):
    """README: `golive report RUN.jsonl` rebuilds the verdict and a page with its `.sha256`, `RUN.rebuilt.html`
    by default, never over the run's own page."""
    import json

    from tests.test_html_reporter import model

    assert ("`golive report RUN.jsonl` rebuilds the verdict and a page with its `.sha256`, `RUN.rebuilt.html` by "
            "default, never over the run's own page") in " ".join(README.split())
    go = model("go")
    stream = tmp_path / "sandbox_smoke_20261201T000000Z.jsonl"
    own_page = stream.with_suffix(".html")
    own_page.write_text("the run's own, signed page")
    stream.write_text("\n".join(json.dumps(line) for line in [go["run"], *go["results"], go["summary"]]) + "\n")
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "golive"), "report", stream.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == go["summary"]["exit_code"], done.stderr
    page = tmp_path / "sandbox_smoke_20261201T000000Z.rebuilt.html"
    assert done.stdout.startswith(go["summary"]["verdict"]["decision"]) and f"wrote {page.name} (sha256 " in done.stdout
    checked = subprocess.run(["sha256sum", "-c", f"{page.name}.sha256"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0 and f"{page.name}: OK" in checked.stdout
    assert own_page.read_text() == "the run's own, signed page"
