"""Only addresses in NOTIFICATION_ALLOWED_DOMAINS can be made notification recipients.

Every route that takes an address the app will write to answers a 400 naming the field, and
starts nothing, when the address's domain is not allowed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from api import approvals, customers, monitors, orders
from tests.http.samples import ADDRESS, APPROVAL, post_json
from tests.support.functions import client_function

OUTSIDE = "mallory@attacker.example"


CASES: list[tuple[str, Any, str, dict[str, Any], str]] = [
    (
        "customers",
        customers.start_customer_onboarding,
        "customers",
        {"email": OUTSIDE, "name": "M"},
        "email",
    ),
    (
        "orders",
        orders.start_order_fulfillment,
        "orders",
        {
            "customerEmail": OUTSIDE,
            "items": [{"sku": "sku-a", "quantity": 1}],
            "paymentMethod": "tok_visa",
            "shippingAddress": ADDRESS,
        },
        "customerEmail",
    ),
    (
        "approval-requester",
        approvals.start_expense_approval,
        "approvals",
        {**APPROVAL, "requester": OUTSIDE},
        "requester",
    ),
    (
        "approval-approver",
        approvals.start_expense_approval,
        "approvals",
        {**APPROVAL, "approvers": ["grace@example.com", OUTSIDE]},
        "approvers.1",
    ),
    (
        "monitors",
        monitors.start_export_monitor,
        "monitors",
        {"jobId": "job-1", "notify": OUTSIDE},
        "notify",
    ),
]


@pytest.mark.parametrize(
    ("handler", "path", "payload", "field"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_a_recipient_outside_the_allowed_domains_is_a_400_naming_the_field(
    handler: Any, path: str, payload: dict[str, Any], field: str, client: Any
) -> None:
    response = await client_function(handler)(post_json(path, payload), client)

    assert response.status_code == 400
    problem = json.loads(response.get_body())
    assert [(e["field"], e["type"]) for e in problem["errors"]] == [
        (field, "recipient_not_allowed")
    ]
    assert "attacker.example" in problem["errors"][0]["message"]
    client.start_new.assert_not_awaited()


@pytest.mark.usefixtures("app_storage")
async def test_the_allowed_domains_come_from_the_setting(
    client: Any, app_settings: pytest.MonkeyPatch
) -> None:
    app_settings.setenv("NOTIFICATION_ALLOWED_DOMAINS", "example.com,attacker.example")

    response = await client_function(customers.start_customer_onboarding)(
        post_json("customers", {"email": OUTSIDE, "name": "M"}), client
    )

    assert response.status_code == 202


async def test_a_subdomain_of_an_allowed_domain_is_not_allowed(client: Any) -> None:
    response = await client_function(customers.start_customer_onboarding)(
        post_json("customers", {"email": "ada@mail.example.com", "name": "Ada"}), client
    )

    assert response.status_code == 400
