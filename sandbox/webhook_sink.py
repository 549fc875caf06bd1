"""Local stand-in for the Slack and PagerDuty endpoints Alertmanager notifies.

Alertmanager's real ``slack_configs`` and ``pagerduty_configs`` are pointed at
this server (``/slack`` and ``/pagerduty``), so a rehearsal can show that an
alert really left Alertmanager and reached "the pager".

Usage:
    python -m sandbox.webhook_sink --host 127.0.0.1 --port 18055 --log received.jsonl

    POST <any path>                    record the request, answer 200
    GET  /_sandbox/received[?path=/p]  JSON list of the records so far, optionally
                                       only those POSTed to one path

Each POST appends one JSON line ``{"path", "received_at", "body"}`` to the log;
``body`` is the parsed JSON, or the raw text when the body is not JSON. The log
is the only store, so it survives a restart of the sink.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("sandbox.webhook_sink")


class SinkHandler(BaseHTTPRequestHandler):
    server: SinkServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the second waits for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:
        """Silence per-request access logs: the log file is the record."""

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", errors="replace")
        self.server.record(
            {
                "path": urlsplit(self.path).path,
                "received_at": dt.datetime.now(dt.UTC).isoformat(),
                "body": body,
            }
        )
        # Slack accepts any 2xx; PagerDuty's Events API v2 answers 202, but
        # Alertmanager treats every 2xx as delivered.
        self._send(200, {"status": "success", "message": "Event processed"})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/_sandbox/received":
            self._send(404, {"error": "not found"})
            return
        wanted = parse_qs(url.query).get("path", [None])[0]
        records = [r for r in self.server.records() if wanted is None or r["path"] == wanted]
        self._send(200, records)

    def _send(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class SinkServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], log_path: Path) -> None:
        super().__init__(address, SinkHandler)
        self.log_path = log_path
        self._lock = threading.Lock()  # whole lines only, even with concurrent POSTs

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock, self.log_path.open("a", encoding="utf-8") as log_file:
            log_file.write(json.dumps(entry) + "\n")

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            if not self.log_path.exists():
                return []
            lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18055)
    parser.add_argument("--log", type=Path, required=True, help="JSON-lines file the requests are appended to")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    args.log.parent.mkdir(parents=True, exist_ok=True)
    server = SinkServer((args.host, args.port), args.log)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # serve_forever in a thread: shutdown() from the serving thread would deadlock.
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log.info("recording POSTs on http://%s:%d to %s", args.host, args.port, args.log)
    stop.wait()
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
