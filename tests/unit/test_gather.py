"""golive.gather.Source and the Kubernetes gatherer's decoding: what a session keeps, and how."""
from __future__ import annotations

import gc
import json

from fixtures.kubernetes import shared_strings
from golive.gather import Ledger, Source, release_answers


def test_a_cached_answer_keeps_the_moment_it_arrived():
    source, answers = Source("Prometheus", "http://prometheus", Ledger()), iter(["first", "second"])
    first = source.fetch_dated("targets", lambda: next(answers))
    again = source.fetch_dated("targets", lambda: next(answers))
    assert again == first and again.value == "first"  # read later, still dated when it arrived
    refetched = source.fetch_dated("targets", lambda: next(answers), fresh=True)
    assert refetched.value == "second" and refetched.at >= first.at
    assert source.fetch("targets", lambda: next(answers)) == "second"
    assert [c.what for c in source.ledger.calls] == ["targets", "targets"]


def test_cached_answers_are_kept_out_of_the_collectors_rounds_until_the_session_ends():
    source = Source("Kubernetes API", "https://kubernetes", Ledger())
    source.fetch(("pods", None, None), lambda: [{"metadata": {"name": "a"}}])
    assert gc.get_freeze_count() > 0
    release_answers()
    assert gc.get_freeze_count() == 0


def test_a_list_keeps_one_copy_of_each_repeated_string():
    text = json.dumps([{"status": {"phase": "Running"}, "image": "app:v1"} for _ in range(3)])
    pods = json.loads(text, object_hook=shared_strings())
    assert pods == json.loads(text)
    assert len({id(p["image"]) for p in pods}) == len({id(p["status"]["phase"]) for p in pods}) == 1


def test_a_narrower_list_is_filtered_from_a_wider_one_already_fetched():
    from fixtures.kubernetes import Kubernetes

    source = Source("Kubernetes API", "https://kubernetes", Ledger())
    pods = [{"metadata": {"name": "app-1", "namespace": "app", "labels": {"app": "x", "environment": "production"}}},
            {"metadata": {"name": "app-2", "namespace": "app", "labels": {"app": "x", "environment": "staging"}}},
            {"metadata": {"name": "other", "namespace": "tenant", "labels": {"app": "x"}}}]
    k8s = Kubernetes(None, source, (1, 1))  # no client: any request would fail
    source.fetch(("pods", None, None), lambda: pods)
    names = lambda listed: [p["metadata"]["name"] for p in listed]  # noqa: E731
    assert names(k8s.list("pods", "app", "app=x")) == ["app-1", "app-2"]
    assert names(k8s.list("pods", "app", "environment in (staging)")) == ["app-2"]
    assert names(k8s.list("pods", None, "app=x")) == ["app-1", "app-2", "other"]
    assert names(k8s.list("pods", "tenant")) == ["other"]
    assert [c.what for c in source.ledger.calls] == ["pods"]  # one request for the kind
