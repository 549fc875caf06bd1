"""A watch's judgement: the runbook's Rollback Decision Matrix applied over rounds, not one snapshot.

Pure functions, no pytest, no I/O: `judge(rounds, policy)` takes every round so far (each a list of
`golive.results.Result` and when it started) and gives the `WatchVerdict`:

    ROLLBACK          "Immediate rollback": a critical check failed in a round; or "Monitor, rollback if
                      persists": a high check failed in every round for longer than the rollback window
                      (15 minutes by default, the target's rule). Sticky: once decided, a rollback stays decided.
    NO-GO             the latest round is NO-GO (golive.verdict.decide), e.g. a high check failing for less
                      than the window so far ("monitor"), or a blocking check that could not decide
    GO WITH FINDINGS  the latest round has findings, or an earlier episode (shorter than the window) healed,
                      or a check is flapping
    GO                every check passed in every round

An episode is a run of consecutive rounds in which a check had the same outcome other than passed or
waived. Only decided failures (`failed`) make a rollback: a round that could not decide (`error`) is an
episode of its own and breaks a failing one, because golive's own trouble is never the target's failure.
A check is flapping when it changed between passing and not passing at least `flapping_changes` times
in its last `flapping_rounds` rounds.
"""
from __future__ import annotations

from dataclasses import dataclass

from golive import outcomes as o
from golive import verdict as single
from golive.results import Result

ROLLBACK = "ROLLBACK"
DECISIONS = (single.GO, single.FINDINGS, single.NO_GO, ROLLBACK)  # best first
# Outcomes that are not trouble in a round ("not applicable": a check that does not apply to this target).
QUIET = frozenset({o.PASSED, o.WAIVED, "not applicable"})

IMMEDIATE = "immediate rollback"
PERSISTS = "rollback if persists"
LATEST = "latest round"
EPISODES = "episodes shorter than the rollback window"
FLAPPING = "flapping"
ALL_PASSED = "every round passed"


@dataclass(frozen=True)
class Policy:
    rollback_after_s: float = 15 * 60
    flapping_changes: int = 3
    flapping_rounds: int = 10


@dataclass(frozen=True)
class Round:
    number: int
    at: float  # Unix time the round started
    results: tuple[Result, ...]
    selected: int | None = None
    note: str = ""  # why a round has no results (it could not run: the preflight stopped it, it crashed)


