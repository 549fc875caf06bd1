"""Every automated check can fail: each fault breaks the checks it names, with a clear message.

Faults are injected into the one running sandbox and healed afterwards; the registry in
sandbox/faults/ is the check -> fault table (`golive-sandbox faults` prints it).
"""
from __future__ import annotations

import pytest

from golive import coverage
from golive.check import AUTOMATED
from sandbox.faults import all_faults

from tests.harness import ROOT

FAULTS = all_faults()


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_breaks_its_checks(name, sandbox, run_checks):
    fault = FAULTS[name]
    bound = coverage.bound_tests(ROOT / "checks")
    mutating = any(bound[i][0].spec.mutating for i in fault.breaks if i in bound)
    try:
        fault.inject(sandbox)  # inside the try: a half-injected fault is healed too
        run = run_checks(*fault.breaks, extra=("--golive-mutating",) if mutating else ())
    finally:
        fault.heal(sandbox)
    missing = [i for i in fault.breaks if i not in run.results]
    assert not missing, f"{name}: these items did not run: {missing}"
    still_green = [i for i in fault.breaks if run[i].outcome == "passed"]
    assert not still_green, f"{name}: checks still passed under the fault: {still_green}"
    first = run[fault.breaks[0]]
    assert fault.expect.lower() in first.message.lower(), (
        f"{name}: {fault.breaks[0]} failed without saying {fault.expect!r}: {first.message}")
    # NO-GO when a critical/high check breaks; a fault of only medium/low checks gives GO WITH FINDINGS.
    blocking = any(bound[i][0].spec.impact.severity in ("critical", "high") for i in fault.breaks if i in bound)
    assert run.exit_code == (1 if blocking else 10)


def test_every_automated_check_has_a_fault():
    """A check that cannot fail is a defect: each automated item is broken by at least one fault."""
    bound = coverage.bound_tests(ROOT / "checks")
    automated = {item_id for item_id, tests in bound.items() if tests[0].spec.kind == AUTOMATED
                 and not tests[0].spec.mutating}
    broken = {item_id for f in FAULTS.values() for item_id in f.breaks}
    assert not sorted(automated - broken), f"automated checks no fault breaks: {sorted(automated - broken)}"


def test_faults_name_real_items():
    bound = coverage.bound_tests(ROOT / "checks")
    unknown = {(f.name, i) for f in FAULTS.values() for i in f.breaks if i not in bound}
    assert not unknown, f"faults name items with no check: {sorted(unknown)}"


def test_the_documented_fault_table_is_current():
    from sandbox.faults import table

    assert (ROOT / "docs" / "faults.md").read_text() == table(), "run: golive-sandbox faults --markdown > docs/faults.md"
