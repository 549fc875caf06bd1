"""Recorded API answers for the probe unit tests (tests/data/probes/, see its READMEs), variants of them,
and the one assertion every table row makes.

    base = load("application", "deployment")           # tests/data/probes/application/deployment.json
    derive(base, {"status.readyReplicas": 2,            # dotted path; a list index is a number,
                  "status.conditions[type=Available].status": "False",   # [key=value] picks a list item
                  ("metadata", "labels", "app.kubernetes.io/name"): DROP})  # a tuple path for keys with dots
    verdict(probe(variant), FAIL, "2 of 3 pods")        # outcome, and what the sentence must say

Every load is a fresh copy and every variant a deep copy: a row never changes what another row starts from.
"""
from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from golive.check import Finding

DATA = Path(__file__).resolve().parents[1] / "data" / "probes"


def recorded_at(module: str = "") -> datetime:
    """When a folder's answers were recorded (its RECORDED_AT, else the top one): "now" for every age a probe computes."""
    folder = DATA / module
    return datetime.fromisoformat(((folder if (folder / "RECORDED_AT").is_file() else DATA) / "RECORDED_AT")
                                  .read_text().strip())


NOW = recorded_at()
LATER = NOW + timedelta(hours=30)  # past every 26-hour freshness window golive.toml configures

PASS, FAIL, UNDECIDED = "pass", "fail", "undecided"
DROP = object()  # derive(): remove the key at this path
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")


@cache
def _text(module: str, name: str) -> str:
    return (DATA / module / f"{name}.json").read_text()


def load(module: str, name: str):
    """A recorded answer that is plain JSON (a Kubernetes object as the API returns it, a Prometheus answer)."""
    return json.loads(_text(module, name))


k8s = plain = load


def aws(module: str, name: str):
    """A boto3 answer: as load(), with timestamps turned back into the aware datetimes boto3 returns."""
    return json.loads(_text(module, name), object_hook=_revive)


def _revive(obj: dict) -> dict:
    return {k: datetime.fromisoformat(v) if isinstance(v, str) and _TIMESTAMP.fullmatch(v) else v
            for k, v in obj.items()}


def prometheus_result(module: str, name: str) -> list[dict]:
    """data.result of a recorded /api/v1/query(_range) answer: what prometheus-api-client returns."""
    return load(module, name)["data"]["result"]


# --- variants ---------------------------------------------------------------------------------


def _steps(path) -> list[str]:
    return list(path) if isinstance(path, tuple) else re.findall(r"\[[^\]]*\]|[^.\[\]]+", path)


def _field(item, dotted: str):
    for key in dotted.split("."):
        item = item.get(key) if isinstance(item, dict) else None
    return item


def _child(node, step: str, create: bool):
    if step.startswith("["):  # [key=value], key may be dotted: [labels.severity=critical]
        key, _, value = step[1:-1].partition("=")
        found = [item for item in node if str(_field(item, key)) == value]
        if not found:
            raise LookupError(f"no list item with {key}={value}")
        return found[0]
    if isinstance(node, list):
        return node[int(step)]
    return node.setdefault(step, {}) if create else node[step]


def derive(base, changes: dict | None = None, edit=None):
    """A deep copy of `base` with `changes` (path -> value, DROP removes) applied, then `edit(copy)` if given."""
    obj = copy.deepcopy(base)
    for path, value in (changes or {}).items():
        *parents, last = _steps(path)
        node = obj
        for step in parents:
            node = _child(node, step, create=True)
        if last.startswith("["):  # replace (or drop) the selected list item itself
            last = str(node.index(_child(node, last, create=False)))
        if isinstance(node, list):
            last = int(last)
        if value is DROP:
            del node[last]
        else:
            node[last] = value
    if edit:
        edit(obj)
    return obj


def same(_inputs) -> None:
    """The recorded answer, unchanged."""


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


# --- the table row and its one assertion --------------------------------------------------------


def row(id: str, *values):
    """One table row: pytest.param with its id first, so a table reads id -> input -> verdict."""
    return pytest.param(*values, id=id)


def outcome(finding: Finding) -> str:
    return UNDECIDED if finding.undecided else PASS if finding.ok else FAIL


def verdict(finding: Finding, expected: str, fragments) -> None:
    """The finding's outcome is `expected` and its sentence says each of `fragments` (a str or a tuple:
    each part, for sentences with a recorded value between them); the report can render its evidence."""
    assert isinstance(finding, Finding), finding
    assert outcome(finding) == expected, f"expected {expected}, got {outcome(finding)}: {finding.summary}"
    wanted = (fragments,) if isinstance(fragments, str) else fragments
    missing = [text for text in wanted if text not in finding.summary]
    assert not missing, f"{missing} not in the summary {finding.summary!r}"
    finding.as_evidence()
