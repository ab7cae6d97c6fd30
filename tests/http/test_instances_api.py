"""The instance management routes, against a mocked durable client.

The client is an autospec of the SDK's `DurableOrchestrationClient` (its coroutine methods
become AsyncMocks), and status objects are the SDK's own `DurableOrchestrationStatus` built from
the host's JSON, so a 404 is the same falsy object the real client returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func
import pytest
from azure.durable_functions.models.OrchestrationRuntimeStatus import OrchestrationRuntimeStatus
from azure.durable_functions.models.PurgeHistoryResult import PurgeHistoryResult
from pytest_mock import MockerFixture

from api import instances
from tests.support.functions import client_function
from tests.support.instance_status import instance_status, no_instance

BASE = "https://shop.example.com/api"
SYSTEM_KEY_MARKERS = ("runtime/webhooks", "code=")

FINISHED = ["Completed", "Failed", "Terminated", "Canceled"]
NOT_FINISHED = ["Pending", "Running", "ContinuedAsNew", "Suspended"]


def status(instance_id: str = "order-1", runtime: str = "Running", **extra: Any) -> Any:
    """What the SDK client returns for an existing instance (parsed from the host's JSON)."""
    fields = {
        "lastUpdatedTime": "2026-01-05T09:01:00Z",
        "input": {"card": "4111"},
        "output": None,
        "customStatus": {"step": "payment"},
        **extra,
    }
    return instance_status(instance_id, runtime, "order_saga", **fields)


@pytest.fixture
def client(mocker: MockerFixture) -> Any:
    mock = mocker.create_autospec(df.DurableOrchestrationClient, instance=True)
    # If a handler ever used the SDK's own management URLs, they would carry the system key.
    webhook = "http://localhost:7071/runtime/webhooks/durabletask/instances/x?code=SYSTEMKEY"
    mock.create_http_management_payload.return_value = {"statusQueryGetUri": webhook}
    mock.get_status.return_value = status()
    return mock


def request(
    method: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    route: dict[str, str] | None = None,
    body: bytes | str = b"",
    headers: dict[str, str] | None = None,
) -> func.HttpRequest:
    raw = body.encode() if isinstance(body, str) else body
    query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
    return func.HttpRequest(
        method,
        f"{BASE}/{path}" + (f"?{query}" if query else ""),
        params=params or {},
        route_params=route or {},
        body=raw,
        headers=headers or {},
    )


async def call(handler: Any, req: func.HttpRequest, client: Any) -> func.HttpResponse:
    response: func.HttpResponse = await client_function(handler)(req, client)
    text = response.get_body().decode()
    for marker in SYSTEM_KEY_MARKERS:
        assert marker not in text, f"{marker!r} leaked in the body"
        assert all(marker not in value for value in response.headers.values())
    return response


def body_of(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


def problem_fields(response: func.HttpResponse) -> set[str]:
    assert response.mimetype == "application/problem+json"
    return {error["field"] for error in body_of(response).get("errors", [])}


def get_status_request(instance_id: str = "order-1", **params: str) -> func.HttpRequest:
    return request(
        "GET", f"instances/{instance_id}", params=params, route={"instanceId": instance_id}
    )


# --- GET /instances/{instanceId} -------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["bad id", "-starts-with-dash", "a/b", "x" * 101, "@counter@k"])
async def test_status_names_instance_id_for_a_bad_id(client: Any, bad_id: str) -> None:
    response = await call(instances.get_instance_status, get_status_request(bad_id), client)

    assert response.status_code == 400
    assert problem_fields(response) == {"instanceId"}
    client.get_status.assert_not_called()


async def test_status_of_an_unknown_instance_is_a_404_problem(client: Any) -> None:
    client.get_status.return_value = no_instance()

    response = await call(instances.get_instance_status, get_status_request("nope"), client)

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "nope" in body_of(response)["detail"]


@pytest.mark.parametrize("runtime", NOT_FINISHED)
async def test_unfinished_instance_answers_202_with_location_and_retry_after(
    client: Any, runtime: str
) -> None:
    client.get_status.return_value = status(runtime=runtime)

    response = await call(instances.get_instance_status, get_status_request(), client)

    assert response.status_code == 202
    assert response.headers["Location"] == f"{BASE}/instances/order-1"
    assert int(response.headers["Retry-After"]) > 0
    assert body_of(response)["runtimeStatus"] == runtime


@pytest.mark.parametrize("runtime", FINISHED)
async def test_finished_instance_answers_200_whatever_the_outcome(
    client: Any, runtime: str
) -> None:
    client.get_status.return_value = status(runtime=runtime, output={"orderId": "o-1"})

    response = await call(instances.get_instance_status, get_status_request(), client)

    assert response.status_code == 200
    assert "Location" not in response.headers
    body = body_of(response)
    assert body == {
        "instanceId": "order-1",
        "name": "order_saga",
        "runtimeStatus": runtime,
        "customStatus": {"step": "payment"},
        "output": {"orderId": "o-1"},
        "createdTime": "2026-01-05T09:00:00Z",
        "lastUpdatedTime": "2026-01-05T09:01:00Z",
    }


async def test_input_and_history_are_left_out_unless_asked_for(client: Any) -> None:
    # The host includes the input by default; the route must not pass it on.
    client.get_status.return_value = status(history=[{"EventType": "ExecutionStarted"}])

    response = await call(instances.get_instance_status, get_status_request(), client)

    assert "input" not in body_of(response)
    assert "history" not in body_of(response)
    client.get_status.assert_awaited_once_with(
        "order-1", show_history=False, show_history_output=False, show_input=False
    )


async def test_input_and_history_are_returned_when_asked_for(client: Any) -> None:
    client.get_status.return_value = status(history=[{"EventType": "ExecutionStarted"}])

    response = await call(
        instances.get_instance_details,
        get_status_request(showInput="TRUE", showHistory="true", showHistoryOutput="true"),
        client,
    )

    body = body_of(response)
    assert body["input"] == {"card": "4111"}
    assert body["history"] == [{"EventType": "ExecutionStarted"}]
    client.get_status.assert_awaited_once_with(
        "order-1", show_history=True, show_history_output=True, show_input=True
    )


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"showInput": "yes"}, {"showInput"}),
        ({"showInput": "1", "showHistory": ""}, {"showInput", "showHistory"}),
        ({"verbose": "true"}, {"verbose"}),
    ],
)
async def test_status_options_are_strict_booleans(
    client: Any, params: dict[str, str], fields: set[str]
) -> None:
    response = await call(instances.get_instance_details, get_status_request(**params), client)

    assert response.status_code == 400
    assert problem_fields(response) == fields
    client.get_status.assert_not_called()


