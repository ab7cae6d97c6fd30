"""Personal details kept in a table under a business key, so orchestrations carry only the key.

A starter saves what a request says about a person (an order's e-mail, shipping address and
payment token; an onboarding's e-mail and name; a monitor's recipient) under the business key
before its orchestration starts, together with a fingerprint of those details. The
orchestration's input carries the key and the fingerprint; the activities that need the
details read them back here. A read names the fingerprint it expects, so an activity never
acts on details saved for another request under the same key (an id reused after a purge):
that is a permanent `conflict`. Errors name keys and fields, never the values.

See docs/data.md for what is kept where and for how long.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TypeVar

from azure.data.tables import UpdateMode
from pydantic import BaseModel, ValidationError

from shared import storage
from shared.errors import ErrorCode, PermanentError
from shared.idempotency import FINGERPRINT_PROPERTY, matches

M = TypeVar("M", bound=BaseModel)

DETAILS_ROW = "details"


def save_details(table_name: str, key: str, details: BaseModel, fingerprint: str) -> None:
    """Store `details` under `key`, replacing what was there (a corrected re-post)."""
    storage.table(table_name).upsert_entity(
        {
            "PartitionKey": key,
            "RowKey": DETAILS_ROW,
            "Details": json.dumps(details.model_dump(mode="json", by_alias=True)),
            FINGERPRINT_PROPERTY: fingerprint,
            "SavedAt": datetime.now(UTC).isoformat(),
        },
        mode=UpdateMode.REPLACE,
    )


def load_details(table_name: str, key: str, model: type[M], fingerprint: str | None) -> M:
    """The details stored under `key`, as `model`; permanent errors when absent or not these.

    `fingerprint` is what the orchestration was started with; None reads whatever is stored.
    """
    what = f"the details of '{key}' in table '{table_name}'"
    row = storage.get_entity(storage.table(table_name), key, DETAILS_ROW)
    if row is None:
        raise PermanentError(ErrorCode.NOT_FOUND, f"{what} are not stored")
    if not matches(row, fingerprint):
        raise PermanentError(
            ErrorCode.CONFLICT, f"{what} were saved for a different request; nothing was done"
        )
    try:
        return model.model_validate(json.loads(row["Details"]))
    except (ValidationError, ValueError, KeyError) as exc:
        fields = (
            ", ".join(sorted({".".join(map(str, e["loc"])) for e in exc.errors()}))
            if isinstance(exc, ValidationError)
            else "Details"
        )
        raise PermanentError(ErrorCode.VALIDATION, f"{what} are invalid ({fields})") from None
