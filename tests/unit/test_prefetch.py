"""golive/prefetch.py: checks planned ahead against the caches, their reads fetched once each, concurrently,
at most `Source.parallel` at a time per endpoint, each call on the row of the check that reads it."""
from __future__ import annotations

import contextvars
import functools
import threading
import time

import pytest

from golive import prefetch
from golive.check import Spec, settle
from golive.gather import Ledger, Source
from golive.planning import PLANNING, Planned, independently

SPEC = Spec("t-2h/x/y", "automated", None, "infrastructure")


def counting(answer="ok", delay=0.0):
    made = []

    def load():
        made.append(threading.current_thread().name)
        time.sleep(delay)
        return answer
    return load, made


def test_a_planning_check_stops_at_its_first_uncached_read_and_names_it():
    source, (load, made) = Source("Kubernetes API", "https://k", Ledger()), counting()
    asked = []
    token = PLANNING.set(asked)
    try:
        with pytest.raises(Planned):
            source.fetch(("nodes",), load, plannable=True)
        with pytest.raises(Planned):  # not a plain read (a POST, an MCP step): stops the plan, asks nothing
            source.fetch(("POST", "/mcp", "uuid"), load)
    finally:
        PLANNING.reset(token)
    assert [p.key for p in asked] == [("nodes",)] and made == [] and source.ledger.calls == []


def test_reads_are_fetched_once_each_and_join_the_ledger_when_a_check_reads_them():
    ledger = Ledger()
    kube, aws = Source("Kubernetes API", "https://k", ledger), Source("AWS eks", "us-east-1", ledger)
    (nodes, nodes_made), (cluster, cluster_made) = counting(["n1"]), counting({"status": "ACTIVE"})

    def check(k8s, eks):  # two reads one after another: planned in two rounds
        k8s.fetch(("nodes",), nodes, plannable=True)
        eks.fetch(("describe_cluster",), cluster, plannable=True)

    items = [(check, SPEC, {"k8s": kube, "eks": aws}), (check, SPEC, {"k8s": kube, "eks": aws})]
    assert prefetch.plan_and_fetch(items) == 2
    assert len(nodes_made) == len(cluster_made) == 1  # once each, for both checks
    assert ledger.calls == [] and len(ledger.prefetched) == 2  # made ahead: not yet any check's
    assert kube.fetch(("nodes",), nodes) == ["n1"]
    assert [c.what for c in ledger.calls] == ["nodes"]  # on the row of the check that read it
    ledger.claim_all()
    assert [c.what for c in ledger.calls] == ["nodes", "describe_cluster"] and not ledger.prefetched


def test_no_more_than_parallel_requests_per_endpoint_at_once():
    ledger, in_flight, peak, lock = Ledger(), [0], [0], threading.Lock()
    source = Source("Prometheus", "http://p", ledger)
    source.parallel = 2

    def load():
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.02)
        with lock:
            in_flight[0] -= 1
        return []

    def check(prom):
        [prom.fetch(("query", q), load, plannable=True) for q in range(3)]

    items = [(check, SPEC, {"prom": source})] + [(lambda prom, q=q: prom.fetch(("query", q), load, plannable=True),
                                                  SPEC, {"prom": source}) for q in range(8)]
    prefetch.plan_and_fetch(items)
    assert peak[0] == 2 and len(ledger.prefetched) == 8


def test_planning_never_waits_in_a_settle_loop():
    from golive.check import failed

    asked = []
    token = PLANNING.set(asked)
    try:
        start = time.monotonic()
        with pytest.raises(Planned):
            settle(lambda fresh: failed("not yet"), deadline_s=30, interval_s=10)
    finally:
        PLANNING.reset(token)
    assert time.monotonic() - start < 5



def test_a_read_that_failed_ahead_fails_its_first_reader_with_its_own_message():
    from golive.gather import SourceUnavailable

    ledger = Ledger()
    source = Source("PostgreSQL", "db:5432/app", ledger)

    def refused():
        raise ConnectionRefusedError("Connection refused")

    def check(db):
        db.fetch(("query", "SELECT 1"), refused, plannable=True)

    prefetch.plan_and_fetch([(check, SPEC, {"db": source})])
    with pytest.raises(SourceUnavailable, match="is unreachable: ConnectionRefusedError"):
        source.fetch(("query", "SELECT 1"), refused)
    with pytest.raises(SourceUnavailable, match="first failure"):
        source.fetch(("query", "SELECT 2"), refused)
    assert [c.ok for c in ledger.calls] == [False]


