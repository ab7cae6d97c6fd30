"""The checks the Functions host and the Durable extension make before they serve anything.

The real host refuses to start when ``host.json`` has no ``"version": "2.0"``, when the durable
storage provider's connection setting is missing, when ``storageProvider.type`` names a
provider it does not know, when the task hub name is still a ``%SETTING%`` no app setting
defines (or is not a valid name), and when ``functionTimeout`` is out of range. The local host
keeps its own state whatever the provider, but it refuses the same apps with the same kind of
message, so an app that starts here also starts under ``func start``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from durable_localhost import jsonc
from durable_localhost.startup_errors import StartupError
from durable_localhost.timeutil import format_timespan, parse_timespan

#: The Functions host's default outside the Consumption plan (Premium, Dedicated, Flex and
#: Core Tools alike); ``-1`` means no limit there.
DEFAULT_FUNCTION_TIMEOUT = timedelta(minutes=30)
MIN_FUNCTION_TIMEOUT = timedelta(seconds=1)
_UNBOUNDED = ("-1", "-1.00:00:00")
_TIMESPAN_MAX = "10675199.02:48:05.4775807"

#: Azure Storage task hub names: they name tables, queues and blob containers.
_STORAGE_HUB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,49}$")
_SETTING_REF = re.compile(r"%([^%]+)%")


@dataclass(frozen=True)
class ProviderRule:
    """How one storage provider names and finds its connection."""

    name: str
    default_connection: str
    storage_account: bool  # Azure Storage connections resolve like WebJobs connections


#: The providers the local host accepts, by ``storageProvider.type`` (case-insensitive).
PROVIDERS: dict[str, ProviderRule] = {
    "azurestorage": ProviderRule("AzureStorage", "Storage", storage_account=True),
    "azuremanaged": ProviderRule(
        "azureManaged", "DURABLE_TASK_SCHEDULER_CONNECTION_STRING", storage_account=False
    ),
}


@dataclass(frozen=True)
class StartupSettings:
    """What the checks found: the storage provider, its connection setting and the timeout."""

    provider: str
    connection_setting: str
    function_timeout: timedelta | None  # None: no limit (``"functionTimeout": -1``)

    def backend_line(self, state: str) -> str:
        """The one line the banner prints about durable state."""
        label = "Durable Task Scheduler" if self.provider == "azureManaged" else "Azure Storage"
        return (
            f"Storage provider: {self.provider} ({label}, connection {self.connection_setting}); "
            f"the local host keeps its own state in {state} and never connects to it."
        )


class HostJson:
    """``host.json``'s parsed value and text, to point errors at the line of a key."""

    def __init__(self, app_dir: Path, raw: Mapping[str, Any]) -> None:
        self.path = app_dir / "host.json"
        self.raw = raw
        text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        self._lines = text.splitlines()
        #: The file alone: app-setting overrides are another configuration source to the host.
        parsed = jsonc.loads(text) if text.strip() else {}
        self.file: Mapping[str, Any] = parsed if isinstance(parsed, Mapping) else {}

    def error(self, message: str, key: str) -> StartupError:
        """A startup error placed at the first line that mentions ``"key"``."""
        needle = f'"{key}"'
        line = next((i for i, text in enumerate(self._lines, 1) if needle in text), None)
        return StartupError(message, self.path, line)

    def durable(self) -> Mapping[str, Any]:
        """``extensions.durableTask`` (empty when absent)."""
        extensions = self.raw.get("extensions") or {}
        section = extensions.get("durableTask") if isinstance(extensions, Mapping) else None
        return section if isinstance(section, Mapping) else {}


def check_startup(
    app_dir: Path, raw: Mapping[str, Any], hub_name: str, environ: Mapping[str, str]
) -> StartupSettings:
    """Run every check; raise :class:`StartupError` at the first one the real host fails."""
    host_json = HostJson(app_dir, raw)
    _check_version(host_json)
    rule, storage = _provider(host_json)
    connection = _connection(rule, storage, environ, app_dir)
    _check_hub_name(rule, hub_name, host_json)
    timeout = function_timeout(host_json)
    return StartupSettings(rule.name, connection, timeout)


