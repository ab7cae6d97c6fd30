"""Onboarding's side effects against Azurite: one customer per e-mail, one account each."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from activities.customers import create_customer, open_customer_account
from shared import customer_store, onboarding_store, storage
from shared.errors import PermanentError
from shared.models.customers.http import OnboardingRequest
from tests.support.functions import user_function

pytestmark = pytest.mark.usefixtures("app_storage")

create = user_function(create_customer)
open_account = user_function(open_customer_account)


def _email() -> str:
    return f"Ada.{uuid.uuid4().hex[:8]}@Example.com"


def _request(key: str, details: OnboardingRequest, proposed: str | None = None) -> dict:
    return {
        "idempotencyKey": key,
        "proposedCustomerId": proposed or f"cus-{uuid.uuid4().hex}",
        "onboardingKey": details.key,
        "detailsFingerprint": details.fingerprint(),
    }


def _create(key: str, email: str, name: str = "Ada", proposed: str | None = None) -> dict:
    """Store the onboarding's details (as the starter does), then create the customer."""
    details = OnboardingRequest(email=email, name=name)
    onboarding_store.save_onboarding_details(details)
    return create(_request(key, details, proposed))


def _stored(customer_id: str) -> tuple[str, str]:
    customer = customer_store.get_customer(customer_id)
    assert customer is not None
    return customer.email, customer.name


def _customers_with(email: str) -> list[dict]:
    return list(
        storage.table(customer_store.CUSTOMERS_TABLE).query_entities(
            "Email eq @email", parameters={"email": email.lower()}
        )
    )


def test_the_same_key_twice_creates_one_customer_and_returns_the_first_result() -> None:
    email = _email()

    first = _create("onb-1:create-customer", email, proposed="cus-first")
    second = _create("onb-1:create-customer", email, proposed="cus-second")

    assert first == second
    assert first["customerId"] == "cus-first"
    assert set(first) == {"customerId", "createdAt", "alreadyExisted"}  # no e-mail, no name
    assert _stored("cus-first") == (email.lower(), "Ada")
    assert first["alreadyExisted"] is False
    assert len(_customers_with(email)) == 1


def test_another_request_for_the_same_email_gets_the_existing_customer() -> None:
    email = _email()
    first = _create("onb-1:create-customer", email, name="Ada")

    again = _create("onb-2:create-customer", email.upper(), name="Someone else")

    assert again["customerId"] == first["customerId"]
    assert _stored(again["customerId"])[1] == "Ada"
    assert again["alreadyExisted"] is True
    assert len(_customers_with(email)) == 1


def test_the_same_key_with_another_name_is_handed_the_stored_customer_not_refused() -> None:
    """The e-mail is the natural key: a corrected name does not conflict, the first one stays.

    Onboarding restarts a failed instance with a corrected name (same instance id, so the
    same key): it must converge on the customer that run created, not fail.
    """
    email = _email()
    key = f"onb-{uuid.uuid4().hex[:8]}:create-customer"
    first = _create(key, email, name="Ada")

    corrected = _create(key, email, name="Ada Lovelace")

    assert corrected == first
    assert _stored(corrected["customerId"])[1] == "Ada"
    assert len(_customers_with(email)) == 1


def test_concurrent_onboardings_of_one_email_create_one_customer() -> None:
    email = _email()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: _create(f"onb-{n}:c", email), range(8)))

    assert len({r["customerId"] for r in results}) == 1
    assert sum(not r["alreadyExisted"] for r in results) == 1
    assert len(_customers_with(email)) == 1


def test_an_account_is_opened_once_per_customer() -> None:
    customer = _create("onb-3:create-customer", _email())
    request = {
        "idempotencyKey": "onb-3:open-account",
        "customerId": customer["customerId"],
        "proposedAccountId": "acc-first",
    }

    first = open_account(request)
    second = open_account({**request, "proposedAccountId": "acc-second"})
    other_key = open_account({**request, "idempotencyKey": "onb-4:open-account"})

    assert first == second == other_key
    assert first["accountId"] == "acc-first"
    rows = list(
        storage.table(customer_store.ACCOUNTS_TABLE).query_entities(
            "PartitionKey eq @pk", parameters={"pk": customer["customerId"]}
        )
    )
    assert len(rows) == 1


def test_an_account_for_an_unknown_customer_is_a_permanent_error() -> None:
    with pytest.raises(PermanentError, match="not_found"):
        open_account(
            {
                "idempotencyKey": "k:open-account",
                "customerId": f"cus-{uuid.uuid4().hex}",
                "proposedAccountId": "acc-x",
            }
        )


def test_invalid_input_is_a_permanent_error() -> None:
    request = _request("k:create-customer", OnboardingRequest(email=_email(), name="Ada"))
    with pytest.raises(PermanentError, match="onboardingKey"):
        create({**request, "onboardingKey": "not-a-key"})
    with pytest.raises(PermanentError, match="validation"):
        create({**request, "email": _email()})  # personal data has no place in the input


def test_an_onboarding_without_stored_details_is_not_found_and_creates_nobody() -> None:
    email = _email()
    request = _request("k:create-customer", OnboardingRequest(email=email, name="Ada"))

    with pytest.raises(PermanentError, match="not_found"):
        create(request)
    assert _customers_with(email) == []


def test_details_replaced_by_a_corrected_repost_are_a_conflict_for_the_old_run() -> None:
    email = _email()
    old = OnboardingRequest(email=email, name="Ada")
    onboarding_store.save_onboarding_details(OnboardingRequest(email=email, name="Ada Lovelace"))

    with pytest.raises(PermanentError, match="conflict") as refused:
        create(_request("k:create-customer", old))

    assert email.lower() not in str(refused.value)
    assert _customers_with(email) == []
