"""What a batch is made of: its ids, items, results and the limits every boundary shares."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Final

from pydantic import Field, StringConstraints

from shared.models.base import Contract, DecimalText, Identifier, UnsignedZero

#: What any deployment accepts; `BATCH_MAX_ITEMS` may only lower it.
HARD_MAX_ITEMS: Final = 10_000
#: Error texts and codes kept per failed item (outputs and rows stay small).
MAX_ERROR_CHARS: Final = 300
MAX_CODE_CHARS: Final = 40
#: Batch ids become instance ids with `:chunk-<n>` appended, so they carry no ':' themselves.
BatchId = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=64, strip_whitespace=True
    ),
]

Sku = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", max_length=40, strip_whitespace=True
    ),
]

CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$", max_length=3)]
Price = Annotated[
    Decimal,
    Field(gt=0, le=Decimal(1_000_000), max_digits=9, decimal_places=2),
    DecimalText(places=2),
]

Percent = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=5, decimal_places=2),
    UnsignedZero,
    DecimalText(places=2),
]

ErrorText = Annotated[str, StringConstraints(max_length=MAX_ERROR_CHARS)]
ErrorCodeText = Annotated[str, StringConstraints(max_length=MAX_CODE_CHARS)]


def short_error(text: str) -> str:
    """An error text cut to what outputs and rows keep."""
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def short_code(code: str) -> str:
    """An error code cut to what outputs and rows keep (codes are short `ErrorCode` values)."""
    return code[:MAX_CODE_CHARS]


Position = Annotated[int, Field(ge=0, lt=HARD_MAX_ITEMS)]


class ItemStatus(StrEnum):
    PROCESSED = "processed"
    FAILED = "failed"


class PriceUpdate(Contract):
    """One item: a new list price for a SKU. The batch prices it and records the result.

    Shape errors are a 400 for the whole request. Business rules are checked per item and
    make only that item fail: a currency the shop does not sell in (e.g. `XXX`), or a
    discount that leaves no positive price (e.g. `discountPercent: 100`).
    """

    id: Identifier = Field(description="Unique within the batch; names the item in results.")
    sku: Sku
    base_price: Price = Field(description="List price before discount, at most 2 decimals.")
    currency: CurrencyCode = Field(description="ISO 4217 code; see the supported list.")
    discount_percent: Percent = Field(Decimal(0), description="0-100, at most 2 decimals.")


class ItemFailure(Contract):
    """One failed item as the batch output reports it."""

    id: Identifier
    code: ErrorCodeText
    error: ErrorText
