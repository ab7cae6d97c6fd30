"""The base every contract derives from, and small reusable field types.

Contracts are camelCase on the wire (the public HTTP contract, e.g. `maxParallel`) and
snake_case in Python. Unknown fields are refused so typos surface as 400s instead of being
silently ignored. Payloads cross activity boundaries as `to_json()` output (plain JSON) and
are validated again on the receiving side with `model_validate`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Final, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema


class Contract(BaseModel):
    """A validated, immutable payload with a camelCase JSON form."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
    )

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-compatible dict, safe to put in orchestration history."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_json(cls, value: Any) -> Self:
        """Validate a payload received from HTTP, history or an activity."""
        return cls.model_validate(value)


#: Identifiers we mint or accept in paths: safe in URLs and as Table Storage keys
#: (which forbid '/', '\\', '#', '?' and control characters).
Identifier = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}$", max_length=100, strip_whitespace=True
    ),
]

#: Orchestration instance ids accepted on management routes.
InstanceId = Identifier

#: Idempotency keys derived by orchestrators (instance id + step, run, generation...): the
#: same characters as `Identifier`, but longer, since they embed an instance id of up to 100
#: characters. Stored as Table Storage keys, which allow 1 KiB.
IdempotencyKey = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$", max_length=200, strip_whitespace=True
    ),
]

#: The longest e-mail address a mail server takes (RFC 5321: a 256-octet path, less `<>`).
MAX_EMAIL_CHARS: Final = 254


def _email_length(value: object) -> object:
    """Refuse a long address before the e-mail parser (and its regular expressions) sees it."""
    if isinstance(value, str) and len(value) > MAX_EMAIL_CHARS:
        raise PydanticCustomError(
            "string_too_long",
            "String should have at most {max_length} characters",
            {"max_length": MAX_EMAIL_CHARS},
        )
    return value


#: An e-mail address: length checked first, then syntax (no DNS lookups).
EmailAddress = Annotated[
    EmailStr, BeforeValidator(_email_length), Field(max_length=MAX_EMAIL_CHARS)
]

#: A short human-readable text (names, subjects, comments).
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


#: The longest date-time text accepted: `2026-01-05T09:00:00.123456789+05:30` is 35
#: characters. Longer text is refused before any parsing, so its cost stays bounded.
MAX_DATETIME_CHARS: Final = 64

#: A number as text (what pydantic would read as a Unix time). Each digit can be consumed in
#: exactly one way, so a failing match backtracks over a bounded number of choices.
_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")


def _iso_8601_text(value: object) -> object:
    """Pydantic reads numbers (and numeric strings) as Unix times; the contract says ISO 8601."""
    if isinstance(value, str) and len(value) > MAX_DATETIME_CHARS:
        raise PydanticCustomError(
            "datetime_too_long",
            "Input should be an ISO 8601 date-time of at most {max_length} characters",
            {"max_length": MAX_DATETIME_CHARS},
        )
    if isinstance(value, datetime) or (isinstance(value, str) and not _NUMBER.fullmatch(value)):
        return value
    raise PydanticCustomError(
        "datetime_type",
        "Input should be an ISO 8601 date-time with an offset, e.g. 2026-01-05T09:00:00Z",
    )


def _to_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:59:59-12:00 is a valid ISO 8601 time that has no UTC datetime.
        raise PydanticCustomError(
            "datetime_out_of_range", "the time is out of range once converted to UTC"
        ) from None


#: A time given as ISO 8601 text with an explicit offset, converted to UTC on validation (so it
#: can be compared, stored and handed to clients that format with a literal 'Z'). Unix times
#: (`0.5`, `1700000000`) are refused, and offsets that push it past year 9999 or before year 1
#: are a validation error, not an OverflowError later.
UtcDatetime = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_8601_text),
    AfterValidator(_to_utc),
    WithJsonSchema({"type": "string", "format": "date-time", "maxLength": MAX_DATETIME_CHARS}),
]


def _unsigned_zero(value: Decimal) -> Decimal:
    return value.copy_abs() if value.is_zero() else value


#: Put on a `Decimal` that may be zero: `-0` and `-0.00` pass `ge=0` but would be stored and
#: shown as "-0.00"; this makes them plain zero.
UnsignedZero = AfterValidator(_unsigned_zero)


#: Integer digits allowed in a decimal string; more than any amount a contract accepts.
MAX_DECIMAL_DIGITS: Final = 20


@dataclass(frozen=True)
class DecimalText:
    """Put on a non-negative `Decimal`: a string must be plain notation (`"12.50"`).

    Python's `Decimal` also reads `"1e5"`, `" 12.5 "`, `"1_000"`, `"1.500000"` and non-ASCII
    digits, none of which is a price anyone means to send. Strings must match `pattern`
    (digits, then at most `places` decimals), and the document's string form says so, so
    what it calls valid the model accepts and the other way round (bounds aside).
    """

    places: int

    @property
    def pattern(self) -> str:
        return rf"^[0-9]+(\.[0-9]{{1,{self.places}}})?$"

    @property
    def max_length(self) -> int:
        """Digits of the largest amount any contract allows, a point and the decimals."""
        return MAX_DECIMAL_DIGITS + 1 + self.places

    def _check(self, value: object) -> object:
        if isinstance(value, str) and (
            len(value) > self.max_length or not re.fullmatch(self.pattern, value)
        ):
            raise PydanticCustomError(
                "decimal_parsing",
                "Input should be a non-negative number, or a string in plain decimal notation "
                'with at most {places} decimals, such as "12.50"',
                {"places": self.places},
            )
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        result = handler(schema)
        for option in result.get("anyOf", []):
            if option.get("type") == "string":
                option["pattern"] = self.pattern
                option["maxLength"] = self.max_length
        return result
