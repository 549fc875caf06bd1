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
# --- a dead endpoint, once per run; an answer a check breaks on, named ------------------------------

def test_a_dead_endpoint_costs_one_failure_per_run_for_every_source_at_its_address():
    import pytest
    import requests

    from golive.gather import SourceUnavailable

    ledger, tries = Ledger(), []

    def refuse():
        tries.append(1)
        raise requests.ConnectionError("Connection refused")

    eks, iam = Source("AWS eks", "http://aws:4566", ledger), Source("AWS iam", "http://aws:4566", ledger)
    with pytest.raises(SourceUnavailable, match="AWS eks at http://aws:4566 is unreachable"):
        eks.fetch("describe_cluster", refuse)
    with pytest.raises(SourceUnavailable, match="first failure: describe_cluster: ConnectionError: Connection refused"):
        iam.fetch("get_role", refuse)
    assert len(tries) == 1 and iam.down == eks.down
    assert Source("Prometheus", "http://prometheus", ledger).down is None


def test_an_answer_a_client_cannot_read_is_bad_data_naming_the_endpoint():
    import pytest

    from golive.gather import BadData

    source = Source("Prometheus", "http://prometheus", Ledger())
    with pytest.raises(BadData, match="Prometheus at http://prometheus answered query up with something unreadable "
                                      r"\(JSONDecodeError"):
        source.fetch("query up", lambda: json.loads("<html>"))
    with pytest.raises(BadData):  # remembered: not asked again
        source.fetch("query up", lambda: 1 / 0)


def test_a_check_that_breaks_on_an_answer_is_undecided_and_names_it():
    from golive.check import ANSWERS, Undecidable, runbook

    @runbook("t-2h/final-infrastructure-check/kubectl-get-nodes")
    def check():
        nodes = Source("Kubernetes API", "https://kubernetes", Ledger()).fetch("nodes", lambda: [1, "two"])
        return [n["metadata"] for n in nodes]

    @runbook("t-2h/final-infrastructure-check/kubectl-cluster-info")
    def broken():
        return {}["x"]

    import pytest
    with pytest.raises(Undecidable, match=r"could not read what Kubernetes API at https://kubernetes answered to "
                                          r"nodes: \[1, 'two'\] \(TypeError: 'int' object is not subscriptable\)"):
        check()
    with pytest.raises(Undecidable, match=r"golive could not decide \(KeyError: 'x'"):
        broken()
    assert ANSWERS.get(None) is None  # the check's own list is gone with it


def test_settle_stops_when_waiting_cannot_change_the_answer():
    from golive.check import failed, settle, undecided

    for finding in (failed("gone", final=True), undecided("no answer")):
        attempts = []
        result = settle(lambda fresh, f=finding: attempts.append(fresh) or f, deadline_s=60, interval_s=0)
        assert attempts == [False] and result is finding
    attempts = []
    result = settle(lambda fresh: attempts.append(fresh) or failed("starting"), deadline_s=0.05, interval_s=0.01)
    assert len(attempts) > 1 and attempts[1] is True and "still failing after" in result.summary


def test_an_endpoint_reached_through_a_dead_api_server_is_dead_with_it():
    ledger = Ledger()
    proxied = Source("Prometheus", "https://kube/api/v1/namespaces/monitoring/services/prom:9090/proxy", ledger,
                     via="https://kube")
    Source("Prometheus", proxied.where, ledger).down = None  # no reason: nothing recorded
    assert proxied.down is None
    Source("Kubernetes API", "https://kube", ledger).down = "kubectl version: ReadTimeoutError: timed out"
    assert proxied.down == "kubectl version: ReadTimeoutError: timed out"
