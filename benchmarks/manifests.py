"""Print how long a manifest-mode run takes (no cluster, no sandbox), and which checks it decides.

    .venv/bin/python benchmarks/manifests.py                # -m t_minus_24 over tests/data/manifests/healthy
    .venv/bin/python benchmarks/manifests.py -m ""          # every phase

The healthy manifest set, the monitoring stack's Helm values and the ESO role's Terraform plan from tests/data,
as a team would pass them. Figures only: nothing here asserts on time.
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
sys.path.insert(0, str(ROOT))

from tests.test_manifests import healthy_documents, write_set  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", default="t_minus_24", help="phase marker ('' for every phase)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        k8s = write_set(Path(tmp) / "k8s", healthy_documents())
        reports = Path(tmp) / "reports"
        argv = [str(ROOT / ".venv" / "bin" / "pytest"), "checks", "-q", "-p", "no:cacheprovider",
                "--golive-env", "production", "--golive-reports", str(reports), "--golive-manifests", str(k8s),
                "--golive-helm-values", str(ROOT / "tests" / "data" / "helm" / "healthy"),
                "--golive-iam-policies", str(ROOT / "tests" / "data" / "iam" / "healthy")]
        argv += ["-m", args.m] if args.m else []
        env = {**os.environ, "PYTHONPATH": str(ROOT), "GOLIVE_SANDBOX_DIR": str(Path(tmp) / "no-sandbox")}
        seconds = []
        for _ in range(args.runs):
            start = time.monotonic()
            subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
            seconds.append(time.monotonic() - start)
        stream = sorted(reports.glob("production_*.jsonl"))[-1]
        lines = [json.loads(line) for line in stream.read_text().splitlines()]
    results = [x for x in lines if x["type"] == "result"]
    summary = lines[-1]
    print(f"manifest run ({'-m ' + args.m if args.m else 'every phase'}): median {statistics.median(seconds):.2f} s "
          f"wall over {args.runs} runs (pytest start included), tests {summary['duration_s']:.2f} s")
    print(f"verdict: {summary['verdict']['decision']}: {summary['verdict']['reason']}")
    for outcome in sorted({r["outcome"] for r in results}):
        ids = [r["runbook_id"] for r in results if r["outcome"] == outcome]
        print(f"\n{outcome} ({len(ids)}):")
        for item in ids:
            print(f"  {item}")


if __name__ == "__main__":
    main()
