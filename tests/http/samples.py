"""Valid request bodies, the public origin and a JSON POST builder for route tests."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func

#: The origin route tests configure as PUBLIC_BASE_URL; every URL the app returns starts so.
PUBLIC_ORIGIN = "https://shop.example.com"
ADDRESS = {
    "name": "Ada",
    "line1": "Hauptstr. 1",
    "city": "Berlin",
    "postalCode": "10115",
    "country": "DE",
}
ORDER = {
    "customerEmail": "ada@example.com",
    "items": [{"sku": "sku-a", "quantity": 1}],
    "paymentMethod": "tok_visa",
    "shippingAddress": ADDRESS,
}
APPROVAL = {
    "requester": "ada@example.com",
    "amount": "12.50",
    "description": "Books",
    "approvers": ["grace@example.com", "linus@example.org"],
}


def post_json(
    path: str, payload: dict[str, Any], base: str = "http://localhost:7071/api"
) -> func.HttpRequest:
    return func.HttpRequest(
        "POST",
        f"{base}/{path}",
        headers={"content-type": "application/json"},
        body=json.dumps(payload).encode(),
    )
