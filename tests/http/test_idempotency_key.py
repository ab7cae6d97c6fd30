"""`Idempotency-Key` on approval starts and counter signals: retries have one effect.

Route handlers run in-process with a mocked durable client; the keys live in the test Azurite.
"""

from __future__ import annotations

import inspect
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.functions as func
import pytest
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

import function_app  # noqa: F401  (registers every route, filling OPERATIONS)
from api import approvals, counters, routing
from api.access import Access
from api.openapi import build_document
from api.replays import idempotency_key, keyed_request_id, request_fingerprint, request_scope
from api.routing import OPERATIONS, Routes
from shared import request_replays, storage
from shared.models.approvals.workflow import APPROVAL_ORCHESTRATOR
from shared.request_replays import Claim
from tests.http import samples
from tests.support.functions import client_function

pytestmark = pytest.mark.usefixtures("app_storage")

BASE = "https://shop.example.com/api"
start_approval = client_function(approvals.start_expense_approval)
signal = client_function(counters.signal_counter)
APPROVALS = "start_expense_approval"
COUNTERS = "signal_counter"


def fresh_key() -> str:
    return f"key-{secrets.token_hex(8)}"


def headers(key: str | None, caller_key: str | None = None) -> dict[str, str]:
    sent = {"content-type": "application/json"}
    if key is not None:
        sent["Idempotency-Key"] = key
    if caller_key is not None:
        sent["x-functions-key"] = caller_key
    return sent


def approval(
    key: str | None, body: dict[str, Any] | None = None, caller_key: str | None = None
) -> Any:
    return func.HttpRequest(
        "POST",
        f"{BASE}/approvals",
        headers=headers(key, caller_key),
        body=json.dumps(body or samples.APPROVAL).encode(),
    )


def counter_signal(
    key: str | None, amount: int = 5, counter: str = "visits", caller_key: str | None = None
) -> Any:
    return func.HttpRequest(
        "POST",
        f"{BASE}/counters/{counter}/add",
        headers=headers(key, caller_key),
        route_params={"key": counter, "operation": "add"},
        body=json.dumps({"amount": amount}).encode(),
    )


def stored_row(req: func.HttpRequest, key_scope: str) -> dict[str, Any] | None:
    table = storage.table(request_replays.IDEMPOTENT_REQUESTS_TABLE)
    return storage.get_entity(table, request_scope(key_scope, req), idempotency_key(req) or "")


def forget(req: func.HttpRequest, key_scope: str) -> None:
    """Lose the key's row, as a takeover after its lease or an expiry would."""
    table = storage.table(request_replays.IDEMPOTENT_REQUESTS_TABLE)
    table.delete_entity(request_scope(key_scope, req), idempotency_key(req) or "")


def problem(response: func.HttpResponse) -> Any:
    assert response.mimetype == "application/problem+json"
    return json.loads(response.get_body())


async def test_a_retried_approval_start_starts_one_approval_and_gets_the_same_answer(
    client: Any,
) -> None:
    key = fresh_key()

    first = await start_approval(approval(key), client)
    again = await start_approval(approval(key), client)

    assert first.status_code == again.status_code == 202
    assert again.get_body() == first.get_body()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    client.start_new.assert_awaited_once()


async def test_a_retry_after_a_lost_claim_joins_the_approval_the_first_attempt_started(
    client: Any,
) -> None:
    """The key's row is gone (say a takeover after its lease): the instance id still joins."""
    key = fresh_key()
    first = await start_approval(approval(key), client)
    started_id = json.loads(first.get_body())["id"]
    _, instance_id, payload = client.start_new.await_args.args
    assert instance_id == started_id
    forget(approval(key), APPROVALS)
    client.get_status.return_value = DurableOrchestrationStatus.from_json(
        {
            "name": APPROVAL_ORCHESTRATOR,
            "instanceId": instance_id,
            "createdTime": "2026-01-05T09:00:00Z",
            "runtimeStatus": "Running",
            "input": json.dumps(payload),
        }
    )

    again = await start_approval(approval(key), client)

    assert again.status_code == 202
    assert json.loads(again.get_body())["id"] == started_id
    client.start_new.assert_awaited_once()


async def test_the_same_key_with_another_body_is_a_409_naming_the_key(client: Any) -> None:
    key = fresh_key()
    await start_approval(approval(key), client)

    refused = await start_approval(approval(key, {**samples.APPROVAL, "amount": "99"}), client)

    assert refused.status_code == 409
    assert f"'{key}'" in problem(refused)["detail"]
    client.start_new.assert_awaited_once()


async def test_without_the_header_every_request_starts_its_own_approval(client: Any) -> None:
    first = await start_approval(approval(None), client)
    second = await start_approval(approval(None), client)

    assert first.status_code == second.status_code == 202
    assert json.loads(first.get_body())["id"] != json.loads(second.get_body())["id"]
    assert client.start_new.await_count == 2


