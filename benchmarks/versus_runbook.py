"""Print, in one run, golive against the runbook's own commands on the running sandbox (issue 12's figures):

1. the smoke phase and the T-2h phase as ratios of the wall time of the runbook's literal T-2h commands
   (kubectl cluster-info, kubectl get nodes, aws eks describe-cluster, aws secretsmanager list-secrets,
   curl /health), run one after another as a person pastes them;
2. the full non-mutating run at 0 and at 100 ms per request (`golive-sandbox up --latency`), beside the
   five commands at the same latency;
3. the full run at scale (`golive-sandbox up --scale`) with its peak RSS (then the sandbox is restarted at 1x).

    .venv/bin/python benchmarks/versus_runbook.py                       # the sandbox must be up
    .venv/bin/python benchmarks/versus_runbook.py --golive-root /tmp/old --golive-root .   # before/after
    .venv/bin/python benchmarks/versus_runbook.py --no-scale --repeat 5

`--golive-root` times another checkout (e.g. `git archive` of an older commit) against the same sandbox; given
twice or more, the checkouts' runs are interleaved, for before/after figures on a machine whose load drifts. Without the aws CLI on PATH, each aws command is a one-shot Python process making the
same boto3 call (said in the output). Medians of --repeat runs, after one unmeasured warm-up. Figures only:
nothing here asserts on time. Run it in a network namespace of its own if other sandboxes share the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from golive import config  # noqa: E402
from sandbox import stack  # noqa: E402

SANDBOX = [sys.executable, "-m", "sandbox"]
LATENCY_MS = 100
# As on a user's machine: bytecode cached (PYTHONDONTWRITEBYTECODE would recompile every module on every run).
BASE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def runbook_commands() -> tuple[list[tuple[str, list[str]]], dict, str]:
    """The runbook's T-2h commands against the sandbox, the environment they run in, and how aws is run."""
    state = stack.state_dir()
    env_cfg = config.load("sandbox", ROOT / "golive.toml")
    env = {**BASE_ENV, "KUBECONFIG": str(state / "kubeconfig"),
           "AWS_SHARED_CREDENTIALS_FILE": str(state / "aws" / "credentials"), "AWS_PROFILE": env_cfg.aws.profile,
           "AWS_DEFAULT_REGION": env_cfg.aws.region, "AWS_CONFIG_FILE": os.devnull}
    endpoint = env_cfg.aws.endpoint_url
    kubectl = str(Path(sys.executable).parent / "kubectl") if (Path(sys.executable).parent / "kubectl").exists() \
        else shutil.which("kubectl") or "kubectl"
    aws = shutil.which("aws")
    if aws:
        eks = [aws, "--endpoint-url", endpoint, "eks", "describe-cluster", "--name", env_cfg.eks.cluster]
        secrets = [aws, "--endpoint-url", endpoint, "secretsmanager", "list-secrets"]
        how = f"aws CLI ({aws})"
    else:
        one_shot = ("import boto3, json, sys; c = boto3.client(sys.argv[1], endpoint_url=sys.argv[2]); "
                    "print(json.dumps(getattr(c, sys.argv[3])(**json.loads(sys.argv[4])), default=str))")
        eks = [sys.executable, "-c", one_shot, "eks", endpoint, "describe_cluster",
               json.dumps({"name": env_cfg.eks.cluster})]
        secrets = [sys.executable, "-c", one_shot, "secretsmanager", endpoint, "list_secrets", "{}"]
        how = "no aws CLI on PATH: one-shot Python processes making the same boto3 calls"
    commands = [("kubectl cluster-info", [kubectl, "cluster-info"]), ("kubectl get nodes", [kubectl, "get", "nodes"]),
                ("aws eks describe-cluster", eks), ("aws secretsmanager list-secrets", secrets),
                ("curl /health", ["curl", "-sf", f"{env_cfg.app.base_url}/health"])]
    return commands, env, how


def time_commands(commands, env) -> float:
    start = time.monotonic()
    for name, argv in commands:
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{name} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[:300]}")
    return time.monotonic() - start