async def test_history_output_without_history_is_a_400(client: Any) -> None:
    response = await call(
        instances.get_instance_details, get_status_request(showHistoryOutput="true"), client
    )

    assert response.status_code == 400
    assert "showHistory" in response.get_body().decode()


@pytest.mark.parametrize("option", ["showInput", "showHistory", "showHistoryOutput"])
async def test_the_status_route_sends_input_and_history_requests_to_details(
    client: Any, option: str
) -> None:
    """The status route opens with a storefront's key; input and history need the master key."""
    response = await call(
        instances.get_instance_status, get_status_request(**{option: "true"}), client
    )

    assert response.status_code == 400
    assert problem_fields(response) == {option}
    assert "/details" in response.get_body().decode()
    client.get_status.assert_not_called()


async def test_function_key_in_the_query_is_neither_refused_nor_echoed(client: Any) -> None:
    response = await call(
        instances.get_instance_status, get_status_request(code="caller-function-key"), client
    )

    assert response.status_code == 202
    assert "caller-function-key" not in response.headers["Location"]


# --- GET /instances ----------------------------------------------------------------------------


def list_request(**params: str) -> func.HttpRequest:
    return request("GET", "instances", params=params)


async def test_listing_without_filters_reads_all_instances(client: Any) -> None:
    client.get_status_all.return_value = [status("a"), status("b")]

    response = await call(instances.list_instances, list_request(), client)

    assert response.status_code == 200
    assert body_of(response)["count"] == 2
    client.get_status_by.assert_not_called()


