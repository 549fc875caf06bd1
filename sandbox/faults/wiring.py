"""Wiring faults: the defects of tests/data/manifests/variants/, each applied to the sandbox's Kubernetes API.

The same variant file proves a wiring check twice: in manifest mode against the healthy manifest set
(tests/test_manifests.py) and here, live, through the emulator's public API (a JSON patch or a delete of the
seeded object). Healed by restoring the seeded objects.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from sandbox import stack
from sandbox.faults import Fault, register

VARIANTS = Path(stack.ROOT) / "tests" / "data" / "manifests" / "variants"


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    breaks: tuple[str, ...]
    expect: str
    changes: tuple[dict, ...]


def variants() -> dict[str, Variant]:
    """Every variant file, by name (the file's stem)."""
    found = {}
    for path in sorted(VARIANTS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        found[path.stem] = Variant(path.stem, doc["description"], tuple(doc["breaks"]), doc["expect"],
                                   tuple(doc["changes"]))
    return found


def _where(sb, change) -> tuple[str, str, str]:
    """The object a change names, in the sandbox environment's namespaces (the variant files spell the seed's)."""
    from sandbox import seed_kube

    namespace = change.get("namespace", seed_kube.SPELLED["app_namespace"])
    return change["kind"], change["name"], seed_kube.renames(sb.config).get(namespace, namespace)


def _inject(variant: Variant):
    def apply(sb):
        for change in variant.changes:
            where = _where(sb, change)
            if change.get("delete"):
                sb.kube.delete(*where)
            else:
                sb.kube.json_patch(*where, operations=change["patch"])
    return apply


def _heal(variant: Variant):
    def apply(sb):
        for change in variant.changes:
            sb.kube.restore(*_where(sb, change))
    return apply


def _literal(text: str) -> str:
    """A variant's words as a template that names nothing (they spell the seed's names themselves)."""
    return text.replace("{", "{{").replace("}", "}}")


register(*(Fault(v.name, _literal(v.description), breaks=v.breaks, expect=_literal(v.expect), inject=_inject(v),
                 heal=_heal(v)) for v in variants().values()))
