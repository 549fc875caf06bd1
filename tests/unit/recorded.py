"""Recorded API answers for the probe unit tests, and variants derived from them.

    base = load("application", "deployment")           # tests/data/probes/application/deployment.json
    derive(base, {"status.readyReplicas": 2,            # dotted path; a list index is a number,
                  "status.conditions[type=Available].status": "False",   # [key=value] picks a list item
                  ("metadata", "labels", "app.kubernetes.io/name"): DROP})  # a tuple path for keys with dots

Each variant is a deep copy: a row never changes the base another row starts from.
"""
from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import pytest

from golive.check import Finding

DATA = Path(__file__).resolve().parent.parent / "data" / "probes"
# The moment the answers were recorded: probes that compare with "now" are given this one.
NOW = datetime(2026, 12, 1, 9, 57, 10, tzinfo=timezone.utc)

PASS, FAIL, UNDECIDED = "pass", "fail", "undecided"
DROP = object()  # derive(): remove the key at this path


@lru_cache(maxsize=None)
def _read(module: str, name: str):
    return json.loads((DATA / module / f"{name}.json").read_text())


def load(module: str, name: str):
    """A fresh copy of a recorded answer (callers may change it)."""
    return copy.deepcopy(_read(module, name))


def prometheus_result(module: str, name: str) -> list[dict]:
    """data.result of a recorded /api/v1/query(_range) answer: what prometheus-api-client returns."""
    return load(module, name)["data"]["result"]


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


def row(id: str, *values):
    """One table row: pytest.param with its id first, so a table reads id -> input -> verdict."""
    return pytest.param(*values, id=id)


def outcome(finding: Finding) -> str:
    return UNDECIDED if finding.undecided else PASS if finding.ok else FAIL


def verdict(finding: Finding, expected: str, fragments) -> None:
    """The finding's outcome is `expected` and its sentence says each of `fragments` (a str or a tuple)."""
    assert isinstance(finding, Finding), finding
    assert outcome(finding) == expected, f"expected {expected}, got {outcome(finding)}: {finding.summary}"
    wanted = (fragments,) if isinstance(fragments, str) else fragments
    missing = [text for text in wanted if text not in finding.summary]
    assert not missing, f"{missing} not in the summary {finding.summary!r}"