async def test_listing_passes_filters_with_times_in_utc(client: Any) -> None:
    client.get_status_by.return_value = []

    await call(
        instances.list_instances,
        list_request(
            status="running,COMPLETED,Running",
            prefix="order-",
            createdFrom="2026-01-05T11:00:00+02:00",
            createdTo="2026-01-06T00:00:00Z",
        ),
        client,
    )

    client.get_status_by.assert_awaited_once_with(
        created_time_from=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        created_time_to=datetime(2026, 1, 6, 0, 0, tzinfo=UTC),
        runtime_status=[OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Completed],
        instance_id_prefix="order-",
    )


async def test_a_creation_window_before_year_1000_never_reaches_the_client(client: Any) -> None:
    """The client would send year 140 as "140-05-28T...", which the host refuses: a 400 here."""
    client.get_status_all.return_value = [status("a")]

    since_antiquity = await call(
        instances.list_instances, list_request(createdFrom="0140-05-28T09:33:41-10:30"), client
    )
    until_antiquity = await call(
        instances.list_instances, list_request(createdTo="0332-03-04T09:25:04-05:57"), client
    )

    assert since_antiquity.status_code == 200
    assert body_of(since_antiquity)["count"] == 1
    client.get_status_by.assert_not_called()  # no lower bound is no filter at all
    assert until_antiquity.status_code == 200
    assert body_of(until_antiquity) == {"instances": [], "count": 0, "truncated": False}
    client.get_status_all.assert_awaited_once()


async def test_listing_returns_the_newest_first_without_input_output_or_entities(
    client: Any,
) -> None:
    client.get_status_all.return_value = [
        status("old", createdTime="2026-01-01T00:00:00Z"),
        status("@counter@cart-1", createdTime="2026-01-09T00:00:00Z"),
        status("new", createdTime="2026-01-03T00:00:00Z"),
        status("mid", createdTime="2026-01-02T00:00:00Z"),
    ]

    response = await call(instances.list_instances, list_request(top="2"), client)

    body = body_of(response)
    assert [i["instanceId"] for i in body["instances"]] == ["new", "mid"]
    assert body["count"] == 2
    assert body["truncated"] is True
    assert not {"input", "output", "history"} & set(body["instances"][0])


async def test_a_full_host_page_is_reported_as_possibly_truncated(client: Any) -> None:
    client.get_status_all.return_value = [status(f"i-{n}") for n in range(100)]

    response = await call(instances.list_instances, list_request(top="100"), client)

    assert body_of(response)["count"] == 100
    assert body_of(response)["truncated"] is True


async def test_unknown_status_names_are_all_listed(client: Any) -> None:
    response = await call(
        instances.list_instances, list_request(status="Running,Done,Sleeping"), client
    )

    assert response.status_code == 400
    assert problem_fields(response) == {"status"}
    message = body_of(response)["errors"][0]["message"]
    assert "Done" in message
    assert "Sleeping" in message
    client.get_status_by.assert_not_called()


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"status": ","}, {"status"}),
        ({"prefix": "no spaces"}, {"prefix"}),
        ({"createdFrom": "yesterday"}, {"createdFrom"}),
        ({"createdFrom": "2026-01-05T09:00:00"}, {"createdFrom"}),  # no offset: ambiguous
        # Valid ISO 8601, but beyond year 9999 / before year 1 in UTC.
        ({"createdFrom": "9999-12-31T23:59:59-12:00"}, {"createdFrom"}),
        ({"createdTo": "0001-01-01T00:00:00+14:00"}, {"createdTo"}),
        ({"createdTo": "0.5"}, {"createdTo"}),  # a Unix time, not ISO 8601
        ({"createdFrom": "1767225600"}, {"createdFrom"}),
        ({"top": "0"}, {"top"}),
        ({"top": "101"}, {"top"}),
        ({"top": "ten", "unknown": "1"}, {"top", "unknown"}),
    ],
)
async def test_listing_filters_are_validated(
    client: Any, params: dict[str, str], fields: set[str]
) -> None:
    response = await call(instances.list_instances, list_request(**params), client)

    assert response.status_code == 400
    assert problem_fields(response) == fields


