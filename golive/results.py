"""The run model: one typed `Result` per test, one `Run` per session. Every reporter reads these.

The one path a result takes:
1. while a check runs, `golive.check.record` appends its findings to the test's evidence list;
2. `entry()`, called by the plugin once per test phase (setup, call, teardown), makes a plain,
   redacted fragment of that phase and scrubs pytest's report in place: this is the only
   redaction. The fragment rides on `report.user_properties`, so it crosses pytest-xdist as is;
3. `assemble()` joins one test's fragments into a `Result`, adding the runbook's wording and the
   waiver (in the controller, where the waivers were loaded);
4. the reporters (golive/reporters/) render the `Run`; `Run.records()` is the only serialisation,
   and `load()` reads it back for `golive report`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from golive import outcomes as o
from golive.check import AttestationMissing, CheckFailed, NotApplicable, Undecidable

SCHEMA = "golive-results/1"
FRAGMENT = "golive"  # the user_properties key of a phase's fragment
MAX_DETAIL = 8000  # characters of pytest's failure text kept per result
MAX_POINTS = 400  # points per chart series
# Exception classes whose name says nothing the outcome does not already say.
QUIET_ERRORS = {"CheckFailed", "AttestationMissing", "AssertionError", "Undecidable", "SourceUnavailable", "BadData",
                "NotBeforeDeploy", "NotApplicable"}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Result:
    """What one test did, in the words of the runbook."""

    runbook_id: str | None
    outcome: str
    severity: str = o.FAIL_CLOSED
    impact: str = ""  # the Rollback Decision Matrix row (golive.outcomes.Impact value)
    text: str = ""  # the runbook's wording of the item
    message: str = ""  # one line: why it did not pass
    waiver: dict | None = None  # the waiver for this item (golive.waivers.Waiver.as_dict())
    nodeid: str = ""
    phase: str = ""
    section: str = ""
    order: int = o.UNLISTED_ORDER
    kind: str = ""
    role: str | None = None
    raw_outcome: str | None = None  # for `waived`: what the check itself did
    detail: str = ""  # pytest's failure text, for the report's test log
    evidence: list[dict] = field(default_factory=list)
    summarises: list[str] = field(default_factory=list)  # runbook IDs a criterion or message speaks for
    calls: list[list] = field(default_factory=list)  # [source, call, ok, seconds, error]
    captured: list[list[str]] = field(default_factory=list)  # [title, text]: captured output and logs
    duration_s: float = 0.0
    started: str = ""
    finished: str = ""
    worker: str | None = None

    @property
    def id(self) -> str:
        return self.runbook_id or self.nodeid

    @property
    def waiver_status(self) -> str | None:
        return (self.waiver or {}).get("status")

    @property
    def action(self) -> str:
        return o.action_for(self.severity)

    @property
    def rank(self) -> int:
        return o.rank(self.severity)

    def line(self) -> str:
        why = "failed; its waiver has expired" if self.waiver_status == "expired" else self.outcome
        first = self.message.splitlines()[0] if self.message else ""
        return f"{self.id} [{self.severity}, {why}]" + (f": {first}" if first else "")

    def findings(self) -> list[dict]:
        """The evidence entries that are probe findings (they carry `ok` and a `summary`)."""
        return [ev for ev in self.evidence if isinstance(ev, dict) and "summary" in ev and "ok" in ev]

    def record(self) -> dict:
        out = {"type": "result"}
        for name in RESULT_KEYS:
            out[name] = getattr(self, name)
        return out

    @classmethod
    def from_record(cls, record: dict) -> "Result":
        fields = {name: record[name] for name in RESULT_KEYS if name in record}
        if fields.get("outcome") in o.FORMER_OUTCOMES:
            fields["outcome"] = o.FORMER_OUTCOMES[fields["outcome"]]
        return cls(**fields)


RESULT_KEYS = ("nodeid", "runbook_id", "phase", "section", "text", "order", "kind", "impact", "severity", "role",
               "outcome", "raw_outcome", "waiver", "message", "detail", "evidence", "summarises", "calls",
               "captured", "duration_s", "started", "finished", "worker")


@dataclass
class Run:
    """One session: who ran what against which environment, the results, and (at the end) the summary."""

    facts: dict = field(default_factory=dict)  # the `run` record (golive.runinfo.facts)
    selected: int | None = None
    nodeids: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    summary: dict | None = None  # None: the run stopped before its end

    def records(self):
        """The JSONL stream's lines, in order (also what `as_dict` and the HTML are made of)."""
        yield {"type": "run", **self.facts}
        if self.selected is not None:
            yield {"type": "selection", "count": self.selected, "nodeids": self.nodeids}
        for r in self.results:
            yield r.record()
        if self.summary is not None:
            yield self.summary

    def as_dict(self) -> dict:
        """The model as the HTML reporter reads it: `{run, results, summary}` of plain records."""
        summary = self.summary or {}
        run = {"type": "run", **self.facts, "phases": summary.get("phases") or phases_of(self.results),
               "signoff_roles": summary.get("signoff_roles") or [SIGNOFF_LEADER]}
        return {"run": run, "results": [r.record() for r in self.results], "summary": self.summary,
                "selected": self.selected}


