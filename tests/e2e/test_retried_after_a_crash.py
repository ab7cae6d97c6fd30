"""A client that retries after the host crashed in the middle of its request.

The host runs as a child process on a state file and is killed (SIGKILL) right after a keyed
counter signal was queued and before the request's answer was kept: the client sees its
connection drop. The restarted host delivers the queued signal. The first attempt's claim holds
the key for its lease; once that has passed, the retry is served again and signals again, and
the counter applies the repeated request once, and remembers it for as long as the key is
remembered (IDEMPOTENCY_KEY_RETENTION_HOURS, set here to two days).

The one test here that reaches past HTTP: it crashes its own host and moves the claim's time
back by a lease instead of waiting a minute. Skipped against a remote target.
"""

from __future__ import annotations

import secrets
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from azure.data.tables import TableClient, UpdateMode

from shared.request_replays import CLAIM_LEASE, IDEMPOTENT_REQUESTS_TABLE
from tests.e2e.support.client import ApiClient, expect, expect_problem
from tests.e2e.support.clock import detect_clock
from tests.e2e.support.counters import wait_for_value
from tests.e2e.support.emulated_app import ROOT, app_settings
from tests.e2e.support.keyed_emulator import KeyedEmulator
from tests.e2e.support.shop import unique
from tests.e2e.support.target import remote_base_url
from tests.support.azurite import Azurite

pytestmark = pytest.mark.skipif(
    remote_base_url() is not None, reason="crashes and restarts a local host of its own"
)
CRASH_BEFORE_ANSWER = "tests.e2e.support.crash_before_answer"


@contextmanager
def serving(host: KeyedEmulator, module: str = "durable_localhost") -> Iterator[ApiClient]:
    api = ApiClient(host.start(module))
    try:
        yield api
    finally:
        api.close()
        host.stop()


def let_the_claim_lease_pass(connection_string: str, key: str) -> None:
    """Date the claim of `key` a lease back: what a minute's wait would do."""
    table = TableClient.from_connection_string(connection_string, IDEMPOTENT_REQUESTS_TABLE)
    (claim,) = table.query_entities("RowKey eq @key", parameters={"key": key})
    claimed_at = datetime.now(UTC) - CLAIM_LEASE - timedelta(seconds=1)
    table.update_entity(
        {
            "PartitionKey": claim["PartitionKey"],
            "RowKey": key,
            "ClaimedAt": claimed_at.isoformat(),
        },
        mode=UpdateMode.MERGE,
    )


def claim_expiry(connection_string: str, key: str) -> datetime:
    table = TableClient.from_connection_string(connection_string, IDEMPOTENT_REQUESTS_TABLE)
    (claim,) = table.query_entities("RowKey eq @key", parameters={"key": key})
    return datetime.fromisoformat(claim["ExpiresAt"])


def remembered_until(host: KeyedEmulator, counter: str) -> list[datetime]:
    """When the counter forgets each request it remembers, read through the Durable webhook."""
    state = httpx.get(
        f"{host.base_url}/runtime/webhooks/durabletask/entities/counter/{counter}",
        headers={"x-functions-key": host.system_key},
        timeout=30,
    )
    assert state.status_code == 200, state.text
    until = state.json()["rememberedRequests"].values()
    return [datetime.fromtimestamp(at, UTC) for at in until]


def test_a_counter_signal_retried_after_a_crash_before_its_answer_counts_once(
    azurite: Azurite, tmp_path: Path
) -> None:
    settings = {**app_settings(azurite.connection_string), "IDEMPOTENCY_KEY_RETENTION_HOURS": "48"}
    state = str(tmp_path / "host-state.sqlite3")
    counter = unique("crash")
    keyed = {"Idempotency-Key": f"signal-{secrets.token_hex(6)}"}
    signal_path = f"/counters/{counter}/add"

    host = KeyedEmulator(ROOT, settings, tmp_path / "host.log", state=state)
    with serving(host, CRASH_BEFORE_ANSWER) as api:
        process = host.process
        assert process is not None
        with pytest.raises(httpx.TransportError):
            api.post(signal_path, {"amount": 5}, headers=keyed)
        assert process.wait(timeout=30) == -signal.SIGKILL

    with serving(host) as api:  # restarted on its state, with the same keys
        clock = detect_clock(api.target)
        wait_for_value(api, clock, counter, 5)  # the signal queued before the crash survived
        busy = api.post(signal_path, {"amount": 5}, headers=keyed)
        assert "still being processed" in expect_problem(busy, 409)["detail"]
        assert busy.headers["Retry-After"] == "1"

        let_the_claim_lease_pass(azurite.connection_string, keyed["Idempotency-Key"])
        retried = api.post(signal_path, {"amount": 5}, headers=keyed)
        assert expect(retried, 202)["amount"] == 5
        assert "Idempotent-Replayed" not in retried.headers  # served again: it signalled again
        expect(api.post(signal_path, {"amount": 1}), 202)  # applied after the retried signal

        wait_for_value(api, clock, counter, 6)
        (until,) = remembered_until(host, counter)  # one request, kept for the retry's claim
        assert until >= claim_expiry(azurite.connection_string, keyed["Idempotency-Key"])
        replayed = api.post(signal_path, {"amount": 5}, headers=keyed)
        assert expect(replayed, 202) == expect(retried, 202)
        assert replayed.headers["Idempotent-Replayed"] == "true"
