"""Customer onboarding (function chaining), as a new customer and their client see it."""

from __future__ import annotations

from tests.e2e.support.client import ApiClient, expect, expect_problem
from tests.e2e.support.clock import Clock
from tests.e2e.support.shop import accepted, unique
from tests.e2e.support.waiting import wait_for_instance


def test_onboarding_creates_the_customer_opens_the_account_and_sends_a_welcome(
    api: ApiClient, clock: Clock
) -> None:
    address = f"{unique('Ada')}@Example.COM"
    started = accepted(api.post("/customers", {"email": address, "name": "Ada Lovelace"}))

    status = wait_for_instance(api, clock, started["id"])

    assert status["runtimeStatus"] == "Completed", status
    assert status["name"] == "customer_onboarding"
    output = status["output"]
    customer, account, welcome = output["customer"], output["account"], output["welcome"]
    assert set(customer) == {"customerId", "createdAt", "alreadyExisted"}  # ids only
    assert customer["alreadyExisted"] is False
    assert account["customerId"] == customer["customerId"]
    assert account["status"] == "open"
    assert status["customStatus"] == {
        "step": "completed",
        "customerId": customer["customerId"],
        "accountId": account["accountId"],
        "failedStep": None,
        "errorCode": None,
        "error": None,
    }

    stored = api.get_json(f"/customers/{customer['customerId']}")
    assert (stored["email"], stored["name"]) == (address.lower(), "Ada Lovelace")
    assert stored["account"]["accountId"] == account["accountId"]
    by_email = api.get_json("/customers", {"email": address.upper()})
    assert by_email["customerId"] == customer["customerId"]

    (sent,) = api.notifications(started["id"])
    assert sent["kind"] == "welcome"
    assert sent["recipient"] == address.lower()
    assert sent["subject"] == "Welcome, Ada Lovelace"
    assert sent["notificationId"] == welcome["notificationId"]
    assert sent["data"] == {
        "customerId": customer["customerId"],
        "accountId": account["accountId"],
    }


def test_reposting_an_onboarding_never_creates_a_second_customer(
    api: ApiClient, clock: Clock
) -> None:
    address = f"{unique('grace')}@example.com"
    request = {"email": address, "name": "Grace Hopper"}
    first = accepted(api.post("/customers", request))
    # A client retrying right away (lost response) joins the same instance.
    again = accepted(api.post("/customers", {**request, "email": address.upper()}))
    assert again["id"] == first["id"]

    done = wait_for_instance(api, clock, first["id"])
    assert done["runtimeStatus"] == "Completed", done
    customer_id = done["output"]["customer"]["customerId"]

    # Re-posting after completion still points at the finished instance.
    after = accepted(api.post("/customers", request))
    assert after["id"] == first["id"]
    assert api.get(f"/instances/{first['id']}").status_code == 200

    # The same e-mail with another name is a conflicting request, not a retry.
    conflict = expect_problem(api.post("/customers", {**request, "name": "Someone Else"}), 409)
    assert "different name" in conflict["detail"]

    # Even once its history is purged, onboarding again finds the customer it created.
    assert api.delete(f"/instances/{first['id']}").status_code == 204
    expect_problem(api.get(f"/instances/{first['id']}"), 404)
    rerun = accepted(api.post("/customers", request))
    assert rerun["id"] == first["id"]
    redone = wait_for_instance(api, clock, rerun["id"])
    assert redone["runtimeStatus"] == "Completed", redone
    assert redone["output"]["customer"]["customerId"] == customer_id
    assert redone["output"]["account"]["accountId"] == done["output"]["account"]["accountId"]

    assert api.get_json("/customers", {"email": address})["customerId"] == customer_id
    # One welcome, however many runs: the notification is keyed by the instance and step.
    assert [n["kind"] for n in api.notifications(first["id"])] == ["welcome"]


def test_unknown_customers_are_404(api: ApiClient) -> None:
    expect_problem(api.get(f"/customers/{unique('cus')}"), 404)
    missing = f"{unique('nobody')}@example.com"
    expect_problem(api.get("/customers", {"email": missing}), 404)
    body = expect(api.get("/health"), 200)
    assert body["status"] == "healthy"
