"""Scrubbing and the choice of destination: what may leave the process, and where to."""

from __future__ import annotations

import pytest
from azure.identity import ManagedIdentityCredential

from shared.telemetry import Destination, _configure, ingestion_credential
from shared.telemetry_privacy import REDACTED, scrub, scrub_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail ada.l+x@example.co.uk now", f"mail {REDACTED} now"),
        ("card tok_refund_unavailable_3 failed", f"card {REDACTED} failed"),
        ("GET /api/x?code=abc123&x=1", f"GET /api/x?{REDACTED}&x=1"),
        ("Authorization: Bearer eyJhbGciOi.x-y", f"Authorization: {REDACTED}"),
        ("order o-1 charged 12.50 EUR", "order o-1 charged 12.50 EUR"),
        ("@ alone and tok_ alone", "@ alone and tok_ alone"),
    ],
)
def test_scrub(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_sequences_are_scrubbed_element_wise() -> None:
    assert scrub_value(("a@b.io", 3, "ok")) == (REDACTED, 3, "ok")


def test_a_long_text_without_markers_is_returned_as_is() -> None:
    text = "x" * 200_000
    assert scrub(text) is text


def test_entra_ingestion_uses_the_user_assigned_identity_the_infrastructure_names() -> None:
    credential = ingestion_credential("ClientId=1111-2222;Authorization=AAD")

    assert isinstance(credential, ManagedIdentityCredential)


@pytest.mark.parametrize("setting", ["", "Authorization=Key", "ClientId=1"])
def test_no_entra_setting_means_no_credential(setting: str) -> None:
    assert ingestion_credential(setting) is None


def test_without_a_destination_nothing_is_configured() -> None:
    assert _configure({}) is Destination.OFF