@pytest.mark.parametrize("key", ["", "a/b", "spaces in key", "x" * 129, "-leading-dash", "ü"])
async def test_a_malformed_key_is_a_400_naming_the_header(client: Any, key: str) -> None:
    refused = await start_approval(approval(key), client)

    assert refused.status_code == 400
    assert [e["field"] for e in problem(refused)["errors"]] == ["Idempotency-Key"]
    client.start_new.assert_not_awaited()


async def test_a_refused_request_gives_its_key_up(client: Any) -> None:
    key = fresh_key()
    invalid = {**samples.APPROVAL, "amount": "-1"}

    assert (await start_approval(approval(key, invalid), client)).status_code == 400
    corrected = await start_approval(approval(key), client)

    assert corrected.status_code == 202
    client.start_new.assert_awaited_once()


async def test_a_key_still_being_processed_is_a_409_to_retry_shortly(client: Any) -> None:
    key = fresh_key()
    request = approval(key)
    scope = request_scope(APPROVALS, request)
    held = request_replays.claim(scope, key, request_fingerprint(request))
    assert isinstance(held, request_replays.Claim)

    busy = await start_approval(approval(key), client)

    assert busy.status_code == 409
    assert busy.headers["Retry-After"] == "1"
    assert f"'{key}'" in problem(busy)["detail"]
    client.start_new.assert_not_awaited()


async def test_keys_are_scoped_per_caller(client: Any) -> None:
    key = fresh_key()

    one = await start_approval(approval(key, caller_key="storefront"), client)
    other = await start_approval(approval(key, caller_key="back-office"), client)

    assert json.loads(one.get_body())["id"] != json.loads(other.get_body())["id"]
    assert client.start_new.await_count == 2


async def test_a_retried_counter_signal_counts_once(client: Any) -> None:
    key = fresh_key()

    first = await signal(counter_signal(key), client)
    again = await signal(counter_signal(key), client)

    assert first.status_code == again.status_code == 202
    assert again.get_body() == first.get_body()
    client.signal_entity.assert_awaited_once()


def signalled_input(client: Any) -> Any:
    _, _, operation_input = client.signal_entity.await_args.args
    return operation_input


async def test_a_keyed_signal_carries_one_request_id_for_every_attempt(client: Any) -> None:
    """The key's row is lost (say the answer was never stored): the retry's id is the same."""
    key = fresh_key()
    await signal(counter_signal(key), client)
    first = signalled_input(client)
    forget(counter_signal(key), COUNTERS)

    await signal(counter_signal(key), client)
    retried = signalled_input(client)
    forget(counter_signal(key), COUNTERS)
    await signal(counter_signal(key, amount=6), client)
    changed = signalled_input(client)

    assert first["amount"] == retried["amount"] == 5
    assert first["requestId"] == retried["requestId"]
    assert len(first["requestId"]) == 32
    assert key not in json.dumps(first)
    assert changed["requestId"] != first["requestId"]  # another request under the key


@pytest.mark.parametrize("retention_hours", [1, 720])
async def test_a_keyed_signal_tells_the_counter_when_its_key_expires(
    client: Any, app_settings: pytest.MonkeyPatch, retention_hours: int
) -> None:
    app_settings.setenv("IDEMPOTENCY_KEY_RETENTION_HOURS", str(retention_hours))
    req = counter_signal(fresh_key())

    await signal(req, client)

    sent = signalled_input(client)
    expires = datetime.fromisoformat(sent["expiresAt"])
    assert expires - datetime.fromisoformat(sent["sentAt"]) == timedelta(hours=retention_hours)
    claimed = datetime.fromisoformat((stored_row(req, COUNTERS) or {})["ExpiresAt"])
    assert claimed <= expires  # never forgotten while the key is remembered


async def test_request_ids_differ_per_caller_and_without_a_key_none_is_sent(client: Any) -> None:
    key = fresh_key()
    ids = set()
    for caller in ("storefront", "back-office"):
        await signal(counter_signal(key, caller_key=caller), client)
        ids.add(signalled_input(client)["requestId"])

    await signal(counter_signal(None), client)

    assert len(ids) == 2
    assert signalled_input(client) == 5  # the bare amount, as an unkeyed signal always was


async def test_a_counter_key_reused_for_another_counter_or_amount_is_a_409(client: Any) -> None:
    key = fresh_key()
    await signal(counter_signal(key), client)

    for changed in (counter_signal(key, amount=6), counter_signal(key, counter="other")):
        refused = await signal(changed, client)
        assert refused.status_code == 409
        assert f"'{key}'" in problem(refused)["detail"]
    client.signal_entity.assert_awaited_once()


async def test_counter_signals_without_a_key_each_count(client: Any) -> None:
    await signal(counter_signal(None), client)
    await signal(counter_signal(None), client)

    assert client.signal_entity.await_count == 2


