"""Gather ahead, concurrently: the selected checks' reads fetched in parallel before the checks run.

What a selection needs is learned from the collected checks themselves: each runs in plan mode
(golive/planning.py) against the gatherers' caches, stopping at its first read not yet fetched. Every such
read of every check is fetched at once, at most `Source.parallel` per endpoint, through the same
`Source.fetch_dated` as always (so each is made once, cached, ledgered, a dead endpoint failing the rest
fast); then the checks plan again from where the answers take them, until nothing new is asked. The real
run then finds every planned answer cached. A check that writes (`mutating`), re-reads (`fresh`) or makes a
request that is not a plain read is planned only up to that point: the rest happens when it runs, as ever.

Planning reuses the checks' own code on real answers; it decides nothing and records no evidence.
`--golive-no-prefetch` turns it off (every read then happens when its check asks, one after another).
"""
from __future__ import annotations

import contextvars
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from golive.check import CURRENT_SPEC, EVIDENCE
from golive.planning import PLANNING, PREFETCHING

MAX_ROUNDS = 12  # a check reading more in sequence than this is left to fetch the rest itself
WORKERS = 16
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
    """Rounds of planning (check function, spec, fixture values) and fetching, until no check asks anything new."""
    made, seen = 0, set()
    for _ in range(MAX_ROUNDS):
        wanted, still = {}, []
        for check in checks:
            asked = _plan(*check)
            fresh = [p for p in asked if (id(p.source), p.key) not in seen]
            if fresh:
                still.append(check)
            for p in fresh:
                wanted.setdefault((id(p.source), p.key), p)
        # A part of a wider answer (one namespace's pods, of all pods) waits while other reads are asked: if the
        # whole is asked for later, the part is read from it, not fetched. Only parts left: they are fetched.
        wanted = {k: p for k, p in wanted.items() if not p.within} or wanted
        if not wanted:
            break
        seen.update(wanted)
        _fetch_all(list(wanted.values()))
        made += len(wanted)
        checks = still
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
        try:
            fn(**kwargs)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001 - Planned, or the check failing on what it has: decided later
            pass

    contextvars.Context().run(body)
    return asked


def _fetch_all(planned: list) -> None:
    """Each planned read once, concurrently, at most `source.parallel` at a time per endpoint."""
    limits: dict[int, threading.Semaphore] = {}
    for p in planned:
        limits.setdefault(id(p.source), threading.BoundedSemaphore(max(1, p.source.parallel)))

    def one(p) -> None:
        def body():
            PREFETCHING.set(True)
            with limits[id(p.source)]:
                try:
                    p.fetch()
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException:  # noqa: BLE001 - cached or marked down by the source: the check reports it
                    pass
        contextvars.Context().run(body)

    by_source: dict[int, list] = {}
    for p in planned:
        by_source.setdefault(id(p.source), []).append(p)
    # Round-robin over the endpoints: a long queue for one never holds the workers another could use.
    order = [p for batch in itertools.zip_longest(*by_source.values()) for p in batch if p is not None]
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(order)), thread_name_prefix="golive-prefetch") as pool:
        list(pool.map(one, order))
