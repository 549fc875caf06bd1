"""pytest plugin: options, markers, configuration, the runbook spine and per-test evidence.

Loaded from the root conftest. Inert for runs that select no runbook item (the self-tests),
except that `--golive-env` is validated whenever it is given.
"""
from __future__ import annotations

import json
import os

import pytest

from golive import config as configuration
from golive import runbook as catalogue
from golive.check import AREAS, EVIDENCE, RESULTS, AttestationMissing, Undecidable

ENV_KEY = pytest.StashKey[configuration.Environment]()
RUNBOOK_KEY = pytest.StashKey[catalogue.Runbook]()
EVIDENCE_KEY = pytest.StashKey[list]()
RESULTS_TOKEN = pytest.StashKey[object]()


def pytest_addoption(parser):
    group = parser.getgroup("golive", "golive go-live validation")
    group.addoption("--golive-env", default=None, help="environment from golive.toml (or GOLIVE_ENV)")
    group.addoption("--golive-config", default=None, help="configuration file (default golive.toml, or GOLIVE_CONFIG)")
    group.addoption("--golive-item", action="append", default=[], metavar="ID",
                    help="run only these runbook items (exact ID, or a prefix ending in '/'); repeatable")
    group.addoption("--golive-mutating", action="store_true",
                    help="also run checks that change the target (test alerts, dry-run deploys)")


def pytest_configure(config):
    for name, text in catalogue.PHASE_MARKERS:
        config.addinivalue_line("markers", f"{name}: runbook phase {text}")
    for area in AREAS:
        config.addinivalue_line("markers", f"{area}: runbook area {area}")
    config.addinivalue_line("markers", "runbook(id): the runbook leaf this test signs off")
    config.addinivalue_line("markers", "mutating: changes the target; runs only with --golive-mutating")
    env_name = config.getoption("--golive-env") or os.environ.get("GOLIVE_ENV")
    if env_name:
        config.stash[ENV_KEY] = _load_env(config, env_name)


def _load_env(config, env_name):
    try:
        return configuration.load(env_name, config.getoption("--golive-config"))
    except configuration.ConfigError as exc:
        raise pytest.UsageError(f"golive: {exc}") from None


def environment(config) -> configuration.Environment:
    if ENV_KEY not in config.stash:
        # Only reached when runbook items were collected: the run needs a target.
        config.stash[ENV_KEY] = _load_env(config, None)
    return config.stash[ENV_KEY]


def book(config) -> catalogue.Runbook:
    if RUNBOOK_KEY not in config.stash:
        env = config.stash.get(ENV_KEY, None)
        path = env.path(env.runbook) if env and env.runbook else None
        config.stash[RUNBOOK_KEY] = catalogue.load(path)
    return config.stash[RUNBOOK_KEY]


def item_id(item) -> str | None:
    mark = item.get_closest_marker("runbook")
    return mark.args[0] if mark else None


def spec(item):
    mark = item.get_closest_marker("runbook")
    return mark.kwargs.get("spec") if mark else None


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector, name, obj):
    # Success criteria import the checks they summarise; collect each check only where it is defined.
    spec_ = getattr(obj, "golive_spec", None)
    if spec_ is not None and getattr(obj, "__module__", None) != collector.obj.__name__:
        return []
    return None


def pytest_collection_modifyitems(session, config, items):
    bound = [item for item in items if item_id(item)]
    if not bound:
        return
    runbook = book(config)
    # Phase markers come from the catalogue: one source of truth for what belongs to which phase.
    for item in bound:
        leaf = runbook.by_id.get(item_id(item))
        if leaf:
            for marker in leaf.markers:
                item.add_marker(marker)
    wanted = config.getoption("--golive-item")
    if wanted:
        keep = [i for i in items if item_id(i) and any(
            item_id(i) == w or (w.endswith("/") and item_id(i).startswith(w)) for w in wanted)]
        deselected = [i for i in items if i not in keep]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
        items[:] = keep
    if not config.getoption("--golive-mutating"):
        mutating = [i for i in items if i.get_closest_marker("mutating")]
        if mutating:
            config.hook.pytest_deselected(items=mutating)
            items[:] = [i for i in items if not i.get_closest_marker("mutating")]
    # Runbook order, so a phase reads top to bottom like the runbook.
    order = {leaf.id: leaf.order for leaf in runbook.items}
    items.sort(key=lambda i: order.get(item_id(i) or "", 10**6))


def pytest_collection_finish(session):
    if any(item_id(i) for i in session.items):
        environment(session.config)  # fail fast, before any test, on a missing environment


def pytest_sessionstart(session):
    session.config.stash[RESULTS_TOKEN] = RESULTS.set({})


def pytest_sessionfinish(session):
    token = session.config.stash.get(RESULTS_TOKEN, None)
    if token is not None:
        RESULTS.reset(token)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    token = EVIDENCE.set([])
    try:
        return (yield)
    finally:
        item.stash[EVIDENCE_KEY] = EVIDENCE.get()
        EVIDENCE.reset(token)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    rid = item_id(item)
    if rid is None:
        return report
    s = spec(item)
    outcome = report.outcome
    if call.excinfo is not None and report.when == "call":
        if call.excinfo.errisinstance(Undecidable):
            outcome = "error"
        elif call.excinfo.errisinstance(AttestationMissing):
            outcome = "attestation missing"
    elif report.failed and report.when != "call":
        outcome = "error"
    leaf = book(item.config).by_id.get(rid)
    props = {
        "runbook_id": rid,
        "phase": leaf.phase if leaf else "",
        "section": leaf.section if leaf else "",
        "text": leaf.text if leaf else "",
        "order": leaf.order if leaf else 10**6,
        "kind": s.kind if s else "",
        "impact": s.impact.value if s else "",
        "severity": s.impact.severity if s else "",
        "role": s.role if s else None,
        "outcome": outcome,
    }
    # A success criterion fails as badly as the worst item it summarises (CheckFailed.severity).
    override = getattr(call.excinfo.value, "severity", None) if call.excinfo is not None else None
    if override and report.when == "call":
        props["severity"] = override
    # A fresh list per report: pytest shares item.user_properties between setup, call and teardown.
    report.user_properties = [p for p in report.user_properties if not p[0].startswith("golive")]
    report.user_properties.append(("golive", json.dumps(props)))
    if report.when == "call":
        report.user_properties.append(("golive_evidence", json.dumps(item.stash.get(EVIDENCE_KEY, []), default=str)))
    return report
