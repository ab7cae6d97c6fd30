"""Batch contracts and rules: the plan's window arithmetic, request validation, pricing."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from activities.batch_items import price_item
from shared.models.batches.http import BatchRequest
from shared.models.batches.items import ItemStatus, PriceUpdate
from shared.models.batches.workflow import MIN_CHUNK_WINDOW, BatchPlan, plan_batch


def item(**overrides: Any) -> dict[str, Any]:
    return {"id": "i1", "sku": "SKU-1", "basePrice": "19.99", "currency": "EUR", **overrides}


# --- the plan ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cap", [1, 3, 4, 7, 8, 16, 17, 32, 48, 64, 97, 200])
@pytest.mark.parametrize("total", [1, 9, 10, 11, 499, 500, 501, 10_000])
@pytest.mark.parametrize("chunk_size", [10, 500])
def test_the_shares_of_running_chunks_add_up_to_the_window(
    cap: int, total: int, chunk_size: int
) -> None:
    plan = plan_batch(total, chunk_size, cap, None)

    assert plan.max_parallel == cap
    assert plan.lanes * plan.chunk_parallel == plan.max_parallel  # no slot lost, none extra
    assert plan.chunk_count == math.ceil(total / chunk_size)
    assert 1 <= plan.lanes <= plan.chunk_count
    assert plan.lanes == 1 or plan.chunk_parallel >= MIN_CHUNK_WINDOW
    assert sum(plan.chunk_item_count(n) for n in range(plan.chunk_count)) == total


def test_a_requested_window_is_clamped_to_the_server_cap() -> None:
    assert plan_batch(100, 10, 16, 50).max_parallel == 16
    assert plan_batch(100, 10, 16, 50).requested_max_parallel == 50
    assert plan_batch(100, 10, 16, 6).max_parallel == 6
    assert plan_batch(100, 10, 16, None).max_parallel == 16


def test_typical_plans() -> None:
    default = plan_batch(10_000, 500, 16, None)
    assert (default.chunk_count, default.lanes, default.chunk_parallel) == (20, 1, 16)
    wide = plan_batch(10_000, 500, 64, None)
    assert (wide.lanes, wide.chunk_parallel) == (4, 16)
    widest = plan_batch(10_000, 500, 200, None)
    assert (widest.lanes, widest.chunk_parallel) == (10, 20)
    one_chunk = plan_batch(300, 500, 16, None)
    assert (one_chunk.lanes, one_chunk.chunk_parallel) == (1, 16)


@pytest.mark.parametrize(
    "changes",
    [
        {"chunkCount": 3},  # not ceil(45 / 10)
        {"lanes": 6},  # more lanes than chunks
        {"chunkParallel": 17},  # 2 x 17 > 32
    ],
)
def test_an_inconsistent_plan_is_refused(changes: dict[str, Any]) -> None:
    plan = plan_batch(45, 10, 32, None).to_json() | changes

    with pytest.raises(ValidationError):
        BatchPlan.model_validate(plan)


# --- the request ------------------------------------------------------------------------------


def test_a_valid_request_parses_prices_as_decimals() -> None:
    request = BatchRequest.model_validate({"items": [item(basePrice=19.99)], "maxParallel": 4})

    assert request.items[0].base_price == Decimal("19.99")
    assert request.items[0].discount_percent == Decimal(0)
    assert request.items[0].to_json()["basePrice"] == "19.99"


def test_a_negative_zero_discount_is_plain_zero() -> None:
    """`discountPercent: -0.0` passes `ge=0`; it is recorded as plain zero, never "-0.0"."""
    request = BatchRequest.model_validate({"items": [item(discountPercent=-0.0)]})

    discount = request.items[0].discount_percent
    assert discount == 0
    assert not discount.is_signed()
    assert not request.items[0].to_json()["discountPercent"].startswith("-")


def test_duplicate_item_ids_are_named() -> None:
    with pytest.raises(ValidationError) as caught:
        BatchRequest.model_validate({"items": [item(), item(sku="SKU-2"), item(id="i2")]})

    (error,) = caught.value.errors()
    assert error["loc"] == ("items",)
    assert "i1" in error["msg"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("maxParallel", "4"),
        ("maxParallel", 4.0),
        ("maxParallel", True),
        ("maxParallel", 0),
        ("batchId", "has:colon"),
        ("items", []),
    ],
)
def test_request_fields_are_strict(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        BatchRequest.model_validate({"items": [item()], field: value})

    assert caught.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("basePrice", "0"),
        ("basePrice", "1.999"),
        ("basePrice", "2000000"),
        ("discountPercent", "101"),
        ("currency", "eur"),
        ("sku", "no spaces"),
        ("id", ""),
        ("extra", 1),
    ],
)
def test_item_shape_errors_are_located(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        BatchRequest.model_validate({"items": [item(), {**item(id="i2"), field: value}]})

    assert caught.value.errors()[0]["loc"][:3] == ("items", 1, field)


# --- pricing ----------------------------------------------------------------------------------


def test_the_final_price_is_the_discounted_price_rounded_half_up() -> None:
    result = price_item(PriceUpdate.model_validate(item(basePrice="10.05", discountPercent="50")))

    assert result.status is ItemStatus.PROCESSED
    assert result.final_price == Decimal("5.03")  # 5.025 rounds up


def test_an_unsupported_currency_fails_the_item() -> None:
    result = price_item(PriceUpdate.model_validate(item(currency="XXX")))

    assert result.status is ItemStatus.FAILED
    assert result.code == "validation"
    assert result.error is not None
    assert "'XXX' is not supported" in result.error


@pytest.mark.parametrize(("price", "discount"), [("19.99", "100"), ("0.01", "60")])
def test_a_discount_that_leaves_no_price_fails_the_item(price: str, discount: str) -> None:
    result = price_item(PriceUpdate.model_validate(item(basePrice=price, discountPercent=discount)))

    assert result.status is ItemStatus.FAILED
    assert result.error is not None
    assert "leaves no positive price" in result.error
