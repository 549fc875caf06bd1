"""Plan mode: the selected checks run once ahead, against the gatherers' caches only, to learn what they will ask.

While `PLANNING` holds a list, a gatherer's fetch that its cache cannot answer is appended to it (when the
fetch is safe to make ahead: a read with a stable key) and raises `Planned`, which stops that check there.
golive/prefetch.py fetches what was planned, concurrently, and plans again until nothing new is asked;
then the checks run for real, each answer already cached. No imports: golive.check and golive.gather use it.
"""
from __future__ import annotations

import contextvars

PLANNING: contextvars.ContextVar[list | None] = contextvars.ContextVar("golive_planning", default=None)
# Set while the prefetcher fetches: the calls it makes wait in the ledger until the check that uses them reads them.
PREFETCHING: contextvars.ContextVar[bool] = contextvars.ContextVar("golive_prefetching", default=False)


class Planned(BaseException):
    """A planning check reached an answer not yet fetched. BaseException: no check's `except Exception` keeps it."""


def planning() -> bool:
    return PLANNING.get() is not None
