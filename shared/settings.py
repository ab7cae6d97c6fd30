"""App settings, read once from the environment (Functions app settings / local.settings.json).

Only `api/` and `activities/` read settings. Orchestrators must not read the environment: the
HTTP starters resolve any limit an orchestration needs and pass it in the orchestration input,
so a replay always sees the value the instance started with.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

#: Name of the connection used for the app's own tables (not the host's AzureWebJobsStorage).
APP_STORAGE_CONNECTION = "AppStorage"

EndpointName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63, strip_whitespace=True),
]


class SettingsError(RuntimeError):
    """A setting is missing or malformed: a deployment problem, not a caller's."""


class Settings(BaseModel):
    """Every tunable the app reads, with the defaults the infrastructure also uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    batch_max_parallel: int = Field(16, ge=1, le=200)
    batch_chunk_size: int = Field(100, ge=10, le=1000)
    batch_max_items: int = Field(10_000, ge=1, le=10_000)
    approval_default_stage_hours: float = Field(72, gt=0, le=144)
    health_monitor_allowlist: dict[EndpointName, AnyHttpUrl] = Field(default_factory=dict)
    health_check_interval_seconds: int = Field(300, ge=1, le=86_400)
    health_alert_threshold: int = Field(3, ge=1, le=100)
    health_check_timeout_seconds: float = Field(10, gt=0, le=60)
    max_request_bytes: int = Field(2 * 1024 * 1024, ge=1024, le=16 * 1024 * 1024)
    operations_email: EmailStr = "ops@example.com"

    @field_validator("health_monitor_allowlist", mode="before")
    @classmethod
    def _parse_allowlist(cls, value: object) -> object:
        """Accept the JSON object form used in app settings: {"name": "https://..."}."""
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"must be a JSON object of name -> URL ({exc.msg})") from exc
        return value


_ENV_NAMES: dict[str, str] = {
    "batch_max_parallel": "BATCH_MAX_PARALLEL",
    "batch_chunk_size": "BATCH_CHUNK_SIZE",
    "batch_max_items": "BATCH_MAX_ITEMS",
    "approval_default_stage_hours": "APPROVAL_DEFAULT_STAGE_HOURS",
    "health_monitor_allowlist": "HEALTH_MONITOR_ALLOWLIST",
    "health_check_interval_seconds": "HEALTH_CHECK_INTERVAL_SECONDS",
    "health_alert_threshold": "HEALTH_ALERT_THRESHOLD",
    "health_check_timeout_seconds": "HEALTH_CHECK_TIMEOUT_SECONDS",
    "max_request_bytes": "MAX_REQUEST_BYTES",
    "operations_email": "OPERATIONS_EMAIL",
}

#: The app-setting names this module reads; the infrastructure templates set the same names.
SETTING_NAMES: tuple[str, ...] = tuple(_ENV_NAMES.values())


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build settings from an environment mapping; unset or empty values keep their defaults."""
    values = {field: environ[name] for field, name in _ENV_NAMES.items() if environ.get(name)}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_ENV_NAMES.get(str(err['loc'][0]), err['loc'][0])}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid app settings: {problems}") from exc


#: Set by App Service itself (not an app setting we deploy) when its Authentication ("Easy
#: Auth") is on. Only then does the platform strip client-sent X-MS-CLIENT-PRINCIPAL-* headers
#: and set them from the signed-in user; otherwise any caller can send them.
PLATFORM_AUTH_SETTING = "WEBSITE_AUTH_ENABLED"


def platform_authentication_enabled(environ: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get(PLATFORM_AUTH_SETTING, "")
    return value.strip().lower() == "true"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process. Tests that change the environment call `cache_clear()`."""
    return load_settings(os.environ)
