"""What every gatherer shares: fetch each resource once per session, fail fast after an outage.

A `Source` is one endpoint (the Kubernetes API, one AWS service, Prometheus, ...). Its `fetch`
caches by key; the first connection failure or timeout marks the endpoint (its address, shared by every
Source at it: all AWS services behind one endpoint URL) dead for the run, and every later fetch from it
fails at once with that first failure instead of waiting for another timeout.
Retries are golive's decision, made here: no client retries a request by itself (`NO_RETRIES`,
`BOTOCORE_RETRIES`), so a dead endpoint costs one timeout per run; only `settle` asks again, for state
that may still change.
Every call lands in the API ledger shown in the report. Each answer is kept with the moment it arrived
(`fetch_dated`): a check that judges how recent something is measures to that moment, never to the
clock of the later moment at which it reads the cached answer.
"""
from __future__ import annotations

import atexit
import contextvars
import gc
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

import pytest
import requests
import urllib3

from golive.check import ANSWERS, Undecidable, is_own_exchange
from golive.planning import PLANNING, PREFETCHING, Planned

# The clients' own retries, off: urllib3 (the kubernetes client, requests under prometheus-api-client) as
# requests' default adapter has it, and botocore's (one attempt, no retry on throttling or 5xx).
NO_RETRIES = urllib3.util.Retry(0, read=False)
BOTOCORE_RETRIES = {"total_max_attempts": 1, "mode": "standard"}


class SourceUnavailable(Undecidable):
    """The endpoint could not be reached or did not answer in time."""


class BadData(Undecidable):
    """The endpoint answered with something that is not what its API promises."""


# Exceptions that mean "could not reach or hear back from the endpoint", per client library.
UNREACHABLE: tuple[type[BaseException], ...] = (
    requests.ConnectionError, requests.Timeout, urllib3.exceptions.HTTPError, ConnectionError, TimeoutError,
)
try:
    import botocore.exceptions as _bce

    UNREACHABLE += (_bce.EndpointConnectionError, _bce.ConnectTimeoutError, _bce.ReadTimeoutError,
                    _bce.ConnectionClosedError, _bce.NoCredentialsError, _bce.ProfileNotFound)
except ImportError:  # pragma: no cover - boto3 is a dependency
    pass


@dataclass
class Call:
    source: str
    what: str
    ok: bool
    seconds: float
    error: str = ""


def _set_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


@dataclass
class Ledger:
    calls: list[Call] = field(default_factory=list)
    # Calls golive/prefetch.py made ahead, by the (source, key) read ahead: they join `calls` when a check first reads
    # its answer, so that they show on that check's row as if the check had made them (`claim_all` adds any left
    # over). Several for one read when its loader reads through other Sources (the MCP conversation's exchanges).
    prefetched: dict[tuple, list[Call]] = field(default_factory=dict)
    # Endpoint address -> its first connection failure or timeout: dead for the rest of the run.
    dead: dict[str, str] = field(default_factory=dict)
    # Clear while golive/prefetch.py reads ahead beside the running checks: an exchange whose timing is the check
    # (a latency probe) waits for it, to be measured alone.
    quiet: threading.Event = field(default_factory=_set_event)
    # Clear while the preflight is on its way (golive/plugin.py): a check's own exchanges made ahead (a login
    # attempt, a latency probe, an MCP tool call: `golive.check.own_exchange`) wait for its answer, and are not
    # made at all when it stopped the run: a target golive is not bound to (another account or cluster) gets no
    # login attempts that could lock its users out.
    bound: threading.Event = field(default_factory=_set_event)
    unbound: str | None = None  # why the preflight stopped the run, once it has

    def await_bound(self, what: str) -> None:
        self.bound.wait()
        if self.unbound:
            raise SourceUnavailable(f"{what} not made: {self.unbound}")

    def claim_all(self) -> None:
        self.calls += [c for made in self.prefetched.values() for c in made]
        self.prefetched.clear()

    def summary(self) -> list[dict]:
        rows: dict[tuple[str, str], dict] = {}
        for c in self.calls:
            row = rows.setdefault((c.source, c.what), {"source": c.source, "call": c.what, "count": 0, "failed": 0})
            row["count"] += 1
            row["failed"] += 0 if c.ok else 1
        return list(rows.values())


# Where the session's ledger lives (config.stash): the gatherers write it, the run model reads it.
LEDGER_KEY = pytest.StashKey[Ledger]()


