"""Runs compared and merged: `golive diff A.jsonl B.jsonl` and `golive report A.jsonl B.jsonl ...`.

Both read streams with `golive.results.load` (a `golive watch` stream counts as its latest round for a
diff, and as the watch's verdict on a fleet page). `diff` and `fleet` are pure: runs in, plain data out,
which the terminal lines and the pages (golive/reporters/pages.py) render.

    newly failing    passed (or waived) in A, does not pass in B
    fixed            did not pass in A, passes in B
    still failing    did not pass in either (with both outcomes, when they differ)
    newly waived     waived in B, not in A
    only in A / B    checks one run did not select
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from golive import outcomes as o
from golive import persistence, results, verdict as single

QUIET = persistence.QUIET


@dataclass
class Entry:
    """One stream as compared: its run (a watch: its latest round) and its decision."""

    path: str
    run: results.Run
    decision: str
    action: str
    reason: str
    exit_code: int | None
    kind: str = "run"  # or "watch"
    rounds: int = 1
    rule: str = ""
    since: float | None = None

    @property
    def label(self) -> str:
        f = self.run.facts
        return " · ".join(x for x in (f.get("environment"), f.get("cluster"), f.get("region"),
                                      f.get("selection_label")) if x) or Path(self.path).name


def read(path: Path) -> Entry:
    """A run or watch stream as an Entry (results.StreamError on a file that is neither)."""
    from golive import watch as watching

    records = results.read_records(path)
    if watching.is_watch(records):
        w = watching.watch_of(records, str(path))
        v = w.judge()
        run = watching.last_round(w)
        run.facts = {**run.facts, "selection_label": f"watch {w.facts.get('selection', '')}"}
        return Entry(str(path), run, v.decision, v.action, v.reason, persistence.exit_code(v), kind="watch",
                     rounds=len(w.rounds), rule=v.rule, since=v.since)
    run = results.load(path)
    v = (run.summary or {}).get("verdict")
    if v is None:  # killed before its summary: decided as an interrupted run, as `golive report` does
        d = single.decide(run.results, selected=run.selected, status=single.INTERRUPTED)
        return Entry(str(path), run, d.decision, d.action, d.reason + " (the run stopped before its summary)",
                     single.exit_code(d, single.INTERRUPTED))
    return Entry(str(path), run, v["decision"], v["action"], v["reason"], v.get("exit_code"))


@dataclass
class Change:
    check: str
    severity: str
    text: str
    before: str | None
    after: str | None
    message: str = ""  # B's message (A's for a fix)


@dataclass
class Diff:
    a: Entry
    b: Entry
    newly_failing: list[Change] = field(default_factory=list)
    fixed: list[Change] = field(default_factory=list)
    still_failing: list[Change] = field(default_factory=list)
    newly_waived: list[Change] = field(default_factory=list)
    only_in_a: list[Change] = field(default_factory=list)
    only_in_b: list[Change] = field(default_factory=list)

    GROUPS = ("newly_failing", "fixed", "still_failing", "newly_waived", "only_in_a", "only_in_b")

    @property
    def verdict_changed(self) -> bool:
        return self.a.decision != self.b.decision

    @property
    def worse(self) -> bool:
        """B regressed: something newly fails, or its decision is worse than A's."""
        order = persistence.DECISIONS
        rank = {d: order.index(d) for d in order}
        return bool(self.newly_failing) or rank.get(self.b.decision, 2) > rank.get(self.a.decision, 2)


def diff(a: Entry, b: Entry) -> Diff:
    before = {r.id: r for r in a.run.results}
    after = {r.id: r for r in b.run.results}
    out = Diff(a, b)
    order = {r.id: (r.order, r.id) for r in [*b.run.results, *a.run.results]}
    for check in sorted(set(before) | set(after), key=lambda c: order[c]):
        ra, rb = before.get(check), after.get(check)
        r = rb or ra
        change = Change(check, r.severity, r.text, ra.outcome if ra else None, rb.outcome if rb else None,
                        (rb.message if rb is not None and rb.outcome != o.PASSED else ra.message if ra else "") or "")
        if ra is None:
            out.only_in_b.append(change)
        elif rb is None:
            out.only_in_a.append(change)
        elif rb.outcome == o.WAIVED and ra.outcome != o.WAIVED:
            out.newly_waived.append(change)
        elif ra.outcome in QUIET and rb.outcome not in QUIET:
            out.newly_failing.append(change)
        elif ra.outcome not in QUIET and rb.outcome in QUIET:
            out.fixed.append(change)
        elif ra.outcome not in QUIET and rb.outcome not in QUIET:
            out.still_failing.append(change)
    return out