def golive_run(golive_root: Path, marker: str | None) -> dict:
    """One non-mutating run of golive (`-m marker`, or every check): wall and CPU s, peak RSS, API calls, exit."""
    with tempfile.TemporaryDirectory() as reports, tempfile.TemporaryFile() as output:
        argv = [sys.executable, "-m", "pytest", "checks", "-q", "-p", "no:cacheprovider", "--golive-env", "sandbox",
                "--golive-reports", reports, *(["-m", marker] if marker else [])]
        env = {**BASE_ENV, "PYTHONPATH": str(golive_root)}
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=golive_root, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage: ru_maxrss is its peak RSS (KiB)
        wall = time.monotonic() - start
        jsonl = Path(reports) / "latest.jsonl"
        lines = [json.loads(line) for line in jsonl.read_text().splitlines()] if jsonl.exists() else []
    results = [line for line in lines if line.get("type") == "result"]
    calls = sum(1 for r in results for _ in r.get("calls") or [])
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "exit": os.waitstatus_to_exitcode(status), "checks": len(results), "calls": calls,
            "distinct_calls": len({(c[0], c[1]) for r in results for c in r.get("calls") or []})}


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def measure(label: str, fns: dict, repeat: int) -> dict:
    """Each of `fns` (by name) after one warm-up, `repeat` times, interleaved: a shared machine's load changes
    minute to minute, and interleaving spreads it over all of them alike."""
    for fn in fns.values():
        fn()  # warm-up: bytecode, the stand-ins' caches
    done: dict = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            done[name].append(fn())
    for name, runs in done.items():
        shown = ", ".join(f"{d:.2f} s" if isinstance(d, float) else f"{d['wall']:.2f} s" for d in runs)
        print(f"  {label} [{name}]: {shown}", flush=True)
    return done


def latency(ms: float) -> None:
    subprocess.run(SANDBOX + ["up", "--latency", f"{ms:g}ms"], cwd=ROOT, capture_output=True, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--golive-root", type=Path, action="append", default=None,
                        help="a checkout whose golive is timed (repeat it to compare checkouts, runs interleaved)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-latency", action="store_true", help="skip the 100 ms runs")
    parser.add_argument("--no-scale", action="store_true", help="skip the run at scale (and the restart)")
    args = parser.parse_args()
    roots = [r.resolve() for r in (args.golive_root or [ROOT])]
    commands, env, how = runbook_commands()
    print(f"golive from {', '.join(map(str, roots))}; runbook commands: {', '.join(n for n, _ in commands)} [{how}]",
          flush=True)
    latency(0)

    def runs_of(marker):
        return {str(root): (lambda root=root: golive_run(root, marker)) for root in roots}

    rows: dict[str, list] = {}  # what -> [(root or None, runs)]
    cmds = measure("runbook commands", {"": lambda: time_commands(commands, env)}, args.repeat)[""]
    rows["runbook commands (5)"] = [(None, cmds)]
    for what, marker in (("smoke", "smoke"), ("t_minus_2", "t_minus_2"), ("full run", None)):
        rows[what] = list(measure(what, runs_of(marker), args.repeat).items())
    if not args.no_latency:
        latency(LATENCY_MS)
        try:
            slow = measure(f"at {LATENCY_MS} ms", {"": lambda: time_commands(commands, env), **runs_of(None)},
                           args.repeat)
        finally:
            latency(0)
        rows[f"runbook commands at {LATENCY_MS} ms"] = [(None, slow.pop(""))]
        rows[f"full run at {LATENCY_MS} ms"] = list(slow.items())
    if not args.no_scale:
        subprocess.run(SANDBOX + ["up", "--scale"], cwd=ROOT, capture_output=True, check=True)
        try:
            rows["full run at scale"] = list(measure("at scale", runs_of(None), args.repeat).items())
        finally:  # scale lasts until `down`: leave the sandbox at 1x, as found
            subprocess.run(SANDBOX + ["down"], cwd=ROOT, capture_output=True, check=True)
            subprocess.run(SANDBOX + ["up"], cwd=ROOT, capture_output=True, check=True)

    def wall(runs) -> float:
        return statistics.median(r if isinstance(r, float) else r["wall"] for r in runs)

    base = wall(cmds)
    for root in roots:
        print(f"\n{root}")
        print(f"{'what':<30} {'wall s':>7} {'x cmds':>7} {'CPU s':>6} {'peak MB':>8} {'checks':>7} {'calls':>6}  exit")
        walls = {}
        for what, entries in rows.items():
            for who, runs in entries:
                if who not in (None, str(root)):
                    continue
                walls[what] = wall(runs)
                if who is None:
                    print(f"{what:<30} {walls[what]:>7.2f} {walls[what] / base:>7.2f}")
                    continue
                print(f"{what:<30} {walls[what]:>7.2f} {walls[what] / base:>7.2f} {median(runs, 'cpu'):>6.2f} "
                      f"{max(r['rss_mb'] for r in runs):>8.1f} {runs[-1]['checks']:>7} {runs[-1]['calls']:>6}  "
                      f"{runs[-1]['exit']}")
        line = f"smoke / commands {walls['smoke'] / base:.2f}x, T-2h / commands {walls['t_minus_2'] / base:.2f}x"
        slow_key = f"full run at {LATENCY_MS} ms"
        if slow_key in walls:
            line += (f", full run at {LATENCY_MS} ms / commands at {LATENCY_MS} ms "
                     f"{walls[slow_key] / walls[f'runbook commands at {LATENCY_MS} ms']:.2f}x")
        if "full run at scale" in walls:
            line += f", scale / 1x {walls['full run at scale'] / walls['full run']:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
