"""The shared HTTP plumbing: problem documents, body limits, 202 responses, error wrapping."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import azure.functions as func
import pytest
from pydantic import Field, field_validator

from api.access import Access
from api.http import (
    INLINE_BODY_BYTES,
    HttpProblem,
    accepted,
    app_base_url,
    parse_body,
    parse_params,
)
from api.routing import OPERATIONS, Routes
from shared.models.base import Contract, Identifier
from tests.http.samples import PUBLIC_ORIGIN
from tests.support.functions import user_function


class _Order(Contract):
    sku: Identifier
    quantity: int = Field(ge=1, le=10)
    tags: list[str] = Field(default_factory=list, max_length=3)


@pytest.fixture
def scratch_operations() -> Iterator[None]:
    """Routes declared inside a test must not leak into the app's OpenAPI registry."""
    saved = dict(OPERATIONS)
    yield
    OPERATIONS.clear()
    OPERATIONS.update(saved)


def _request(body: bytes | str, content_type: str | None = "application/json") -> func.HttpRequest:
    headers = {"content-type": content_type} if content_type else {}
    raw = body.encode() if isinstance(body, str) else body
    return func.HttpRequest("POST", "http://localhost:7071/api/orders", headers=headers, body=raw)


def _problem(exc: HttpProblem) -> dict:
    response = exc.to_response()
    assert response.mimetype == "application/problem+json"
    return json.loads(response.get_body())


async def test_valid_body_is_parsed_with_camel_case_aliases() -> None:
    order = await parse_body(_request('{"sku": "sku-1", "quantity": 2}'), _Order)

    assert order.sku == "sku-1"
    assert order.quantity == 2


async def test_every_offending_field_is_listed() -> None:
    with pytest.raises(HttpProblem) as caught:
        await parse_body(_request('{"sku": "bad sku!", "quantity": 0, "extra": 1}'), _Order)

    problem = _problem(caught.value)
    assert problem["status"] == 400
    assert {e["field"] for e in problem["errors"]} == {"sku", "quantity", "extra"}


async def test_too_long_list_is_a_400_naming_the_list() -> None:
    with pytest.raises(HttpProblem) as caught:
        await parse_body(_request('{"sku": "a", "quantity": 1, "tags": ["1","2","3","4"]}'), _Order)

    assert [e["field"] for e in _problem(caught.value)["errors"]] == ["tags"]


async def test_malformed_json_is_a_400() -> None:
    with pytest.raises(HttpProblem) as caught:
        await parse_body(_request('{"sku": '), _Order)

    problem = _problem(caught.value)
    assert problem["status"] == 400
    assert problem["errors"][0]["field"] == "body"


async def test_invalid_utf8_is_a_400() -> None:
    with pytest.raises(HttpProblem) as caught:
        await parse_body(_request(b'{"sku": "\xff"}'), _Order)

    assert _problem(caught.value)["status"] == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested too deeply", id="deep-array"),
        pytest.param(
            b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "nested too deeply", id="deep-object"
        ),
        pytest.param(
            b'{"sku": "a", "quantity": ' + b"9" * 5000 + b"}", "too many digits", id="huge-int"
        ),
        pytest.param(b'{"sku": "a", "quantity": NaN}', "NaN is not a JSON value", id="nan"),
        pytest.param(b'{"sku": "a", "quantity": -Infinity}', "-Infinity", id="infinity"),
        # As a float 1e-400 is 0.0: a unit price of 1e-400 was stored as 0.00.
        pytest.param(b'{"sku": "a", "quantity": 1e-400}', "too small", id="underflow"),
    ],
)
async def test_json_that_python_cannot_or_should_not_decode_is_a_400(
    body: bytes, message: str
) -> None:
    """Deep nesting and 5000-digit integers are 400s, not 500s; NaN is refused."""
    with pytest.raises(HttpProblem) as caught:
        await parse_body(_request(body), _Order)

    problem = _problem(caught.value)
    assert problem["status"] == 400
    assert problem["title"] == "Malformed JSON"
    assert message in problem["errors"][0]["message"]
    assert problem["errors"][0]["type"] == "json_invalid"


@pytest.mark.parametrize("number", [b"0.0", b"-0e10", b"0.000e-500", b"1.5", b"1e308"])
async def test_zero_and_representable_numbers_are_still_numbers(number: bytes) -> None:
    with pytest.raises(HttpProblem) as caught:  # a float for an int field: refused by name
        await parse_body(_request(b'{"sku": "a", "quantity": ' + number + b"}"), _Order)

    assert [e["field"] for e in _problem(caught.value)["errors"]] == ["quantity"]


async def test_a_key_given_twice_is_a_400_naming_it() -> None:
    """Which of two values counts is ambiguous; Python's decoder silently kept the last."""
    with pytest.raises(HttpProblem) as caught:
        await parse_body(_request('{"sku": "a", "quantity": 1, "quantity": 9}'), _Order)

    problem = _problem(caught.value)
    assert problem["status"] == 400
    assert problem["errors"] == [
        {"field": "quantity", "message": "duplicate key 'quantity'", "type": "json_invalid"}
    ]


