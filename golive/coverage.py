"""Runbook coverage: every leaf has exactly one test, and every test names a real leaf.

The mapping is read from the check functions themselves (their `@runbook` spec), so the
coverage matrix cannot drift from the code.
"""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

from golive import runbook as catalogue
from golive.check import Spec


@dataclass(frozen=True)
class Bound:
    spec: Spec
    test: str  # checks/test_x.py::test_name


@dataclass
class Coverage:
    runbook: catalogue.Runbook
    bound: dict[str, list[Bound]]

    @property
    def unmapped(self) -> list[catalogue.Item]:
        return [leaf for leaf in self.runbook.items if leaf.id not in self.bound]

    @property
    def unknown(self) -> list[Bound]:
        ids = self.runbook.by_id
        return [b for item_id, bs in self.bound.items() if item_id not in ids for b in bs]

    @property
    def duplicated(self) -> dict[str, list[Bound]]:
        return {item_id: bs for item_id, bs in self.bound.items() if len(bs) > 1}

    @property
    def misplaced(self) -> list[tuple[Bound, str]]:
        """Tests not where their ID says (checks/<phase>/<section file>::<item>): newcomers look there."""
        out = []
        for item_id, bs in self.bound.items():
            if item_id not in self.runbook.by_id:
                continue
            where = "::".join(catalogue.check_location(item_id))
            out += [(b, where) for b in bs if b.test != where]
        return out

    @property
    def ok(self) -> bool:
        return not (self.unmapped or self.unknown or self.duplicated or self.misplaced)

    def problems(self) -> list[str]:
        out = [f"no test for runbook item {leaf.id} (line {leaf.line}: {leaf.text!r})" for leaf in self.unmapped]
        out += [f"{b.test} names unknown runbook item {b.spec.item_id!r}" for b in self.unknown]
        out += [f"runbook item {item_id} has {len(bs)} tests: {', '.join(b.test for b in bs)}"
                for item_id, bs in self.duplicated.items()]
        out += [f"{b.test} signs off {b.spec.item_id}; move it to {where}" for b, where in self.misplaced]
        return out

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for leaf in self.runbook.items:
            for b in self.bound.get(leaf.id, [])[:1]:
                counts[b.spec.kind] = counts.get(b.spec.kind, 0) + 1
        return counts


def checks_folder() -> Path:
    """Where golive's checks are: this repository's checks/, or the installed `checks` package."""
    import checks

    return Path(checks.__file__).resolve().parent


def bound_tests(checks_dir: Path) -> dict[str, list[Bound]]:
    """Import every checks/**/test_*.py and read the runbook spec of each test function."""
    checks_dir = checks_dir.resolve()
    root = checks_dir.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    bound: dict[str, list[Bound]] = {}
    for path in sorted(checks_dir.rglob("test_*.py")):
        relative = path.relative_to(root)
        module = importlib.import_module(".".join(relative.with_suffix("").parts))
        for name, fn in vars(module).items():
            spec = getattr(fn, "golive_spec", None)
            # Count a function only in the module that defines it (summaries import others).
            if spec and name.startswith("test_") and getattr(fn, "__module__", "") == module.__name__:
                bound.setdefault(spec.item_id, []).append(Bound(spec, f"{relative.as_posix()}::{name}"))
    return bound


def coverage(checks_dir: Path, runbook_path: Path | None = None) -> Coverage:
    return Coverage(catalogue.load(runbook_path), bound_tests(checks_dir))
