"""Gather ahead, concurrently: the selected checks' reads fetched in parallel, ahead of the checks and beside them.

What a selection needs is learned from the collected checks themselves: each runs in plan mode
(golive/planning.py) against the gatherers' caches, stopping at its first read not yet fetched. Every such
read of every check is fetched at once, at most `Source.parallel` per endpoint, through the same
`Source.fetch_dated` as always (so each is made once, cached, ledgered, a dead endpoint failing the rest
fast); each check plans again as soon as the reads it waits for have arrived, from where their answers take
it, until nothing new is asked (pipelined: no check waits for another's reads). Reads a check makes one
after another but that do not depend on each other are asked together (`golive.planning.independently`).
This runs in a thread of its own beside the checks, which start at once: each planned check waits until its own
plan is done (its reads have arrived), not for the others', so the checks' own work overlaps the reads still in
flight (the MCP conversation's, the last of a chain); `Source.fetch` makes each read once, whichever thread asks
first. A read whose timing is the check (a latency probe, `alone`) is held back until nothing else is on its
way nor held, then sent with the other probes, no check starting until they have arrived; made by its check
instead, or any exchange that is not a read, it waits until nothing is read ahead any more (`Ledger.quiet`).
A mutating check, too: what is read ahead is the state before anything changes it.
The real run then finds the planned answers cached. A check that writes (`mutating`), re-reads (`fresh`) or makes a
request that is not a plain read is planned only up to that point: the rest happens when it runs, as ever.

Planning reuses the checks' own code on real answers; it decides nothing and records no evidence.
`--golive-no-prefetch` turns it off (every read then happens when its check asks, one after another).
"""
from __future__ import annotations

import collections
import contextvars
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from typing import TYPE_CHECKING

from golive.check import CURRENT_SPEC, EVIDENCE, EXCHANGES
from golive.gather import LEDGER_KEY, Ledger
from golive.planning import PLAN_DONE, PLANNING, PREFETCHING

if TYPE_CHECKING:
    from golive.gather import PlannedFetch

MAX_ROUNDS = 12  # a check reading more in sequence than this is left to fetch the rest itself
WORKERS = 64  # threads at most; each endpoint's `Source.parallel` bounds its own requests in flight
_DONE = pytest.StashKey[bool]()
_AHEAD = pytest.StashKey["Ahead"]()


