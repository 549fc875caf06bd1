"""Write access to the running sandbox, for faults: the same public APIs the checks read.

Checks get read-only clients; only the sandbox (never the product code) holds these.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from functools import cache, cached_property
from typing import Callable

import boto3
import requests

from golive.kinds import BY_KIND
from sandbox import stack
from sandbox.pki import Pki

GRAFANA_ADMIN = ("admin", "sandbox-not-default")

class Kube:
    def __init__(self, base: str, ca: str | None = None, token: str | None = None):
        self.base = base
        self.http = requests.Session()
        if ca:  # (REQUESTS_CA_BUNDLE would win over a session's verify: the environment is not asked)
            self.http.trust_env = False
            self.http.verify = ca
        if token:  # the sandbox's admin: faults write, golive's own identity only reads
            self.http.headers["Authorization"] = f"Bearer {token}"

    def url(self, kind: str, name: str | None = None, namespace: str | None = None, sub: str = "") -> str:
        return f"{self.base}{BY_KIND[kind].path(namespace, name)}" + (f"/{sub}" if sub else "")

    def get(self, kind, name, namespace=None) -> dict | None:
        r = self.http.get(self.url(kind, name, namespace), timeout=5)
        return None if r.status_code == 404 else _ok(r)

    def patch(self, kind, name, namespace=None, body=None, status=False) -> dict:
        r = self.http.patch(self.url(kind, name, namespace, "status" if status else ""), json=body,
                            headers={"Content-Type": "application/merge-patch+json"}, timeout=5)
        return _ok(r)

    def json_patch(self, kind, name, namespace=None, operations=()) -> dict:
        """Apply an RFC 6902 JSON patch to the object (what kubectl patch --type=json sends)."""
        r = self.http.patch(self.url(kind, name, namespace), json=list(operations),
                            headers={"Content-Type": "application/json-patch+json"}, timeout=5)
        return _ok(r)

    def delete(self, kind, name, namespace=None) -> None:
        r = self.http.delete(self.url(kind, name, namespace), timeout=5)
        if r.status_code != 404:
            _ok(r)

    def seeded(self, kind, name, namespace=None) -> dict:
        for doc in _seed():
            meta = (doc or {}).get("metadata", {})
            if doc and doc.get("kind") == kind and meta.get("name") == name and meta.get("namespace") == namespace:
                return doc
        raise KeyError(f"{kind} {namespace}/{name} is not in the seed")

    def restore(self, kind, name, namespace=None) -> None:
        """Put the seeded object back, whatever a fault did to it (stateless heal).

        Like a real apiserver, the emulator keeps status apart: spec via the object, status via /status.
        """
        from sandbox.kube_api import fill_placeholders, seeded_owner_uids

        body = seeded_owner_uids(fill_placeholders(self.seeded(kind, name, namespace),
                                                   datetime.now(timezone.utc).replace(microsecond=0)))
        if self.get(kind, name, namespace) is None:
            _ok(self.http.post(self.url(kind, None, namespace), json=body, timeout=5))
        else:
            _ok(self.http.put(self.url(kind, name, namespace), json=body, timeout=5))
        if "status" in body:
            if "observedGeneration" in body["status"]:  # as the controller would, once it sees the restored spec
                body["status"]["observedGeneration"] = self.get(kind, name, namespace)["metadata"]["generation"]
            _ok(self.http.put(self.url(kind, name, namespace, "status"), json=body, timeout=5))

    def unready(self, failing: str | None) -> None:
        """Make /readyz fail with the named check (None: ready again)."""
        _ok(self.http.put(f"{self.base}/_sandbox/readyz", json={"failing": failing}, timeout=5))


@cache
def _seed() -> list[dict]:
    """The Kubernetes seed as the running emulator holds it: rendered from the sandbox environment."""
    from sandbox import seed_kube

    return seed_kube.render(stack.sandbox_config())


def _ok(r: requests.Response) -> dict:
    if r.status_code >= 400:
        raise RuntimeError(f"{r.request.method} {r.url} -> HTTP {r.status_code}: {r.text[:200]}")
    return r.json() if r.content else {}


class Sandbox:
    """Handles on each stand-in; faults call these, never the checks."""

    host = stack.HOST
    ports = stack.PORTS

    @cached_property
    def config(self):
        """The environment the sandbox is rendered from: faults size their waits by the checks' own windows."""
        return stack.sandbox_config()

    @cached_property
    def kube(self) -> Kube:
        pki = Pki(stack.state_dir())
        return Kube(stack.KUBE_URL, str(pki.ca), pki.token("admin"))

    def load(self, paths, namespace: str | None = None, prune: bool = False):
        """Create or replace the objects of these manifests in the Kubernetes API (sandbox/load.py); the
        returned Loaded's `undo()` puts back what was there, as a fault's heal does."""
        from sandbox import load

        return load.load(list(paths), namespace or self.config.kubernetes.app_namespace, prune)

    def aws(self, service: str):
        return boto3.client(service, region_name=self.config.aws.region,
                            endpoint_url=f"http://{self.host}:{self.ports['aws']}",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def app_faults(self, **faults) -> None:
        """Set the stand-in app's faults (empty: clear them all)."""
        url = f"http://{self.host}:{self.ports['app']}/_sandbox/faults"
        r = requests.put(url, json=faults, timeout=5) if faults else requests.delete(url, timeout=5)
        r.raise_for_status()

    def grafana(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, f"http://{self.host}:{self.ports['grafana']}{path}", auth=GRAFANA_ADMIN,
                                timeout=5, **kw)

    def prometheus(self, promql: str) -> list:
        r = requests.get(f"http://{self.host}:{self.ports['prometheus']}/api/v1/query", params={"query": promql},
                         timeout=5)
        r.raise_for_status()
        return r.json()["data"]["result"]

    def edit_config(self, service: str, file: str, change: Callable[[str], str]) -> None:
        """Rewrite a live config file of "prometheus" or "alertmanager" and reload it (POST /-/reload)."""
        path = stack._live_config(stack.state_dir(), service) / file
        path.write_text(change(path.read_text()))
        self._reload(service)

    def restore_config(self, service: str) -> None:
        """Put the shipped provisioning back for `service` and reload (stateless heal)."""
        stack._copy_config(stack.state_dir(), service)
        self._reload(service)

    def _reload(self, service: str) -> None:
        r = requests.post(f"http://{self.host}:{self.ports[service]}/-/reload", timeout=10)
        if r.status_code != 200:
            raise RuntimeError(f"{service} rejected the reloaded config: HTTP {r.status_code} {r.text[:200]}")

    def stop(self, service: str) -> None:
        """Stop one stand-in (no API stops a service): its port refuses connections afterwards."""
        stack.stop(service)
        self.wait_for(lambda: not stack._port_open(self.ports[service]), f"{service} stopped", timeout=10)

    def start_stopped(self) -> None:
        """Start whatever is not running, as `golive-sandbox up` does."""
        stack.up(echo=lambda *_: None)

    def postgres(self, running: bool) -> None:
        state = stack.state_dir()
        if running:
            with open(state / "logs" / "postgres.log", "ab") as log:
                stack._postgres_up(state, log)
        else:
            stack._postgres_down(state)

    @staticmethod
    def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30, interval: float = 0.5) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except Exception:  # noqa: BLE001 - the stand-in may be restarting; keep waiting
                pass
            time.sleep(interval)
        raise TimeoutError(f"sandbox: {what} not visible after {timeout:.0f} s")
