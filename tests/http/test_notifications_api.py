"""`GET /api/notifications`: what an instance sent, read through HTTP."""

from __future__ import annotations

import json
import uuid
from typing import Any

import azure.functions as func
import pytest

from api import notifications
from shared import outbox
from shared.models.notifications import (
    Audience,
    NotificationKind,
    NotificationRequest,
    RecipientRef,
)
from tests.support.functions import user_function


async def get(**params: str) -> func.HttpResponse:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    req = func.HttpRequest(
        "GET", f"http://localhost:7071/api/notifications?{query}", params=params, body=b""
    )
    response: func.HttpResponse = await user_function(notifications.list_sent_notifications)(req)
    return response


def fields(response: func.HttpResponse) -> set[str]:
    assert response.mimetype == "application/problem+json"
    return {e["field"] for e in json.loads(response.get_body())["errors"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"correlationId"}),
        ({"correlationId": "no spaces"}, {"correlationId"}),
        ({"correlationId": "i-1", "kind": "carrier_pigeon"}, {"kind"}),
        ({"correlationId": "i-1", "top": "0"}, {"top"}),
        ({"correlationId": "i-1", "top": "1001", "since": "x"}, {"top", "since"}),
    ],
)
async def test_bad_queries_are_400s_naming_the_fields(
    params: dict[str, str], expected: set[str]
) -> None:
    response = await get(**params)

    assert response.status_code == 400
    assert fields(response) == expected


@pytest.mark.usefixtures("app_storage")
async def test_lists_what_an_instance_sent() -> None:
    correlation = f"order-{uuid.uuid4().hex}"
    outbox.write_notification(
        NotificationRequest(
            idempotency_key=f"{correlation}:confirm",
            correlation_id=correlation,
            kind=NotificationKind.ORDER_CONFIRMATION,
            to=RecipientRef(audience=Audience.ORDER_CUSTOMER, ref="o-1"),
            subject="Your order",
            data={"orderId": "o-1"},
        ),
        "ada@example.com",
    )

    response = await get(correlationId=correlation, code="function-key")

    body: dict[str, Any] = json.loads(response.get_body())
    assert response.status_code == 200
    assert body["count"] == 1
    assert body["truncated"] is False
    sent = body["notifications"][0]
    assert sent["kind"] == "order_confirmation"
    assert sent["notificationId"] == f"{correlation}:confirm"
    assert sent["data"] == {"orderId": "o-1"}


@pytest.mark.usefixtures("app_storage")
async def test_an_unknown_correlation_is_an_empty_list_not_a_404() -> None:
    response = await get(correlationId=f"never-{uuid.uuid4().hex}")

    assert response.status_code == 200
    assert json.loads(response.get_body())["notifications"] == []
