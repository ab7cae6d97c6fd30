"""Every route the shop promises, as its users call it: the method and the path template."""

from __future__ import annotations

import re
from typing import Any

#: (method, path under /api) of every operation; `/api/openapi.json` must document exactly these.
ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/customers"),
        ("GET", "/customers"),
        ("GET", "/customers/{customerId}"),
        ("POST", "/orders"),
        ("GET", "/orders/{orderId}"),
        ("POST", "/orders/{orderId}/recovery"),
        ("GET", "/order-recoveries"),
        ("PUT", "/inventory/{sku}"),
        ("GET", "/inventory/{sku}"),
        ("POST", "/batches"),
        ("GET", "/batches/{batchId}"),
        ("GET", "/batches/{batchId}/results"),
        ("POST", "/jobs"),
        ("GET", "/jobs/{jobId}"),
        ("PUT", "/jobs/{jobId}"),
        ("POST", "/monitors"),
        ("POST", "/approvals"),
        ("GET", "/approvals/{instanceId}"),
        ("POST", "/approvals/{instanceId}/decision"),
        ("POST", "/health-monitors"),
        ("GET", "/health-monitors/{name}"),
        ("DELETE", "/health-monitors/{name}"),
        ("POST", "/counters/{key}/{operation}"),
        ("GET", "/counters/{key}"),
        ("GET", "/instances"),
        ("GET", "/instances/{instanceId}"),
        ("GET", "/instances/{instanceId}/details"),
        ("DELETE", "/instances/{instanceId}"),
        ("POST", "/instances/{instanceId}/terminate"),
        ("POST", "/instances/{instanceId}/suspend"),
        ("POST", "/instances/{instanceId}/resume"),
        ("GET", "/notifications"),
        ("GET", "/health"),
        ("GET", "/openapi.json"),
    }
)

#: The one route callable without a function key.
ANONYMOUS = frozenset({("GET", "/health")})

#: Routes only the master key opens: instance data and commands, the outbox, customers.
MASTER_KEY_ONLY = frozenset(
    {
        ("GET", "/customers"),
        ("GET", "/customers/{customerId}"),
        ("GET", "/instances"),
        ("GET", "/instances/{instanceId}/details"),
        ("DELETE", "/instances/{instanceId}"),
        ("POST", "/instances/{instanceId}/terminate"),
        ("POST", "/instances/{instanceId}/suspend"),
        ("POST", "/instances/{instanceId}/resume"),
        ("GET", "/notifications"),
        ("POST", "/orders/{orderId}/recovery"),
        ("GET", "/order-recoveries"),
    }
)

_PARAMETER = re.compile(r"\{([^}]+)\}")


def documented_routes(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(method, path) of every operation in an OpenAPI document."""
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "put", "post", "delete", "patch"}
    }


def _template_pattern(path: str) -> re.Pattern[str]:
    """`/instances/{instanceId}` as a regex matching one concrete path."""
    return re.compile("^" + "[^/]+".join(map(re.escape, _PARAMETER.split(path)[::2])) + "$")


_MASTER_KEY_PATTERNS = tuple(
    (method, _template_pattern(path)) for method, path in sorted(MASTER_KEY_ONLY)
)


def needs_master_key(method: str, path: str) -> bool:
    """Whether a concrete request path (under /api, no query) is a master-key route."""
    return any(m == method.upper() and p.match(path) for m, p in _MASTER_KEY_PATTERNS)


def concrete(path: str) -> str:
    """The template with harmless values: ids nobody uses, and an operation that is allowed."""
    return _PARAMETER.sub(lambda m: "add" if m.group(1) == "operation" else "e2e-nothing", path)