async def test_a_reversed_creation_window_is_a_400(client: Any) -> None:
    response = await call(
        instances.list_instances,
        list_request(createdFrom="2026-01-06T00:00:00Z", createdTo="2026-01-05T00:00:00Z"),
        client,
    )

    assert response.status_code == 400
    assert "createdFrom" in body_of(response)["errors"][0]["message"]


# --- POST /instances/{instanceId}/terminate|suspend|resume -----------------------------------

COMMANDS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "terminate": (instances.CONTROL_FUNCTIONS["terminate"], lambda c: c.terminate),
    "suspend": (instances.CONTROL_FUNCTIONS["suspend"], lambda c: c.suspend),
    "resume": (instances.CONTROL_FUNCTIONS["resume"], lambda c: c.resume),
}
ALLOWED = {
    "terminate": ["Pending", "Running", "ContinuedAsNew", "Suspended"],
    "suspend": ["Pending", "Running", "ContinuedAsNew"],
    "resume": ["Suspended"],
}
CONFLICTS = [
    (verb, runtime)
    for verb, allowed in ALLOWED.items()
    for runtime in [*NOT_FINISHED, *FINISHED]
    if runtime not in allowed
]


def command_request(
    verb: str,
    instance_id: str = "order-1",
    body: str = "",
    headers: dict[str, str] | None = None,
) -> func.HttpRequest:
    return request(
        "POST",
        f"instances/{instance_id}/{verb}",
        route={"instanceId": instance_id},
        body=body,
        headers={"content-type": "application/json", **(headers or {})},
    )


@pytest.mark.parametrize("verb", COMMANDS)
async def test_command_with_a_reason_is_accepted_with_our_own_urls(client: Any, verb: str) -> None:
    handler, method = COMMANDS[verb]
    client.get_status.return_value = status(runtime=ALLOWED[verb][-1])

    response = await call(
        handler, command_request(verb, body='{"reason": "customer asked"}'), client
    )

    assert response.status_code == 202
    assert response.headers["Location"] == f"{BASE}/instances/order-1"
    assert body_of(response)["statusUrl"] == f"{BASE}/instances/order-1"
    method(client).assert_awaited_once_with("order-1", "customer asked")


@pytest.mark.parametrize("verb", COMMANDS)
async def test_command_without_a_body_uses_a_default_reason(client: Any, verb: str) -> None:
    handler, method = COMMANDS[verb]
    client.get_status.return_value = status(runtime=ALLOWED[verb][0])

    response = await call(handler, command_request(verb, headers={"content-type": ""}), client)

    assert response.status_code == 202
    _, reason = method(client).await_args.args
    assert verb in reason


@pytest.mark.parametrize(("verb", "runtime"), CONFLICTS)
async def test_command_that_makes_no_sense_is_a_409(client: Any, verb: str, runtime: str) -> None:
    handler, method = COMMANDS[verb]
    client.get_status.return_value = status(runtime=runtime)

    response = await call(handler, command_request(verb), client)

    assert response.status_code == 409
    assert runtime in body_of(response)["detail"]
    method(client).assert_not_called()


@pytest.mark.parametrize("verb", COMMANDS)
async def test_command_on_an_unknown_instance_is_a_404(client: Any, verb: str) -> None:
    handler, method = COMMANDS[verb]
    client.get_status.return_value = no_instance()

    response = await call(handler, command_request(verb), client)

    assert response.status_code == 404
    method(client).assert_not_called()


@pytest.mark.parametrize("verb", COMMANDS)
@pytest.mark.parametrize(
    ("body", "status_code", "fields"),
    [
        ('{"reason": "' + "x" * 201 + '"}', 400, {"reason"}),
        ('{"reason": ""}', 400, {"reason"}),
        ('{"why": "typo"}', 400, {"why"}),
        ('{"reason": ', 400, {"body"}),
        ("[1, 2]", 400, {"body"}),
    ],
)
async def test_command_body_is_validated_before_anything_happens(
    client: Any, verb: str, body: str, status_code: int, fields: set[str]
) -> None:
    handler, method = COMMANDS[verb]

    response = await call(handler, command_request(verb, body=body), client)

    assert response.status_code == status_code
    assert problem_fields(response) <= fields | {"body"}
    assert problem_fields(response)
    client.get_status.assert_not_called()
    method(client).assert_not_called()


