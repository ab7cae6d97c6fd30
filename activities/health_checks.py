"""Activity `check_endpoint_health`: one HTTP GET against an allow-listed endpoint.

No SSRF: the input is an endpoint *name*; the URL comes from the HEALTH_MONITOR_ALLOWLIST
setting, resolved here at the point of I/O, so it never enters orchestration history and a
name removed from the allow-list stops being checked at once. Redirects are followed only on
the same host (or an http -> https upgrade of it): a redirect elsewhere counts as unhealthy.

A check never fails for the endpoint's sake: timeouts, refused connections and error statuses
are *results* (unhealthy, with an error kind). Only a name outside the allow-list or invalid
input is an error, a permanent one. A GET has no side effect, so a re-run needs no key.
"""

from __future__ import annotations

import http.client
import logging
import ssl
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import IO
from urllib.parse import SplitResult, urlsplit

from activities.boundary import Activities
from shared.errors import ErrorCode, PermanentError
from shared.models.health_monitors.activities import (
    CheckErrorKind,
    HealthCheckRequest,
    HealthCheckResult,
)
from shared.settings import get_settings

activity = Activities()
bp = activity.bp
logger = logging.getLogger(__name__)

USER_AGENT = "durable-shop-health-check/1.0"
MAX_REDIRECTS = 3


class _RedirectRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"redirect ({status}) to another host refused")
        self.status = status


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only when it stays on the configured endpoint's host."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not _same_host(urlsplit(req.full_url), urlsplit(newurl)):
            fp.close()
            raise _RedirectRefused(code)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _same_host(origin: SplitResult, target: SplitResult) -> bool:
    """Same host and port (default ports spelled out or not), or its http -> https upgrade."""
    if (target.hostname or "").lower() != (origin.hostname or "").lower():
        return False
    if (target.scheme, _port(target)) == (origin.scheme, _port(origin)):
        return True
    upgrade = origin.scheme == "http" and target.scheme == "https"
    return upgrade and _port(target) == 443


def _port(url: SplitResult) -> int | None:
    return url.port if url.port is not None else _DEFAULT_PORTS.get(url.scheme)


def resolve_endpoint(name: str) -> str:
    """The URL behind an allow-listed name; anything else is a permanent NOT_ALLOWED error."""
    url = get_settings().health_monitor_allowlist.get(name)
    if url is None:
        raise PermanentError(
            ErrorCode.NOT_ALLOWED, f"endpoint '{name}' is not in HEALTH_MONITOR_ALLOWLIST"
        )
    return str(url)


@activity(HealthCheckRequest)
def check_endpoint_health(request: HealthCheckRequest) -> HealthCheckResult:
    """GET the endpoint once; 2xx is healthy, anything else (or no answer) is not."""
    url = resolve_endpoint(request.name)
    timeout = get_settings().health_check_timeout_seconds
    opener = urllib.request.build_opener(_SameHostRedirects)
    probe = urllib.request.Request(
        url, method="GET", headers={"User-Agent": USER_AGENT, "Accept": "*/*"}
    )
    status: int | None = None
    error: CheckErrorKind | None = None
    started = time.monotonic()
    try:
        with opener.open(probe, timeout=timeout) as response:
            status = int(response.status)
    except _RedirectRefused as exc:
        status, error = exc.status, CheckErrorKind.REDIRECT_OFF_HOST
    except urllib.error.HTTPError as exc:
        exc.close()
        status, error = exc.code, CheckErrorKind.HTTP_STATUS
    except urllib.error.URLError as exc:
        error = _error_kind(exc.reason)
    except (OSError, http.client.HTTPException) as exc:
        error = _error_kind(exc)
    latency_ms = round((time.monotonic() - started) * 1000)
    healthy = error is None and status is not None and 200 <= status < 300
    if not healthy and error is None:
        error = CheckErrorKind.HTTP_STATUS
    logger.info(
        "health check %s: healthy=%s status=%s error=%s latency=%dms",
        request.name,
        healthy,
        status,
        error,
        latency_ms,
    )
    return HealthCheckResult(
        name=request.name,
        healthy=healthy,
        status_code=status,
        latency_ms=latency_ms,
        error_kind=error,
        checked_at=datetime.now(UTC),
    )


def _error_kind(reason: object) -> CheckErrorKind:
    if isinstance(reason, TimeoutError):
        return CheckErrorKind.TIMEOUT
    if isinstance(reason, ssl.SSLError):
        return CheckErrorKind.TLS
    return CheckErrorKind.CONNECTION
