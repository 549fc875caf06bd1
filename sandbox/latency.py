"""Latency mode (`golive-sandbox up --latency 100ms`): a fixed delay before every request's answer at every
HTTP stand-in (moto, the Kubernetes API, so Prometheus and Alertmanager through its service proxy too, Grafana,
the app, the webhook sink), as a CI runner far from the region sees. PostgreSQL, a real server, is not delayed,
nor are the stand-ins' calls to each other (the app's to S3): those are in the region.

Every Python stand-in runs under this module (`python -m sandbox.latency sandbox.kube_api ...`), which wraps
http.server's request parsing (werkzeug's, under moto, is the same class): after each request line and headers
it sleeps the delay named in the state folder's `latency_ms` file, read per request, so that `up --latency` acts on
a running sandbox and `up --latency 0` or `down` ends it. The app serves with uvicorn, not http.server: it waits
`delay_seconds(...)` itself, before it starts timing the request (its own latency, which Prometheus records,
stays its own).
"""
from __future__ import annotations

import os
import re
import runpy
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

FILE = "latency_ms"
# Requests between stand-ins (the app's own calls to S3) are in the region, not where the runner is: a User-Agent
# holding this is never delayed, so that the app's latency, which Prometheus records, stays its own.
INTERNAL_AGENT = "golive-sandbox-internal"


def parse(text: str) -> float:
    """Milliseconds from `100ms`, `0.25s` or `100` (ms); ValueError on anything else."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*", text)
    if not found:
        raise ValueError(f"latency {text!r} is not a duration such as 100ms or 0.1s")
    value = float(found.group(1))
    return value * 1000 if found.group(2) == "s" else value


def set_latency(state: Path, ms: float) -> None:
    """Every request at every stand-in waits `ms` from now on (0: none)."""
    path = state / FILE
    if ms > 0:
        path.write_text(f"{ms:g}\n")
    else:
        path.unlink(missing_ok=True)


def current(state: Path) -> float:
    try:
        return float((state / FILE).read_text())
    except (OSError, ValueError):
        return 0.0


_STATE: Path | None = None  # the state folder, once `install` has run in this process


def delay_seconds(user_agent: str) -> float:
    """How long a request from `user_agent` waits now: the latency, or 0 for the stand-ins' calls to each other
    (or outside latency mode)."""
    if _STATE is None or INTERNAL_AGENT in user_agent:
        return 0.0
    return current(_STATE) / 1000


def install(state: Path) -> None:
    """Delay every request this process's HTTP servers parse by the state folder's latency."""
    global _STATE
    _STATE = state
    parse_request = BaseHTTPRequestHandler.parse_request

    def delayed(self) -> bool:
        parsed = parse_request(self)
        ms = current(state)
        if ms and INTERNAL_AGENT not in (self.headers.get("User-Agent", "") if parsed else ""):
            time.sleep(ms / 1000)
        return parsed

    BaseHTTPRequestHandler.parse_request = delayed


def main() -> None:
    from sandbox import stack

    module, sys.argv = sys.argv[1], sys.argv[1:]
    # As the module the stand-in imports (this file runs as __main__): its `delay_seconds` sees the state folder.
    from sandbox import latency
    latency.install(stack.state_dir())
    os.environ.setdefault("GOLIVE_SANDBOX_DIR", str(stack.state_dir()))
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