def test_independent_reads_are_planned_together_and_made_in_order_when_the_check_runs():
    from golive.planning import independently

    ledger = Ledger()
    source = Source("AWS secretsmanager", "us-east-1", ledger)
    loads = {name: counting({"ARN": name}) for name in ("a", "b", "c")}

    def check(sm):
        return independently(*(lambda n=n: sm.fetch(("describe", n), loads[n][0], plannable=True) for n in "abc"))

    asked = []
    token = PLANNING.set(asked)
    try:
        with pytest.raises(Planned):
            check(source)
    finally:
        PLANNING.reset(token)
    assert [p.key for p in asked] == [("describe", "a"), ("describe", "b"), ("describe", "c")]  # one wait, not three
    assert check(source) == [{"ARN": "a"}, {"ARN": "b"}, {"ARN": "c"}]  # not planning: each made, in order
    assert [c.what for c in ledger.calls] == ["describe a", "describe b", "describe c"]


def test_a_check_goes_on_as_soon_as_its_own_reads_arrive_not_after_everyone_elses():
    ledger, order = Ledger(), []
    fast, slow = Source("Kubernetes API", "https://k", ledger), Source("AWS eks", "us-east-1", ledger)

    load = functools.partial(arriving, order)

    def chain(k8s):  # three reads, each depending on the one before
        for step in range(3):
            k8s.fetch(("step", step), load(f"step {step}", 0.01), plannable=True)

    def one_slow_read(eks):
        eks.fetch(("slow",), load("slow", 0.3), plannable=True)

    prefetch.plan_and_fetch([(one_slow_read, SPEC, {"eks": slow}), (chain, SPEC, {"k8s": fast})])
    assert order == ["step 0", "step 1", "step 2", "slow"]  # in rounds, step 1 would have waited for "slow"


def test_what_a_read_ahead_reads_through_another_source_is_ledgered_with_it():
    from golive.gather import carried

    ledger = Ledger()
    app, conversation = Source("App", "http://app", ledger), Source("MCP", "http://app/mcp", ledger)

    def open_conversation():  # as the MCP SDK does: its exchanges sent from a thread of its own
        exchange = carried(lambda: app.fetch(("POST", "/mcp", "id-1"), lambda: "discovered", call="POST /mcp"))
        box = []
        worker = threading.Thread(target=lambda: box.append(exchange()))
        worker.start()
        worker.join()
        return box[0]

    def check(mcp):
        mcp.fetch(("MCP", "open"), open_conversation, call="MCP open", plannable=True)

    prefetch.plan_and_fetch([(check, SPEC, {"mcp": conversation})])
    assert ledger.calls == [] and list(ledger.prefetched) == [(id(conversation), ("MCP", "open"))]
    assert conversation.fetch(("MCP", "open"), open_conversation) == "discovered"
    assert [c.what for c in ledger.calls] == ["POST /mcp", "MCP open"]  # both on the row of the check that read it


def test_a_checks_own_exchange_is_made_once_for_it_and_may_be_made_ahead():
    from golive.check import EXCHANGES, CURRENT_SPEC, own_exchange

    ledger = Ledger()
    grafana, (login, logins) = Source("Grafana", "http://g", ledger), counting(401)

    def attempt(source):  # as Http.request(..., ahead=True) keys a login attempt
        return source.fetch(own_exchange("GET", "/api/user"), login, call="GET /api/user", plannable=True)

    def check(g):
        attempt(g)
        attempt(g)  # the second of its kind: another exchange, not the first one's answer

    prefetch.plan_and_fetch([(check, SPEC, {"g": grafana})])
    assert len(logins) == 2 and ledger.calls == []
    other = Spec("t-0/x/other", "automated", None, "monitoring")
    for spec in (SPEC, other):  # the check itself finds both made; another check makes its own
        tokens = CURRENT_SPEC.set(spec), EXCHANGES.set({})
        try:
            check(grafana)
        finally:
            EXCHANGES.reset(tokens[1])
            CURRENT_SPEC.reset(tokens[0])
    assert len(logins) == 4 and [c.what for c in ledger.calls] == ["GET /api/user"] * 4
    assert own_exchange("GET", "/api/user") is None  # outside a check: none (the request is sent uncached)


