"""`golive watch`: one runbook phase re-run on an interval, judged over its rounds (golive/persistence.py).

    golive watch -m t_plus_1h --golive-env production --every 5m --for 2h [--stop-on-rollback]

Each round is a fresh `pytest` process (the same plugin, gatherers and checks as a single run): every
gatherer caches what it fetched for one session (golive/gather.py), so a new process per round is what
keeps each round's answers its own, and a round that crashes cannot take the watch down with it.
Each round writes its own artifacts under `<reports>/<watch>/round-NNNN/`; the watch appends every
round's records, tagged with the round's number, to one stream `<reports>/<watch>.jsonl`, then its
judgement, and rewrites the watch's page `<reports>/<watch>.html` after every round.

The stream, in order (docs/results-schema.md, "Watch streams"):
    {"type": "watch", "schema": "golive-watch/1", ...}      the watch: environment, selection, interval, policy
    {"type": "round", "round": N, "at": ..., ...}           then round N's own records, each with "round": N
    {"type": "judgement", "round": N, ...}                  the watch's verdict after round N
    {"type": "watch_end", "reason": ..., ...}               why it stopped (absent: the watch was killed)
"""
from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from golive import persistence, results
from golive.verdict import USAGE_ERROR
from golive.reporters import jsonl, publish, write_text

SCHEMA = "golive-watch/1"
ROUND_KEYS = ("run", "selection", "result", "summary")  # a round's own records, tagged with its number
WINDOW_OVER, INTERRUPTED, ROLLED_BACK = "the watch window is over", "interrupted (Ctrl-C or SIGTERM)", \
    "a rollback was decided (--stop-on-rollback)"
COULD_NOT_START = "the first round could not run (exit 4): see its reason"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class WatchError(ValueError):
    """A bad option or file, said in one line."""


def seconds(text: str) -> float:
    """`30s`, `5m`, `1.5h`, `2d` in seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text or "")
    if not match or float(match[1]) <= 0:
        raise WatchError(f"{text!r}: use a positive number with s, m, h or d, e.g. 5m or 2h")
    return float(match[1]) * _UNITS[match[2]]


def phase_duration(marker: str, runbook: Path | None) -> float | None:
    """The runbook's "**Duration**: 2 hours" of the timeline phase `marker` names (None: it states none)."""
    from golive import runbook as catalogue

    path = runbook or catalogue.SHIPPED_RUNBOOK
    heading = next((h for h, (_, m) in catalogue.TIMELINE.items() if m == marker), None)
    if heading is None or not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    found = re.search(rf"^### {re.escape(heading)}.*?$(.*?)(?=^### |\Z)", text, flags=re.M | re.S)
    duration = found and re.search(r"\*\*Duration\*\*:\s*(\d+(?:\.\d+)?)\s*(minute|hour|day)s?", found[1], re.I)
    if not duration:
        return None
    return float(duration[1]) * {"minute": 60, "hour": 3600, "day": 86400}[duration[2].lower()]


# --- reading a watch stream back -----------------------------------------------------------------


@dataclass
class RoundRun:
    record: dict  # the `round` record
    run: results.Run
    judgement: dict | None = None  # the watch's verdict after this round, as the stream recorded it

    @property
    def number(self) -> int:
        return self.record["round"]

    @property
    def note(self) -> str:
        """Why the round has no results, in its own words (its verdict's reason, or why it wrote no stream)."""
        return self.record.get("error") or ((self.run.summary or {}).get("verdict") or {}).get("reason", "")


@dataclass
class Watch:
    facts: dict = field(default_factory=dict)  # the `watch` record
    rounds: list[RoundRun] = field(default_factory=list)
    end: dict | None = None  # the `watch_end` record; None: still running or killed

    @property
    def policy(self) -> persistence.Policy:
        f = self.facts
        return persistence.Policy(rollback_after_s=float(f.get("rollback_after_s", 900)),
                                  flapping_changes=int(f.get("flapping_changes", 3)),
                                  flapping_rounds=int(f.get("flapping_rounds", 10)))

    def judged_rounds(self) -> list[persistence.Round]:
        return [persistence.Round(number=r.number, at=float(r.record["at"]), results=tuple(r.run.results),
                                  selected=r.run.selected, note=r.note) for r in self.rounds]

    def judge(self) -> persistence.WatchVerdict:
        return persistence.judge(self.judged_rounds(), self.policy)


