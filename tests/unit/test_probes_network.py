"""golive.probes.network: what fixtures.network.Network.reach recorded per endpoint -> verdict and sentence.

Recorded: three endpoints reached on 127.0.0.1, and one failure per stage (TCP refused, DNS, a URL
with no usable port). Local ports are random per recording, so sentences are matched around them.
"""
from __future__ import annotations

import pytest

from golive.probes import network as net
from tests.unit.recorded import FAIL, PASS, verdict, plain, row, same

M = "network"
UNREACHABLE = "endpoints unreachable from this runner: "


def failing(*stages):
    return lambda a: a["results"].extend(plain(M, "reach_failed")[stage] for stage in stages)


def slowest_database(a):  # measured times vary per recording: pin the slowest
    a["results"][2]["ms"] = 12.5


@pytest.mark.parametrize("change, outcome, fragment", [
    row("all-reachable", slowest_database, PASS,
        "all 3 endpoints resolve and accept TCP connections (app, Prometheus, database; slowest database 12.5 ms)"),
    row("recorded-times", same, PASS, "all 3 endpoints resolve and accept TCP connections (app, Prometheus, database; slowest"),
    row("none-configured", lambda a: a["results"].clear(), FAIL, "expected endpoints to check, found 0 configured"),
    row("tcp-refused", failing("tcp"), FAIL,
        ("1 of 4 " + UNREACHABLE + "Grafana (http://127.0.0.1:", "): TCP: TCP connect to 127.0.0.1:", "(Connection refused)")),
    row("dns-fails", failing("dns"), FAIL,
        "1 of 4 " + UNREACHABLE + "Alertmanager (http://alertmanager.golive.invalid:9093): DNS: DNS lookup failed"),
    row("bad-port", failing("config"), FAIL,
        "1 of 4 " + UNREACHABLE + "Kubernetes API (https://kube.example.com:99999): misconfigured: no host and port in this URL"),
    row("every-stage", failing("tcp", "dns", "config"), FAIL, "3 of 6 " + UNREACHABLE + "Grafana"),
])
def test_endpoints_reachable(change, outcome, fragment):
    a = {"results": plain(M, "reach_ok")}
    change(a)
    verdict(net.endpoints_reachable(**a), outcome, fragment)