@dataclass(frozen=True)
class Episode:
    check: str
    severity: str
    outcome: str
    start: float  # when the first round of the episode started
    last: float  # when its last round started
    end: float | None  # when the first round after it started; None: still going at the latest round
    rounds: int
    first_round: int
    message: str = ""

    @property
    def held_s(self) -> float:
        """How long the outcome was seen to hold: from its first round to its last."""
        return self.last - self.start

    @property
    def duration_s(self) -> float:
        """Start to end (to the latest round while it goes on)."""
        return (self.end if self.end is not None else self.last) - self.start

    @property
    def ongoing(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class History:
    """One check over the watch: its outcome in each round (None: not in that round)."""

    check: str
    severity: str
    impact: str
    text: str
    outcomes: tuple[str | None, ...]
    episodes: tuple[Episode, ...]
    changes: int  # changes between passing and not passing in the last `flapping_rounds` rounds
    flapping: bool


@dataclass(frozen=True)
class WatchVerdict:
    decision: str
    rule: str  # which rule decided (IMMEDIATE, PERSISTS, LATEST, EPISODES, FLAPPING, ALL_PASSED)
    action: str
    reason: str
    since: float | None = None  # when what decided began (a rollback: the start of its episode)
    decided_at: float | None = None  # the round that decided a rollback
    decided_round: int | None = None
    check: str | None = None  # the check that decided a rollback
    rounds: int = 0
    histories: tuple[History, ...] = ()
    findings: tuple[str, ...] = ()  # one line each: episodes that healed, flapping checks
    latest: single.Verdict | None = None

    @property
    def rollback(self) -> bool:
        return self.decision == ROLLBACK


def worst(decisions) -> str:
    """The worst of several decisions (ROLLBACK > NO-GO > GO WITH FINDINGS > GO); unknown words count as NO-GO."""
    ranked = [d if d in DECISIONS else single.NO_GO for d in decisions]
    return max(ranked, key=DECISIONS.index, default=single.NO_GO)


def histories(rounds: list[Round], policy: Policy) -> list[History]:
    """Every check seen in any round, in runbook order, with its outcome per round and its episodes."""
    seen: dict[str, Result] = {}
    for rnd in rounds:
        for r in rnd.results:
            seen.setdefault(r.id, r)
    out = []
    for check, first in sorted(seen.items(), key=lambda kv: (kv[1].order, kv[0])):
        by_round = [{r.id: r for r in rnd.results}.get(check) for rnd in rounds]
        outcomes = tuple(r.outcome if r is not None else None for r in by_round)
        recent = [x for x in outcomes[-policy.flapping_rounds:] if x is not None]
        changes = sum((a in QUIET) != (b in QUIET) for a, b in zip(recent, recent[1:]))
        out.append(History(check=check, severity=first.severity, impact=first.impact, text=first.text,
                           outcomes=outcomes, episodes=tuple(_episodes(check, rounds, by_round)), changes=changes,
                           flapping=changes >= policy.flapping_changes))
    return out


def _episodes(check: str, rounds: list[Round], by_round: list[Result | None]) -> list[Episode]:
    episodes, open_ = [], None  # open_: [outcome, start index, last index]
    for i, r in enumerate(by_round):
        outcome = r.outcome if r is not None else None
        if open_ is not None and outcome != open_[0]:
            episodes.append(_episode(check, rounds, by_round, *open_, end=rounds[i].at))
            open_ = None
        if open_ is None and outcome is not None and outcome not in QUIET:
            open_ = [outcome, i, i]
        elif open_ is not None:
            open_[2] = i
    if open_ is not None:
        episodes.append(_episode(check, rounds, by_round, *open_, end=None))
    return episodes


def _episode(check, rounds, by_round, outcome, first, last, *, end) -> Episode:
    r = by_round[first]
    return Episode(check=check, severity=r.severity, outcome=outcome, start=rounds[first].at, last=rounds[last].at,
                   end=end, rounds=last - first + 1, first_round=rounds[first].number, message=r.message)


def _rollback(hist: list[History], rounds: list[Round], policy: Policy):
    """The first rollback decided, as (round index, episode, rule), or None."""
    index = {rnd.number: i for i, rnd in enumerate(rounds)}
    decided = []
    for h in hist:
        for ep in h.episodes:
            if ep.outcome != o.FAILED:
                continue
            first = index[ep.first_round]
            if o.rank(ep.severity) == 0:  # critical (an unknown severity decides like one: fail closed)
                decided.append((first, ep, IMMEDIATE))
            elif ep.severity == "high" and ep.held_s > policy.rollback_after_s:
                # The first round of the episode at which it had held for longer than the window.
                at = next(i for i in range(first, first + ep.rounds) if rounds[i].at - ep.start > policy.rollback_after_s)
                decided.append((at, ep, PERSISTS))
    return min(decided, key=lambda d: (d[0], d[1].start), default=None)


def judge(rounds: list[Round], policy: Policy = Policy()) -> WatchVerdict:
    """The watch's verdict after every round so far."""
    rounds = list(rounds)
    if not rounds:
        return WatchVerdict(single.NO_GO, LATEST, "Do not proceed: the watch ran no round", "no round was run")
    hist = histories(rounds, policy)
    latest = single.decide(rounds[-1].results, selected=rounds[-1].selected)
    common = dict(rounds=len(rounds), histories=tuple(hist), latest=latest, findings=tuple(_findings(hist, policy)))
    fired = _rollback(hist, rounds, policy)
    if fired is not None:
        at, ep, rule = fired
        window = _span(policy.rollback_after_s)
        why = (f"{ep.check} ({ep.severity}) failed in round {ep.first_round}" if rule == IMMEDIATE else
               f"{ep.check} ({ep.severity}) failed in every round for {_span(rounds[at].at - ep.start)}, "
               f"longer than the {window} rollback window")
        action = ("Immediate rollback" if rule == IMMEDIATE else
                  f"Roll back: the performance degradation persisted for more than {window}")
        return WatchVerdict(ROLLBACK, rule, action, f"{rule}: {why}, since {_clock(ep.start)}: {o.brief(ep.message, 200)}",
                            since=ep.start, decided_at=rounds[at].at, decided_round=rounds[at].number, check=ep.check,
                            **common)
    if not rounds[-1].results and rounds[-1].note:
        return WatchVerdict(single.NO_GO, LATEST, "Do not proceed: fix what stopped the latest round",
                            f"{LATEST}: {rounds[-1].note}", since=rounds[-1].at, **common)
    if latest.decision == single.NO_GO:
        ongoing = [ep for h in hist for ep in h.episodes if ep.ongoing and o.blocks(ep.severity)]
        since = min((ep.start for ep in ongoing), default=rounds[-1].at)
        held = "; ".join(f"{ep.check} {ep.outcome} for {_span(ep.held_s)} of the {_span(policy.rollback_after_s)} "
                         f"window" for ep in ongoing[:3])
        return WatchVerdict(single.NO_GO, LATEST, latest.action, f"{LATEST}: {latest.reason}"
                            + (f" ({held})" if held else "") + f", since {_clock(since)}", since=since, **common)
    if latest.decision == single.FINDINGS:
        return WatchVerdict(single.FINDINGS, LATEST, latest.action, f"{LATEST}: {latest.reason}",
                            since=rounds[-1].at, **common)
    if common["findings"]:
        flapping = [h for h in hist if h.flapping]
        rule = FLAPPING if flapping else EPISODES
        since = min(ep.start for h in hist for ep in h.episodes)
        return WatchVerdict(single.FINDINGS, rule, "Proceed; investigate the findings: nothing failed long enough to "
                            "roll back", f"{rule}: " + "; ".join(common["findings"][:3])
                            + (f" (+{len(common['findings']) - 3} more)" if len(common["findings"]) > 3 else ""),
                            since=since, **common)
    return WatchVerdict(single.GO, ALL_PASSED, single.PROCEED, f"all {len(hist)} checks passed in all "
                        f"{len(rounds)} rounds", since=rounds[0].at, **common)


def _findings(hist: list[History], policy: Policy) -> list[str]:
    out = []
    for h in hist:
        if h.flapping:
            out.append(f"{h.check} is flapping: {h.changes} changes between passing and not passing in its last "
                       f"{min(len(h.outcomes), policy.flapping_rounds)} rounds")
        for ep in h.episodes:
            if not ep.ongoing and not h.flapping:
                out.append(f"{h.check} ({ep.severity}) {ep.outcome} for {_span(ep.duration_s)} from {_clock(ep.start)} "
                           f"({ep.rounds} round{'s' if ep.rounds != 1 else ''}), then recovered")
    return out


def _span(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _clock(ts: float) -> str:
    from golive.results import iso

    return iso(ts)


def record(v: WatchVerdict) -> dict:
    """The verdict as a plain record (the watch stream's `judgement` line, the page, the metrics)."""
    return {"type": "judgement", "decision": v.decision, "rule": v.rule, "action": v.action, "reason": v.reason,
            "since": v.since, "decided_at": v.decided_at, "decided_round": v.decided_round, "check": v.check,
            "rounds": v.rounds, "findings": list(v.findings),
            "latest": v.latest.decision if v.latest is not None else None}


def exit_code(v: WatchVerdict) -> int:
    """A rollback exits as NO-GO (1): both stop the pipeline; the stream and the page say which."""
    return {single.GO: 0, single.FINDINGS: single.CODE["GO WITH FINDINGS"]}.get(v.decision, single.CODE["NO-GO"])

