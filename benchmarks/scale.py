"""Print what golive's full non-mutating run costs at 1x and at scale (`golive-sandbox up --scale`).

    .venv/bin/python benchmarks/scale.py               # restarts the sandbox: down, up (1x), runs, scale, runs
    .venv/bin/python benchmarks/scale.py --repeat 5

For each size: the run's wall and CPU time (medians of --repeat runs, back to back, after --warmup
unmeasured ones), its peak RSS (the largest run), and how many distinct API calls it made; then how long seeding the scale took, and every item
whose outcome differs between the two sizes (there should be none). Figures only: nothing here
asserts on time. Run it in a network namespace of its own if other sandboxes share the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = [sys.executable, "-m", "sandbox"]


def full_run(reports: Path) -> dict:
    """One non-mutating run of every check: wall seconds, peak RSS, outcomes, distinct API calls."""
    argv = [sys.executable, "-m", "pytest", "checks", "-q", "-p", "no:cacheprovider", "--golive-env", "sandbox",
            "--golive-reports", str(reports)]
    with tempfile.TemporaryFile() as output:
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage: ru_maxrss is its peak RSS (KiB)
        wall = time.monotonic() - start
    lines = [json.loads(line) for line in (reports / "latest.jsonl").read_text().splitlines()]
    results = [line for line in lines if line.get("type") == "result"]
    calls = {(c[0], c[1]) for r in results for c in r.get("calls") or []}
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024, "exit": os.waitstatus_to_exitcode(status),
            "outcomes": {r["runbook_id"] or r["nodeid"]: r["outcome"] for r in results}, "calls": len(calls)}


def runs(label: str, repeat: int, warmup: int) -> list[dict]:
    for _ in range(warmup):  # the first run after a change compiles bytecode and warms the stand-ins' caches
        with tempfile.TemporaryDirectory() as reports:
            full_run(Path(reports))
    done = []
    for i in range(repeat):
        with tempfile.TemporaryDirectory() as reports:
            done.append(full_run(Path(reports)))
        print(f"  {label} run {i + 1}: {done[-1]['wall']:.1f} s ({done[-1]['cpu']:.1f} s CPU), "
              f"{done[-1]['rss_mb']:.1f} MB, exit {done[-1]['exit']}",
              flush=True)
    return done


def timed(argv: list[str]) -> tuple[float, str]:
    start = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True)
    return time.monotonic() - start, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1, help="runs at each size before those measured")
    args = parser.parse_args()
    subprocess.run(SANDBOX + ["down"], cwd=ROOT, capture_output=True, check=True)
    seconds, _ = timed(SANDBOX + ["up"])
    print(f"sandbox up (1x): {seconds:.1f} s", flush=True)
    one = runs("1x", args.repeat, args.warmup)
    seconds, said = timed(SANDBOX + ["up", "--scale"])
    print(f"scale seeding (up --scale on the running sandbox): {seconds:.1f} s")
    print("\n".join(f"  {line}" for line in said.splitlines() if line.startswith("scale:")), flush=True)
    big = runs("scale", args.repeat, args.warmup)

    print(f"\n{'size':<6} {'wall s (median)':>16} {'CPU s (median)':>15} {'peak RSS MB':>12} {'API calls':>10}  outcomes")
    for label, done in (("1x", one), ("scale", big)):
        counts: dict[str, int] = {}
        for outcome in done[-1]["outcomes"].values():
            counts[outcome] = counts.get(outcome, 0) + 1
        print(f"{label:<6} {statistics.median(r['wall'] for r in done):>16.1f} "
              f"{statistics.median(r['cpu'] for r in done):>15.1f} {max(r['rss_mb'] for r in done):>12.1f} "
              f"{done[-1]['calls']:>10}  {', '.join(f'{n} {o}' for o, n in sorted(counts.items()))}")
    ratio = statistics.median(r["wall"] for r in big) / statistics.median(r["wall"] for r in one)
    cpu = statistics.median(r["cpu"] for r in big) / statistics.median(r["cpu"] for r in one)
    print(f"scale / 1x: wall {ratio:.2f}x, CPU {cpu:.2f}x (CPU time of the run itself: steadier on a shared machine)")
    seen = {label: {} for label in ("1x", "scale")}
    for label, done in (("1x", one), ("scale", big)):
        for run in done:
            for item, outcome in run["outcomes"].items():
                seen[label].setdefault(item, set()).add(outcome)
    changed = sorted(item for item in seen["1x"].keys() | seen["scale"].keys()
                     if seen["1x"].get(item) != seen["scale"].get(item))
    print(f"items whose outcomes differ (across all runs): {len(changed)}")
    for item in changed:
        print(f"  {item}: {sorted(seen['1x'].get(item, ()))} at 1x, {sorted(seen['scale'].get(item, ()))} at scale")


if __name__ == "__main__":
    main()