async def test_empty_body_is_a_400() -> None:
    with pytest.raises(HttpProblem) as caught:
        await parse_body(_request(""), _Order)

    assert _problem(caught.value)["errors"][0]["type"] == "missing"


async def test_non_json_content_type_is_a_415() -> None:
    with pytest.raises(HttpProblem) as caught:
        await parse_body(_request("sku=a", "application/x-www-form-urlencoded"), _Order)

    assert _problem(caught.value)["status"] == 415


async def test_oversized_body_is_a_413(app_settings: pytest.MonkeyPatch) -> None:
    app_settings.setenv("MAX_REQUEST_BYTES", "1024")
    body = json.dumps({"sku": "a", "quantity": 1, "tags": ["x" * 2000]})

    with pytest.raises(HttpProblem) as caught:
        await parse_body(_request(body), _Order)

    assert _problem(caught.value)["status"] == 413


class _Recorded(Contract):
    """Notes the thread that validates it, to tell the event loop's from a worker's."""

    text: str = Field(max_length=100_000)

    @field_validator("text")
    @classmethod
    def _note_thread(cls, value: str) -> str:
        VALIDATING_THREADS.append(threading.get_ident())
        return value


VALIDATING_THREADS: list[int] = []


@pytest.mark.parametrize(
    ("size", "on_the_loop"), [(100, True), (INLINE_BODY_BYTES + 1, False)], ids=["small", "large"]
)
async def test_large_bodies_are_validated_off_the_event_loop(size: int, on_the_loop: bool) -> None:
    """Validating a big body takes long enough to delay every other request on the loop."""
    VALIDATING_THREADS.clear()
    body = json.dumps({"text": "x" * size})

    parsed = await parse_body(_request(body), _Recorded)

    assert len(parsed.text) == size
    assert (threading.get_ident() in VALIDATING_THREADS) is on_the_loop


def test_params_are_validated_with_their_source_named() -> None:
    with pytest.raises(HttpProblem) as caught:
        parse_params({"sku": "no/slashes", "quantity": "1"}, _Order, "route")

    problem = _problem(caught.value)
    assert "route" in problem["detail"]
    assert problem["errors"][0]["field"] == "sku"


def test_accepted_points_at_the_apps_own_status_endpoint() -> None:
    response = accepted("order-1")

    body = json.loads(response.get_body())
    assert response.status_code == 202
    assert response.headers["Location"] == f"{PUBLIC_ORIGIN}/api/instances/order-1"
    assert body["statusUrl"] == response.headers["Location"]
    assert body["terminateUrl"].endswith("/instances/order-1/terminate")
    assert "code=" not in response.get_body().decode()
    assert "runtime/webhooks" not in response.get_body().decode()


@pytest.mark.parametrize(
    ("environ", "origin"),
    [
        ({"PUBLIC_BASE_URL": "https://shop.example.com/"}, "https://shop.example.com"),
        (
            {"WEBSITE_HOSTNAME": "func-shop.azurewebsites.net"},
            "https://func-shop.azurewebsites.net",
        ),
        (
            {"PUBLIC_BASE_URL": "https://shop.example.com", "WEBSITE_HOSTNAME": "func.example"},
            "https://shop.example.com",
        ),
        ({}, "http://localhost:7071"),
    ],
    ids=["configured", "platform-host-name", "configured-wins", "local"],
)
def test_the_base_url_comes_from_settings(
    app_settings: pytest.MonkeyPatch, environ: dict[str, str], origin: str
) -> None:
    app_settings.delenv("PUBLIC_BASE_URL", raising=False)
    for name, value in environ.items():
        app_settings.setenv(name, value)

    assert app_base_url() == f"{origin}/api"


@pytest.mark.usefixtures("scratch_operations")
async def test_unexpected_errors_become_a_500_problem_without_a_stack_trace() -> None:
    @Routes("scratch").route("GET", "boom", access=Access.FUNCTION, summary="always fails")
    async def boom(req: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError("secret internal detail")

    response = await user_function(boom)(
        func.HttpRequest("GET", "http://localhost/api/boom", body=b"")
    )

    body = response.get_body().decode()
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert "secret internal detail" not in body
    assert "Traceback" not in body


@pytest.mark.usefixtures("scratch_operations")
async def test_http_problems_raised_in_handlers_become_responses() -> None:
    @Routes("scratch").route("GET", "gone", access=Access.FUNCTION, summary="always 404")
    async def gone(req: func.HttpRequest) -> func.HttpResponse:
        raise HttpProblem(404, "Not found", "no such thing")

    response = await user_function(gone)(
        func.HttpRequest("GET", "http://localhost/api/gone", body=b"")
    )

    assert response.status_code == 404
    assert json.loads(response.get_body())["detail"] == "no such thing"


def test_routes_declared_in_tests_leave_the_registry_as_it_was() -> None:
    assert "boom" not in OPERATIONS
    assert "gone" not in OPERATIONS
