"""The health-check activity against a real local HTTP server started by the test.

Covers the outcomes the monitor counts: healthy, error status, timeout, refused connection,
redirects (same host followed, another host refused without contacting it), and the allow-list
enforced at the point of I/O.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from activities.health_checks import check_endpoint_health
from shared.errors import PermanentError
from tests.support.functions import user_function

SLOW_SECONDS = 2.0
TIMEOUT_SECONDS = 0.3


class _Endpoints(BaseHTTPRequestHandler):
    """Paths named after what they answer; records every path it served."""

    served: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.served.append(self.path)
        if self.path == "/ok":
            self._answer(200)
        elif self.path == "/fail":
            self._answer(500)
        elif self.path == "/slow":
            time.sleep(SLOW_SECONDS)
            self._answer(200)
        elif self.path == "/moved":
            self._answer(302, {"Location": "/ok"})
        elif self.path == "/elsewhere":
            self._answer(302, {"Location": "http://169.254.169.254/latest/meta-data/"})
        elif self.path == "/loop":
            self._answer(302, {"Location": "/loop"})
        else:
            self._answer(404)

    def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout case)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoints)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def check(server: str, app_settings: pytest.MonkeyPatch) -> Any:
    allowlist = {
        name: f"{server}/{name}" for name in ("ok", "fail", "slow", "moved", "elsewhere", "loop")
    }
    allowlist["down"] = f"http://127.0.0.1:{_closed_port()}/health"
    app_settings.setenv("HEALTH_MONITOR_ALLOWLIST", json.dumps(allowlist))
    app_settings.setenv("HEALTH_CHECK_TIMEOUT_SECONDS", str(TIMEOUT_SECONDS))
    _Endpoints.served.clear()
    return user_function(check_endpoint_health)


def test_a_2xx_is_healthy(check: Any) -> None:
    result = check({"name": "ok"})

    assert result["healthy"] is True
    assert result["statusCode"] == 200
    assert result["errorKind"] is None
    assert result["latencyMs"] >= 0
    assert set(result) == {"name", "healthy", "statusCode", "latencyMs", "errorKind", "checkedAt"}


def test_a_500_is_unhealthy_with_its_status(check: Any) -> None:
    result = check({"name": "fail"})

    assert (result["healthy"], result["statusCode"], result["errorKind"]) == (
        False,
        500,
        "http_status",
    )


def test_a_slow_endpoint_times_out(check: Any) -> None:
    result = check({"name": "slow"})

    assert result["healthy"] is False
    assert result["errorKind"] == "timeout"
    assert result["statusCode"] is None


def test_a_refused_connection_is_unhealthy(check: Any) -> None:
    result = check({"name": "down"})

    assert (result["healthy"], result["errorKind"]) == (False, "connection")


def test_a_redirect_on_the_same_host_is_followed(check: Any) -> None:
    result = check({"name": "moved"})

    assert (result["healthy"], result["statusCode"]) == (True, 200)
    assert _Endpoints.served == ["/moved", "/ok"]


def test_a_redirect_to_another_host_is_not_followed(check: Any) -> None:
    result = check({"name": "elsewhere"})

    assert result["healthy"] is False
    assert result["statusCode"] == 302
    assert result["errorKind"] == "redirect_off_host"
    assert "169.254" not in json.dumps(result), "no URL leaks into the result"


def test_a_redirect_loop_is_unhealthy(check: Any) -> None:
    result = check({"name": "loop"})

    assert result["healthy"] is False
    assert result["statusCode"] == 302


def test_a_name_outside_the_allow_list_is_a_permanent_error(check: Any) -> None:
    with pytest.raises(PermanentError, match="not_allowed"):
        check({"name": "intranet"})

    assert _Endpoints.served == []


@pytest.mark.parametrize(
    "payload", [{"name": "http://127.0.0.1/ok"}, {"url": "http://127.0.0.1/ok"}, {}, None]
)
def test_invalid_input_is_a_permanent_validation_error(check: Any, payload: Any) -> None:
    with pytest.raises(PermanentError, match="validation"):
        check(payload)

    assert _Endpoints.served == []
