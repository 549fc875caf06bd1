"""Print how long one request to each sandbox stand-in takes, on a kept-alive connection and on a fresh one.

    .venv/bin/python benchmarks/requests_ms.py            # the sandbox must be up
    .venv/bin/python benchmarks/requests_ms.py --repeat 200

A kept-alive request far slower than a fresh one is Nagle's algorithm meeting delayed ACKs (about 40 ms
on Linux): a server that writes headers and body separately without TCP_NODELAY. A fresh HTTPS connection
to the Kubernetes API includes its TLS handshake. Figures only.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox import stack  # noqa: E402
from sandbox.pki import Pki  # noqa: E402

H = f"http://{stack.HOST}"
P = stack.PORTS
PROXY = f"{stack.KUBE_URL}/api/v1/namespaces/monitoring/services/kube-prometheus-stack-prometheus:9090/proxy"
TARGETS = [
    ("kubernetes", f"{stack.KUBE_URL}/version"),
    ("kubernetes", f"{stack.KUBE_URL}/api/v1/namespaces/nba-mcp-synthesis/pods?labelSelector=app%3Dnba-mcp-synthesis"),
    ("kubernetes proxy", f"{PROXY}/api/v1/status/buildinfo"),
    ("app", f"{H}:{P['app']}/health"),
    ("app metrics", f"{H}:{P['app_metrics']}/metrics"),
    ("grafana", f"{H}:{P['grafana']}/api/health"),
    ("webhook", f"{H}:{P['webhook']}/_sandbox/received?path=/none"),
    ("prometheus", f"{H}:{P['prometheus']}/api/v1/status/buildinfo"),
    ("alertmanager", f"{H}:{P['alertmanager']}/api/v2/status"),
    ("moto", f"{H}:{P['aws']}/moto-api/"),
]


def median_ms(get, url: str, repeat: int, **kw) -> float:
    get(url, timeout=5, **kw)  # warm: connect, first-request costs
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        get(url, timeout=5, **kw).content
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print(f"{'stand-in':<17} {'kept-alive ms':>13} {'fresh conn ms':>13}  request")
    pki = Pki(stack.state_dir())  # the Kubernetes API wants its CA and a token
    kube = {"verify": str(pki.ca), "headers": {"Authorization": f"Bearer {pki.token('admin')}"}}
    for name, url in TARGETS:
        kw = kube if url.startswith(stack.KUBE_URL) else {}
        with requests.Session() as session:
            kept = median_ms(session.get, url, args.repeat, **kw)
        fresh = median_ms(requests.get, url, args.repeat, **kw)
        where = urlsplit(url)
        print(f"{name:<17} {kept:>13.1f} {fresh:>13.1f}  GET :{where.port}{where.path}{'?' if where.query else ''}"
              f"{where.query}"[:120])


if __name__ == "__main__":
    main()
