"""The expense approval orchestration's input, for tests at any level."""

from __future__ import annotations

from typing import Any

INSTANCE = "approval-1"
#: Three days: longer than any test waits unless it moves the clock.
DAY3 = 72 * 3600


def approval_input(**overrides: Any) -> dict[str, Any]:
    """A two-stage approval of 420.50 EUR whose requester named themselves in the body."""
    return {
        "approvalId": INSTANCE,
        "amount": "420.50",
        "currency": "EUR",
        "description": "Conference ticket",
        "stageCount": 2,
        "requesterSource": "request_body",
        "stageTimeoutSeconds": DAY3,
        **overrides,
    }
