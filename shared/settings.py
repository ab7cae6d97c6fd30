"""App settings, read once from the environment (Functions app settings / local.settings.json).

Only `api/`, `activities/` and `housekeeping/` read settings (directly or through the stores
they call). Orchestrators must not read the environment: the HTTP starters resolve any limit
an orchestration needs and pass it in the orchestration input, so a replay always sees the
value the instance started with.
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
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.models.health_monitors.activities import EndpointName
from shared.models.http import (
    KEY_RETENTION_HOURS_DEFAULT,
    KEY_RETENTION_HOURS_MAX,
    KEY_RETENTION_HOURS_MIN,
)
from shared.ncrontab import check_ncrontab
from shared.recipient_domains import recipient_allowed

#: Name of the connection used for the app's own tables (not the host's AzureWebJobsStorage).
APP_STORAGE_CONNECTION = "AppStorage"

#: A DNS domain, lower-cased: labels of letters, digits and inner hyphens, at least two.
DomainName = Annotated[
    str,
    StringConstraints(
        pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$",
        max_length=253,
        strip_whitespace=True,
        to_lower=True,
    ),
]

#: A host name with an optional port, as App Service puts it in WEBSITE_HOSTNAME.
HostName = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})(:[0-9]{1,5})?$",
        max_length=259,
        strip_whitespace=True,
    ),
]

#: Where the app is served when neither PUBLIC_BASE_URL nor WEBSITE_HOSTNAME says otherwise:
#: the local host (`make run`, `func start`).
LOCAL_BASE_URL = "http://localhost:7071"


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
    #: How long one storage call made for an HTTP request may wait to connect or for an answer
    #: before the route answers 503 (activities keep the SDK's own timeouts and retries).
    storage_timeout_seconds: float = Field(5, gt=0, le=60)
    #: How long an `Idempotency-Key` is remembered after its request claimed it; after that the
    #: key is free again (docs/idempotency.md).
    idempotency_key_retention_hours: int = Field(
        KEY_RETENTION_HOURS_DEFAULT, ge=KEY_RETENTION_HOURS_MIN, le=KEY_RETENTION_HOURS_MAX
    )
    #: When the timer removes expired keys (NCRONTAB); the host reads it as `%SETTING%`.
    idempotency_key_cleanup_schedule: str = "0 */15 * * * *"
    operations_email: EmailStr = "ops@example.com"
    #: The default is the app-setting text (the templates deploy the same string).
    notification_allowed_domains: tuple[DomainName, ...] = Field(
        "example.com,example.org",
        min_length=1,
        validate_default=True,
    )
    public_base_url: AnyHttpUrl | None = None
    website_hostname: HostName | None = None

    @field_validator("notification_allowed_domains", mode="before")
    @classmethod
    def _parse_domains(cls, value: object) -> object:
        """Accept the comma-separated form used in app settings: `example.com,example.org`."""
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("idempotency_key_cleanup_schedule")
    @classmethod
    def _ncrontab(cls, value: str) -> str:
        return check_ncrontab(value)

    @field_validator("public_base_url")
    @classmethod
    def _origin_only(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        """Routes are appended to it, so it is a scheme and host (and port), nothing more."""
        if value is not None and (
            value.path not in (None, "", "/") or value.query or value.fragment or value.username
        ):
            raise ValueError(
                "must be a scheme, host and optional port only, e.g. https://shop.example.com"
            )
        return value

    @model_validator(mode="after")
    def _operations_email_is_allowed(self) -> Settings:
        if not recipient_allowed(self.operations_email, self.notification_allowed_domains):
            raise PydanticCustomError(
                "recipient_not_allowed",
                "OPERATIONS_EMAIL is outside NOTIFICATION_ALLOWED_DOMAINS",
            )
        return self

    @property
    def app_origin(self) -> str:
        """Scheme, host and port the app's own URLs start with; never the request's Host.

        PUBLIC_BASE_URL when set (a custom domain or a gateway in front), else the platform's
        host name over https, else the local host.
        """
        if self.public_base_url is not None:
            return str(self.public_base_url).rstrip("/")
        if self.website_hostname:
            return f"https://{self.website_hostname}"
        return LOCAL_BASE_URL

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
    "storage_timeout_seconds": "STORAGE_TIMEOUT_SECONDS",
    "idempotency_key_retention_hours": "IDEMPOTENCY_KEY_RETENTION_HOURS",
    "idempotency_key_cleanup_schedule": "IDEMPOTENCY_KEY_CLEANUP_SCHEDULE",
    "operations_email": "OPERATIONS_EMAIL",
    "notification_allowed_domains": "NOTIFICATION_ALLOWED_DOMAINS",
    "public_base_url": "PUBLIC_BASE_URL",
    "website_hostname": "WEBSITE_HOSTNAME",
}

#: Read too, but not deployed by the templates: App Service sets WEBSITE_HOSTNAME itself, and
#: PUBLIC_BASE_URL is needed only where the app is reached under another name.
PLATFORM_SETTING_NAMES: tuple[str, ...] = ("PUBLIC_BASE_URL", "WEBSITE_HOSTNAME")

#: The app-setting names the infrastructure templates set; this module reads the same names.
SETTING_NAMES: tuple[str, ...] = tuple(
    name for name in _ENV_NAMES.values() if name not in PLATFORM_SETTING_NAMES
)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build settings from an environment mapping; unset or empty values keep their defaults."""
    values = {field: environ[name] for field, name in _ENV_NAMES.items() if environ.get(name)}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_ENV_NAMES.get(str(err['loc'][0]), err['loc'][0])}: {err['msg']}"
            if err["loc"]
            else err["msg"]
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


#: Optional and not set by the infrastructure templates: on unless set to a false value.
#: Decides whether `shared.sdk_timestamps` speeds up the SDK's timestamp parsing (README,
#: "Benchmark"); read once, when function_app.py is imported.
FAST_HISTORY_TIMESTAMPS_SETTING = "FAST_HISTORY_TIMESTAMPS"
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def fast_history_timestamps_enabled(environ: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get(FAST_HISTORY_TIMESTAMPS_SETTING, "")
    word = value.strip().lower()
    if not word or word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise SettingsError(
        f"invalid app settings: {FAST_HISTORY_TIMESTAMPS_SETTING}: expected true or false, "
        f"got {value!r}"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process. Tests that change the environment call `cache_clear()`."""
    return load_settings(os.environ)
