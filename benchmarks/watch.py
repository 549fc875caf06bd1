"""Print what a `golive watch` round costs against the running sandbox: seconds per round (a fresh pytest
process: start-up, preflight, the checks), the checks' own share, and the watch's stream and page sizes.

    .venv/bin/python benchmarks/watch.py                  # 3 rounds of t_plus_1h, back to back
    .venv/bin/python benchmarks/watch.py -m t_plus_15 -n 5

Figures only: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from golive import persistence  # noqa: E402
from golive import watch as watching  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", dest="marker", default="t_plus_1h")
    parser.add_argument("-n", dest="rounds", type=int, default=3)
    args = parser.parse_args()

    def stop_after(number: int) -> None:
        if number > args.rounds:
            raise KeyboardInterrupt

    with tempfile.TemporaryDirectory() as folder:
        opts = watching.Options(marker=args.marker, environment="sandbox", every_s=0.1, for_s=3600,
                                policy=persistence.Policy(), reports=Path(folder), before_round=stop_after,
                                echo=lambda line: None)
        start = time.monotonic()
        code = watching.run(opts)
        total = time.monotonic() - start
        w = watching.load(opts.written["stream"])
        rounds = [r.record["seconds"] for r in w.rounds]
        checks = [sum(x.duration_s for x in r.run.results) for r in w.rounds]
        print(f"{args.marker}: {len(rounds)} rounds in {total:.1f} s (exit {code}); per round: median "
              f"{statistics.median(rounds):.1f} s, min {min(rounds):.1f} s, max {max(rounds):.1f} s; the checks "
              f"themselves {statistics.median(checks):.1f} s of it ({len(w.rounds[0].run.results)} checks)")
        print(f"stream {opts.written['stream'].stat().st_size / 1e3:.0f} kB "
              f"({opts.written['stream'].stat().st_size / len(rounds) / 1e3:.0f} kB a round), "
              f"page {opts.written['page'].stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