@dataclass(frozen=True)
class Dated:
    """An answer and when it arrived (UTC): ages inside the answer are measured to `at`."""

    value: Any
    at: datetime


class Source:
    def __init__(self, name: str, where: str, ledger: Ledger, via: str | None = None):
        self.name = name
        self.where = where  # URL or region, for messages
        self.ledger = ledger
        self.via = via  # the address it is reached through (the Kubernetes API's service proxy): dead with it
        self._cache: dict[Any, Any] = {}
        self._reading: dict[Any, threading.Event] = {}  # key -> set when the thread reading it is done
        self._turns = threading.Lock()
        self.parallel = PARALLEL_PER_SOURCE  # at most this many requests at once while prefetching

    def cached(self, key: Any) -> bool:
        return key in self._cache

    @property
    def down(self) -> str | None:
        """Why this endpoint is dead for the run (its first failure), or None."""
        return self.ledger.dead.get(self.where) or (self.ledger.dead.get(self.via) if self.via else None)

    @down.setter
    def down(self, reason: str | None) -> None:
        if reason:
            self.ledger.dead.setdefault(self.where, reason)

    def fetch(self, key: Any, loader: Callable[[], Any], *, fresh: bool = False, call: str | None = None,
              plannable: bool = False, alone: bool = False) -> Any:
        """`loader()`'s answer, cached by `key`; `call` says in the ledger what was asked, as a person writes it
        (`rds DescribeDBInstances DBInstanceIdentifier=db`), when the key alone would not (reprs, unique IDs).
        `plannable`: a read with a stable key, safe to make ahead of the check (golive/prefetch.py); `alone`: one
        whose timing is the check (a latency probe), made ahead only while nothing else is on its way."""
        return self.fetch_dated(key, loader, fresh=fresh, call=call, plannable=plannable, alone=alone).value

    def fetch_dated(self, key: Any, loader: Callable[[], Any], *, fresh: bool = False,
                    call: str | None = None, plannable: bool = False, within: tuple = (),
                    alone: bool = False) -> Dated:
        """As `fetch`, with the moment the answer arrived (the first time, for a cached one). `within`: keys of
        wider answers this one is part of (a namespace's pods within every namespace's); when one of them is
        planned too, it alone is fetched ahead."""
        call = call or _describe_key(key)
        plan = PLANNING.get()
        if plan is not None:
            if not self.down and (fresh or key not in self._cache):
                if plannable and not fresh:
                    plan.append(PlannedFetch(self, key, loader, call, within, alone))
                raise Planned(call)
            return self._fetch_dated(key, loader, fresh, call)  # (the answer is cached: no turn needed)
        turn = None if fresh else self._take_turn(key)
        try:
            return self._fetch_dated(key, loader, fresh, call)
        finally:
            if turn is not None:
                with self._turns:
                    del self._reading[key]
                turn.set()

    def _take_turn(self, key: Any) -> threading.Event | None:
        """Wait while another thread reads `key` (golive/prefetch.py reads ahead while the checks run): each read
        made once. This thread's turn to read it (set it when done), or None when its answer is cached."""
        while True:
            with self._turns:
                if key in self._cache:
                    return None
                other = self._reading.get(key)
                if other is None:
                    self._reading[key] = turn = threading.Event()
                    return turn
            other.wait()

    def _fetch_dated(self, key: Any, loader: Callable[[], Any], fresh: bool, call: str) -> Dated:
        if PLANNING.get() is None and self.ledger.prefetched:
            calls_made = self.ledger.prefetched.pop((id(self), key), None)
            if calls_made is not None:  # made ahead for this check: it shows on this check's row
                self.ledger.calls += calls_made
                failure = self._cache.get(key)
                if isinstance(failure, BaseException):  # and its own failure is said to it, as if it had made it
                    raise failure
        if self.down:
            raise SourceUnavailable(f"{self.name} at {self.where} is unreachable (first failure: {self.down})")
        if key in self._cache and not fresh:
            cached = self._cache[key]
            if isinstance(cached, Exception):
                raise cached
            return self._read(call, cached)
        if is_own_exchange(key):  # only with a target the preflight bound golive to (Ledger.bound)
            self.ledger.await_bound(f"{self.name} {call}")
        start = time.monotonic()
        # Read ahead: what the loader reads through other Sources is ledgered with this read.
        parent = READ_AHEAD.set(READ_AHEAD.get() or (id(self), key)) if PREFETCHING.get() else None
        try:
            value = loader()
        except UNREACHABLE as exc:
            self.down = f"{call}: {_short(exc)}"
            self._note(call, start, False, self.down, key=key)
            failure = SourceUnavailable(f"{self.name} at {self.where} is unreachable: {_short(exc)}")
            if PREFETCHING.get():  # for the check that reads it first (later ones get "first failure: ...")
                self._cache[key] = failure
            raise failure from None
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            # A client library choking on what the endpoint sent (HTML for JSON, a missing key): bad data.
            message = f"{self.name} at {self.where} answered {call} with something unreadable ({_short(exc)})"
            self._note(call, start, False, message, key=key)
            self._cache[key] = BadData(message)
            raise BadData(message) from None
        except Undecidable as exc:
            self._note(call, start, False, str(exc), key=key)
            self._cache[key] = exc
            raise
        finally:
            if parent is not None:
                READ_AHEAD.reset(parent)
        # When it arrived, not when it was asked for: an age measured to it never makes stale data look fresh.
        answer = Dated(value, datetime.now(timezone.utc))
        self._note(call, start, True, key=key)
        self._cache[key] = answer
        # Cached answers live until the session ends: take them (and all else alive now) out of the cyclic
        # collector's rounds, which otherwise re-scan a big cluster's lists again and again (0.7 s CPU at
        # 10,000 pods). O(1); `release_answers` hands them back when the run is over.
        gc.freeze()
        return self._read(call, answer)

    def _read(self, call: str, answer: Dated) -> Dated:
        """Note for the running check which answer it read: should reading it fail, golive.check names it."""
        reads = ANSWERS.get(None)
        if reads is not None:
            reads.append((f"{self.name} at {self.where}", str(call), answer.value))
        return answer

    def _note(self, call: str, start, ok, error="", key: Any = None):
        made = Call(self.name, str(call), ok, round(time.monotonic() - start, 3), error)
        if PREFETCHING.get():
            self.ledger.prefetched.setdefault(READ_AHEAD.get() or (id(self), key), []).append(made)
        else:
            self.ledger.calls.append(made)


