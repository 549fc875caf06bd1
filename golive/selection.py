"""Which check modules a run's selection can reach, known from the runbook catalogue before importing any.

A check lives where its runbook ID says (`golive.runbook.check_location`; the coverage self-test moves every
misplaced one) and carries its line's phase markers from the catalogue (the plugin adds them at collection),
so `-m smoke` or `--golive-item t-2h/` names its modules without importing the other sixty: pytest collects
only those, then selects from them exactly as it would from everything (its own `-m` and golive's
`--golive-item`). Markers the catalogue does not know (areas, `manual`, `mutating`, parametrize...) may be
either way: a module is left out only when no value of them lets one of its lines match. Selections that
cannot be decided so (`-k`, node IDs or files as arguments, `--lf`, `--sw`, `--pyargs`, or an expression an
item outside the catalogue could match) collect everything, as `--golive-collect-all` does; so does a run whose
checks hold a module that cannot be imported or a check not where its ID says (the plugin reads each check's
binding first, as golive.coverage keeps it for the same files): pytest names them as it always has.
"""
from __future__ import annotations

from pathlib import Path

from golive import runbook as catalogue

PHASES = frozenset(name for name, _ in catalogue.PHASE_MARKERS)


def satisfiable(expression, markers: frozenset[str]) -> bool:
    """Can an item whose phase markers are exactly `markers` match `expression` (a compiled `-m` expression)?

    Phase markers are known (the catalogue adds them without arguments); any other marker, with each set of
    arguments it is asked with, may be present or not: the search tries both wherever the answer depends on it.
    """
    def holds(fixed: dict) -> bool:
        unfixed: list = []

        def matcher(name: str, /, **kwargs) -> bool:
            if name in PHASES:
                return not kwargs and name in markers
            var = (name, tuple(sorted(kwargs.items())))
            if var in fixed:
                return fixed[var]
            unfixed.append(var)
            return False

        if expression.evaluate(matcher):
            return True
        if not unfixed:
            return False
        var = unfixed[0]
        return holds({**fixed, var: True}) or holds({**fixed, var: False})

    return holds({})


def _where(parts: list[str]) -> str:
    """The checks/ folder of an ID's leading parts: ["t-2h", "final-infrastructure-check"] ->
    checks/t_minus_2h/final_infrastructure_check."""
    return "/".join(["checks", catalogue.FOLDERS[parts[0]], *(p.replace("-", "_") for p in parts[1:])])


def reachable(book: catalogue.Runbook, markexpr: str, wanted: list[str]) -> set[str] | None:
    """The paths (checks/... files, or folders ending in '/', each with everything under it) that can hold a
    selected check; None when that cannot be said without importing them."""
    from _pytest.mark.expression import Expression

    try:
        expression = Expression.compile(markexpr) if markexpr else None
    except SyntaxError:
        return None  # pytest's own -m says what is wrong with it
    fits: dict[tuple[str, ...], bool] = {}

    def selects(markers: tuple[str, ...]) -> bool:
        if expression is None:
            return True
        if markers not in fits:
            fits[markers] = satisfiable(expression, frozenset(markers))
        return fits[markers]

    def asked(item_id: str) -> bool:
        return not wanted or any(item_id == w or (w.endswith("/") and item_id.startswith(w)) for w in wanted)

    paths = {catalogue.check_location(leaf.id)[0] for leaf in book.items if asked(leaf.id) and selects(leaf.markers)}
    if not selects(()):
        return paths  # a check whose ID is not in this catalogue gets no phase marker: never selected
    if not wanted:
        return None
    # A check the catalogue does not list may still be asked for by ID: where its ID says it lives.
    try:
        for w in wanted:
            parts = w.rstrip("/").split("/")
            if not w.endswith("/"):
                paths.add(catalogue.check_location(w)[0])
                continue
            paths.add(_where(parts) + "/")  # deeper IDs: under the folder the prefix names
            if len(parts) > 1:  # one part more: the section file
                paths.add(_where(parts[:-1]) + f"/test_{parts[-1].replace('-', '_')}.py")
    except (KeyError, IndexError):
        return None  # not a runbook ID: --golive-item selects nothing from it, as before
    return paths


def narrowed(config, book: catalogue.Runbook, checks: Path) -> set[str] | None:
    """`reachable` for this run's options; None (collect everything) unless the selection is only `-m` and
    `--golive-item` over folders, the checks folder among them (or in one)."""
    opt, here = config.option, Path(config.invocation_params.dir)
    wanted = config.getoption("--golive-item")
    if config.getoption("--golive-collect-all") or not (opt.markexpr or wanted):
        return None
    if opt.keyword or opt.pyargs or any(getattr(opt, name, False) for name in ("lf", "stepwise", "stepwise_skip")):
        return None
    folders = [(here / arg).resolve() for arg in config.args]
    if any("::" in arg for arg in config.args) or not all(folder.is_dir() for folder in folders):
        return None
    if not any(folder == checks or folder in checks.parents or checks in folder.parents for folder in folders):
        return None  # golive's own tests, the team's: no check module to leave out
    return reachable(book, opt.markexpr, wanted)


def reached(relative: str, paths: set[str]) -> bool:
    """Is the test module `relative` (checks/...py) one of `paths`, or under one of their folders?"""
    return relative in paths or any(p.endswith("/") and relative.startswith(p) for p in paths)


def ignored(path: Path, checks: Path, paths: set[str]) -> bool:
    """Is `path` (a folder or test module under the checks folder) outside every reachable path?"""
    if path == checks or checks not in path.parents:
        return False  # not a check: golive's own tests, the team's
    relative = "checks/" + path.relative_to(checks).as_posix()
    if path.is_dir():
        folder = relative.rstrip("/") + "/"
        return not any(p.startswith(folder) or folder.startswith(p) for p in paths)
    if not (path.name.startswith("test_") and path.suffix == ".py"):
        return False
    return not reached(relative, paths)


def misplaced(bound: dict, paths: set[str]) -> list[str]:
    """Checks a full collection would reach and `paths` do not: each lives elsewhere than its ID says (the
    coverage self-test keeps them from existing; a changed copy of the checks may not)."""
    out = []
    for item_id, tests in bound.items():
        try:
            where = catalogue.check_location(item_id)[0]
        except (KeyError, IndexError):
            continue  # not a runbook ID: no selection by marker or ID reaches it (selects(()) decides)
        out += [f"{b.test} signs off {item_id} but is not in {where}, where a selection looks for it"
                for b in tests if reached(where, paths) and not reached(b.test.split("::")[0], paths)]
    return out
