"""A misbehaving endpoint for the endpoint matrix (tests/test_endpoint_matrix.py): golive pointed at it
instead of a stand-in, every answer is one kind of wrong.

    down   nothing listens on the port (connection refused)
    hang   the port accepts connections and never answers
    403    every request refused (in the endpoint's own error format)
    500    every request an internal error, as plain text
    html   every request 200 with a web server's welcome page
    shape  every request 200 with JSON of the wrong shape (lists of numbers where objects belong)
    empty  every request the endpoint's own empty answer: no objects, no series, no rules, no alerts

`flavor` says whose formats to imitate: kubernetes, prometheus, alertmanager, grafana, app or aws.
"""
from __future__ import annotations

import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("down", "hang", "403", "500", "html", "shape", "empty")
FLAVORS = ("kubernetes", "prometheus", "alertmanager", "grafana", "app", "aws")

WELCOME = (b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1>"
           b"<p>If you see this page, the nginx web server is successfully installed.</p></body></html>")
# Right at the top (a status, a data object, an items array), wrong inside: numbers and strings where objects are.
WRONG_SHAPE = {"status": "success", "kind": "List", "metadata": {},
               "data": {"resultType": "vector", "result": [1, "two"], "groups": [1, "two"], "alerts": [1, "two"],
                        "activeTargets": [1, "two"], "droppedTargets": []},
               "items": [1, "two"], "config": ["not", "a", "config"], "database": ["ok"]}
PROMETHEUS_EMPTY = {"status": "success", "data": {"resultType": "vector", "result": [], "groups": [], "alerts": [],
                                                  "activeTargets": [], "droppedTargets": []}}
KUBE_VERSION = {"major": "1", "minor": "28", "gitVersion": "v1.28.0"}


class Misbehaving:
    """One misbehaving endpoint on 127.0.0.1 (a free port), for a `with` block: `.url` is where it answers."""

    def __init__(self, mode: str, flavor: str):
        if mode not in MODES or flavor not in FLAVORS:
            raise ValueError(f"unknown mode {mode!r} or flavor {flavor!r}")
        self.mode, self.flavor = mode, flavor
        self._server: ThreadingHTTPServer | None = None
        self._socket: socket.socket | None = None

    def __enter__(self) -> "Misbehaving":
        if self.mode in ("down", "hang"):
            self._socket = socket.socket()
            self._socket.bind(("127.0.0.1", 0))
            self.port = self._socket.getsockname()[1]
            if self.mode == "down":
                self._socket.close()  # the port was free a moment ago: nothing listens now
            else:
                self._socket.listen(64)  # the kernel completes handshakes; nobody ever reads or writes
            return self
        handler = type("Handler", (_Handler,), {"mode": self.mode, "flavor": self.flavor})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._socket is not None:
            self._socket.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _Handler(BaseHTTPRequestHandler):
    mode = "500"
    flavor = "app"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: the test reads golive's results, not this log
        pass

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def do_HEAD(self):
        self._answer()

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        request_body = self.rfile.read(length) if length else b""
        status, kind, body, headers = self._what(request_body)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _what(self, request_body: bytes) -> tuple[int, str, bytes, dict]:
        xml = self.flavor == "aws" and (b"Action=" in request_body or "x-www-form" in self.headers.get("Content-Type", ""))
        if self.mode == "500":
            return 500, "text/plain", b"Internal Server Error", {}
        if self.mode == "html":
            return 200, "text/html", WELCOME, {}
        if self.mode == "403":
            return self._forbidden(xml)
        if self.mode == "shape":
            if xml:
                return 200, "text/xml", b"<Response><Result><Unexpected>1</Unexpected></Result></Response>", {}
            return 200, "application/json", json.dumps(WRONG_SHAPE).encode(), {}
        return self._empty(xml)

    def _forbidden(self, xml: bool) -> tuple[int, str, bytes, dict]:
        message = "User golive is not authorized to perform this action"
        if self.flavor == "aws":
            if xml:
                return 403, "text/xml", (f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                                         f"<Message>{message}</Message></Error><RequestId>1</RequestId>"
                                         f"</ErrorResponse>").encode(), {}
            return 403, "application/json", json.dumps({"__type": "AccessDeniedException", "message": message}).encode(), \
                {"x-amzn-ErrorType": "AccessDeniedException"}
        if self.flavor == "kubernetes":
            return 403, "application/json", json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                                        "reason": "Forbidden", "code": 403, "message": message}).encode(), {}
        return 403, "application/json", json.dumps({"message": message}).encode(), {}

    def _empty(self, xml: bool) -> tuple[int, str, bytes, dict]:
        path = self.path.split("?", 1)[0]

        def answer(value, status=200):
            return status, "application/json", json.dumps(value).encode(), {}

        if self.flavor == "aws":
            return (200, "text/xml", b"<Response/>", {}) if xml else answer({})
        if self.flavor == "kubernetes":
            if path == "/version":
                return answer(KUBE_VERSION)
            if path in ("/readyz", "/livez", "/healthz"):
                return 200, "text/plain", b"ok", {}
            if _kube_list(path):
                return answer({"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": []})
            return answer({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                           "message": f"{path} not found"}, 404)
        if self.flavor == "prometheus":
            return (200, "text/plain", b"Prometheus Server is Ready.", {}) if path.startswith("/-/") \
                else answer(PROMETHEUS_EMPTY)
        if self.flavor == "alertmanager":
            if path.startswith("/-/"):
                return 200, "text/plain", b"OK", {}
            return answer({"config": {"original": ""}, "cluster": {"status": "ready"}} if path.endswith("/status")
                          else [])
        if self.flavor == "grafana":
            if path == "/api/health":
                return answer({"database": "ok", "version": "10.4.0"})
            return answer([]) if re.search(r"search|datasources|alert|folders", path) else \
                answer({"message": "Not found"}, 404)
        return answer({})  # the app: a 200 with nothing in it


def _kube_list(path: str) -> bool:
    """Whether a Kubernetes API path names a collection (list) rather than one object."""
    rest = re.sub(r"^/apis?/(?:[^/]+/)?v[^/]*", "", path).strip("/").split("/")
    if rest[:1] == ["namespaces"]:
        return len(rest) in (1, 3)
    return len(rest) == 1