SIGNOFF_LEADER = "Deployment Lead"


def phases_of(results) -> list[str]:
    return list(dict.fromkeys(r.phase for r in sorted(results, key=lambda r: r.order) if r.phase))


# --- 2. one phase of one test: the fragment ----------------------------------------------------


def entry(*, when: str, spec, runbook_id: str | None, excinfo, report, evidence: list | None,
          calls: list, redactor) -> dict:
    """The redacted fragment of one test phase; scrubs `report` (failure text, captured output) in place."""
    redactor.report(report)
    outcome = report.outcome
    severity = spec.impact.severity if spec else o.FAIL_CLOSED
    if excinfo is not None and excinfo.errisinstance(NotApplicable):
        # manifest mode, setup (not a manifest check) or call (nothing decidable); no incident open (setup)
        outcome = o.NOT_APPLICABLE
    elif excinfo is not None and when == "call":
        if excinfo.errisinstance(Undecidable):
            outcome = o.ERROR
        elif excinfo.errisinstance(AttestationMissing):
            outcome = o.ATTESTATION_MISSING
        # A success criterion fails as badly as the worst item it summarises (CheckFailed.severity).
        severity = getattr(excinfo.value, "severity", None) or severity
    elif report.failed and when != "call":
        outcome = o.ERROR  # a fixture or teardown broke: nothing was decided
    # golive's own exceptions carry the whole story in their sentence and the evidence: their
    # traceback is golive's source, noise to the reader. Anything else keeps pytest's failure text.
    own = excinfo is not None and excinfo.errisinstance((CheckFailed, Undecidable, AttestationMissing))
    fragment = {
        "when": when, "runbook_id": runbook_id, "outcome": outcome, "severity": severity,
        "kind": spec.kind if spec else "", "impact": spec.impact.value if spec else "",
        "role": spec.role if spec else None,
        "message": "" if report.passed else redactor.text(_message(excinfo, report)),
        "detail": "" if report.passed or own else report.longreprtext[-MAX_DETAIL:],
        "evidence": redactor.data(thin_charts(plain(evidence))) if evidence is not None else None,
        "calls": redactor.data(calls),
        "captured": [[title, text] for title, text in report.sections],
    }
    return fragment


def _message(excinfo, report) -> str:
    """One line: the check's sentence; other errors keep their class name ("KeyError: 'items'")."""
    if excinfo is not None:
        text = excinfo.exconly()
    elif isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:  # a skip: (path, line, reason)
        text = str(report.longrepr[2])
    else:
        lines = str(report.longrepr or "").strip().splitlines()
        text = lines[-1] if lines else ""
    text = re.sub(r"^Skipped: ", "", text)
    return re.sub(r"^(?:[\w]+\.)*(\w+): ", lambda m: "" if m.group(1) in QUIET_ERRORS else f"{m.group(1)}: ", text)


