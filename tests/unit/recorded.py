"""Recorded API answers (tests/data/probes/, see its README) and the one assertion every probe row makes."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "probes"
# The instant the answers were recorded: "now" for every age a probe computes.
NOW = datetime.fromisoformat((DATA / "RECORDED_AT").read_text().strip())
LATER = NOW + timedelta(hours=30)  # past every 26-hour freshness window golive.toml configures

PASS, FAIL, UNDECIDED = "pass", "fail", "undecided"
_OUTCOME = {PASS: (True, False), FAIL: (False, False), UNDECIDED: (False, True)}
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")


@cache
def _text(module: str, name: str) -> str:
    return (DATA / module / f"{name}.json").read_text()


def plain(module: str, name: str):
    """A recorded answer that is plain JSON (reach results, ScriptRuns, runbook lines). A fresh copy each call."""
    return json.loads(_text(module, name))


k8s = plain  # a Kubernetes answer is the API's JSON as it is, as the gatherer returns it


def aws(module: str, name: str):
    """A boto3 answer: as k8s(), with timestamps turned back into the aware datetimes boto3 returns."""
    return json.loads(_text(module, name), object_hook=_revive)


def _revive(obj: dict) -> dict:
    return {k: datetime.fromisoformat(v) if isinstance(v, str) and _TIMESTAMP.fullmatch(v) else v
            for k, v in obj.items()}


def row(id: str, change, outcome: str, fragment: str | tuple[str, ...]):
    """One table row: `change` mutates the recorded inputs in place; the finding must have `outcome` and its
    summary must contain `fragment` (which names the resource and the reason; a tuple: each of its parts,
    for sentences with a recorded value between them, such as a random port)."""
    return pytest.param(change, outcome, fragment, id=id)


def same(_inputs) -> None:
    """The recorded answer, unchanged."""


def assert_finding(finding, outcome: str, fragment: str | tuple[str, ...]) -> None:
    for part in (fragment,) if isinstance(fragment, str) else fragment:
        assert part in finding.summary, f"{part!r} not in {finding.summary!r}"
    assert (finding.ok, finding.undecided) == _OUTCOME[outcome], f"expected {outcome}: {finding.summary}"
    finding.as_evidence()  # the report can render it


def condition(obj: dict, kind: str, **fields) -> dict:
    """Set fields of status.conditions[type=kind] (added if absent); a field set to None is removed."""
    conditions = obj.setdefault("status", {}).setdefault("conditions", [])
    found = next((c for c in conditions if c.get("type") == kind), None)
    if found is None:
        found = {"type": kind}
        conditions.append(found)
    for key, value in fields.items():
        if value is None:
            found.pop(key, None)
        else:
            found[key] = value
    return obj


def drop_condition(obj: dict, kind: str) -> dict:
    status = obj.get("status") or {}
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != kind]
    return obj


def named(objects: list[dict], name: str) -> dict:
    return next(o for o in objects if o["metadata"]["name"] == name)
