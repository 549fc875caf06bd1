"""Network probes: what DNS and TCP said about each configured endpoint, one Finding out. No I/O here."""
from __future__ import annotations

from golive.check import Finding, failed, passed

STAGES = {"config": "misconfigured", "dns": "DNS", "tcp": "TCP"}


def endpoints_reachable(results: list[dict]) -> Finding:
    """Every configured endpoint resolves in DNS and accepts a TCP connection from this runner."""
    observed = {r["name"]: {k: r.get(k) for k in ("url", "addresses", "ms", "stage", "error") if r.get(k) is not None}
                for r in results}
    query = "DNS getaddrinfo + TCP connect to " + ", ".join(f"{r['host']}:{r['port']}" for r in results)
    if not results:
        return failed("expected endpoints to check, found 0 configured", observed=observed, expected="> 0 endpoints")
    broken = [r for r in results if r.get("error")]
    if broken:
        what = "; ".join(f"{r['name']} ({r['url']}): {STAGES[r['stage']]}: {r['error']}" for r in broken)
        return failed(f"{len(broken)} of {len(results)} endpoints unreachable from this runner: {what}",
                      resource="network", observed=observed, expected="every endpoint resolves and accepts TCP",
                      query=query,
                      hint="DNS: check the name and the resolver (VPC DNS, /etc/resolv.conf). TCP refused: the service "
                           "is down or on another port. Timed out: a security group, network policy or firewall drops "
                           "the traffic.")
    slowest = max(results, key=lambda r: r["ms"])
    return passed(f"all {len(results)} endpoints resolve and accept TCP connections "
                  f"({', '.join(r['name'] for r in results)}; slowest {slowest['name']} {slowest['ms']} ms)",
                  resource="network", observed=observed, expected="every endpoint resolves and accepts TCP",
                  query=query)
