"""How the sandbox's emulators are built and served, one shape for all (as moto's services are):

- models: the state and its rules, independent of HTTP (kube_api.KubeApi, grafana_api.GrafanaState);
- routes: a Flask app made by `create_app(...)` from a table of (rule, methods, view), each view answering
  from the models; errors are the real service's error bodies, through the app's error handlers;
- serving: `server(...)` and `serve(...)` here: werkzeug, threaded, HTTP/1.1 keep-alive, optional TLS.
"""
from __future__ import annotations

import signal
import ssl
import threading

from werkzeug.serving import BaseWSGIServer, ThreadedWSGIServer, WSGIRequestHandler


class _Handler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as kubectl, urllib3 and requests expect
    # Headers and body go out in two writes: with Nagle on, the second waits for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    verbose = False

    def log_request(self, code="-", size="-"):
        if self.verbose:
            super().log_request(code, size)

    def version_string(self):
        return "golive-sandbox"


def server(host: str, port: int, app, tls: ssl.SSLContext | None = None, verbose: bool = False) -> BaseWSGIServer:
    """A threaded server for `app` bound to host:port (0: a free port), HTTPS when given a TLS context."""
    handler = type("Handler", (_Handler,), {"verbose": verbose})
    made = ThreadedWSGIServer(host, port, app, handler=handler)
    made.daemon_threads = True
    if tls is not None:
        # The handshake happens in each request's thread, not in the accept loop.
        made.socket = tls.wrap_socket(made.socket, server_side=True, do_handshake_on_connect=False)
        made.ssl_context = tls  # werkzeug then says https in the WSGI environment
    return made


def serve(made: BaseWSGIServer) -> None:
    """Serve until SIGTERM or SIGINT, then close the socket."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # serve_forever in a thread: shutdown() from the serving thread would deadlock.
    threading.Thread(target=made.serve_forever, daemon=True).start()
    stop.wait()
    made.shutdown()
    made.server_close()
