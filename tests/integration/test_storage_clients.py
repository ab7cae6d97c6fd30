"""How `shared.storage` builds its clients: once per process and bound, tables created once,
the environment's proxy honoured though it is read when a client is built, no per-call HTTP
log lines. Against Azurite; the proxy is a socket of the test's own that answers 503."""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.data.tables import TableServiceClient

from shared import storage
from shared.storage_deadline import bounded_calls
from shared.storage_faults import is_transient_storage_fault

pytestmark = pytest.mark.usefixtures("app_storage")

PROXY_SETTINGS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def _row() -> dict[str, str]:
    return {"PartitionKey": f"p-{uuid.uuid4().hex}", "RowKey": "r", "Value": "v"}


def test_a_table_is_created_once_whichever_bound_uses_it_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created: list[str] = []
    create = TableServiceClient.create_table_if_not_exists

    def counted(self: TableServiceClient, table_name: str, **kwargs: Any) -> Any:
        created.append(table_name)
        return create(self, table_name, **kwargs)

    monkeypatch.setattr(TableServiceClient, "create_table_if_not_exists", counted)
    name = f"Once{uuid.uuid4().hex[:8]}"
    row = _row()

    storage.table(name).upsert_entity(row)  # an activity: unbounded
    with bounded_calls(2):  # a request: a client of its own, on its bounded pipeline
        bounded = storage.table(name)
        assert storage.get_entity(bounded, row["PartitionKey"], "r") == row
    assert bounded is not storage.table(name)
    assert created == [name]
    transport = bounded._client._client._pipeline._transport._transport  # type: ignore[attr-defined]
    config = transport.connection_config
    assert (config.timeout, config.read_timeout) == (2, 2)


@dataclass
class Proxy:
    url: str
    #: The first line of every request the proxy was sent.
    seen: list[bytes] = field(default_factory=list)


@pytest.fixture
def refusing_proxy() -> Iterator[Proxy]:
    """An HTTP proxy that answers every request 503 and records its request lines."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                seen.append(conn.recv(65536).split(b"\r\n", 1)[0])
                conn.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                    b"Connection: close\r\n\r\n"
                )

    proxy = Proxy(f"http://127.0.0.1:{server.getsockname()[1]}")
    seen = proxy.seen
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        stop.set()
        thread.join()
        server.close()


def _use_proxy(monkeypatch: pytest.MonkeyPatch, proxy: Proxy, no_proxy: str) -> None:
    for name in PROXY_SETTINGS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    if no_proxy:
        monkeypatch.setenv("NO_PROXY", no_proxy)
    storage.reset_clients()


def test_calls_go_through_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch, refusing_proxy: Proxy
) -> None:
    _use_proxy(monkeypatch, refusing_proxy, no_proxy="")

    with bounded_calls(2), pytest.raises(HttpResponseError) as failed:
        storage.table(f"Proxied{uuid.uuid4().hex[:8]}")

    assert is_transient_storage_fault(failed.value)
    assert refusing_proxy.seen
    assert refusing_proxy.seen[0].startswith(b"POST http://127.0.0.1:")


def test_no_proxy_sends_calls_to_storage_directly(
    monkeypatch: pytest.MonkeyPatch, refusing_proxy: Proxy
) -> None:
    _use_proxy(monkeypatch, refusing_proxy, no_proxy="127.0.0.1")
    row = _row()

    with bounded_calls(2):
        client = storage.table(f"Direct{uuid.uuid4().hex[:8]}")
        client.upsert_entity(row)
        assert storage.get_entity(client, row["PartitionKey"], "r") == row

    assert refusing_proxy.seen == []


def test_a_ca_bundle_named_by_the_environment_is_used() -> None:
    options = storage._environment_options(
        "https://acct.table.core.windows.net", {"CURL_CA_BUNDLE": "/etc/ssl/corp.pem"}
    )

    assert options["connection_verify"] == "/etc/ssl/corp.pem"


def test_storage_calls_log_no_per_call_http_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # what the Functions worker passes on

    storage.get_entity(storage.table("LogProbe"), "absent", "row")

    assert [r.name for r in caplog.records if r.levelno < logging.WARNING] == []
