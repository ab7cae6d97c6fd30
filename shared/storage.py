"""The one way the app reaches Azure Table Storage.

Two connection styles, matching what the infrastructure configures for the `AppStorage`
connection:
- a connection string in `AppStorage` (Azurite locally: `UseDevelopmentStorage=true`);
- identity-based: `AppStorage__tableServiceUri` (or `AppStorage__accountName`), plus
  `AppStorage__credential=managedidentity` and `AppStorage__clientId` for a user-assigned
  identity; `DefaultAzureCredential` otherwise (developer sign-in).

Tables are created on first use, once per process.

Calls made within `shared.storage_deadline.bounded_calls` (every HTTP request) go through
clients that give up after its seconds to connect or to read an answer, without retrying.

Clients are built once per process and bound, and read what the environment says about the
connection (proxy, CA bundle) when they are built, not on every call; their per-call HTTP log
lines are off (docs/telemetry.md, "Table Storage calls").
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, TableServiceClient
from requests.utils import get_environ_proxies

from shared.idempotency import require_match, stamped
from shared.settings import APP_STORAGE_CONNECTION
from shared.storage_deadline import call_timeout

Entity = dict[str, Any]

_lock = threading.Lock()
_services: dict[tuple[str, float | None], TableServiceClient] = {}
_tables: dict[tuple[str, str, float | None], TableClient] = {}
#: (connection, table) pairs this process has created (or found), whichever bound it used.
_created: set[tuple[str, str]] = set()

#: Where the table clients' per-call request and response lines go (azure-core logs two INFO
#: records per call, and the Functions worker forwards INFO); set it to INFO to see them.
HTTP_LOG = logging.getLogger("shared.storage.http")
HTTP_LOG.setLevel(logging.WARNING)

#: Where requests reads a CA bundle from, first match wins (as it does with `trust_env`).
CA_BUNDLE_SETTINGS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class StorageConfigError(RuntimeError):
    """The connection settings are missing or contradictory: a deployment problem."""


def table_service(connection: str = APP_STORAGE_CONNECTION) -> TableServiceClient:
    """A cached client for the account behind `connection` (bounded inside `bounded_calls`)."""
    timeout = call_timeout()
    with _lock:
        service = _services.get((connection, timeout))
        if service is None:
            service = _create_service(connection, os.environ, _timeouts(timeout))
            _services[(connection, timeout)] = service
        return service


def table(name: str, connection: str = APP_STORAGE_CONNECTION) -> TableClient:
    """A client for table `name`, creating the table the first time this process uses it."""
    key = (connection, name, call_timeout())
    with _lock:
        client = _tables.get(key)
        created = (connection, name) in _created
    if client is not None:
        return client
    service = table_service(connection)
    client = service.get_table_client(name) if created else service.create_table_if_not_exists(name)
    with _lock:
        _created.add((connection, name))
        return _tables.setdefault(key, client)


def reset_clients() -> None:
    """Forget cached clients (tests point the app at a fresh Azurite between sessions)."""
    with _lock:
        _services.clear()
        _tables.clear()
        _created.clear()


def get_entity(client: TableClient, partition_key: str, row_key: str) -> Entity | None:
    """The entity, or None when it does not exist."""
    try:
        return dict(client.get_entity(partition_key=partition_key, row_key=row_key))
    except ResourceNotFoundError:
        return None


def insert_once(
    client: TableClient, entity: Mapping[str, Any], *, fingerprint: str | None = None
) -> tuple[Entity, bool]:
    """Insert `entity` unless its key exists; return the stored entity and whether we created it.

    This is the idempotency primitive: an activity that runs twice with the same key sees the
    first run's row and returns its result instead of repeating the effect.

    With `fingerprint` (see `shared.idempotency`), the row stores it, and a row found under the
    key must carry the same one: a row written for a different request raises
    `FingerprintMismatch` instead of being handed back as this request's result. Without
    `fingerprint`, nothing is compared.
    """
    row = stamped(entity, fingerprint)
    try:
        client.create_entity(entity=dict(row))
        return row, True
    except ResourceExistsError:
        existing = get_entity(client, row["PartitionKey"], row["RowKey"])
        if existing is None:  # deleted between our insert and read: try once more
            client.create_entity(entity=dict(row))
            return row, True
        require_match(
            existing,
            fingerprint,
            f"row '{row['PartitionKey']}/{row['RowKey']}' of table '{client.table_name}'",
        )
        return existing, False


def _timeouts(seconds: float | None) -> dict[str, Any]:
    """Client options bounding each call to `seconds`, no retry (none: the SDK's defaults)."""
    if seconds is None:
        return {}
    return {"connection_timeout": seconds, "read_timeout": seconds, "retry_total": 0}


def _create_service(
    connection: str, environ: Mapping[str, str], options: Mapping[str, Any]
) -> TableServiceClient:
    connection_string = environ.get(connection)
    if connection_string:
        parsed = TableServiceClient.from_connection_string(connection_string).url
        return TableServiceClient.from_connection_string(
            connection_string, **options, **_environment_options(parsed, environ)
        )
    endpoint = environ.get(f"{connection}__tableServiceUri")
    account = environ.get(f"{connection}__accountName")
    if not endpoint and account:
        endpoint = f"https://{account}.table.core.windows.net"
    if not endpoint:
        raise StorageConfigError(
            f"set '{connection}' to a connection string, or '{connection}__tableServiceUri' / "
            f"'{connection}__accountName' for an identity-based connection"
        )
    return TableServiceClient(
        endpoint=endpoint,
        credential=_credential(connection, environ),
        **options,
        **_environment_options(endpoint, environ),
    )


def _environment_options(endpoint: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The client options requests would otherwise derive from the environment on every call.

    With its environment settings on, requests looks up the proxy for each call's URL
    (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), a CA bundle and ~/.netrc, about a tenth of a call's
    CPU. The endpoint is fixed per client, so its proxy is looked up once, here. (A .netrc
    entry would replace the storage request's own Authorization header, so it is not read.)
    """
    options: dict[str, Any] = {"use_env_settings": False, "logger": HTTP_LOG}
    proxies = get_environ_proxies(endpoint)  # reads os.environ, as requests does
    if proxies:
        options["proxies"] = proxies
    bundle = next(filter(None, map(environ.get, CA_BUNDLE_SETTINGS)), None)
    if bundle:
        options["connection_verify"] = bundle
    return options


def _credential(connection: str, environ: Mapping[str, str]) -> TokenCredential:
    # Imported lazily: azure-identity is only needed for identity-based connections.
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    client_id = environ.get(f"{connection}__clientId")
    if environ.get(f"{connection}__credential", "").lower() == "managedidentity":
        if client_id:
            return ManagedIdentityCredential(client_id=client_id)
        return ManagedIdentityCredential()
    return DefaultAzureCredential(managed_identity_client_id=client_id)
