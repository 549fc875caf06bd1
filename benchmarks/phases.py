"""Print how long each runbook phase takes against the running sandbox, and a cold sandbox start.

    .venv/bin/python benchmarks/phases.py            # phases only (sandbox must be up)
    .venv/bin/python benchmarks/phases.py --cold     # also: sandbox down, up (cold), and the fault registry

Figures only: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from golive import runbook  # noqa: E402


def timed(argv: list[str]) -> tuple[float, str]:
    start = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    return time.monotonic() - start, (done.stdout.strip().splitlines() or [""])[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", action="store_true", help="restart the sandbox and time a cold start")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sandbox = [sys.executable, "-m", "sandbox"]
    if args.cold:
        subprocess.run(sandbox + ["down"], cwd=ROOT, capture_output=True)
        seconds, line = timed(sandbox + ["up"])
        print(f"sandbox up (cold): {seconds:.1f} s  [{line}]")
    print(f"{'phase marker':<24} {'median s':>9}  last line of pytest")
    for marker, title in runbook.PHASE_MARKERS:
        runs = [timed([sys.executable, "-m", "pytest", "checks", "-q", "-p", "no:cacheprovider", "-m", marker,
                       "--golive-env", "sandbox", "--golive-reports", "none"]) for _ in range(args.repeat)]
        print(f"{marker:<24} {statistics.median(s for s, _ in runs):>9.2f}  {runs[-1][1]}")


if __name__ == "__main__":
    main()
