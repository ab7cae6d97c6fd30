"""Customer routes: onboarding starts once per e-mail; look-ups by id and e-mail."""

from __future__ import annotations

import json
import uuid
from typing import Any

import azure.functions as func
import pytest

from api import customers
from shared import customer_store, instance_ids, onboarding_store
from shared.models.customers.customer import email_key
from shared.models.customers.http import OnboardingRequest
from shared.models.customers.workflow import OnboardingInput
from tests.support.functions import client_function, user_function
from tests.support.instance_status import instance_status

BASE = "https://shop.example.com/api"

start = client_function(customers.start_customer_onboarding)
get_by_id = user_function(customers.get_customer)
find_by_email = user_function(customers.find_customer_by_email)


def existing(runtime: str, input_: Any) -> Any:
    return instance_status("x", runtime, "customer_onboarding", input=input_)


def post(body: Any, content_type: str = "application/json") -> func.HttpRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return func.HttpRequest(
        "POST", f"{BASE}/customers", headers={"content-type": content_type}, body=raw
    )


def get(path: str, params: dict[str, str] | None = None, route: dict[str, str] | None = None):
    return func.HttpRequest(
        "GET", f"{BASE}/{path}", params=params or {}, route_params=route or {}, body=b""
    )


def body(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


def started_with(email: str, name: str) -> dict[str, Any]:
    """The orchestration input a starter passes for these details: references only."""
    details = OnboardingRequest(email=email, name=name)
    return OnboardingInput(
        onboarding_key=details.key, details_fingerprint=details.fingerprint()
    ).to_json()


@pytest.mark.usefixtures("app_storage")
async def test_a_new_email_starts_onboarding_under_an_id_derived_from_it(client: Any) -> None:
    response = await start(post({"email": " Ada@Example.com ", "name": "Ada"}), client)

    instance_id = instance_ids.onboarding(email_key("ada@example.com"))
    assert response.status_code == 202
    assert response.headers["Location"] == f"{BASE}/instances/{instance_id}"
    assert body(response)["id"] == instance_id
    orchestration = started_with("ada@example.com", "Ada")
    client.start_new.assert_awaited_once_with("customer_onboarding", instance_id, orchestration)
    stored = onboarding_store.onboarding_details(
        orchestration["onboardingKey"], orchestration["detailsFingerprint"]
    )
    assert (stored.email, stored.name) == ("ada@example.com", "Ada")


@pytest.mark.parametrize("runtime", ["Pending", "Running", "Suspended", "Completed"])
async def test_a_repost_points_at_the_existing_onboarding(client: Any, runtime: str) -> None:
    client.get_status.return_value = existing(
        runtime, json.dumps(started_with("ada@example.com", "Ada"))
    )

    response = await start(post({"email": "ADA@example.com", "name": "Ada"}), client)

    assert response.status_code == 202
    assert body(response)["id"] == instance_ids.onboarding(email_key("ada@example.com"))
    client.start_new.assert_not_awaited()


@pytest.mark.usefixtures("app_storage")
async def test_a_repost_with_another_name_is_a_conflict_that_stores_nothing(client: Any) -> None:
    first = started_with("ada@example.com", "Ada")
    await start(post({"email": "ada@example.com", "name": "Ada"}), client)
    client.start_new.reset_mock()
    client.get_status.return_value = existing("Completed", first)

    response = await start(post({"email": "ada@example.com", "name": "Bob"}), client)

    assert response.status_code == 409
    assert response.headers["Location"].endswith(
        instance_ids.onboarding(email_key("ada@example.com"))
    )
    client.start_new.assert_not_awaited()
    kept = onboarding_store.onboarding_details(first["onboardingKey"], None)
    assert kept.name == "Ada"


@pytest.mark.usefixtures("app_storage")
@pytest.mark.parametrize("runtime", ["Failed", "Terminated", "Canceled"])
async def test_a_repost_restarts_an_onboarding_that_ended_badly(client: Any, runtime: str) -> None:
    client.get_status.return_value = existing(runtime, started_with("ada@example.com", "X"))

    response = await start(post({"email": "ada@example.com", "name": "Ada"}), client)

    assert response.status_code == 202
    client.start_new.assert_awaited_once()
    # The corrected name replaces the stored one, and the new run's input names it.
    orchestration = client.start_new.await_args.args[2]
    assert orchestration == started_with("ada@example.com", "Ada")
    stored = onboarding_store.onboarding_details(
        orchestration["onboardingKey"], orchestration["detailsFingerprint"]
    )
    assert stored.name == "Ada"


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"email": "nope", "name": "Ada"}, {"email"}),
        ({"email": "ada@example.com", "name": ""}, {"name"}),
        ({"name": "x" * 201}, {"email", "name"}),
        ({"email": "ada@example.com", "name": "Ada", "role": "admin"}, {"role"}),
    ],
)
async def test_bad_bodies_are_400s_naming_every_field(
    client: Any, payload: dict[str, Any], fields: set[str]
) -> None:
    response = await start(post(payload), client)

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert {e["field"] for e in body(response)["errors"]} == fields
    client.start_new.assert_not_awaited()


async def test_oversized_bodies_are_413s(client: Any, app_settings: pytest.MonkeyPatch) -> None:
    app_settings.setenv("MAX_REQUEST_BYTES", "1024")

    response = await start(post({"email": "a@example.com", "name": "x" * 2000}), client)

    assert response.status_code == 413


async def test_non_json_bodies_are_415s(client: Any) -> None:
    response = await start(post(b"email=a", "application/x-www-form-urlencoded"), client)

    assert response.status_code == 415


@pytest.mark.usefixtures("app_storage")
async def test_customers_can_be_read_by_id_and_by_email() -> None:
    email = f"grace.{uuid.uuid4().hex[:6]}@example.com"
    customer = customer_store.create_customer(
        "k:create-customer", f"cus-{uuid.uuid4()}", email, "Grace"
    )
    customer_store.open_account("k:open-account", customer.customer_id, "acc-1")

    by_id = await get_by_id(get("customers/x", route={"customerId": customer.customer_id}))
    by_email = await find_by_email(get("customers", params={"email": email.upper(), "code": "k"}))

    assert by_id.status_code == by_email.status_code == 200
    assert body(by_id) == body(by_email)
    assert body(by_id)["email"] == email
    assert body(by_id)["account"]["accountId"] == "acc-1"


@pytest.mark.usefixtures("app_storage")
async def test_unknown_customers_are_404s() -> None:
    by_id = await get_by_id(get("customers/x", route={"customerId": "cus-nobody"}))
    by_email = await find_by_email(get("customers", params={"email": "nobody@example.com"}))

    assert by_id.status_code == by_email.status_code == 404


async def test_bad_lookups_are_400s() -> None:
    by_id = await get_by_id(get("customers/x", route={"customerId": "bad id!"}))
    by_email = await find_by_email(get("customers", params={"email": "not-an-email"}))

    assert by_id.status_code == by_email.status_code == 400
    assert body(by_email)["errors"][0]["field"] == "email"