def diff_lines(d: Diff) -> list[str]:
    """The terminal's diff: the verdicts, then each group that has checks."""
    arrow = "->" if d.verdict_changed else "(unchanged)"
    lines = [f"A: {d.a.path}: {d.a.decision} ({d.a.label})", f"B: {d.b.path}: {d.b.decision} ({d.b.label})",
             f"verdict: {d.a.decision} {arrow} {d.b.decision if d.verdict_changed else ''}".rstrip()]
    for group in Diff.GROUPS:
        changes = getattr(d, group)
        if not changes:
            continue
        lines.append(f"{group.replace('_', ' ')} ({len(changes)}):")
        for c in changes:
            went = f"{c.before} -> {c.after}" if c.before != c.after else c.after
            first = o.brief(c.message, 200) if group in ("newly_failing", "still_failing", "newly_waived") else ""
            lines.append(f"  {c.check} [{c.severity}, {went}]" + (f": {first}" if first else ""))
    if not any(getattr(d, g) for g in Diff.GROUPS):
        lines.append("no check changed")
    return lines


def diff_model(d: Diff) -> dict:
    groups = [{"name": g.replace("_", " "), "key": g.replace("_", "-"),
               "changes": [vars(c) for c in getattr(d, g)]} for g in Diff.GROUPS]
    return {"a": _entry(d.a), "b": _entry(d.b), "verdict_changed": d.verdict_changed, "worse": d.worse,
            "groups": groups}


def fleet_model(entries: list[Entry]) -> dict:
    """One page for several runs: the worst decision, a strip (check x run), a section per run."""
    combined = persistence.worst(e.decision for e in entries)
    worst_entry = next(e for e in entries if persistence.worst([e.decision]) == combined)
    first: dict[str, results.Result] = {}
    for e in entries:
        for r in e.run.results:
            first.setdefault(r.id, r)
    rows = []
    for check, r in sorted(first.items(), key=lambda kv: (kv[1].order, kv[0])):
        cells = []
        for n, e in enumerate(entries, start=1):
            mine = next((x for x in e.run.results if x.id == check), None)
            cells.append({"outcome": mine.outcome if mine else None,
                          "title": f"run {n} ({e.label}): {mine.outcome if mine else 'not in this run'}"
                                   + (f": {o.brief(mine.message, 200)}" if mine and mine.message else "")})
        rows.append({"check": check, "severity": r.severity, "cells": cells})
    return {"decision": combined, "action": worst_entry.action,
            "reason": f"the worst of {len(entries)} runs: {worst_entry.label} ({worst_entry.path}): {worst_entry.reason}",
            "exit_code": worst_entry.exit_code, "runs": [_entry(e) for e in entries], "rows": rows,
            "columns": [{"label": str(n), "title": e.label} for n, e in enumerate(entries, start=1)]}


def _entry(e: Entry) -> dict:
    f = e.run.facts
    not_passed = [r.record() for r in e.run.results if r.outcome != o.PASSED]
    return {"path": e.path, "label": e.label, "kind": e.kind, "rounds": e.rounds, "rule": e.rule, "since": e.since,
            "decision": e.decision, "action": e.action, "reason": e.reason, "exit_code": e.exit_code,
            "environment": f.get("environment"), "cluster": f.get("cluster"), "region": f.get("region"),
            "selection": f.get("selection_label"), "started": f.get("started"), "name": f.get("name"),
            "page": (f.get("artifacts") or {}).get("html"), "checked": len(e.run.results),
            "passed": sum(r.outcome == o.PASSED for r in e.run.results), "not_passed": not_passed}