def is_watch(records: list) -> bool:
    return bool(records) and isinstance(records[0], dict) and records[0].get("type") == "watch"


def watch_of(records: list, where: str = "stream") -> Watch:
    if not is_watch(records) or records[0].get("schema") != SCHEMA:
        raise results.StreamError(f"{where}: not a {SCHEMA} stream")
    watch, own, judgements = Watch(facts={k: v for k, v in records[0].items() if k != "type"}), {}, {}
    for record in records[1:]:
        kind = record.get("type") if isinstance(record, dict) else None
        if kind == "round":
            own[record["round"]] = (record, [])
        elif kind in ROUND_KEYS and record.get("round") in own:
            own[record["round"]][1].append(record)
        elif kind == "judgement" and record.get("round") in own:
            judgements[record["round"]] = record
        elif kind == "watch_end":
            watch.end = record
    watch.rounds = [RoundRun(rec, results.run_of(lines), judgements.get(n)) for n, (rec, lines) in own.items()]
    return watch


def load(path: Path) -> Watch:
    return watch_of(results.read_records(path), str(path))


def last_round(watch: Watch) -> results.Run:
    """The watch's latest round as a run (what `golive diff` compares of a watch stream)."""
    if not watch.rounds:
        raise results.StreamError("the watch stream has no round")
    return watch.rounds[-1].run


# --- the loop -------------------------------------------------------------------------------------


@dataclass
class Options:
    marker: str
    environment: str
    every_s: float
    for_s: float
    policy: persistence.Policy
    reports: Path
    config: str | None = None
    stop_on_rollback: bool = False
    metrics_port: int | None = None
    metrics_address: str = "0.0.0.0"
    pytest_args: list[str] = field(default_factory=list)
    python: str = sys.executable
    echo: object = print
    # Called with the round's number just before it starts (a self-test injects and heals faults here).
    before_round: object = None
    written: dict = field(default_factory=dict)  # run() fills in the stream and page it wrote


def _name(opts: Options) -> str:
    label = re.sub(r"[^A-Za-z0-9]+", "-", opts.marker).strip("-") or "all"
    return f"{opts.environment}_watch-{label}_{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def round_command(opts: Options, folder: Path) -> list[str]:
    command = [opts.python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", opts.marker,
               "--golive-env", opts.environment, "--golive-reports", str(folder)]
    if opts.config:
        command += ["--golive-config", opts.config]
    return command + list(opts.pytest_args)


class _Stop(Exception):
    pass


