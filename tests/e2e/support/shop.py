"""Test data a shop user would send: unique names, addresses, orders, stocked SKUs.

Every test makes its own SKUs, e-mails and ids, so tests never share state, and a run against
a shared deployment does not collide with earlier runs.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tests.e2e.support.client import ApiClient, Json, expect

#: A country the simulated carrier delivers to, and one it never does (Antarctica).
DELIVERABLE = "DE"
UNDELIVERABLE = "AQ"


def unique(prefix: str) -> str:
    """`<prefix>-<12 hex>`: a fresh id, valid as SKU, order id, counter key or job id."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def email(who: str) -> str:
    return f"{unique(who)}@example.com"


def signed_in(user: str) -> dict[str, str]:
    """The header App Service Authentication adds for a signed-in `user` (the suite's emulator
    stands in for it with WEBSITE_AUTH_ENABLED; a remote app with Authentication strips it)."""
    return {"X-MS-CLIENT-PRINCIPAL-NAME": user}


def address(country: str = DELIVERABLE) -> Json:
    return {
        "name": "Ada Lovelace",
        "line1": "12 Analytical Engine Street",
        "city": "Berlin",
        "postalCode": "10115",
        "country": country,
    }


def stock(api: ApiClient, quantity: int, unit_price: str = "12.50", prefix: str = "sku") -> str:
    """A new SKU with `quantity` units at `unit_price`; returns the SKU."""
    sku = unique(prefix)
    created = expect(
        api.put(f"/inventory/{sku}", {"quantity": quantity, "unitPrice": unit_price}), 201
    )
    assert created["available"] == quantity
    assert Decimal(created["unitPrice"]) == Decimal(unit_price)
    return sku


def inventory(api: ApiClient, sku: str) -> Json:
    return api.get_json(f"/inventory/{sku}")


#: Fast, bounded retries so failing steps give up within seconds of (virtual) time.
QUICK_RETRY = {"maxAttempts": 3, "firstDelaySeconds": 1, "multiplier": 2, "maxDelaySeconds": 2}


def order(
    lines: dict[str, int],
    *,
    payment: str = "tok_visa",
    country: str = DELIVERABLE,
    order_id: str | None = None,
    **extra: Any,
) -> Json:
    """A `POST /api/orders` body."""
    body: Json = {
        "customerEmail": email("buyer"),
        "items": [{"sku": sku, "quantity": quantity} for sku, quantity in lines.items()],
        "paymentMethod": payment,
        "shippingAddress": address(country),
        **extra,
    }
    if order_id is not None:
        body["orderId"] = order_id
    return body


def accepted(response: Any) -> Json:
    """The 202 of a starter, checked to point at the app's own management routes."""
    body = expect(response, 202)
    instance_id = body["id"]
    status_url = body["statusUrl"]
    assert status_url.endswith(f"/api/instances/{instance_id}")
    assert response.headers["Location"] == status_url
    for name in ("terminateUrl", "suspendUrl", "resumeUrl"):
        assert body[name] == f"{status_url}/{name.removesuffix('Url')}"
    assert body["purgeUrl"] == status_url
    return body
