"""A route whose storage does not answer gives up after STORAGE_TIMEOUT_SECONDS with a 503.

The test starts an Azurite of its own and freezes it (SIGSTOP): connections are still
accepted by the kernel, but nothing answers, as with a storage service that hangs. Routes
then answer 503 with `Retry-After` within the timeout; once it is thawed (SIGCONT) they answer
as before. Activities are not bounded: they keep the SDK's timeouts and retries.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

import azure.functions as func
import pytest

from api import counters, jobs
from shared import job_store, storage
from shared.settings import APP_STORAGE_CONNECTION
from shared.storage_deadline import bounded_calls, call_timeout
from tests.support import azurite
from tests.support.functions import client_function, user_function

BASE = "https://shop.example.com/api"
get_job = user_function(jobs.get_export_job)
signal_counter = client_function(counters.signal_counter)


@pytest.fixture(scope="module")
def own_azurite() -> Iterator[azurite.Azurite]:
    """An Azurite of this module's own: freezing it stops no other test."""
    own = azurite.start_fresh()
    try:
        yield own
    finally:
        own.stop()


@pytest.fixture
def freezable_storage(
    own_azurite: azurite.Azurite, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[bool], None]]:
    """The app on `own_azurite`; call the fixture's value to freeze or thaw it."""
    assert own_azurite.process is not None
    pid = own_azurite.process.pid
    monkeypatch.setenv(APP_STORAGE_CONNECTION, own_azurite.connection_string)
    monkeypatch.setenv("STORAGE_TIMEOUT_SECONDS", "1")
    storage.reset_clients()

    def freeze(frozen: bool) -> None:
        os.kill(pid, signal.SIGSTOP if frozen else signal.SIGCONT)

    try:
        yield freeze
    finally:
        os.kill(pid, signal.SIGCONT)
        storage.reset_clients()


def job_request(job_id: str = "job-1") -> func.HttpRequest:
    return func.HttpRequest(
        "GET", f"{BASE}/jobs/{job_id}", route_params={"jobId": job_id}, body=b""
    )


def keyed_signal(key: str) -> func.HttpRequest:
    return func.HttpRequest(
        "POST",
        f"{BASE}/counters/visits/add",
        headers={"content-type": "application/json", "Idempotency-Key": key},
        route_params={"key": "visits", "operation": "add"},
        body=json.dumps({"amount": 1}).encode(),
    )


def assert_unavailable(response: func.HttpResponse) -> None:
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert json.loads(response.get_body())["title"] == "Service unavailable"


async def test_a_read_answers_503_while_storage_is_frozen_and_recovers(
    freezable_storage: Callable[[bool], None],
) -> None:
    assert (await get_job(job_request())).status_code == 404  # the table exists now

    freezable_storage(True)
    assert_unavailable(await get_job(job_request()))

    freezable_storage(False)
    assert (await get_job(job_request())).status_code == 404


async def test_a_first_call_of_the_process_which_creates_the_table_also_answers_503(
    freezable_storage: Callable[[bool], None],
) -> None:
    freezable_storage(True)

    assert_unavailable(await get_job(job_request()))


async def test_an_idempotency_key_claim_answers_503_and_signals_nothing(
    freezable_storage: Callable[[bool], None], client: Any
) -> None:
    freezable_storage(True)

    assert_unavailable(await signal_counter(keyed_signal("frozen-1"), client))
    client.signal_entity.assert_not_awaited()

    # (A claim whose write timed out may still land once storage answers: its key then waits
    # out the claim's lease, so the recovery is shown with another key.)
    freezable_storage(False)
    assert (await signal_counter(keyed_signal("thawed-1"), client)).status_code == 202


async def test_an_asyncio_timeout_in_a_handler_answers_503(mocker: Any) -> None:
    mocker.patch.object(job_store, "get_job", side_effect=TimeoutError())

    assert_unavailable(await get_job(job_request()))


def test_only_calls_within_a_request_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(APP_STORAGE_CONNECTION, "UseDevelopmentStorage=true")
    storage.reset_clients()
    try:
        assert call_timeout() is None
        unbounded = storage.table_service()
        with bounded_calls(2.5):
            assert call_timeout() == 2.5
            bounded = storage.table_service()
        assert storage.table_service() is unbounded
        assert bounded is not unbounded
        config = bounded._client._client._pipeline._transport.connection_config  # type: ignore[attr-defined]
        assert (config.timeout, config.read_timeout) == (2.5, 2.5)
    finally:
        storage.reset_clients()