def run(opts: Options) -> int:
    """Watch until the window is over, Ctrl-C/SIGTERM, or (if asked) the first decided rollback; the exit code
    is the watch verdict's (golive.persistence.exit_code)."""
    from golive import metrics
    from golive.reporters import pages

    name = _name(opts)
    folder = opts.reports / name
    stream_path, page = opts.reports / f"{name}.jsonl", opts.reports / f"{name}.html"
    started = time.time()
    facts = {"type": "watch", "schema": SCHEMA, "name": name, "environment": opts.environment,
             "selection": opts.marker, "every_s": opts.every_s, "for_s": opts.for_s,
             "rollback_after_s": opts.policy.rollback_after_s, "flapping_changes": opts.policy.flapping_changes,
             "flapping_rounds": opts.policy.flapping_rounds, "started": results.iso(started), "started_at": started,
             "command": shlex.join(sys.argv), "round_command": shlex.join(round_command(opts, folder / "round-N")),
             "folder": str(folder), "page": str(page), "stop_on_rollback": opts.stop_on_rollback}
    # The endpoint first: a port in use is one line before anything is written.
    exporter = metrics.serve(opts.metrics_port, opts.metrics_address) if opts.metrics_port else None
    opts.written.update(stream=stream_path, page=page)
    stream = jsonl.Stream(stream_path)
    stream.write(facts)
    records: list[dict] = [facts]
    if exporter is not None:
        opts.echo(f"golive watch: metrics on http://{opts.metrics_address}:{exporter.port}/metrics")
    opts.echo(f"golive watch: {opts.marker} on {opts.environment} every {_clock(opts.every_s)} for "
              f"{_clock(opts.for_s)}; stream {stream_path}")
    folder.mkdir(parents=True, exist_ok=True)
    previous = _on_sigterm()
    reason, verdict, number, usage = WINDOW_OVER, None, 0, False
    try:
        next_at = started
        while True:
            _sleep_until(next_at)
            number += 1
            if opts.before_round is not None:
                opts.before_round(number)
            at = time.time()
            round_records = _round(opts, number, at, folder / f"round-{number:04d}")
            for record in round_records:
                stream.write(record)
            records += round_records
            watch = watch_of(records)
            verdict = watch.judge()
            judgement = {**persistence.record(verdict), "round": number}
            stream.write(judgement)
            records.append(judgement)
            watch.rounds[-1].judgement = judgement
            _render(pages, watch, verdict, page)
            if exporter is not None:
                exporter.update(watch, verdict)
            opts.echo(_round_line(watch.rounds[-1], verdict))
            if number == 1 and watch.rounds[-1].record.get("exit_code") == USAGE_ERROR:
                # The first round could not run at all (a bad option, marker or configuration; golive cannot get
                # in): watching would only repeat it. Later rounds' exit 4 (access lost for a while) are judged.
                reason, usage = COULD_NOT_START, True
                break
            if verdict.rollback and opts.stop_on_rollback:
                reason = ROLLED_BACK
                break
            next_at = at + opts.every_s
            if next_at >= started + opts.for_s:
                break
    except (KeyboardInterrupt, _Stop):
        reason = INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    watch = watch_of(records)
    verdict = watch.judge()
    code = USAGE_ERROR if usage else persistence.exit_code(verdict)
    stream.write({"type": "watch_end", "reason": reason, "finished": results.iso(time.time()),
                  "rounds": len(watch.rounds), "judgement": persistence.record(verdict), "exit_code": code})
    stream.close()
    watch.end = {"reason": reason}
    _render(pages, watch, verdict, page)
    if exporter is not None:
        exporter.update(watch, verdict)
        exporter.close()
    opts.echo(f"golive watch: stopped, {reason}, after {len(watch.rounds)} round(s)")
    opts.echo(f"{verdict.decision}: {verdict.action} ({verdict.reason}); exit code {code}")
    opts.echo(f"wrote {page} and {stream_path}")
    return code


def _round(opts: Options, number: int, at: float, folder: Path) -> list[dict]:
    """Run one round in its own process; its records tagged with the round (none if it wrote no stream)."""
    folder.mkdir(parents=True, exist_ok=True)
    command = round_command(opts, folder)
    with open(folder / "pytest.log", "wb") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ,
                                 "GOLIVE_REPORTS_DIR": str(folder)})
        try:
            code = child.wait()
        except (KeyboardInterrupt, _Stop):
            # Ctrl-C reached the round too (same process group); SIGTERM is passed on. Let it end, then drop
            # it: a round cut short says nothing about the target.
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
            raise
    streams = sorted(p for p in folder.glob("*.jsonl") if p.name != "latest.jsonl")
    head = {"type": "round", "round": number, "at": at, "started": results.iso(at),
            "seconds": round(time.time() - at, 3), "exit_code": code, "folder": str(folder)}
    if not streams:
        tail = (folder / "pytest.log").read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
        return [{**head, "error": f"round {number} wrote no results stream (exit {code}): {tail[0]}"}]
    head["stream"] = str(streams[-1])
    own = [{**r, "round": number} for r in results.read_records(streams[-1])
           if isinstance(r, dict) and r.get("type") in ROUND_KEYS]
    return [head, *own]


