"""Plan mode: the selected checks run once ahead, against the gatherers' caches only, to learn what they will ask.

While `PLANNING` holds a list, a gatherer's fetch that its cache cannot answer is appended to it (when the
fetch is safe to make ahead: a read with a stable key) and raises `Planned`, which stops that check there.
golive/prefetch.py fetches what was planned, concurrently, and plans again until nothing new is asked;
then the checks run for real, each answer already cached. No imports: golive.check and golive.gather use it.
`independently(...)` asks reads that do not depend on each other together, while planning.
"""
from __future__ import annotations

import contextvars
from typing import Callable, TypeVar

T = TypeVar("T")

PLANNING: contextvars.ContextVar[list | None] = contextvars.ContextVar("golive_planning", default=None)
# Set while the prefetcher fetches: the calls it makes wait in the ledger until the check that uses them reads them.
PREFETCHING: contextvars.ContextVar[bool] = contextvars.ContextVar("golive_prefetching", default=False)
# Set while golive/prefetch.py plans and reads ahead beside the running checks: waits until the plan of the check
# with this runbook ID is done (its reads have arrived). A check run on another's behalf (`golive.check.outcomes`)
# waits for it as its own test does.
PLAN_DONE: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar("golive_plan_done",
                                                                                        default=None)


class Planned(BaseException):
    """A planning check reached an answer not yet fetched. BaseException: no check's `except Exception` keeps it."""


def planning() -> bool:
    return PLANNING.get() is not None


def await_plan(item_id: str) -> None:
    """Until the plan of the check `item_id` is done, while reading ahead (at once otherwise)."""
    wait = PLAN_DONE.get()
    if wait is not None and not planning():
        wait(item_id)


def independently(*reads: Callable[[], T]) -> list[T]:
    """Each read's answer, in order. For reads that do not depend on each other's answers: while planning, every
    one not yet fetched is asked at once (one wait, not one after another); in a real run they are made in order,
    the first failure raised as ever."""
    if not planning():
        return [read() for read in reads]
    answers, stopped = [], None
    for read in reads:
        try:
            answers.append(read())
        except Planned as exc:
            stopped = stopped or exc
    if stopped is not None:
        raise stopped
    return answers
