"""Inventory side effects against Azurite: atomic, idempotent, never oversold."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from activities.inventory import release_inventory, reserve_inventory
from shared import inventory_store, storage
from shared.errors import PermanentError
from shared.idempotency import FINGERPRINT_PROPERTY, fingerprint
from shared.models.inventory import OrderLine, ReserveInventoryRequest
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


ORDER = fingerprint({"order": "o-1 as first posted"})
OTHER_ORDER = fingerprint({"order": "o-1 posted again"})


def _request(key: str, lines: tuple[tuple[str, int], ...], order: str | None = ORDER) -> dict:
    return {
        "idempotencyKey": key,
        "orderId": "o-1",
        "items": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "orderFingerprint": order,
    }


def _reserve(key: str, *lines: tuple[str, int], order: str | None = ORDER) -> dict:
    return reserve(_request(key, lines, order))


def _release(key: str, *lines: tuple[str, int], order: str | None = ORDER) -> dict:
    """The saga's release: every SKU of the order, naming the reservation by its fingerprint."""
    reservation = ReserveInventoryRequest.from_json(_request(key, lines, order))
    return release(
        {
            "idempotencyKey": key,
            "skus": [sku for sku, _ in lines],
            "reservationFingerprint": reservation.fingerprint(),
        }
    )


def _reservation(key: str, sku: str) -> dict | None:
    return storage.get_entity(
        storage.table(inventory_store.INVENTORY_TABLE), sku, inventory_store.reservation_row(key)
    )


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

    first = _release(key, (sku, 4))
    second = _release(key, (sku, 4))

    assert first == second
    assert first["lines"] == [{"sku": sku, "quantity": 4, "state": "released"}]
    assert _stock(sku) == (10, 0)


def test_a_reservation_is_not_taken_again_after_its_release() -> None:
    sku = _sku(10)
    key = _key()
    _reserve(key, (sku, 4))
    _release(key, (sku, 4))

    with pytest.raises(PermanentError, match="already released"):
        _reserve(key, (sku, 4))  # a late duplicate of the original reservation
    assert _stock(sku) == (10, 0)


def test_releasing_a_key_that_never_reserved_leaves_a_tombstone() -> None:
    sku = _sku(10)
    key = _key()

    released = _release(key, (sku, 1))

    assert released["lines"] == [{"sku": sku, "quantity": 0, "state": "released"}]
    with pytest.raises(PermanentError, match="already released"):
        _reserve(key, (sku, 1))
    with pytest.raises(PermanentError, match="different request"):
        _reserve(key, (sku, 2))
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
        list(pool.map(lambda _: _release(key, (sku, 6)), range(6)))

    assert _stock(sku) == (10, 0)


# --- a key reused by a different request ---------------------------------------------------


def test_a_reservation_row_carries_its_requests_fingerprint() -> None:
    sku = _sku(10)
    key = _key()

    _reserve(key, (sku, 2))

    row = _reservation(key, sku)
    assert row is not None
    expected = ReserveInventoryRequest.from_json(_request(key, ((sku, 2),))).fingerprint()
    assert row[FINGERPRINT_PROPERTY] == expected


@pytest.mark.parametrize(
    "other",
    [
        {"quantity": 3},  # another quantity of the same SKU
        {"extra_line": True},  # the same line plus another one
        {"order": OTHER_ORDER},  # the same lines for another order with this id
    ],
)
def test_the_key_with_other_lines_is_a_conflict_and_takes_no_stock(other: dict) -> None:
    sku, extra = _sku(10), _sku(10)
    key = _key()
    first = _reserve(key, (sku, 2))

    lines = [(sku, other.get("quantity", 2))]
    if other.get("extra_line"):
        lines.append((extra, 1))
    with pytest.raises(PermanentError, match="conflict") as refused:
        _reserve(key, *lines, order=other.get("order", ORDER))

    assert f"'{key}'" in str(refused.value)
    assert _stock(sku) == (8, 2)
    assert _stock(extra) == (10, 0)  # reserved first or not at all, it is not held
    assert _reserve(key, (sku, 2)) == first  # the first request still replays


def test_a_conflict_gives_back_the_skus_the_same_call_had_reserved() -> None:
    """SKUs are reserved in order: one reserved before the conflicting one is released again."""
    fresh, taken = sorted([_sku(10), _sku(10)])
    key = _key()
    _reserve(key, (taken, 1))

    with pytest.raises(PermanentError, match="conflict"):
        _reserve(key, (fresh, 4), (taken, 1), order=OTHER_ORDER)

    assert _stock(fresh) == (10, 0)
    assert _stock(taken) == (9, 1)
    row = _reservation(key, fresh)
    assert row is not None
    assert row["State"] == "released"


def test_the_same_lines_in_another_order_are_the_same_reservation() -> None:
    sku_a, sku_b = _sku(10), _sku(10)
    key = _key()

    first = _reserve(key, (sku_a, 1), (sku_b, 2))

    assert _reserve(key, (sku_b, 2), (sku_a, 1)) == first
    assert _stock(sku_a) == (9, 1)


def test_a_release_leaves_another_requests_reservation_alone_and_releases_its_own() -> None:
    """The key holds sku_a for the first order; the second order's release names its own."""
    sku_a, sku_b = _sku(10), _sku(10)
    key = _key()
    _reserve(key, (sku_a, 2))  # the first order
    inventory_store.reserve_one(  # the second order got sku_b before its attempt failed
        key,
        "o-1",
        OrderLine(sku=sku_b, quantity=1),
        ReserveInventoryRequest.from_json(
            _request(key, ((sku_a, 3), (sku_b, 1)), OTHER_ORDER)
        ).fingerprint(),
    )

    with pytest.raises(PermanentError, match="conflict") as refused:
        _release(key, (sku_a, 3), (sku_b, 1), order=OTHER_ORDER)

    assert "left untouched" in str(refused.value)
    assert sku_a in str(refused.value)
    assert _stock(sku_a) == (8, 2)  # the first order keeps its units
    assert _stock(sku_b) == (10, 0)  # the second order's own units are back


def test_setting_stock_keeps_what_is_reserved() -> None:
    sku = _sku(10)
    _reserve(_key(), (sku, 4))

    item, created = inventory_store.set_stock(sku, 20, Decimal("3"))

    assert created is False
    assert (item.available, item.reserved, item.unit_price) == (20, 4, Decimal("3.00"))


def test_invalid_input_is_a_permanent_error() -> None:
    with pytest.raises(PermanentError, match="validation"):
        reserve({"idempotencyKey": "k", "orderId": "o", "items": []})
