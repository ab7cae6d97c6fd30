"""An onboarding's personal details (`OnboardingDetails` table): the e-mail and the name.

One row per onboarding key (`email_key` of the e-mail), written by the starter before the
onboarding starts and read by `create_customer`. A failed onboarding re-posted with a
corrected name replaces the row. See `shared.personal_details`.
"""

from __future__ import annotations

from shared.models.customers.http import OnboardingRequest
from shared.personal_details import load_details, save_details

ONBOARDING_DETAILS_TABLE = "OnboardingDetails"


def save_onboarding_details(request: OnboardingRequest) -> None:
    save_details(ONBOARDING_DETAILS_TABLE, request.key, request, request.fingerprint())


def onboarding_details(key: str, fingerprint: str | None) -> OnboardingRequest:
    """The stored details of onboarding `key`; `PermanentError` when absent or not these."""
    return load_details(ONBOARDING_DETAILS_TABLE, key, OnboardingRequest, fingerprint)
