"""Results as Prometheus metrics (prometheus-client): served by `golive watch`, pushed by `golive push`.

    golive_check_outcome{runbook_id,phase,severity,outcome}   1 for the check's outcome in the latest round,
                                                              0 for its other outcomes (one series per outcome)
    golive_check_duration_seconds{runbook_id,phase}           how long the check took in the latest round
    golive_verdict{environment,selection,decision}            1 for the current decision, 0 for the others
                                                              (GO, GO WITH FINDINGS, NO-GO, ROLLBACK)
    golive_round_timestamp_seconds{environment,selection}     when the latest round started (Unix time)
    golive_rounds{environment,selection}                      rounds so far

An alert on `golive_verdict{decision="ROLLBACK"} == 1` pages when a watch decides a rollback; one on
`time() - golive_round_timestamp_seconds > 3 * <interval>` when the watch itself stopped.
A custom collector renders the latest state on every scrape: a check that left the selection leaves
the metrics too (no stale series).
"""
from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, push_to_gateway, start_http_server
from prometheus_client.core import GaugeMetricFamily

from golive import outcomes as o
from golive import persistence

NOT_APPLICABLE = "not applicable"
OUTCOMES = tuple(dict.fromkeys((*o.OUTCOMES, NOT_APPLICABLE)))


class State:
    """What the metrics say: the latest round's results, the decision, the round's time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.results: list = []
        self.environment = self.selection = ""
        self.decision: str | None = None
        self.round_at: float | None = None
        self.rounds = 0

    def collect(self):
        with self.lock:
            outcome = GaugeMetricFamily("golive_check_outcome", "1 for the check's outcome in the latest round, "
                                        "0 for its other outcomes", labels=["runbook_id", "phase", "severity", "outcome"])
            took = GaugeMetricFamily("golive_check_duration_seconds", "How long the check took in the latest round",
                                     labels=["runbook_id", "phase"])
            for r in self.results:
                for name in OUTCOMES if r.outcome in OUTCOMES else (*OUTCOMES, r.outcome):
                    outcome.add_metric([r.id, r.phase, r.severity, name], 1.0 if r.outcome == name else 0.0)
                took.add_metric([r.id, r.phase], float(r.duration_s or 0))
            yield outcome
            yield took
            labels = [self.environment, self.selection]
            if self.decision is not None:
                verdict = GaugeMetricFamily("golive_verdict", "1 for golive's current decision, 0 for the others",
                                            labels=["environment", "selection", "decision"])
                for decision in persistence.DECISIONS:
                    verdict.add_metric([*labels, decision], 1.0 if decision == self.decision else 0.0)
                yield verdict
            if self.round_at is not None:
                stamp = GaugeMetricFamily("golive_round_timestamp_seconds", "When the latest round started (Unix time)",
                                          labels=["environment", "selection"])
                stamp.add_metric(labels, self.round_at)
                yield stamp
                rounds = GaugeMetricFamily("golive_rounds", "Rounds run so far", labels=["environment", "selection"])
                rounds.add_metric(labels, float(self.rounds))
                yield rounds

    def set(self, *, results, environment: str, selection: str, decision: str, round_at: float, rounds: int) -> None:
        with self.lock:
            self.results, self.environment, self.selection = list(results), environment, selection
            self.decision, self.round_at, self.rounds = decision, round_at, rounds


class Exporter:
    """The watch's metrics endpoint."""

    def __init__(self, port: int, address: str):
        self.state, self.registry = State(), CollectorRegistry()
        self.registry.register(self.state)
        self.server, self.thread = start_http_server(port, addr=address, registry=self.registry)
        self.port = self.server.server_port

    def update(self, watch, verdict: persistence.WatchVerdict) -> None:
        latest = watch.rounds[-1] if watch.rounds else None
        self.state.set(results=latest.run.results if latest else [], environment=watch.facts.get("environment", ""),
                       selection=watch.facts.get("selection", ""), decision=verdict.decision,
                       round_at=float(latest.record["at"]) if latest else 0.0, rounds=len(watch.rounds))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(port: int, address: str = "0.0.0.0") -> Exporter:
    return Exporter(port, address)


def push(run, gateway: str, job: str = "golive", timeout: float = 10) -> dict:
    """Push one run's metrics to a Pushgateway (a single run has no endpoint to scrape); the grouping key."""
    state, registry = State(), CollectorRegistry()
    registry.register(state)
    facts, verdict = run.facts, ((run.summary or {}).get("verdict") or {})
    started = facts.get("started_at") or _unix(facts.get("started"))
    state.set(results=run.results, environment=facts.get("environment", ""),
              selection=facts.get("selection_label", ""), decision=verdict.get("decision") or "NO-GO",
              round_at=started, rounds=1)
    key = {"environment": facts.get("environment", ""), "selection": facts.get("selection_label", "")}
    push_to_gateway(gateway, job=job, registry=registry, grouping_key=key, timeout=timeout)
    return key


def _unix(iso: str | None) -> float:
    from datetime import datetime

    if not iso:
        return 0.0
    try:
        return datetime.fromisoformat(str(iso).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
