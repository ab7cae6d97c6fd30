"""Request fingerprints: an idempotency key replays its own request, never a different one.

An idempotency key says "this is the same request again". Keys here derive from a business id
(an order, a batch, an approval) and a step, and a business id can be reused (an order id posted
again after its instance was purged),
so a key alone cannot tell a retry from a different request that happens to reuse it. So every
effect row also stores a fingerprint of the request fields that define the effect: a digest of
their canonical JSON. A second request with the key and the same fingerprint is a retry and
gets the first result; with another fingerprint it is a different request, refused as a
permanent `conflict` that names the key, never answered with the first request's result (as
payment providers answer a reused idempotency key with different parameters).

Rows written before fingerprints existed carry none; they count as a match, so they replay
exactly as they did before. A caller that passes no fingerprint is not checked either.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Any, Final

from pydantic import StringConstraints

from shared.errors import ErrorCode, PermanentError

#: The entity property holding a row's fingerprint.
FINGERPRINT_PROPERTY: Final = "Fingerprint"

#: A fingerprint as it travels in a contract (e.g. a compensation naming the request it undoes).
Fingerprint = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class FingerprintMismatch(Exception):
    """The row under a key was written for a different request: it is not this one's result."""

    def __init__(self, where: str) -> None:
        super().__init__(f"{where} was written for a different request")
        self.where = where


def fingerprint(fields: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of `fields` (sorted keys, no spaces): stable across runs.

    Pass plain JSON values (`model.to_json()` output, decimals as text), and put list items in
    a canonical order first when their order carries no meaning.
    """
    canonical = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def stamped(entity: Mapping[str, Any], expected: str | None) -> dict[str, Any]:
    """`entity` with `expected` as its fingerprint property (unchanged when there is none)."""
    row = dict(entity)
    if expected is not None:
        row[FINGERPRINT_PROPERTY] = expected
    return row


def matches(row: Mapping[str, Any], expected: str | None) -> bool:
    """Whether `row` may be treated as the result of the request fingerprinted `expected`.

    A row without a fingerprint predates them and matches (it replays as before); so does any
    row when the caller has no fingerprint to compare.
    """
    stored = row.get(FINGERPRINT_PROPERTY)
    return expected is None or not stored or stored == expected


def require_match(row: Mapping[str, Any], expected: str | None, where: str) -> None:
    """Raise `FingerprintMismatch` unless `row` matches `expected` (see `matches`)."""
    if not matches(row, expected):
        raise FingerprintMismatch(where)


def key_reused(key: str) -> PermanentError:
    """The permanent error of a forward step whose key already holds another request's effect."""
    return PermanentError(
        ErrorCode.CONFLICT,
        f"idempotency key '{key}' was already used for a different request: its effect is kept "
        "and nothing was done for this one",
    )


def not_undone(key: str, detail: str | None = None) -> PermanentError:
    """The permanent error of a compensation whose key holds another request's effect."""
    message = (
        f"idempotency key '{key}' holds the effect of a different request: it was left "
        "untouched, not undone"
    )
    return PermanentError(ErrorCode.CONFLICT, f"{message} ({detail})" if detail else message)
