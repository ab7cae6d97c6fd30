"""Inventory side effects against Azurite: atomic, idempotent, never oversold."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from activities.inventory import release_inventory, reserve_inventory
from shared import inventory_store, storage
from shared.errors import PermanentError
from tests.support.functions import user_function

pytestmark = pytest.mark.usefixtures("app_storage")

reserve = user_function(reserve_inventory)
release = user_function(release_inventory)


def _sku(available: int, price: str = "2.50") -> str:
    sku = f"sku-{uuid.uuid4().hex[:10]}"
    inventory_store.set_stock(sku, available, Decimal(price))
    return sku


def _stock(sku: str) -> tuple[int, int]:
    item = inventory_store.get_item(sku)
    assert item is not None
    return item.available, item.reserved


def _reserve(key: str, *lines: tuple[str, int]) -> dict:
    return reserve(
        {
            "idempotencyKey": key,
            "orderId": "o-1",
            "items": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        }
    )


def _release(key: str, *skus: str) -> dict:
    return release({"idempotencyKey": key, "skus": list(skus)})


def _key() -> str:
    return f"order-{uuid.uuid4().hex[:8]}:reserve-inventory"


def test_reserving_twice_with_one_key_takes_stock_once() -> None:
    sku_a, sku_b = _sku(10, "2.50"), _sku(5, "0.10")
    key = _key()

    first = _reserve(key, (sku_a, 3), (sku_b, 2))
    second = _reserve(key, (sku_a, 3), (sku_b, 2))

    assert first == second
    assert first["total"] == "7.70"  # exact decimals: 3 x 2.50 + 2 x 0.10
    assert _stock(sku_a) == (7, 3)
    assert _stock(sku_b) == (3, 2)


def test_releasing_twice_gives_stock_back_once() -> None:
    sku = _sku(10)
    key = _key()
    _reserve(key, (sku, 4))

    first = _release(key, sku)
    second = _release(key, sku)

    assert first == second
    assert first["lines"] == [{"sku": sku, "quantity": 4, "state": "released"}]
    assert _stock(sku) == (10, 0)


def test_a_reservation_is_not_taken_again_after_its_release() -> None:
    sku = _sku(10)
    key = _key()
    _reserve(key, (sku, 4))
    _release(key, sku)

    with pytest.raises(PermanentError, match="conflict"):
        _reserve(key, (sku, 4))  # a late duplicate of the original reservation
    assert _stock(sku) == (10, 0)


def test_releasing_a_key_that_never_reserved_leaves_a_tombstone() -> None:
    sku = _sku(10)
    key = _key()

    released = _release(key, sku)

    assert released["lines"] == [{"sku": sku, "quantity": 0, "state": "released"}]
    with pytest.raises(PermanentError):
        _reserve(key, (sku, 1))
    assert _stock(sku) == (10, 0)


def test_out_of_stock_is_permanent_and_releases_the_skus_already_reserved() -> None:
    plenty, short = _sku(10), _sku(1)
    # `plenty` sorts first or not: name them so the short SKU is reserved last.
    plenty_first = sorted([plenty, short])[0] == plenty
    key = _key()

    with pytest.raises(PermanentError, match="out_of_stock"):
        _reserve(key, (plenty, 3), (short, 2))

    assert _stock(plenty) == (10, 0)
    assert _stock(short) == (1, 0)
    if plenty_first:  # it was reserved, then released by the same call
        row = storage.get_entity(
            storage.table(inventory_store.INVENTORY_TABLE),
            plenty,
            inventory_store.reservation_row(key),
        )
        assert row is not None
        assert row["State"] == "released"


def test_an_unknown_sku_is_permanent_and_releases_the_others() -> None:
    known = _sku(10)
    with pytest.raises(PermanentError, match="not_found"):
        _reserve(_key(), (known, 1), ("zzz-unknown-" + uuid.uuid4().hex[:6], 1))
    assert _stock(known) == (10, 0)


def test_concurrent_orders_never_oversell() -> None:
    sku = _sku(5)

    def attempt(n: int) -> bool:
        try:
            _reserve(f"order-{n}-{uuid.uuid4().hex[:6]}:reserve-inventory", (sku, 1))
        except PermanentError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(attempt, range(12)))

    assert sum(outcomes) == 5
    assert _stock(sku) == (0, 5)


def test_concurrent_duplicates_of_one_reservation_take_stock_once() -> None:
    sku = _sku(10)
    key = _key()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: _reserve(key, (sku, 2)), range(6)))

    assert all(result == results[0] for result in results)
    assert _stock(sku) == (8, 2)


def test_concurrent_releases_give_stock_back_once() -> None:
    sku = _sku(10)
    key = _key()
    _reserve(key, (sku, 6))

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda _: _release(key, sku), range(6)))

    assert _stock(sku) == (10, 0)


def test_setting_stock_keeps_what_is_reserved() -> None:
    sku = _sku(10)
    _reserve(_key(), (sku, 4))

    item, created = inventory_store.set_stock(sku, 20, Decimal("3"))

    assert created is False
    assert (item.available, item.reserved, item.unit_price) == (20, 4, Decimal("3.00"))


def test_invalid_input_is_a_permanent_error() -> None:
    with pytest.raises(PermanentError, match="validation"):
        reserve({"idempotencyKey": "k", "orderId": "o", "items": []})
