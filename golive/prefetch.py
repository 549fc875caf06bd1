"""Gather ahead, concurrently: the selected checks' reads fetched in parallel before the checks run.

What a selection needs is learned from the collected checks themselves: each runs in plan mode
(golive/planning.py) against the gatherers' caches, stopping at its first read not yet fetched. Every such
read of every check is fetched at once, at most `Source.parallel` per endpoint, through the same
`Source.fetch_dated` as always (so each is made once, cached, ledgered, a dead endpoint failing the rest
fast); each check plans again as soon as the reads it waits for have arrived, from where their answers take
it, until nothing new is asked (pipelined: no check waits for another's reads). Reads a check makes one
after another but that do not depend on each other are asked together (`golive.planning.independently`).
The real run then finds every planned answer cached. A check that writes (`mutating`), re-reads (`fresh`) or makes a
request that is not a plain read is planned only up to that point: the rest happens when it runs, as ever.

Planning reuses the checks' own code on real answers; it decides nothing and records no evidence.
`--golive-no-prefetch` turns it off (every read then happens when its check asks, one after another).
"""
from __future__ import annotations

import collections
import contextvars
import queue
from concurrent.futures import ThreadPoolExecutor

import pytest

from typing import TYPE_CHECKING

from golive.check import CURRENT_SPEC, EVIDENCE, EXCHANGES
from golive.planning import PLANNING, PREFETCHING

if TYPE_CHECKING:
    from golive.gather import PlannedFetch

MAX_ROUNDS = 12  # a check reading more in sequence than this is left to fetch the rest itself
WORKERS = 64  # threads at most; each endpoint's `Source.parallel` bounds its own requests in flight
_DONE = pytest.StashKey[bool]()


def pytest_addoption(parser):
    parser.getgroup("golive").addoption(
        "--golive-no-prefetch", action="store_true",
        help="fetch each read when its check asks (no planning, no concurrent gathering ahead of the checks)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    # After the first check's setup: session fixtures can be set up now (the session is on pytest's setup stack).
    try:
        return (yield)
    finally:
        config = item.config
        if not config.stash.get(_DONE, False):
            config.stash[_DONE] = True
            if not config.getoption("--golive-no-prefetch") and not hasattr(config, "workerinput"):
                prefetch(item.session.items, item._request)


def prefetch(items, request) -> int:
    """Plan and fetch the reads of `items` until none is new; how many fetches were made ahead. `request`: the
    running test's, through which the session's fixtures are set up (pytest sets up nothing for a test not running)."""
    return plan_and_fetch([c for c in (_plannable(item, request) for item in items) if c is not None])


def plan_and_fetch(checks: list[tuple]) -> int:
    """Plan (check function, spec, fixture values) and fetch what it asks, until no check asks anything new; how
    many fetches were made. Pipelined, not in rounds: a check is planned again as soon as the reads it waits for
    have arrived, while the others' reads are still on their way, so a run waits about as long as its longest
    chain of reads that depend on each other, not the sum of each round's slowest read."""
    arrived: queue.SimpleQueue = queue.SimpleQueue()
    queued: dict[int, collections.deque] = {}  # source id -> reads waiting for a free place at that endpoint
    in_flight: dict[int, int] = {}  # source id -> reads on their way from it
    started: set = set()  # (source id, key) of every read fetched or on its way
    parts: dict[tuple, PlannedFetch] = {}  # reads part of a wider answer, held back (below)
    waiting: dict[tuple, list[int]] = {}  # read -> the checks waiting for it
    waits: dict[int, set] = {}  # check -> the reads it waits for
    plans = collections.Counter()
    made = 0
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="golive-prefetch")

    def send(source_id: int) -> None:
        line = queued[source_id]
        while line and in_flight[source_id] < max(1, line[0].source.parallel):
            p = line.popleft()
            in_flight[source_id] += 1
            pool.submit(_fetch_one, p, arrived)

    def start(key: tuple, p) -> None:
        nonlocal made
        started.add(key)
        made += 1
        queued.setdefault(key[0], collections.deque()).append(p)
        in_flight.setdefault(key[0], 0)
        send(key[0])

    def plan(check: int) -> None:
        plans[check] += 1
        if plans[check] > MAX_ROUNDS:
            return
        asked = {(id(p.source), p.key): p for p in _plan(*checks[check])}
        new = {k: p for k, p in asked.items() if k not in started and k not in parts}
        pending = [k for k in asked if k in parts or (k in started and k in waiting)]
        if not new and not pending:
            return  # done (or asking again what could not be had: the check reports it when it runs)
        waits[check] = set(new) | set(pending)
        for k in waits[check]:
            waiting.setdefault(k, []).append(check)
        for k, p in new.items():
            if p.within:  # held back: should the whole be fetched too, the part is read from it, not fetched
                parts[k] = p
            else:
                start(k, p)

    def landed(key: tuple) -> None:
        for check in waiting.pop(key, []):
            waits[check].discard(key)
            if not waits[check]:
                plan(check)

    def arrive(p) -> None:
        in_flight[id(p.source)] -= 1
        send(id(p.source))
        landed((id(p.source), p.key))

    try:
        for check in range(len(checks)):
            plan(check)
            while not arrived.empty():  # what has arrived meanwhile goes on at once, not after the first pass
                arrive(arrived.get())
        while True:
            if not any(in_flight.values()):
                if not parts:
                    break
                # Nothing else on its way: a part whose whole has arrived is read from it (its checks planned
                # again); the others are fetched.
                held = list(parts.items())
                parts.clear()
                for k, p in held:
                    if any(p.source.cached(w) for w in p.within):
                        landed(k)
                    else:
                        start(k, p)
                continue
            arrive(arrived.get())
    finally:
        pool.shutdown(wait=True)
    return made


def _plannable(item, request):
    """(check function, its spec, its fixture values), or None when it cannot be planned ahead."""
    fn = getattr(item, "obj", None)
    spec = getattr(fn, "golive_spec", None)
    if spec is None or spec.mutating or not hasattr(fn, "__wrapped__"):
        return None
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    kwargs = {}
    for name in info.argnames:
        defs = info.name2fixturedefs.get(name)
        if not defs or defs[-1].scope != "session":  # only what the session shares can be set up early
            return None
        try:
            kwargs[name] = request.getfixturevalue(name)
        except (Exception, pytest.skip.Exception, pytest.fail.Exception):  # noqa: BLE001 - pytest's outcomes
            return None  # are BaseExceptions (a fixture's skip: not applicable): the check's own setup reports it
    return fn.__wrapped__, spec, kwargs


def _plan(fn, spec, kwargs) -> list:
    """Run the check in plan mode in a context of its own; the reads it asked for and could not have."""
    asked: list = []

    def body():
        PLANNING.set(asked)
        CURRENT_SPEC.set(spec)
        EVIDENCE.set([])
        EXCHANGES.set({})
        try:
            fn(**kwargs)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001 - Planned, or the check failing on what it has: decided later
            pass

    contextvars.Context().run(body)
    return asked


def _fetch_one(p, arrived: queue.SimpleQueue) -> None:
    """One planned read, in a context of its own (its call waits in the ledger for the check that reads it)."""
    def body():
        PREFETCHING.set(True)
        try:
            p.fetch()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001 - cached or marked down by the source: the check reports it
            pass
    try:
        contextvars.Context().run(body)
    finally:
        arrived.put(p)
