"""Faults the sandbox can suffer, each injected and healed through the stand-ins' public APIs.

A fault names the runbook items that must fail while it is in place and words their failure
messages must contain, so the self-tests prove that every automated check can fail, and fails
in terms an on-call engineer understands. Heal is stateless (it restores the seeded state), so
`golive sandbox fault NAME` and `golive sandbox heal NAME` can run in different processes.
Modules in this package register faults by area.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from sandbox.control import Sandbox


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    breaks: tuple[str, ...]  # runbook item IDs whose checks must fail while injected
    expect: str  # words the first broken item's failure message must contain (case-insensitive)
    inject: Callable[[Sandbox], None]
    heal: Callable[[Sandbox], None]


REGISTRY: dict[str, Fault] = {}


def register(*faults: Fault) -> None:
    for f in faults:
        if f.name in REGISTRY:
            raise ValueError(f"fault {f.name!r} registered twice")
        REGISTRY[f.name] = f


def all_faults() -> dict[str, Fault]:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(REGISTRY.items()))