def _round_line(rnd: RoundRun, verdict: persistence.WatchVerdict) -> str:
    v = ((rnd.run.summary or {}).get("verdict") or {})
    said = f"{v.get('decision', 'NO RESULT')} ({v.get('reason') or rnd.record.get('error', '')})"
    return (f"round {rnd.number} at {rnd.record['started']} ({rnd.record['seconds']:.1f} s): {said} · "
            f"watch: {verdict.decision}, {verdict.reason}")


def _render(pages, watch: Watch, verdict, page: Path) -> None:
    written = write_text(page, pages.render_watch(page_model(watch, verdict)))
    publish("html", written, [])


def _sleep_until(at: float) -> None:
    while (left := at - time.time()) > 0:
        time.sleep(min(left, 1.0))


def _on_sigterm():
    """SIGTERM (kubectl delete, a CI timeout) ends the watch like Ctrl-C: the report is finished."""
    def stop(signum, frame):
        raise _Stop()
    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave SIGTERM to whoever runs us
        return None


def _clock(secs: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size and secs % size == 0:
            return f"{int(secs // size)}{unit}"
    return f"{secs:g}s"


# --- the page's model ---------------------------------------------------------------------------


def page_model(watch: Watch, verdict: persistence.WatchVerdict) -> dict:
    """Plain data for the watch's page (golive/reporters/pages.py): strip rows, episodes, charts, rounds."""
    columns = [{"label": str(r.number), "title": f"round {r.number}, {r.record.get('started', '')}"} for r in watch.rounds]
    rows, episodes = [], []
    for h in verdict.histories:
        cells = []
        for rnd, outcome in zip(watch.rounds, h.outcomes):
            message = next((res.message for res in rnd.run.results if res.id == h.check), "")
            title = f"round {rnd.number} {rnd.record.get('started', '')}: {outcome or 'not in this round'}"
            cells.append({"outcome": outcome, "title": title + (f": {message.splitlines()[0][:200]}" if message else "")})
        rows.append({"check": h.check, "severity": h.severity, "flapping": h.flapping, "changes": h.changes,
                     "cells": cells})
        episodes += [{"check": e.check, "severity": e.severity, "outcome": e.outcome, "start": e.start, "end": e.end,
                      "duration_s": e.duration_s, "rounds": e.rounds, "first_round": e.first_round,
                      "ongoing": e.ongoing, "message": e.message} for e in h.episodes]
    episodes.sort(key=lambda e: e["start"])
    rounds = []
    for r in watch.rounds:
        v = (r.run.summary or {}).get("verdict") or {}
        page = (r.run.facts.get("artifacts") or {}).get("html")
        rounds.append({"round": r.number, "at": r.record.get("at"), "seconds": r.record.get("seconds"),
                       "decision": v.get("decision"), "exit_code": r.record.get("exit_code"),
                       "error": r.record.get("error"), "page": page, "judgement": (r.judgement or {}).get("decision")})
    return {"watch": watch.facts, "end": watch.end, "verdict": persistence.record(verdict), "columns": columns,
            "rows": rows, "episodes": episodes, "rounds": rounds, "charts": merged_charts(watch)}


def merged_charts(watch: Watch) -> list[tuple[str, dict]]:
    """Each check's windowed charts, every round's points joined: one chart over the whole watch."""
    merged: dict[tuple[str, str], dict] = {}
    for rnd in watch.rounds:
        for r in rnd.run.results:
            for ev in r.evidence:
                chart = ev.get("chart") if isinstance(ev, dict) else None
                if not isinstance(chart, dict) or not isinstance(chart.get("series"), dict):
                    continue
                into = merged.setdefault((r.id, str(chart.get("title", ""))), {**chart, "series": {}})
                into.update({k: v for k, v in chart.items() if k != "series"})  # the latest threshold and unit
                for label, points in chart["series"].items():
                    keep = into["series"].setdefault(label, {})
                    for point in points or []:
                        if isinstance(point, (list, tuple)) and len(point) == 2:
                            keep[point[0]] = point[1]
    out = []
    for (check, _title), chart in merged.items():
        series = {label: results.thin(sorted([t, v] for t, v in points.items())) for label, points in chart["series"].items()}
        out.append((check, {**chart, "series": series}))
    return out