def plain(value: Any) -> Any:
    """JSON's types only (unknown objects become their repr), so the fragment travels anywhere as is."""
    if isinstance(value, dict):
        return {str(k): v if type(v) in _JSON_SCALARS else plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v if type(v) in _JSON_SCALARS else plain(v) for v in value]  # no call per plain leaf
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def thin(points: list, limit: int = MAX_POINTS) -> list:
    """At most `limit` points: each bucket keeps its lowest and highest point, so spikes survive."""
    if not isinstance(points, list) or len(points) <= limit:
        return points
    buckets = limit // 2
    size = len(points) / buckets
    out = []
    for b in range(buckets):
        bucket = points[int(b * size):int((b + 1) * size)]
        if bucket:
            low = min(range(len(bucket)), key=lambda i: bucket[i][1])
            high = max(range(len(bucket)), key=lambda i: bucket[i][1])
            out += [bucket[i] for i in sorted({low, high})]
    return out


def thin_charts(evidence: list) -> list:
    for ev in evidence:
        chart = ev.get("chart") if isinstance(ev, dict) else None
        if isinstance(chart, dict) and isinstance(chart.get("series"), dict):
            chart["series"] = {k: thin(v) for k, v in chart["series"].items()}
    return evidence


# --- 3. one test: its fragments joined --------------------------------------------------------


def assemble(nodeid: str, reports: list, *, book, waivers: dict) -> Result:
    """The Result of one test from its phase reports (setup, call, teardown; some may be missing)."""
    by_when = {r.when: r for r in reports}
    setup, call, teardown = by_when.get("setup"), by_when.get("call"), by_when.get("teardown")
    decider = setup if setup is not None and not setup.passed else (call or setup or teardown)
    if teardown is not None and teardown.failed and decider.passed:
        decider = teardown
    frags = {r.when: dict(r.user_properties).get(FRAGMENT) or {} for r in reports}
    frag = frags.get(decider.when) or {}
    meta = frags.get("call") or frag
    runbook_id = meta.get("runbook_id")
    leaf = book.by_id.get(runbook_id) if runbook_id else None
    if frag:
        outcome = frag["outcome"]
    else:  # a test bound to no runbook item decides like a critical check (fail closed)
        outcome = o.ERROR if decider.failed and decider.when != "call" else decider.outcome
    evidence = (frags.get("call") or {}).get("evidence") or []
    result = Result(
        runbook_id=runbook_id, outcome=outcome, nodeid=nodeid,
        severity=frag.get("severity") or meta.get("severity") or o.FAIL_CLOSED,
        impact=meta.get("impact", ""), kind=meta.get("kind", ""), role=meta.get("role"),
        text=leaf.text if leaf else nodeid, phase=leaf.phase if leaf else "",
        section=leaf.section if leaf else "", order=leaf.order if leaf else o.UNLISTED_ORDER,
        message="" if decider.passed else frag.get("message", ""),
        detail="" if decider.passed else frag.get("detail", ""),
        evidence=evidence,
        summarises=list(dict.fromkeys(i for ev in evidence if isinstance(ev, dict)
                                      for i in ev.get("summarises", ev.get("speaks_for", [])))),
        calls=[c for f in frags.values() for c in f.get("calls") or []],
        captured=[c for f in frags.values() for c in f.get("captured") or []],
        duration_s=round(sum(r.duration for r in reports), 3),
        started=iso(min(r.start for r in reports)), finished=iso(max(r.stop for r in reports)),
        worker=getattr(getattr(getattr(decider, "node", None), "gateway", None), "id", None),
    )
    waiver = waivers.get(runbook_id) if runbook_id else None
    if waiver is not None:
        result.waiver = waiver.as_dict()
        if result.outcome not in (o.PASSED, o.NOT_APPLICABLE) and result.waiver["status"] == "active":
            result.raw_outcome, result.outcome = result.outcome, o.WAIVED
    return result


