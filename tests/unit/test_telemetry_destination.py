"""Where telemetry goes, in a fresh process each time (the SDK's providers are set once).

With OTEL_EXPORTER_OTLP_ENDPOINT the app's spans and logs reach that endpoint; with neither it
nor a connection string, no provider is installed and nothing can leave the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Configures telemetry from the environment, emits one span and one log line, flushes, and
#: prints the destination and the tracer provider's type.
SCRIPT = """
import json, logging
from opentelemetry import trace
from opentelemetry._logs import get_logger_provider
from shared import telemetry
destination = telemetry.configure()
with telemetry.tracer().start_as_current_span("probe"):
    logging.getLogger("probe").warning("probe line")
provider = trace.get_tracer_provider()
for flushable in (provider, get_logger_provider()):
    getattr(flushable, "force_flush", lambda: None)()
print(json.dumps({"destination": str(destination), "provider": type(provider).__name__}))
"""


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Collector.received.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def collector() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    _Collector.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def run(settings: dict[str, str]) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "APPLICATIONINSIGHTS_"))
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={**environ, **settings},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_an_otlp_endpoint_receives_the_spans_and_the_logs(collector: str) -> None:
    result = run({"OTEL_EXPORTER_OTLP_ENDPOINT": collector})

    assert result["destination"] == "otlp"
    assert sorted(set(_Collector.received)) == ["/v1/logs", "/v1/traces"]


def test_without_a_destination_no_provider_is_installed(collector: str) -> None:
    result = run({})

    assert result == {"destination": "off", "provider": "ProxyTracerProvider"}
    assert _Collector.received == []