PARALLEL_PER_SOURCE = 8  # requests in flight per endpoint while prefetching (the clients pool 10 connections)
# The read golive/prefetch.py is making ahead in this context, (source id, key): nested reads are ledgered with it.
READ_AHEAD: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("golive_read_ahead", default=None)


def carried(fn: Callable) -> Callable:
    """`fn`, to be run in another thread as part of the read under way here (the MCP SDK's HTTP, sent from its
    own threads): while reading ahead, its reads are made and ledgered as this one's."""
    prefetching, read = PREFETCHING.get(), READ_AHEAD.get()

    def run(*args, **kwargs):
        def body():
            PREFETCHING.set(prefetching)
            READ_AHEAD.set(read)
            return fn(*args, **kwargs)
        return contextvars.copy_context().run(body)
    return run


@dataclass(frozen=True)
class PlannedFetch:
    """A fetch a planning check asked for: made by golive/prefetch.py through `source.fetch_dated`, cached there."""

    source: Source
    key: Any
    loader: Callable[[], Any]
    call: str
    within: tuple = ()
    alone: bool = False  # its timing is the check: made only while nothing else is on its way

    def fetch(self) -> None:
        self.source.fetch_dated(self.key, self.loader, call=self.call)


def release_answers() -> None:
    """The run is over: what `Source.fetch` froze may be collected again (golive.plugin calls it after pytest's
    own last collections, which would otherwise re-scan the whole heap twice)."""
    gc.unfreeze()


# A process that is ending need not hunt for cycles among everything it ever made: CPython's last collection at
# exit (a few tenths of a second after a run) sees nothing but what is made after this.
atexit.register(gc.freeze)


def _describe_key(key: Any) -> str:
    if isinstance(key, tuple):
        return " ".join(str(k) for k in key if k not in (None, ""))
    return str(key)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    # urllib3 nests the real reason deep inside a long repr; keep the part people recognise.
    for marker in ("Connection refused", "timed out", "Name or service not known", "No route to host",
                   "Could not connect", "Unable to locate credentials", "profile"):
        if marker in text:
            return f"{type(exc).__name__}: {marker}"
    return f"{type(exc).__name__}: {text.splitlines()[0][:200]}"
