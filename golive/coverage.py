"""Runbook coverage: every leaf has exactly one test, and every test names a real leaf.

The mapping is read from the check functions themselves (their `@runbook` spec), so the
coverage matrix cannot drift from the code.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from golive import runbook as catalogue
from golive import check
from golive.check import Spec
from golive.outcomes import Impact


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


def bound_tests(checks_dir: Path, *, broken: list[str] | None = None) -> dict[str, list[Bound]]:
    """Import every checks/**/test_*.py and read the runbook spec of each test function.

    `broken`: a module that cannot be imported is named there (`checks/x/test_y.py: ImportError: ...`) and the
    others are read; without it, the error is raised."""
    checks_dir = checks_dir.resolve()
    root = checks_dir.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    bound: dict[str, list[Bound]] = {}
    for path in sorted(checks_dir.rglob("test_*.py")):
        relative = path.relative_to(root)
        try:
            module = importlib.import_module(".".join(relative.with_suffix("").parts))
        except Exception as exc:
            if broken is None:
                raise
            broken.append(f"{relative.as_posix()}: {type(exc).__name__}: {exc}")
            continue
        for name, fn in vars(module).items():
            spec = getattr(fn, "golive_spec", None)
            # Count a function only in the module that defines it (summaries import others).
            if spec and name.startswith("test_") and getattr(fn, "__module__", "") == module.__name__:
                bound.setdefault(spec.item_id, []).append(Bound(spec, f"{relative.as_posix()}::{name}"))
    return bound


def kept_bound_tests(checks_dir: Path, *, broken: list[str] | None = None) -> dict[str, list[Bound]]:
    """`bound_tests`, kept between runs in a private per-user temporary folder, keyed by the size and time of
    every file under the checks folder and golive's own packages: a run that imports only the modules
    its selection needs (golive/selection.py) does not import the others just to count them. A cache that
    cannot be read or written is no cache; nor is a scan that met a broken module (`broken` as in bound_tests)."""
    checks_dir = checks_dir.resolve()
    import fixtures

    # The checks and what they import of golive's own: a module broken by a change there is read, and named.
    folders = (checks_dir, Path(check.__file__).parent, Path(fixtures.__file__).parent)
    stats = sorted((entry.path, entry.stat().st_mtime_ns, entry.stat().st_size) for folder in folders
                   for entry in _python_files(str(folder)))
    stamp = hashlib.sha256(repr([sys.implementation.cache_tag, pytest.__version__, *stats]).encode()).hexdigest()[:32]
    folder = _private_folder()  # one file per checks folder, its stamp inside: replaced when the files change
    kept = folder / f"coverage-{hashlib.sha256(str(checks_dir).encode()).hexdigest()[:16]}.json" if folder else None
    if kept is not None and kept.is_file():
        try:
            saved = json.loads(kept.read_text())
            if saved["stamp"] == stamp:
                return {item: [Bound(Spec(**{**spec, "impact": Impact(spec["impact"])}), test) for spec, test in bs]
                        for item, bs in saved["bound"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass  # unreadable or from another shape of Spec: read them again
    found: list[str] = []
    bound = bound_tests(checks_dir, broken=found if broken is not None else None)
    if broken is not None:
        broken += found
    if kept is not None and not found:
        rows = {item: [(dataclasses.asdict(b.spec), b.test) for b in bs] for item, bs in bound.items()}
        partial = kept.with_suffix(f".{os.getpid()}")
        try:
            partial.write_text(json.dumps({"stamp": stamp, "bound": rows}))
            os.replace(partial, kept)  # whole or not at all, whoever reads it meanwhile
        except OSError:
            pass
    return bound


def _python_files(folder: str):
    for entry in os.scandir(folder):
        if entry.is_dir() and entry.name != "__pycache__":
            yield from _python_files(entry.path)
        elif entry.name.endswith(".py"):
            yield entry


def _private_folder() -> Path | None:
    """golive's folder in the temporary directory, this user's alone (None when it is not or cannot be)."""
    folder = Path(tempfile.gettempdir()) / f"golive-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        stat = folder.lstat()
    except OSError:
        return None
    mine = stat.st_uid == os.getuid() and not stat.st_mode & 0o077 and folder.is_dir() and not folder.is_symlink()
    return folder if mine else None


def coverage(checks_dir: Path, runbook_path: Path | None = None) -> Coverage:
    return Coverage(catalogue.load(runbook_path), bound_tests(checks_dir))
