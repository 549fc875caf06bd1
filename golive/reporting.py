"""Reporting: every golive run ends with a verdict, an exit code and artifacts a Deployment Lead can sign.

One result per test is built from the test's reports (from `user_properties` only, so it works the
same under pytest-xdist) and streamed to `<run>.jsonl` the moment the test finishes: a crash or a
timeout leaves the results so far (`golive report <run>.jsonl` rebuilds the verdict and a page).
At the end the verdict (golive/verdict.py) sets the exit code, and the artifacts land in
`--golive-reports` (default `reports/`, or GOLIVE_REPORTS_DIR; `none` writes only what --html and
--junitxml ask for), `<run>` being `<environment>_<selection>_<UTC time>`:

    <run>.html  + .sha256   pytest-html, self-contained, golive's sign-off sections on top
    <run>.xml               JUnit: test cases named by runbook ID, properties for phase, severity, outcome
    <run>.jsonl             the stream (schema: docs/results-schema.md)
    latest.html / .html.sha256 / .xml / .jsonl    copies of the newest run

`--html PATH` and `--junitxml PATH` are honoured too (the HTML gets its `.sha256` beside it).
Waivers (golive/waivers.py) are applied per report; every report passes the redaction layer
(golive/redact.py) before any sink (terminal, JUnit, HTML, JSONL, xdist) sees it, and each artifact
file is redacted once more as it is written. Runs without an environment (golive's own tests) are
left alone.
"""
from __future__ import annotations

import getpass
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import pytest

from golive import coverage as cov
from golive import plugin, redact, report_html, verdict, waivers
from golive.attest import iso

SCHEMA = "golive-results/1"
STATE = pytest.StashKey["State"]()
MAX_DETAIL = 8000  # characters of pytest's failure text kept per result
MAX_POINTS = 400  # points per chart series kept (min/max per bucket beyond that)
SIGNOFF_LEADER = "Deployment Lead"
QUIET_ERRORS = {"CheckFailed", "AttestationMissing", "AssertionError"}  # the outcome already says what they mean


def pytest_addoption(parser):
    group = parser.getgroup("golive")
    group.addoption("--golive-reports", default=None, metavar="DIR",
                    help="folder for this run's HTML, JUnit and JSONL (default reports, or GOLIVE_REPORTS_DIR); "
                         "'none': only the paths given with --html/--junitxml")
    group.addoption("--golive-waivers", default=None, metavar="PATH",
                    help="waiver file for this run (default: `waivers` of the environment in golive.toml)")


def _requested(config) -> str | None:
    return config.getoption("--golive-env") or os.environ.get("GOLIVE_ENV")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """Name the run and point pytest-html and junitxml at its artifacts (before they configure)."""
    env_name = _requested(config)
    if not env_name or config.option.collectonly:
        return None
    state = State(config)
    config.stash[STATE] = state
    state.label = selection_label(config)
    state.name = f"{env_name}_{state.label}_{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"
    folder = config.getoption("--golive-reports") or os.environ.get("GOLIVE_REPORTS_DIR") or "reports"
    if folder.lower() != "none":
        state.folder = Path.cwd() / folder
        state.artifacts = {kind: state.folder / f"{state.name}.{ext}"
                           for kind, ext in (("html", "html"), ("junit", "xml"), ("jsonl", "jsonl"))}
    opt = config.option
    if hasattr(opt, "htmlpath"):
        opt.htmlpath = opt.htmlpath or (str(state.artifacts["html"]) if state.artifacts else None)
        opt.self_contained_html = True  # the signed artifact is one file
        state.html = Path.cwd() / os.path.expandvars(opt.htmlpath) if opt.htmlpath else None
    if hasattr(opt, "xmlpath"):
        opt.xmlpath = opt.xmlpath or (str(state.artifacts["junit"]) if state.artifacts else None)
        state.junit = Path.cwd() / os.path.expandvars(opt.xmlpath) if opt.xmlpath else None
    return None


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """After golive.plugin loaded the environment: the redactor and the waivers, before any test runs."""
    if not _requested(config) or config.option.collectonly:
        return
    state = config.stash.get(STATE, None) or State(config)  # xdist workers never see pytest_cmdline_main
    config.stash[STATE] = state
    state.prepare()
    config.pluginmanager.register(state, "golive-reporting")