def test_a_read_on_its_way_in_another_thread_is_waited_for_not_made_again():
    source, (load, made) = Source("Kubernetes API", "https://k", Ledger()), counting(["n1"], delay=0.05)
    answers = []
    readers = [threading.Thread(target=lambda: answers.append(source.fetch(("nodes",), load))) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert answers == [["n1"]] * 4 and len(made) == 1 and len(source.ledger.calls) == 1
    source.fetch(("nodes",), load, fresh=True)  # a fresh read is made again, as ever
    assert len(made) == 2


def test_reading_ahead_beside_the_checks_each_waits_for_its_own_plan_only():
    ledger, order = Ledger(), []
    fast, slow = Source("Kubernetes API", "https://k", ledger), Source("AWS eks", "us-east-1", ledger)
    first, second = Spec("t-2h/x/first", "automated", None, "infrastructure"), Spec("t-2h/x/second", "automated",
                                                                                     None, "infrastructure")

    loader = functools.partial(arriving, order)

    def quick(k8s):
        return k8s.fetch(("nodes",), loader("nodes", 0.01), plannable=True)

    def slow_check(eks):
        return eks.fetch(("cluster",), loader("cluster", 0.3), plannable=True)

    class Item:
        def __init__(self, spec):
            self.nodeid = spec.item_id

    ahead = prefetch.Ahead([(Item(first), (quick, first, {"k8s": fast})),
                            (Item(second), (slow_check, second, {"eks": slow}))], ledger)
    assert not ledger.quiet.is_set()  # an exchange whose timing is the check waits
    ahead.start()
    ahead.wait_for(first.item_id)
    assert quick(fast) == "nodes" and order == ["nodes"]  # the first runs while the slow read is on its way
    ahead.wait_for(second.item_id)
    assert slow_check(slow) == "cluster" and order == ["nodes", "cluster"]
    ahead.finish()
    assert ledger.quiet.is_set() and [c.what for c in ledger.calls] == ["nodes", "cluster"]
    ahead.wait_for("t-2h/x/not-planned")  # a check not planned does not wait


def test_latency_probes_are_made_ahead_together_once_nothing_else_is_on_its_way():
    ledger, events, lock = Ledger(), [], threading.Lock()
    app, kube = Source("App", "http://app", ledger), Source("Kubernetes API", "https://k", ledger)
    alone = threading.Event()
    alone.set()

    def loader(name, delay=0.05):
        def load():
            with lock:
                events.append(("start", name, alone.is_set()))
            time.sleep(delay)
            with lock:
                events.append(("end", name))
            return name
        return load

    def probes(a):  # as the latency checks ask their endpoints: together, each timed
        independently(*(lambda p=p: a.fetch(("probe", p), loader(p), plannable=True, alone=True)
                        for p in ("/health", "/ready")))

    def chain(k):
        k.fetch(("pods",), loader("pods", 0.1), plannable=True)
        k.fetch(("nodes",), loader("nodes"), plannable=True)

    prefetch.plan_and_fetch([(probes, SPEC, {"a": app}), (chain, SPEC, {"k": kube})], alone=alone)
    starts = [e for e in events if e[0] == "start"]
    assert [name for _s, name, _a in starts] == ["pods", "nodes", "/health", "/ready"] or \
        [name for _s, name, _a in starts] == ["pods", "nodes", "/ready", "/health"]
    assert events.index(("end", "nodes")) < events.index(starts[2])  # after everything else has arrived
    assert events.index(starts[3]) < events.index(("end", starts[2][1]))  # together, not one after another
    assert [a for _s, _n, a in starts[2:]] == [False, False] and alone.is_set()  # no check runs meanwhile


def test_a_checks_own_exchanges_wait_for_the_preflight_and_are_not_made_when_it_stopped_the_run():
    """A login attempt made ahead goes only to a target the preflight bound golive to (another account's or
    cluster's Grafana gets none: failed logins can lock its users out)."""
    from fixtures.http import Http
    from golive.check import CURRENT_SPEC, EXCHANGES
    from golive.gather import SourceUnavailable

    ledger = Ledger()
    ledger.bound.clear()  # the preflight on its way
    grafana = Http("Grafana", "http://127.0.0.1:9", ledger, (0.5, 0.5))
    sent = []
    grafana._send = lambda method, path, **kw: sent.append(path)  # the exchange itself, not the path under test
    tokens = CURRENT_SPEC.set(SPEC), EXCHANGES.set({})
    try:
        attempt = threading.Thread(target=contextvars.copy_context().run, args=(lambda: sent.append(_raised(
            lambda: grafana.request("GET", "/api/user", auth=("admin", "x"), ahead=True))),))
        attempt.start()
        attempt.join(0.2)
        assert attempt.is_alive() and sent == []  # waiting for the preflight's answer
        ledger.unbound = "the preflight stopped the run"
        ledger.bound.set()
        attempt.join(2)
    finally:
        EXCHANGES.reset(tokens[1])
        CURRENT_SPEC.reset(tokens[0])
    (error,) = sent
    assert isinstance(error, SourceUnavailable)
    assert str(error) == "Grafana GET /api/user not made: the preflight stopped the run"


def _raised(fn):
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - the test reads it
        return exc


def arriving(order: list, name: str, delay: float):
    """A loader whose answer, `name`, arrives after `delay` seconds, noted in `order` as it does."""
    def load():
        time.sleep(delay)
        order.append(name)
        return name
    return load
