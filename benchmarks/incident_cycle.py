"""Print how long a full incident cycle takes on the running sandbox: a crash-looping pod's smoke NO-GO, `golive
incident --golive-mutating` (messages and PagerDuty trigger to the webhook sink), healing, `golive incident verify
--golive-mutating` until green (page resolved).

    .venv/bin/python benchmarks/incident_cycle.py [--repeat 3]     # the sandbox must be up

Figures only: nothing here asserts on time. Reports go to a temporary folder.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.control import Sandbox  # noqa: E402
from sandbox.faults import all_faults  # noqa: E402


def timed(argv: list[str], env: dict) -> tuple[float, int, str]:
    start = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env)
    return time.monotonic() - start, done.returncode, (done.stdout.strip().splitlines() or [""])[-1][:100]


def cycle(sandbox: Sandbox, env: dict) -> dict[str, float]:
    fault = all_faults()["pod-crash-looping"]
    with tempfile.TemporaryDirectory(prefix="golive-incident-") as folder:
        golive = [sys.executable, "-m", "golive.cli"]
        steps: dict[str, float] = {}
        fault.inject(sandbox)
        try:
            steps["smoke (NO-GO)"], code, _ = timed([sys.executable, "-m", "pytest", "checks", "-q", "-p",
                                                     "no:cacheprovider", "-m", "smoke", "--golive-env", "sandbox",
                                                     "--golive-reports", folder], env)
            assert code == 1, f"smoke exited {code}, expected NO-GO (1)"
            steps["golive incident"], code, line = timed([*golive, "incident", "--reports", folder,
                                                          "--golive-mutating"], env)
            assert code == 0, line
        finally:
            start = time.monotonic()
            fault.heal(sandbox)
            steps["heal"] = time.monotonic() - start
        steps["golive incident verify"], code, line = timed([*golive, "incident", "verify", "--reports", folder,
                                                             "--golive-mutating"], env)
        assert code == 0, line
        steps["total"] = sum(steps.values())
        return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sandbox = Sandbox()
    sink = f"http://{sandbox.host}:{sandbox.ports['webhook']}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GOLIVE_SLACK_WEBHOOK_URL": f"{sink}/golive-slack",
           "GOLIVE_PAGERDUTY_ROUTING_KEY": "benchmark-routing-key"}
    runs = [cycle(sandbox, env) for _ in range(args.repeat)]
    print(f"{'step':<26} {'median s':>9} {'min s':>7} {'max s':>7}   ({args.repeat} cycles)")
    for step in runs[0]:
        values = [r[step] for r in runs]
        print(f"{step:<26} {statistics.median(values):>9.1f} {min(values):>7.1f} {max(values):>7.1f}")


if __name__ == "__main__":
    main()