def pytest_unconfigure(config):
    state = config.stash.get(STATE, None)
    if state is not None and state.stream is not None:
        state.stream.close()
        state.stream = None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Outermost wrapper: runs after golive.plugin recorded the outcome and evidence.
    report = yield
    state = item.config.stash.get(STATE, None)
    if state is not None:
        state.annotate(report)
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(collector):
    report = yield
    state = collector.config.stash.get(STATE, None)
    if state is not None:
        state.redactor.report(report)
    return report


def selection_label(config) -> str:
    """What the run selected, for file names: `smoke`, `t-2h`, `smoke+t-2h`, or `all`."""
    parts = [config.option.markexpr] if config.option.markexpr else []
    parts += [i.rstrip("/") for i in config.getoption("--golive-item")]
    parts += [f"k-{config.option.keyword}"] if config.option.keyword else []
    if not parts:  # a path selection: checks/t_minus_4h -> t_minus_4h
        parts = [Path(a.split("::")[0]).stem for a in config.args if Path(a.split("::")[0]).stem != "checks"]
    label = "+".join(re.sub(r"[^A-Za-z0-9+.\-]+", "-", p).strip("-") for p in parts) or "all"
    return label[:60]


def _sha256(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git_revision(root: Path) -> str:
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (git not available)"
    if rev.returncode != 0:
        return "unknown (not a git checkout)"
    return rev.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def _operator() -> str:
    who = os.environ.get("GOLIVE_OPERATOR") or os.environ.get("GITHUB_ACTOR") or os.environ.get("GITLAB_USER_LOGIN")
    try:
        who = who or getpass.getuser()
    except (KeyError, OSError):
        who = who or "unknown"
    return f"{who} on {socket.gethostname()}"


def _version() -> str:
    try:
        return importlib.metadata.version("golive")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _downsample(points: list, limit: int = MAX_POINTS) -> list:
    """Keep each bucket's lowest and highest point: spikes over a threshold survive."""
    if not isinstance(points, list) or len(points) <= limit:
        return points
    size = len(points) / (limit // 2)
    out = []
    for b in range(limit // 2):
        bucket = points[int(b * size):int((b + 1) * size)]
        if bucket:
            pair = {id(min(bucket, key=lambda p: p[1])): None, id(max(bucket, key=lambda p: p[1])): None}
            out += [p for p in bucket if id(p) in pair]
    return out


def _crash(report) -> str:
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        # "golive.check.CheckFailed: 2 of 3 nodes Ready" -> the sentence; other errors keep their class name.
        return re.sub(r"^(?:\w+\.)*(\w+): ", lambda m: "" if m.group(1) in QUIET_ERRORS else f"{m.group(1)}: ",
                      crash.message)
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        return str(longrepr[2])
    return str(longrepr).strip().splitlines()[-1] if str(longrepr).strip() else ""


def _props(report) -> dict:
    return dict(getattr(report, "user_properties", ()))  # a CollectReport has none


class State:
    """Per-process reporting state; registered as a plugin so its hooks see the whole session."""

    def __init__(self, config):
        self.config = config
        self.worker = hasattr(config, "workerinput")
        self.name = self.label = ""
        self.folder: Path | None = None
        self.artifacts: dict[str, Path] = {}
        self.html: Path | None = None
        self.junit: Path | None = None
        self.env = None
        self.redactor = redact.Redactor()
        self.waiver_path: Path | None = None
        self.waivers: dict[str, waivers.Waiver] = {}
        self.stream = None
        self.run: dict = {}
        self.results: list[dict] = []
        self.pending: dict[str, list] = {}
        self.selected: int | None = None
        self.broken: list[str] = []  # check modules that failed to collect
        self.started = time.time()
        self.ledger_mark = 0
        self.html_data = None
        self.model: dict | None = None
        self.verdict: verdict.Verdict | None = None
        self.exit: int | None = None
        self.published: list[tuple[Path, str]] = []

    # --- before the run ---------------------------------------------------------------------

    def prepare(self) -> None:
        env = self.config.stash.get(plugin.ENV_KEY, None)
        if env is None:
            return
        self.env = env
        try:
            self.redactor = redact.for_environment(env)
        except re.error as exc:
            raise pytest.UsageError(f"golive: {env.source}: environments.{env.name}.redact_patterns: {exc}") from None
        given = self.config.getoption("--golive-waivers")
        if given and not Path(given).is_file():
            raise pytest.UsageError(f"golive: waiver file {given} not found (--golive-waivers)")
        self.waiver_path = Path(given).resolve() if given else (env.path(env.waivers) if env.waivers else None)
        try:
            self.waivers = waivers.load(self.waiver_path, plugin.book(self.config).by_id)
        except waivers.WaiverError as exc:
            raise pytest.UsageError(f"golive: {exc}") from None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session):
        logging_plugin = self.config.pluginmanager.get_plugin("logging-plugin")
        for name in ("log_cli_handler", "log_file_handler", "caplog_handler", "report_handler"):
            handler = getattr(logging_plugin, name, None)
            if handler is not None:
                handler.addFilter(redact.LogFilter(self.redactor))
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:  # pragma: no cover - pytest-html depends on pytest-metadata
            metadata_key = None
        metadata = self.config.stash.get(metadata_key, None) if metadata_key else None
        for key in list(metadata or {}):
            metadata[key] = self.redactor.data(metadata[key], str(key))
        if self.worker or self.env is None:
            return
        env, book = self.env, plugin.book(self.config)
        attestations = env.path(env.attestations.ledger)
        self.run = {
            "type": "run", "schema": SCHEMA, "name": self.name, "environment": env.name,
            "description": env.description, "cluster": env.eks.cluster, "region": env.aws.region,
            "account": env.aws.account_id, "selection_label": self.label, "selection": self._selection_text(),
            "operator": _operator(), "started": iso(datetime.fromtimestamp(self.started, timezone.utc)),
            "golive_version": _version(), "git_revision": _git_revision(self.config.rootpath),
            "config_file": env.source, "config_digest": env.digest,
            "runbook_file": str(book.path), "runbook_sha256": _sha256(Path(book.path)),
            "attestation_file": str(attestations), "attestation_sha256": _sha256(attestations),
            "waiver_file": str(self.waiver_path) if self.waiver_path else None,
            "waiver_sha256": _sha256(self.waiver_path),
            "waivers": [w.as_dict() for w in self.waivers.values()],
            "command": self.redactor.text("pytest " + " ".join(self.config.invocation_params.args)),
            "artifacts": {k: str(v) for k, v in self.artifacts.items()},
            "python": platform.python_version(), "pytest": pytest.__version__,
        }
        if "jsonl" in self.artifacts:
            self.artifacts["jsonl"].parent.mkdir(parents=True, exist_ok=True)
            self.stream = self.artifacts["jsonl"].open("w", encoding="utf-8")
        self._write(self.run)

    def _selection_text(self) -> str:
        opt = self.config.option
        parts = [f"-m {opt.markexpr!r}"] if opt.markexpr else []
        parts += [f"-k {opt.keyword!r}"] if opt.keyword else []
        parts += [f"--golive-item {i}" for i in self.config.getoption("--golive-item")]
        return " ".join(parts) or "everything collected"

    def _write(self, record: dict) -> None:
        if self.stream is not None:
            self.stream.write(self.redactor.text(json.dumps(record, default=str, ensure_ascii=False)) + "\n")
            self.stream.flush()

    def pytest_collectreport(self, report):
        if report.failed and not self.worker:
            lines = report.longreprtext.strip().splitlines()
            last = re.sub(r"^E\s+", "", lines[-1]) if lines else "collection failed"
            if f"{report.nodeid}: {last}" not in self.broken:  # under xdist every worker reports it
                self.broken.append(f"{report.nodeid}: {last}")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        if not self.worker:
            self._selected([i.nodeid for i in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        if self.selected is None:
            self._selected(list(ids))

    def _selected(self, nodeids: list[str]) -> None:
        self.selected = len(nodeids)
        self._write({"type": "selection", "count": len(nodeids), "nodeids": nodeids})

    # --- per test ---------------------------------------------------------------------------

    def annotate(self, report) -> None:
        """Waiver, API calls and redaction for one report, before any sink or xdist sees it."""
        props = _props(report)
        new: dict[str, str] = {}
        if "golive" in props:
            meta = json.loads(props["golive"])
            waiver = self.waivers.get(meta["runbook_id"])
            if waiver is not None:
                meta["waiver"] = waiver.as_dict()
                if meta["outcome"] != verdict.PASSED and meta["waiver"]["status"] == "active":
                    meta["raw_outcome"], meta["outcome"] = meta["outcome"], verdict.WAIVED
            new["golive"] = json.dumps(self.redactor.data(meta))
        if "golive_evidence" in props:
            evidence = json.loads(props["golive_evidence"])
            for ev in evidence:
                chart = ev.get("chart") if isinstance(ev, dict) else None
                if isinstance(chart, dict) and isinstance(chart.get("series"), dict):
                    chart["series"] = {k: _downsample(v) for k, v in chart["series"].items()}
            new["golive_evidence"] = json.dumps(self.redactor.data(evidence), default=str)
        calls = self._calls()
        report.user_properties = [(k, new.get(k, v)) for k, v in report.user_properties]
        if calls:
            report.user_properties.append(("golive_calls", json.dumps(self.redactor.data(calls))))
        self.redactor.report(report)

    def _calls(self) -> list:
        """API calls the gatherers made since the last report (the ledger lives in each xdist worker)."""
        session_fixtures = self.config.pluginmanager.get_plugin("fixtures.session")
        key = getattr(session_fixtures, "LEDGER_KEY", None)
        ledger = self.config.stash.get(key, None) if key is not None else None
        if ledger is None:
            return []
        new = ledger.calls[self.ledger_mark:]
        self.ledger_mark = len(ledger.calls)
        return [[c.source, c.what, c.ok, c.seconds, c.error] for c in new]

    def pytest_runtest_logreport(self, report):
        if self.worker or self.env is None:
            return
        self.pending.setdefault(report.nodeid, []).append(report)
        if report.when == "teardown":
            self._finish(report.nodeid)

    def _finish(self, nodeid: str) -> None:
        reports = {r.when: r for r in self.pending.pop(nodeid)}
        setup, call, teardown = reports.get("setup"), reports.get("call"), reports.get("teardown")
        decider = setup if setup is not None and not setup.passed else (call or setup or teardown)
        if teardown is not None and teardown.failed and decider.passed:
            decider = teardown
        meta = json.loads(_props(decider).get("golive") or _props(call or decider).get("golive") or "null") or {}
        if meta:
            outcome = meta["outcome"]
        else:  # a test bound to no runbook item: decides like a critical check (fail closed)
            outcome = "error" if decider.failed and decider.when != "call" else decider.outcome
        evidence = json.loads(_props(call).get("golive_evidence", "[]")) if call is not None else []
        record = {
            "type": "result", "nodeid": nodeid, "runbook_id": meta.get("runbook_id"),
            "phase": meta.get("phase", ""), "section": meta.get("section", ""), "text": meta.get("text") or nodeid,
            "order": meta.get("order", 10**6), "kind": meta.get("kind", ""), "impact": meta.get("impact", ""),
            "severity": meta.get("severity") or "critical", "role": meta.get("role"), "outcome": outcome,
            "raw_outcome": meta.get("raw_outcome"), "waiver": meta.get("waiver"),
            "message": "" if decider.passed else _crash(decider),
            "detail": "" if decider.passed else decider.longreprtext[-MAX_DETAIL:],
            "evidence": evidence,
            "calls": [c for r in reports.values() for c in json.loads(_props(r).get("golive_calls", "[]"))],
            "duration_s": round(sum(r.duration for r in reports.values()), 3),
            "started": iso(datetime.fromtimestamp(min(r.start for r in reports.values()), timezone.utc)),
            "finished": iso(datetime.fromtimestamp(max(r.stop for r in reports.values()), timezone.utc)),
            "worker": getattr(getattr(getattr(decider, "node", None), "gateway", None), "id", None),
        }
        self.results.append(record)
        self._write(record)

    # --- at the end -------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session):
        # Innermost wrapper: before the yield the verdict and exit code are set (pytest-html renders
        # them in the yield); after it, pytest-html and junitxml have written their files.
        if self.worker or self.env is None:
            return (yield)
        for nodeid in list(self.pending):  # tests whose teardown never came (a crashed worker)
            self._finish(nodeid)
        status = int(session.exitstatus)
        self.verdict = verdict.decide((result_of(r) for r in self.results), selected=self.selected, status=status,
                                      broken=tuple(self.broken))
        self.exit = verdict.exit_code(self.verdict, status)
        session.exitstatus = self.exit
        summary = self._summary()
        self._write(summary)
        self.model = {"run": {**self.run, "phases": summary["phases"], "signoff_roles": summary["signoff_roles"]},
                      "results": self.results, "summary": summary}
        if self.html_data is not None:
            self.html_data.title = report_html.title(self.model)
        try:
            return (yield)
        finally:
            self._publish()

    def _summary(self) -> dict:
        v = self.verdict
        finished = time.time()
        book = plugin.book(self.config)
        phases, roles = [], [SIGNOFF_LEADER]
        for r in sorted(self.results, key=lambda r: r["order"]):
            if r["phase"] and r["phase"] not in phases:
                phases.append(r["phase"])
            leaf = book.by_id.get(r["runbook_id"] or "")
            roles += [t for t in (leaf.team if leaf else ()) if t not in roles and not t.lower().startswith("all ")]
        used = {r["runbook_id"]: r for r in self.results if r["runbook_id"]}
        waiver_rows = []
        for w in self.waivers.values():
            row, r = w.as_dict(), used.get(w.item)
            row["use"] = ("not in this run" if r is None else
                          "applied: the check did not pass and stays waived" if r["outcome"] == verdict.WAIVED else
                          "not needed: the check passed" if r["outcome"] == verdict.PASSED else
                          "EXPIRED: the failure blocks")
            waiver_rows.append(row)
        return {
            "type": "summary", "finished": iso(datetime.fromtimestamp(finished, timezone.utc)),
            "duration_s": round(finished - self.started, 3), "exit_code": self.exit,
            "verdict": verdict_dict(v, self.exit), "phases": phases, "signoff_roles": roles,
            "waivers": waiver_rows, "coverage": self._coverage(book), "ledger": self._ledger(),
        }

    def _coverage(self, book) -> dict | None:
        checks = self.config.rootpath / "checks"
        if not checks.is_dir():
            return None
        try:
            result = cov.coverage(checks, Path(book.path))
        except Exception as exc:  # noqa: BLE001 - the report renders whatever a check module does
            return {"error": f"{type(exc).__name__}: {exc}", "leaves": len(book.items), "run": len(self.results)}
        run_by_id = {r["runbook_id"]: r for r in self.results}
        phases: dict[str, dict] = {}
        for leaf in book.items:
            row = phases.setdefault(leaf.phase, {"phase": leaf.phase, "leaves": 0, "with_test": 0, "run": 0, "passed": 0})
            row["leaves"] += 1
            row["with_test"] += leaf.id in result.bound
            row["run"] += leaf.id in run_by_id
            row["passed"] += leaf.id in run_by_id and run_by_id[leaf.id]["outcome"] == verdict.PASSED
        return {"runbook": str(book.path), "leaves": len(book.items), "with_test": sum(p["with_test"] for p in phases.values()),
                "by_kind": result.counts(), "run": sum(p["run"] for p in phases.values()), "phases": list(phases.values())}

    def _ledger(self) -> list[dict]:
        rows: dict[tuple, dict] = {}
        for r in self.results:
            for source, what, ok, seconds, _error in r["calls"]:
                row = rows.setdefault((source, what), {"source": source, "call": what, "count": 0, "failed": 0,
                                                       "seconds": 0.0, "first_by": r["runbook_id"] or r["nodeid"]})
                row["count"] += 1
                row["failed"] += 0 if ok else 1
                row["seconds"] = round(row["seconds"] + seconds, 3)
        return list(rows.values())

    def _publish(self) -> None:
        """Redact each artifact file, then copy it to the run's name and `latest`, with SHA-256 sidecars."""
        copies = {"html": "latest.html", "junit": "latest.xml", "jsonl": "latest.jsonl"}
        sources = {"html": self.html, "junit": self.junit, "jsonl": self.artifacts.get("jsonl")}
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        for kind, src in sources.items():
            if src is None or not src.is_file():
                continue
            if kind == "junit":
                self._rewrite_junit(src)
            self.redactor.file(src)
            targets = [src]
            if self.folder is not None:
                targets += [t for t in (self.artifacts[kind], self.folder / copies[kind]) if t != src]
            for target in targets[1:]:
                tmp = target.with_name(target.name + ".tmp")
                shutil.copyfile(src, tmp)
                tmp.replace(target)
            if kind == "html":
                digest = hashlib.sha256(src.read_bytes()).hexdigest()
                for target in dict.fromkeys(targets):
                    Path(f"{target}.sha256").write_text(f"{digest}  {target.name}\n")
                    self.published.append((target, digest))

    def _rewrite_junit(self, path: Path) -> None:
        """Test cases named by runbook ID, classname golive.<phase>.<section>, properties from the result."""
        from _pytest.junitxml import mangle_test_address

        tree = ET.parse(path)
        root = tree.getroot()
        prefix = getattr(self.config.option, "junitprefix", None)
        by_address = {}
        for r in self.results:
            names = mangle_test_address(r["nodeid"])
            classnames = ([prefix] if prefix else []) + names[:-1]
            by_address[(".".join(classnames), names[-1])] = r
        v = self.verdict
        root.set("name", f"golive {self.env.name} {self.label}")
        for suite in [root] if root.tag == "testsuite" else root.findall("testsuite"):
            suite.set("name", f"golive {self.env.name} {self.label}")
            props = suite.find("properties")
            if props is None:
                props = ET.Element("properties")
                suite.insert(0, props)
            for name, value in (("golive.verdict", v.decision), ("golive.action", v.action),
                                ("golive.exit_code", self.exit), ("golive.environment", self.env.name),
                                ("golive.config_digest", self.env.digest), ("golive.run", self.name),
                                ("golive.git_revision", self.run.get("git_revision"))):
                ET.SubElement(props, "property", name=name, value=str(value))
            for case in suite.iter("testcase"):
                r = by_address.get((case.get("classname"), case.get("name")))
                if r is None or not r["runbook_id"]:
                    continue
                parts = r["runbook_id"].split("/")
                case.set("name", r["runbook_id"])
                case.set("classname", ".".join(["golive", *parts[:-1]]))
                for old in case.findall("properties"):
                    case.remove(old)
                fields = {"runbook_id": r["runbook_id"], "phase": r["phase"], "section": r["section"],
                          "text": r["text"], "severity": r["severity"], "impact": r["impact"], "kind": r["kind"],
                          "outcome": r["outcome"], "raw_outcome": r["raw_outcome"], "role": r["role"]}
                if r["waiver"]:
                    fields.update({f"waiver_{k}": r["waiver"][k] for k in ("status", "ticket", "approver", "expires")})
                case.insert(0, ET.Element("properties"))
                for name, value in fields.items():
                    if value not in (None, ""):
                        ET.SubElement(case[0], "property", name=name, value=str(value))
                if r["outcome"] == verdict.WAIVED:
                    for failure in [*case.findall("failure"), *case.findall("error")]:
                        w = r["waiver"]
                        failure.set("message", f"[WAIVED until {w['expires']}, {w['ticket']}] {failure.get('message', '')}")
        tree.write(path, encoding="utf-8", xml_declaration=True)

    # --- pytest-html and the terminal -------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report):
        self.html_data = report
        report.title = f"Go-live validation · {self.env.name if self.env else '?'} · {self.label}"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix, summary, postfix, session):
        if self.model is not None:
            prefix.append(report_html.sections(self.model))

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells):
        cells[1:1] = ['<th class="sortable" data-column-type="runbook">Runbook ID</th>',
                      '<th class="sortable" data-column-type="severity">Severity</th>',
                      '<th class="sortable" data-column-type="golive">golive outcome</th>']

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report, cells):
        meta = json.loads(_props(report).get("golive") or "{}")
        cells[1:1] = [f'<td class="col-runbook">{report_html.e(meta.get("runbook_id", ""))}</td>',
                      f'<td class="col-severity">{report_html.e(meta.get("severity", ""))}</td>',
                      f'<td class="col-golive">{report_html.e(meta.get("outcome", ""))}</td>']

    def pytest_terminal_summary(self, terminalreporter):
        v = self.verdict
        if v is None:
            return
        tr = terminalreporter
        color = {"GO": "green", "GO WITH FINDINGS": "yellow"}.get(v.decision, "red")
        tr.write_sep("=", f"golive verdict: {v.decision}", **{color: True, "bold": True})
        tr.write_line(f"Recommended action: {v.action}")
        tr.write_line(f"Why: {v.reason}")
        for label, group in (("blocks", v.blocking), ("finding", v.findings), ("waived", v.waived)):
            for r in group[:10]:
                tr.write_line(f"  {label}: {r.line()[:300]}")
            if len(group) > 10:
                tr.write_line(f"  ... and {len(group) - 10} more {label} (see the report)")
        name = next(c.name for c in verdict.EXIT_CODES if c.code == self.exit) if self.exit in {
            c.code for c in verdict.EXIT_CODES} else "pytest"
        tr.write_line(f"Exit code {self.exit} ({name}); `golive exit-codes` explains each code")
        for target, digest in self.published:
            tr.write_line(f"Report: {target}  (sha256 {digest[:16]}…, in {target.name}.sha256)")
        for kind in ("junit", "jsonl"):
            if kind in self.artifacts and self.artifacts[kind].is_file():
                tr.write_line(f"{'JUnit' if kind == 'junit' else 'JSONL'}: {self.artifacts[kind]}")


def result_of(r: dict) -> verdict.Result:
    """What the verdict needs of one `result` record."""
    return verdict.Result(runbook_id=r["runbook_id"] or r["nodeid"], outcome=r["outcome"], severity=r["severity"],
                          impact=r["impact"], text=r["text"], message=r["message"],
                          waiver=(r["waiver"] or {}).get("status"))


def verdict_dict(v: verdict.Verdict, code: int | None) -> dict:
    def driver(r: verdict.Result) -> dict:
        return {"runbook_id": r.runbook_id, "text": r.text, "severity": r.severity, "impact": r.impact,
                "outcome": r.outcome, "waiver": r.waiver, "action": r.action,
                "message": (r.message.splitlines() or [""])[0][:400]}

    names = {c.code: c.name for c in verdict.EXIT_CODES}
    return {"decision": v.decision, "action": v.action, "reason": v.reason, "exit_code": code,
            "exit_name": names.get(code, "pytest"), "checked": v.checked, "counts": v.counts,
            "incomplete": list(v.incomplete), "blocking": [driver(r) for r in v.blocking],
            "findings": [driver(r) for r in v.findings], "waived": [driver(r) for r in v.waived]}


def load_stream(path: Path) -> dict:
    """The run model from a JSONL stream, complete or cut short (`golive report`)."""
    model: dict = {"run": {}, "results": [], "summary": None, "selected": None}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for n, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError:
            if n == len(lines):
                break  # the last line of a killed run may be cut in half
            raise ValueError(f"{path}:{n}: not a JSON line") from None
        kind = record.get("type")
        if kind == "run":
            model["run"] = record
        elif kind == "selection":
            model["selected"] = record["count"]
        elif kind == "result":
            model["results"].append(record)
        elif kind == "summary":
            model["summary"] = record
            model["run"] = {**model["run"], "phases": record["phases"], "signoff_roles": record["signoff_roles"]}
    if model["run"].get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a {SCHEMA} stream (schema {model['run'].get('schema')!r})")
    return model
