"""Request fingerprints: stable digests, and the rules for comparing them with a stored row."""

from __future__ import annotations

import pytest

from shared.errors import ErrorCode, PermanentError, classify_failure
from shared.idempotency import (
    FINGERPRINT_PROPERTY,
    FingerprintMismatch,
    fingerprint,
    key_reused,
    matches,
    not_undone,
    require_match,
    stamped,
)


def test_a_fingerprint_ignores_key_order_and_is_a_sha256_hex_digest() -> None:
    one = fingerprint({"orderId": "o-1", "amount": "10.20", "lines": [{"sku": "a"}]})
    two = fingerprint({"lines": [{"sku": "a"}], "amount": "10.20", "orderId": "o-1"})

    assert one == two
    assert len(one) == 64
    assert set(one) <= set("0123456789abcdef")


@pytest.mark.parametrize(
    "other",
    [
        {"orderId": "o-2", "amount": "10.20"},
        {"orderId": "o-1", "amount": "10.2"},  # decimal text is compared as written
        {"orderId": "o-1", "amount": "10.20", "extra": None},
    ],
)
def test_any_different_field_gives_another_fingerprint(other: dict[str, object]) -> None:
    assert fingerprint({"orderId": "o-1", "amount": "10.20"}) != fingerprint(other)


def test_a_row_matches_its_own_fingerprint_only() -> None:
    row = stamped({"PartitionKey": "k", "RowKey": "r"}, "a" * 64)

    assert row[FINGERPRINT_PROPERTY] == "a" * 64
    assert matches(row, "a" * 64)
    assert not matches(row, "b" * 64)
    with pytest.raises(FingerprintMismatch, match="row k/r was written for a different request"):
        require_match(row, "b" * 64, "row k/r")


def test_a_row_without_a_fingerprint_is_no_requests_result() -> None:
    unstamped = {"PartitionKey": "k", "RowKey": "r"}

    assert not matches(unstamped, "b" * 64)
    assert not matches({**unstamped, FINGERPRINT_PROPERTY: ""}, "b" * 64)
    with pytest.raises(FingerprintMismatch):
        require_match(unstamped, "b" * 64, "row k/r")


def test_a_caller_without_a_fingerprint_is_not_checked_and_stamps_nothing() -> None:
    row = stamped({"PartitionKey": "k", "RowKey": "r"}, None)

    assert FINGERPRINT_PROPERTY not in row
    assert matches({**row, FINGERPRINT_PROPERTY: "a" * 64}, None)


def test_the_errors_are_permanent_conflicts_naming_the_key() -> None:
    for error in (key_reused("order-o-1:charge-payment"), not_undone("order-o-1:charge-payment")):
        assert isinstance(error, PermanentError)
        info = classify_failure(error)
        assert info.is_permanent
        assert info.code == ErrorCode.CONFLICT
        assert "'order-o-1:charge-payment'" in info.message
    assert "left untouched" in str(not_undone("k"))