def test_the_contract_documents_the_header_on_both_routes() -> None:
    paths = build_document(OPERATIONS.values())["paths"]
    for path in ("/approvals", "/counters/{key}/{operation}"):
        operation = paths[path]["post"]
        (header,) = [p for p in operation["parameters"] if p["in"] == "header"]
        assert header["name"] == "Idempotency-Key"
        assert header["required"] is False
        assert header["schema"]["maxLength"] == 128
        assert "pattern" in header["schema"]
        assert {"400", "409"} <= set(operation["responses"])


# A request that outlived its claim: its own answer, the key left to the request holding it.


def taken_over_during(req: func.HttpRequest, key_scope: str) -> Callable[..., None]:
    """A side effect that lets another request claim the key, as if this one outlived it."""

    def take_over(*_: Any, **__: Any) -> None:
        later = datetime.now(UTC) + timedelta(hours=25)
        scope, key = request_scope(key_scope, req), idempotency_key(req) or ""
        assert isinstance(request_replays.claim(scope, key, "newer", now=later), Claim)

    return take_over


async def test_a_request_that_outlived_its_key_answers_but_leaves_the_newer_claim(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    req = counter_signal(fresh_key())
    client.signal_entity.side_effect = taken_over_during(req, COUNTERS)

    with caplog.at_level("WARNING", logger="api.replays"):
        answered = await signal(req, client)

    assert answered.status_code == 202
    assert json.loads(answered.get_body())["amount"] == 5
    row = stored_row(req, COUNTERS) or {}
    assert (row["Fingerprint"], row["State"]) == ("newer", "pending")
    assert "signal_counter answered 202 after another request took its Idempotency-Key over" in (
        caplog.text
    )


async def test_a_request_that_outlived_its_key_and_failed_leaves_the_newer_claim(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    req = approval(fresh_key())
    take_over = taken_over_during(req, APPROVALS)

    def fails_after_the_takeover(*args: Any, **kwargs: Any) -> None:
        take_over()
        raise RuntimeError("the orchestration did not start")

    client.start_new.side_effect = fails_after_the_takeover

    with caplog.at_level("WARNING", logger="api.replays"):
        failed = await start_approval(req, client)

    assert failed.status_code == 500
    assert (stored_row(req, APPROVALS) or {})["Fingerprint"] == "newer"
    assert "start_expense_approval answered an error after another request" in caplog.text


# Key scopes: declared once on the route, stored with every key, independent of the name.


def test_the_keyed_routes_keep_their_key_scopes() -> None:
    """Scopes are stored: in every claim's partition, approval ids and counter request ids.

    A changed scope would forget every kept key; it must stay when a function is renamed.
    """
    scopes = {op.function_name: op.key_scope for op in OPERATIONS.values() if op.key_scope}

    assert scopes == {APPROVALS: "start_expense_approval", COUNTERS: "signal_counter"}


async def test_a_renamed_route_keeps_its_claims_and_request_ids(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared = OPERATIONS[COUNTERS]
    others = {name: op for name, op in OPERATIONS.items() if name != COUNTERS}
    monkeypatch.setattr(routing, "OPERATIONS", others)
    renamed = client_function(
        Routes("counters").route(
            declared.method,
            declared.route,
            access=declared.access,
            client=True,
            summary=declared.summary,
            name="count_signal",
            key_scope=declared.key_scope,
        )(inspect.unwrap(signal))
    )
    key = fresh_key()

    first = await renamed(counter_signal(key), client)
    request_id = signalled_input(client)["requestId"]
    replayed = await signal(counter_signal(key), client)
    forget(counter_signal(key), COUNTERS)
    await signal(counter_signal(key), client)

    assert first.status_code == replayed.status_code == 202
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert signalled_input(client)["requestId"] == request_id
    assert client.signal_entity.await_count == 2  # the renamed route, then after the row was lost


def test_two_routes_cannot_share_a_key_scope_and_a_scope_is_a_plain_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(routing, "OPERATIONS", dict(OPERATIONS))
    handler = inspect.unwrap(signal)

    def declare(name: str, key_scope: str) -> Any:
        route = Routes("scratch").route
        declared = route(
            "POST", name, name=name, access=Access.FUNCTION, summary=name, key_scope=key_scope
        )
        return declared(handler)

    with pytest.raises(ValueError, match="key scope 'signal_counter' is signal_counter's"):
        declare("signal_counter_copy", COUNTERS)
    with pytest.raises(ValueError, match="not a lower-case name"):
        declare("odd_signal", "~x")


async def test_only_a_route_declared_with_a_key_scope_may_derive_an_id_from_a_key() -> None:
    with pytest.raises(RuntimeError, match="key_scope"):
        keyed_request_id(counter_signal(fresh_key()))