@pytest.mark.parametrize("verb", COMMANDS)
async def test_command_refuses_non_json_and_oversized_bodies(
    client: Any, verb: str, app_settings: pytest.MonkeyPatch
) -> None:
    app_settings.setenv("MAX_REQUEST_BYTES", "1024")
    handler, _ = COMMANDS[verb]

    not_json = await call(
        handler,
        command_request(verb, body="reason=x", headers={"content-type": "text/plain"}),
        client,
    )
    too_big = await call(handler, command_request(verb, body=" " * 2048 + "{}"), client)
    too_big_blank = await call(handler, command_request(verb, body=" " * 2048), client)

    assert not_json.status_code == 415
    assert too_big.status_code == 413
    assert too_big_blank.status_code == 413  # the body may be omitted, not be huge
    client.get_status.assert_not_called()


@pytest.mark.parametrize("verb", COMMANDS)
async def test_command_names_instance_id_for_a_bad_id(client: Any, verb: str) -> None:
    handler, _ = COMMANDS[verb]

    response = await call(handler, command_request(verb, instance_id="bad id"), client)

    assert response.status_code == 400
    assert problem_fields(response) == {"instanceId"}


# --- DELETE /instances/{instanceId} ---------------------------------------------------------


def purge_request(instance_id: str = "order-1") -> func.HttpRequest:
    return request("DELETE", f"instances/{instance_id}", route={"instanceId": instance_id})


@pytest.mark.parametrize("runtime", FINISHED)
async def test_purging_a_finished_instance_answers_204(client: Any, runtime: str) -> None:
    client.get_status.return_value = status(runtime=runtime)
    client.purge_instance_history.return_value = PurgeHistoryResult(instancesDeleted=1)

    response = await call(instances.purge_instance, purge_request(), client)

    assert response.status_code == 204
    assert response.get_body() == b""
    client.purge_instance_history.assert_awaited_once_with("order-1")


@pytest.mark.parametrize("runtime", NOT_FINISHED)
async def test_purging_a_live_instance_is_a_409_and_keeps_it(client: Any, runtime: str) -> None:
    client.get_status.return_value = status(runtime=runtime)

    response = await call(instances.purge_instance, purge_request(), client)

    assert response.status_code == 409
    assert runtime in body_of(response)["detail"]
    client.purge_instance_history.assert_not_called()


async def test_purging_an_unknown_instance_is_a_404(client: Any) -> None:
    client.get_status.return_value = no_instance()

    response = await call(instances.purge_instance, purge_request(), client)

    assert response.status_code == 404
    client.purge_instance_history.assert_not_called()


async def test_purging_an_instance_deleted_meanwhile_is_a_404(client: Any) -> None:
    client.get_status.return_value = status(runtime="Completed")
    client.purge_instance_history.return_value = PurgeHistoryResult(instancesDeleted=0)

    response = await call(instances.purge_instance, purge_request(), client)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "purged",
    [PurgeHistoryResult(instancesDeleted=0), Exception("unexpected status code 500")],
    ids=["nothing deleted", "client error"],
)
async def test_purging_an_instance_restarted_meanwhile_is_a_409(client: Any, purged: Any) -> None:
    client.get_status.side_effect = [status(runtime="Completed"), status(runtime="Running")]
    if isinstance(purged, Exception):
        client.purge_instance_history.side_effect = purged
    else:
        client.purge_instance_history.return_value = purged

    response = await call(instances.purge_instance, purge_request(), client)

    assert response.status_code == 409


async def test_an_unexpected_purge_failure_is_a_500_without_details(client: Any) -> None:
    client.get_status.return_value = status(runtime="Completed")
    client.purge_instance_history.side_effect = Exception("storage said: secret detail")

    response = await call(instances.purge_instance, purge_request(), client)

    assert response.status_code == 500
    assert "secret detail" not in response.get_body().decode()


async def test_purge_names_instance_id_for_a_bad_id(client: Any) -> None:
    response = await call(instances.purge_instance, purge_request("no/slash"), client)

    assert response.status_code == 400
    assert problem_fields(response) == {"instanceId"}