def pytest_addoption(parser):
    parser.getgroup("golive").addoption(
        "--golive-no-prefetch", action="store_true",
        help="fetch each read when its check asks (no planning, no concurrent gathering ahead of the checks)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    # After the first check's setup that succeeds: session fixtures can be set up now (the session is on pytest's
    # setup stack). After one that raised (a line not run: skipped), its request is being torn down: pytest 9
    # deprecates, and pytest 10 refuses, fixtures asked for then; the next check's setup plans.
    result = yield
    config = item.config
    if not config.stash.get(_DONE, False):
        config.stash[_DONE] = True
        if not config.getoption("--golive-no-prefetch") and not hasattr(config, "workerinput"):
            planned = _planned(item.session.items, item._request)  # fixtures are set up here, not in the thread
            ahead = config.stash[_AHEAD] = Ahead(planned, config.stash.setdefault(LEDGER_KEY, Ledger()))
            ahead.start()
            PLAN_DONE.set(ahead.wait_for)  # the checks run in this thread's context
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    spec = getattr(getattr(item, "obj", None), "golive_spec", None)
    ahead = item.config.stash.get(_AHEAD, None)
    if spec is not None and ahead is not None:
        ahead.alone.wait()  # latency probes on their way are measured with nothing else running
        if spec.mutating:  # what is read ahead is the state before anything changes it, as it always was
            ahead.ledger.quiet.wait()
        else:
            ahead.wait_for(spec.item_id)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    if nextitem is None:  # the session's fixtures (the ledger, the MCP conversation) are torn down next
        _finish(item.config)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    _finish(session.config)  # a run that stopped early (-x, an interrupt)


def _finish(config) -> None:
    ahead = config.stash.get(_AHEAD, None)
    if ahead is not None:
        del config.stash[_AHEAD]
        PLAN_DONE.set(None)
        ahead.finish()


class Ahead(threading.Thread):
    """`plan_and_fetch` of the planned (item, check) beside the running checks; `ledger.quiet` is clear until it
    is done."""

    def __init__(self, planned: list[tuple], ledger: Ledger):
        super().__init__(name="golive-ahead", daemon=True)
        self.checks = [check for _item, check in planned]
        # Runbook ID -> set when that check's plan is done
        self.ready = {spec.item_id: threading.Event() for _item, (_fn, spec, _kwargs) in planned}
        self._order = [spec.item_id for _item, (_fn, spec, _kwargs) in planned]
        self._index = {item_id: i for i, item_id in enumerate(self._order)}
        self.first: collections.deque = collections.deque()  # checks waited for, to plan before the others
        self.ledger = ledger
        self.stop = threading.Event()
        self.alone = threading.Event()  # clear while latency probes are on their way: no check starts meanwhile
        self.alone.set()
        self.failure: BaseException | None = None
        ledger.quiet.clear()

    def run(self) -> None:
        try:
            plan_and_fetch(self.checks, self.stop, lambda check: self.ready[self._order[check]].set(), self.alone,
                           self.first)
        except BaseException as exc:  # noqa: BLE001 - said when the run ends (`finish`), not lost in a thread
            self.failure = exc
        finally:
            for ready in self.ready.values():
                ready.set()
            self.alone.set()
            self.ledger.quiet.set()

    def wait_for(self, item_id: str) -> None:
        """Until the plan of the check `item_id` is done (nothing for a check not planned: its reads wait their
        turn, `Source.fetch`)."""
        ready = self.ready.get(item_id)
        if ready is not None and not ready.is_set():
            self.first.append(self._index[item_id])  # planned next, should the first pass not have reached it
            ready.wait()

    def finish(self) -> None:
        """Wait for what is on its way (asking nothing new once the checks are over), then raise what went wrong."""
        self.stop.set()
        self.join()
        if self.failure is not None:
            raise self.failure


def _planned(items, request) -> list[tuple]:
    """(item, (check function, spec, fixture values)) of each of `items` that can be planned ahead. `request`: the
    running test's, through which the session's fixtures are set up (pytest sets up nothing for a test not running)."""
    return [(item, c) for item, c in ((item, _plannable(item, request)) for item in items) if c is not None]


def prefetch(items, request) -> int:
    """Plan and fetch the reads of `items` until none is new; how many fetches were made ahead. `request`: the
    running test's, through which the session's fixtures are set up (pytest sets up nothing for a test not running)."""
    return plan_and_fetch([check for _item, check in _planned(items, request)])


def plan_and_fetch(checks: list[tuple], stop: threading.Event | None = None, done=lambda check: None,
                   alone: threading.Event | None = None, first: collections.deque | None = None) -> int:
    """Plan (check function, spec, fixture values) and fetch what it asks, until no check asks anything new; how
    many fetches were made. Pipelined, not in rounds: a check is planned again as soon as the reads it waits for
    have arrived, while the others' reads are still on their way, so a run waits about as long as its longest
    chain of reads that depend on each other, not the sum of each round's slowest read. Once `stop` is set, nothing
    new is asked (what is on its way still arrives). `done(check)`: that check asks nothing more. `alone`: clear
    while the reads whose timing is the check (latency probes) are on their way, sent together once nothing else
    is, nor held back; the checks do not start meanwhile. `first`: checks the run is waiting for (appended from
    its thread), planned before the rest of the first pass."""
    stop = stop or threading.Event()
    if alone is None:
        alone = threading.Event()
        alone.set()
    timed_landed: list = []  # timed reads arrived while others of their round are still on their way
    arrived: queue.SimpleQueue = queue.SimpleQueue()
    queued: dict[int, collections.deque] = {}  # source id -> reads waiting for a free place at that endpoint
    in_flight: dict[int, int] = {}  # source id -> reads on their way from it
    started: set = set()  # (source id, key) of every read fetched or on its way
    parts: dict[tuple, PlannedFetch] = {}  # reads part of a wider answer, held back (below)
    timed: dict[tuple, PlannedFetch] = {}  # reads whose timing is the check, held back until nothing is in flight
    waiting: dict[tuple, list[int]] = {}  # read -> the checks waiting for it
    waits: dict[int, set] = {}  # check -> the reads it waits for
    plans = collections.Counter()
    made = 0
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="golive-prefetch")

    def send(source_id: int) -> None:
        line = queued[source_id]
        if stop.is_set():
            line.clear()
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
        if plans[check] > MAX_ROUNDS or stop.is_set():
            done(check)
            return
        asked = {(id(p.source), p.key): p for p in _plan(*checks[check])}
        new = {k: p for k, p in asked.items() if k not in started and k not in parts and k not in timed}
        pending = [k for k in asked if k in parts or k in timed or (k in started and k in waiting)]
        if not new and not pending:
            done(check)
            return  # done (or asking again what could not be had: the check reports it when it runs)
        waits[check] = set(new) | set(pending)
        for k in waits[check]:
            waiting.setdefault(k, []).append(check)
        for k, p in new.items():
            if p.within:  # held back: should the whole be fetched too, the part is read from it, not fetched
                parts[k] = p
            elif p.alone:
                timed[k] = p
            else:
                start(k, p)

    def landed(key: tuple) -> None:
        for check in waiting.pop(key, []):
            waits[check].discard(key)
            if not waits[check]:
                plan(check)

    def release(held: list) -> None:
        """Parts held back: each read from its whole if that has arrived (its checks planned again), else fetched."""
        for k, _p in held:
            del parts[k]
        for k, p in held:
            if any(p.source.cached(w) for w in p.within):
                landed(k)
            else:
                start(k, p)

    def release_idle() -> None:
        # Parts of an endpoint with nothing on its way from it, once every check has planned once: their whole
        # is not coming, unless a check asks for it after an answer from elsewhere (then it is fetched too).
        if not first_pass and not stop.is_set():
            idle = [(k, p) for k, p in parts.items() if not in_flight.get(k[0]) and not queued.get(k[0])]
            if idle:
                release(idle)

    def arrive(p) -> None:
        in_flight[id(p.source)] -= 1
        send(id(p.source))
        if alone.is_set():
            landed((id(p.source), p.key))
            release_idle()
            return
        timed_landed.append((id(p.source), p.key))  # nothing new starts until the whole round has arrived
        if not any(in_flight.values()):
            alone.set()
            for key in timed_landed:
                landed(key)
            timed_landed.clear()

    first_pass, first = True, first if first is not None else collections.deque()
    try:
        for check in range(len(checks)):
            while first:
                wanted = first.popleft()
                if not plans[wanted]:
                    plan(wanted)
            if not plans[check]:
                plan(check)
            while not arrived.empty():  # what has arrived meanwhile goes on at once, not after the first pass
                arrive(arrived.get())
        first_pass = False
        release_idle()
        while True:
            if not any(in_flight.values()):
                if stop.is_set() or not (parts or timed):
                    break
                if not parts:  # nothing else on its way, nor held: the timed reads, all at once, alone
                    alone.clear()
                    held = list(timed.values())
                    timed.clear()
                    for p in held:
                        start((id(p.source), p.key), p)
                    continue
                # Nothing else on its way: a part whose whole has arrived is read from it (its checks planned
                # again); the others are fetched.
                release(list(parts.items()))
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
