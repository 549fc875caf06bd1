"""golive.gather.Source: each answer is cached with the moment it arrived."""
from __future__ import annotations

from golive.gather import Ledger, Source


def test_a_cached_answer_keeps_the_moment_it_arrived():
    source, answers = Source("Prometheus", "http://prometheus", Ledger()), iter(["first", "second"])
    first = source.fetch_dated("targets", lambda: next(answers))
    again = source.fetch_dated("targets", lambda: next(answers))
    assert again == first and again.value == "first"  # read later, still dated when it arrived
    refetched = source.fetch_dated("targets", lambda: next(answers), fresh=True)
    assert refetched.value == "second" and refetched.at >= first.at
    assert source.fetch("targets", lambda: next(answers)) == "second"
    assert [c.what for c in source.ledger.calls] == ["targets", "targets"]
