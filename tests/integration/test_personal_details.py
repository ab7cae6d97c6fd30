"""Personal details by business key (`shared.personal_details`) against Azurite."""

from __future__ import annotations

import json
import uuid

import pytest

from shared import storage
from shared.errors import PermanentError
from shared.idempotency import FINGERPRINT_PROPERTY
from shared.models.customers.http import OnboardingRequest
from shared.onboarding_store import (
    ONBOARDING_DETAILS_TABLE,
    onboarding_details,
    save_onboarding_details,
)
from shared.personal_details import DETAILS_ROW

pytestmark = pytest.mark.usefixtures("app_storage")


def _details(name: str = "Ada Lovelace") -> OnboardingRequest:
    return OnboardingRequest(email=f"ada.{uuid.uuid4().hex[:8]}@example.com", name=name)


def test_details_are_read_back_with_the_fingerprint_they_were_saved_with() -> None:
    details = _details()
    save_onboarding_details(details)

    assert onboarding_details(details.key, details.fingerprint()) == details
    assert onboarding_details(details.key, None) == details  # no expectation: what is stored


def test_a_corrected_save_replaces_the_row_and_the_old_fingerprint_no_longer_reads_it() -> None:
    first = _details()
    corrected = first.model_copy(update={"name": "Ada King"})
    save_onboarding_details(first)
    save_onboarding_details(corrected)

    assert onboarding_details(first.key, corrected.fingerprint()).name == "Ada King"
    with pytest.raises(PermanentError, match="conflict") as refused:
        onboarding_details(first.key, first.fingerprint())
    assert "Ada" not in str(refused.value)


def test_missing_details_are_not_found() -> None:
    with pytest.raises(PermanentError, match="not_found"):
        onboarding_details(_details().key, None)


def test_unreadable_details_name_the_fields_never_the_values() -> None:
    details = _details()
    save_onboarding_details(details)
    table = storage.table(ONBOARDING_DETAILS_TABLE)
    row = storage.get_entity(table, details.key, DETAILS_ROW)
    assert row is not None
    table.update_entity(
        {**row, "Details": json.dumps({"email": "not-an-address-but-secret", "name": ""})}
    )

    with pytest.raises(PermanentError, match="validation") as refused:
        onboarding_details(details.key, row[FINGERPRINT_PROPERTY])

    assert "email" in str(refused.value)
    assert "secret" not in str(refused.value)
