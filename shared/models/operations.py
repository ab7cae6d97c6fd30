"""Shapes of the operational routes: `/api/health` and `/api/openapi.json`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, RootModel

from shared.models.base import Contract


class CheckResult(StrEnum):
    OK = "ok"
    UNAVAILABLE = "unavailable"


class HealthStatus(StrEnum):
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"


class HealthReport(Contract):
    """Served with 200 when every check passes, 503 otherwise.

    Safe to show anonymously: no host names, keys or error text.
    """

    status: HealthStatus
    checks: dict[str, CheckResult] = Field(
        description="One entry per dependency, e.g. `storage` (the app's Table Storage)."
    )
    version: str = Field(description="The deployed build (app setting `APP_VERSION`).")


class OpenApiDocument(RootModel[dict[str, Any]]):
    """An OpenAPI 3.1 document (see https://spec.openapis.org/oas/v3.1.0)."""