# --- 4. the summary, and reading a stream back -------------------------------------------------


def verdict_record(v, code: int | None) -> dict:
    from golive.verdict import EXIT_CODES

    def driver(r: Result) -> dict:
        return {"runbook_id": r.id, "text": r.text, "severity": r.severity, "impact": r.impact,
                "outcome": r.outcome, "waiver": r.waiver_status, "action": r.action,
                "message": o.brief(r.message, 400)}

    names = {c.code: c.name for c in EXIT_CODES}
    return {"decision": v.decision, "action": v.action, "reason": v.reason, "exit_code": code,
            "exit_name": names.get(code, "pytest"), "checked": v.checked, "counts": v.counts,
            "before_deploy": v.before_deploy, "not_applicable": [driver(r) for r in v.not_applicable],
            "incomplete": list(v.incomplete), "blocking": [driver(r) for r in v.blocking],
            "findings": [driver(r) for r in v.findings], "waived": [driver(r) for r in v.waived]}


def ledger(results) -> list[dict]:
    """The API ledger: each distinct call, how often, how long, and which check asked first."""
    rows: dict[tuple, dict] = {}
    for r in results:
        for source, what, ok, seconds, _error in r.calls:
            row = rows.setdefault((source, what), {"source": source, "call": what, "count": 0, "failed": 0,
                                                   "seconds": 0.0, "first_by": r.id})
            row["count"] += 1
            row["failed"] += 0 if ok else 1
            row["seconds"] = round(row["seconds"] + seconds, 3)
    return list(rows.values())


def waiver_uses(waivers: dict, results) -> list[dict]:
    used = {r.runbook_id: r for r in results if r.runbook_id}
    rows = []
    for w in waivers.values():
        row, r = w.as_dict(), used.get(w.item)
        row["use"] = ("not in this run" if r is None else
                      "applied: the check did not pass and stays waived" if r.outcome == o.WAIVED else
                      "not needed: the check passed" if r.outcome == o.PASSED else
                      f"not needed yet: not applicable ({o.brief(r.message, 120)})" if r.outcome == o.NOT_APPLICABLE else
                      "EXPIRED: the failure blocks")
        rows.append(row)
    return rows


def signoff_roles(results, book) -> list[str]:
    roles = [SIGNOFF_LEADER]
    for r in sorted(results, key=lambda r: r.order):
        leaf = book.by_id.get(r.runbook_id or "")
        roles += [t for t in (leaf.team if leaf else ()) if t not in roles and not t.lower().startswith("all ")]
    return roles


class StreamError(ValueError):
    """A file that is not a golive results stream."""


def load(path: Path) -> Run:
    """The Run from a JSONL stream, complete or cut short (`golive report`)."""
    run = run_of(read_records(path))
    if run.facts.get("schema") != SCHEMA:
        raise StreamError(f"{path}: not a {SCHEMA} stream (schema {run.facts.get('schema')!r})")
    return run


def read_records(path: Path) -> list:
    """The JSON lines of a stream (a last line cut in half by a kill is left out)."""
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except UnicodeDecodeError:
        raise StreamError(f"{path}: not a text file") from None
    records = []
    for n, line in enumerate(lines, start=1):
        try:
            records.append(json.loads(line))
        except ValueError:
            if n == len(lines) and n > 1:
                break  # the last line of a killed run may be cut in half
            raise StreamError(f"{path}:{n}: not a JSON line") from None
    return records


def run_of(records) -> Run:
    """The Run of one run's records (also one round of a `golive watch` stream)."""
    run = Run()
    for record in records:
        kind = record.get("type") if isinstance(record, dict) else None
        if kind == "run":
            run.facts = {k: v for k, v in record.items() if k != "type"}
        elif kind == "selection":
            run.selected, run.nodeids = record.get("count"), record.get("nodeids") or []
        elif kind == "result":
            run.results.append(Result.from_record(record))
        elif kind == "summary":
            run.summary = record
    return run
