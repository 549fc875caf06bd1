"""Print what dead endpoints cost a run: the monitoring checks with Prometheus, Alertmanager, Grafana and the app
hanging (or refusing), and the T-2h phase with the AWS endpoint hanging, against the same selections healthy.

    .venv/bin/python benchmarks/dead_endpoints.py                 # this tree (sandbox up, in its netns)
    .venv/bin/python benchmarks/dead_endpoints.py --root /tmp/old # another checkout's code, same stubs

golive is pointed at the misbehaving endpoints (sandbox/misbehave.py) through a copy of golive.toml; the rest of
the sandbox answers as usual. The goal (issue 12): a dead endpoint costs one timeout per run, so four dead
endpoints cost at most 4 timeouts + 2 s over the healthy run. Figures only: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from sandbox.misbehave import Misbehaving  # noqa: E402

SANDBOX_TIMEOUTS = re.compile(r"^timeouts = \{[^}]*\}", re.M)
POINT_AT = {  # the sandbox environment's line for each endpoint -> pointed at `{url}`
    "prometheus": ('url = "http://127.0.0.1:18090", service = "monitoring/kube-prometheus-stack-prometheus:9090"',
                   'url = "{url}"'),
    "alertmanager": ('alertmanager = { url = "http://127.0.0.1:18093", service = '
                     '"monitoring/kube-prometheus-stack-alertmanager:9093" }', 'alertmanager = {{ url = "{url}" }}'),
    "grafana": ('grafana = { url = "http://127.0.0.1:18300"', 'grafana = {{ url = "{url}"'),
    "app": ('base_url = "http://127.0.0.1:18000", ingress_url = "http://127.0.0.1:18000"',
            'base_url = "{url}", ingress_url = "{url}"'),
    "aws": ('endpoint_url = "http://127.0.0.1:18500"', 'endpoint_url = "{url}"'),
    # A kubeconfig copy whose server is `{url}` (with the preflight on, the run stops: not EKS's endpoint).
    "kubernetes": ('kubeconfig = "${GOLIVE_SANDBOX_DIR:-.sandbox}/kubeconfig"', 'kubeconfig = "{kubeconfig}"'),
}
MONITORING = ["-m", "monitoring"]
T2H = ["checks/t_minus_2h"]
SCENARIOS = [  # name, selection, endpoints made to misbehave, how
    ("monitoring, healthy", MONITORING, (), ""),
    ("monitoring, 4 endpoints hang", MONITORING, ("prometheus", "alertmanager", "grafana", "app"), "hang"),
    ("monitoring, 4 endpoints refuse", MONITORING, ("prometheus", "alertmanager", "grafana", "app"), "down"),
    ("T-2h, healthy", T2H, (), ""),
    ("T-2h, AWS hangs", T2H, ("aws",), "hang"),
    ("T-2h, Kubernetes API hangs", T2H, ("kubernetes",), "hang"),
]


def config(folder: Path, root: Path, stubs: dict[str, str], connect: float, read: float) -> Path:
    text = (root / "golive.toml").read_text()
    sandbox = text.index("[environments.sandbox]")
    head, env = text[:sandbox], text[sandbox:]
    env = SANDBOX_TIMEOUTS.sub(f"timeouts = {{ connect_seconds = {connect:g}, read_seconds = {read:g}, "
                               f"settle_seconds = 20, settle_interval_seconds = 1 }}", env, count=1)
    for endpoint, url in stubs.items():
        old, new = POINT_AT[endpoint]
        if endpoint == "kubernetes":
            from sandbox import stack

            kubeconfig = json.loads((stack.state_dir() / "kubeconfig").read_text())
            kubeconfig["clusters"][0]["cluster"] = {"server": url}
            (folder / "kubeconfig").write_text(json.dumps(kubeconfig))
        env = env.replace(old, new.format(url=url, kubeconfig=folder / "kubeconfig"))
    path = folder / "golive.toml"
    path.write_text(head + env)
    with contextlib.suppress(FileExistsError):
        (folder / "sandbox").symlink_to(root / "sandbox")
    return path


def run(root: Path, selection: list[str], stubs: dict[str, str], connect: float, read: float,
        preflight: bool) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory(prefix="golive-dead-") as tmp:
        folder = Path(tmp)
        argv = [str(HERE / ".venv" / "bin" / "pytest"), "-p", "no:cacheprovider", "-q", *selection,
                "--golive-env", "sandbox", "--golive-config", str(config(folder, root, stubs, connect, read)),
                "--golive-reports", str(folder / "reports"), *([] if preflight else ["--golive-no-preflight"])]
        start = time.monotonic()
        subprocess.run(argv, cwd=root, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(root)})
        seconds = time.monotonic() - start
        return seconds, figures(folder / "reports" / "latest.jsonl")


def figures(jsonl: Path) -> dict:
    """From the run's own record: the session's seconds, the preflight's, and the API calls that failed (how many,
    and how long golive waited on them: CPU-load-proof, unlike wall time on a shared machine)."""
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()] if jsonl.exists() else []
    run = next((line for line in lines if line["type"] == "run"), {})
    summary = next((line for line in lines if line["type"] == "summary"), {})
    failed = [row for row in summary.get("ledger") or [] if row.get("failed")]
    return {"session": summary.get("duration_s"), "preflight": (run.get("preflight") or {}).get("seconds"),
            "failed_calls": sum(row["failed"] for row in failed),
            "waited": sum(row.get("seconds") or 0 for row in failed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout whose golive runs (default: this one)")
    parser.add_argument("--connect", type=float, default=2, help="timeouts.connect_seconds (sandbox: 2)")
    parser.add_argument("--read", type=float, default=5, help="timeouts.read_seconds (sandbox: 5)")
    parser.add_argument("--no-preflight", action="store_true", help="skip the preflight (checks only)")
    args = parser.parse_args()
    print(f"golive from {args.root}; timeouts connect {args.connect:g} s, read {args.read:g} s; preflight "
          f"{'off' if args.no_preflight else 'on'}")
    print(f"{'scenario':<32} {'wall s':>7} {'session s':>9} {'preflight s':>11} {'failed calls':>12} "
          f"{'waited on them s':>16}")
    for name, selection, endpoints, how in SCENARIOS:
        with contextlib.ExitStack() as stack:
            stubs = {e: stack.enter_context(Misbehaving(how, e)).url for e in endpoints}
            seconds, f = run(args.root, selection, stubs, args.connect, args.read, not args.no_preflight)
        print(f"{name:<32} {seconds:7.1f} {f['session'] or 0:9.1f} {f['preflight'] or 0:11.1f} "
              f"{f['failed_calls']:12d} {f['waited']:16.1f}")


if __name__ == "__main__":
    main()
