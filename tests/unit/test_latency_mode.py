"""sandbox/latency.py: latency mode delays every request from outside the region, the app's (uvicorn) too, and
never the stand-ins' calls to each other."""
from __future__ import annotations

from sandbox import latency


def test_the_app_waits_the_latency_for_a_client_and_none_for_an_in_region_caller(tmp_path, monkeypatch):
    monkeypatch.setattr(latency, "_STATE", None)
    latency.set_latency(tmp_path, 100)
    assert latency.delay_seconds("python-requests/2.32") == 0.0  # outside latency mode's wrapper: never delayed
    monkeypatch.setattr(latency, "_STATE", tmp_path)  # as `install` sets it in a stand-in's process
    assert latency.delay_seconds("python-requests/2.32") == 0.1
    assert latency.delay_seconds(f"python-requests/2.32 {latency.INTERNAL_AGENT}") == 0.0  # the service proxy's hop
    latency.set_latency(tmp_path, 0)  # `up --latency 0` (or `down`) ends it on a running sandbox
    assert latency.delay_seconds("python-requests/2.32") == 0.0