def _check_version(host_json: HostJson) -> None:
    """A non-empty ``host.json`` must say ``"version": "2.0"`` (an empty or absent one is fine)."""
    if not host_json.file:
        return
    version = host_json.file.get("version")
    if not version:
        raise StartupError(
            "The host.json file is missing the required 'version' property.", host_json.path
        )
    if str(version) != "2.0":
        raise host_json.error(
            f"'{version}' is an invalid value for host.json 'version' property. We recommend "
            "you set the 'version' property to '2.0'.",
            "version",
        )


def _provider(host_json: HostJson) -> tuple[ProviderRule, Mapping[str, Any]]:
    storage = host_json.durable().get("storageProvider") or {}
    if not isinstance(storage, Mapping):
        storage = {}
    kind = storage.get("type")
    if kind is None:
        return PROVIDERS["azurestorage"], storage
    rule = PROVIDERS.get(str(kind).lower())
    if rule is None:
        known = ", ".join(p.name for p in PROVIDERS.values())
        raise host_json.error(
            f"Storage provider type ({kind}) was not found. Available storage providers: {known}.",
            "type",
        )
    return rule, storage


def _connection(
    rule: ProviderRule, storage: Mapping[str, Any], environ: Mapping[str, str], app_dir: Path
) -> str:
    """The app setting that holds the provider's connection, or the host's refusal."""
    named = storage.get("connectionName") or storage.get("connectionStringName")
    name = str(named) if named else rule.default_connection
    candidates = [f"ConnectionStrings__{name}"]
    if rule.storage_account:
        # WebJobs connections: "Storage" is AzureWebJobsStorage; identity-based ones are a
        # section (AzureWebJobsStorage__accountName, __blobServiceUri, ...).
        candidates += [f"AzureWebJobs{name}", name]
    else:
        candidates.append(name)
    for setting in candidates:
        if environ.get(setting) or (
            rule.storage_account and any(k.startswith(f"{setting}__") for k in environ)
        ):
            return setting
    settings_file = app_dir / "local.settings.json"
    if rule.storage_account:
        message = (
            f"Unable to resolve the Azure Storage connection named '{name}'. "
            f"Set {'AzureWebJobsStorage' if name == 'Storage' else name} "
            '(locally "UseDevelopmentStorage=true" for Azurite).'
        )
    else:
        message = (
            "No connection string configuration was found for the app setting or environment "
            f"variable named '{name}'."
        )
    raise StartupError(message, settings_file if settings_file.exists() else None)


def _check_hub_name(rule: ProviderRule, hub_name: str, host_json: HostJson) -> None:
    unresolved = _SETTING_REF.search(hub_name)
    if rule.storage_account and not _STORAGE_HUB_NAME.match(hub_name):
        message = (
            f"Task hub name '{hub_name}' should contain only alphanumeric characters, start "
            "with a letter, and have length between 3 and 45."
        )
    elif unresolved:
        message = f"Task hub name '{hub_name}' could not be resolved."
    else:
        return
    if unresolved:
        message += f" No app setting named '{unresolved.group(1)}' is defined."
    raise host_json.error(message, "hubName")


def function_timeout(host_json: HostJson) -> timedelta | None:
    """``functionTimeout`` as the host reads it outside the Consumption plan."""
    value = host_json.raw.get("functionTimeout")
    if value is None:
        return DEFAULT_FUNCTION_TIMEOUT
    text = str(value).strip()
    if text in _UNBOUNDED:
        return None
    try:
        timeout = parse_timespan(text)
    except ValueError:
        raise host_json.error(
            f"functionTimeout '{text}' is not a TimeSpan ([d.]hh:mm:ss, or -1 for no limit).",
            "functionTimeout",
        ) from None
    if timeout < MIN_FUNCTION_TIMEOUT:
        raise host_json.error(
            f"FunctionTimeout must be greater than {format_timespan(MIN_FUNCTION_TIMEOUT)} "
            f"and less than {_TIMESPAN_MAX}.",
            "functionTimeout",
        )
    return timeout
