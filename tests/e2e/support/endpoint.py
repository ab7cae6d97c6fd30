"""A tiny HTTP endpoint whose health the test toggles, for the eternal health monitor to check.

It answers every GET with 200 while healthy and 503 while failing, and counts the checks it
received. It runs on a daemon thread (stdlib `http.server`) and is put in the app's
HEALTH_MONITOR_ALLOWLIST, so the monitor's activity makes real HTTP requests to it.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ControllableEndpoint:
    """`healthy` / `failing` switches what the next check sees."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._healthy = True
        self._checks = 0
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/health"

    @property
    def checks(self) -> int:
        """How many GETs the endpoint has answered."""
        with self._lock:
            return self._checks

    def healthy(self) -> None:
        with self._lock:
            self._healthy = True

    def failing(self) -> None:
        with self._lock:
            self._healthy = False

    def start(self) -> ControllableEndpoint:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="e2e-health-endpoint", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def _answer(self) -> int:
        with self._lock:
            self._checks += 1
            return 200 if self._healthy else 503

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status = endpoint._answer()
                body = b'{"status":"ok"}' if status == 200 else b'{"status":"failing"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test's output is not the place for access logs."""

        return Handler
