"""Which running app the suite talks to: the in-process emulator, or a URL from the environment.

`E2E_BASE_URL` (the app's root, e.g. `http://localhost:7071` or
`https://shop.azurewebsites.net`; a trailing `/api` is accepted) switches the suite to remote
mode. `E2E_FUNCTION_KEY` (a host key) is then sent as `x-functions-key`, and `E2E_MASTER_KEY`
on the operator routes only the master key opens (instances, the outbox, customers) and on the
emulator's control API, for a remote emulator started with `--clock virtual --keys`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

BASE_URL_ENV = "E2E_BASE_URL"
FUNCTION_KEY_ENV = "E2E_FUNCTION_KEY"
MASTER_KEY_ENV = "E2E_MASTER_KEY"
#: Remote mode only: allow-listed health-monitor endpoint names (comma-separated) whose URL is
#: the suite's own endpoint, served on HEALTH_ENDPOINT_PORT_ENV.
HEALTH_ENDPOINT_NAME_ENV = "E2E_HEALTH_ENDPOINT_NAME"
HEALTH_ENDPOINT_PORT_ENV = "E2E_HEALTH_ENDPOINT_PORT"

ROUTE_PREFIX = "api"


@dataclass(frozen=True)
class Target:
    """A running shop app: where it is, which keys to present, and what it can do for tests."""

    base_url: str
    function_key: str | None = None
    master_key: str | None = None
    remote: bool = False
    #: Names under which the app's HEALTH_MONITOR_ALLOWLIST points at the suite's own endpoint.
    health_endpoint_names: tuple[str, ...] = ()
    #: Whether this run may assume it is the app's only client (exact global counters).
    exclusive: bool = True
    #: Where the app sends operations alerts, when the suite configured it.
    operations_email: str | None = None

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/{ROUTE_PREFIX}"

    @property
    def label(self) -> str:
        return self.base_url if self.remote else f"in-process emulator at {self.base_url}"


def remote_base_url(environ: Mapping[str, str] = os.environ) -> str | None:
    """The remote app's root URL, or None to run against the in-process emulator."""
    raw = (environ.get(BASE_URL_ENV) or "").strip().rstrip("/")
    if not raw:
        return None
    if raw.endswith(f"/{ROUTE_PREFIX}"):
        raw = raw[: -len(ROUTE_PREFIX) - 1]
    return raw


def remote_target(base_url: str, environ: Mapping[str, str] = os.environ) -> Target:
    return Target(
        base_url=base_url,
        function_key=environ.get(FUNCTION_KEY_ENV) or None,
        master_key=environ.get(MASTER_KEY_ENV) or None,
        remote=True,
        health_endpoint_names=tuple(
            name.strip()
            for name in (environ.get(HEALTH_ENDPOINT_NAME_ENV) or "").split(",")
            if name.strip()
        ),
        exclusive=False,
    )


def health_endpoint_port(environ: Mapping[str, str] = os.environ) -> int:
    """Port for the suite's controllable endpoint: fixed in remote mode if configured, else any."""
    raw = environ.get(HEALTH_ENDPOINT_PORT_ENV) or ""
    return int(raw) if raw.isdigit() else 0
