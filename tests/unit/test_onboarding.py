"""Customer onboarding: a chain where each step's output feeds the next."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytest_mock import MockerFixture

from orchestrators import onboarding
from orchestrators.common import InvalidOrchestrationInput
from shared.errors import ErrorCode
from shared.idempotency import key_reused
from shared.models.customers import OnboardingInput, OnboardingRequest
from tests.support.failures import activity_failed, permanent, transient
from tests.support.functions import orchestrator_function
from tests.support.orchestration import FakeTask, OrchestrationDriver
from tests.support.personal_data import assert_no_personal_data

#: A restarted instance's id: nothing the steps key their effects by may derive from it.
INSTANCE = "0f3c9e2a7b5d4c1e8a6f2b9d0c4e7a1f"
#: What the starter stores under the onboarding key; the input only references it.
DETAILS = OnboardingRequest(email="Ada@Example.COM", name=" Ada Lovelace ")
INPUT = OnboardingInput(
    onboarding_key=DETAILS.key, details_fingerprint=DETAILS.fingerprint()
).to_json()
#: The business id every key derives from: the onboarded e-mail's key.
ONBOARDING_ID = f"onboarding-{DETAILS.key}"


def ok(task: FakeTask) -> Any:
    request = task.input
    match task.name:
        case "create_customer":
            return {
                "customerId": "cus-existing",  # the store may hand back an existing id
                "createdAt": "2026-01-05T09:00:00+00:00",
                "alreadyExisted": False,
            }
        case "open_customer_account":
            return {
                "accountId": "acc-1",
                "customerId": request["customerId"],
                "status": "open",
                "openedAt": "2026-01-05T09:00:01+00:00",
            }
        case "send_notification":
            return {
                "notificationId": request["idempotencyKey"],
                "correlationId": request["correlationId"],
                "kind": request["kind"],
                "to": request["to"],
                "createdAt": "2026-01-05T09:00:02+00:00",
            }
    raise AssertionError(task.name)


def responder(fail: dict[str, Callable[[], Exception | None]] | None = None) -> Any:
    def respond(task: FakeTask) -> Any:
        if task.kind == "timer":
            return None
        error = (fail or {}).get(task.name or "", lambda: None)()
        if error is not None:
            raise error
        return ok(task)

    return respond


def drive(mocker: MockerFixture, value: Any = None) -> OrchestrationDriver:
    return OrchestrationDriver(
        mocker,
        orchestrator_function(onboarding.customer_onboarding),
        input=value if value is not None else INPUT,
        instance_id=INSTANCE,
    )


def test_each_step_is_fed_by_the_previous_ones_output(mocker: MockerFixture) -> None:
    driver = drive(mocker)

    output = driver.run(responder())

    create, open_account, welcome = driver.activities
    assert [t.name for t in driver.activities] == [
        "create_customer",
        "open_customer_account",
        "send_notification",
    ]
    assert create.input["onboardingKey"] == DETAILS.key
    assert create.input["detailsFingerprint"] == DETAILS.fingerprint()
    assert create.input["idempotencyKey"] == f"{ONBOARDING_ID}:create-customer"
    assert open_account.input["customerId"] == "cus-existing"  # from the output, not proposed
    assert welcome.input["kind"] == "welcome"
    assert welcome.input["to"]["audience"] == "customer"
    assert welcome.input["to"]["ref"] == "cus-existing"
    assert welcome.input["subject"] == "Welcome, {recipientName}"  # the activity fills it in
    assert welcome.input["data"] == {"customerId": "cus-existing", "accountId": "acc-1"}
    assert welcome.input["idempotencyKey"] == f"{ONBOARDING_ID}:welcome"
    assert welcome.input["correlationId"] == ONBOARDING_ID
    assert output["customer"]["customerId"] == "cus-existing"
    assert output["account"]["accountId"] == "acc-1"
    assert output["welcome"]["kind"] == "welcome"


def test_no_history_status_or_output_holds_personal_data(mocker: MockerFixture) -> None:
    driver = drive(mocker)

    output = driver.run(responder())

    assert_no_personal_data(driver, output, ["ada@example.com", "Ada Lovelace"])


def test_proposed_ids_are_deterministic_across_replays(mocker: MockerFixture) -> None:
    first, second = drive(mocker), drive(mocker)
    first.run(responder())
    second.run(responder())

    assert [t.input for t in first.activities] == [t.input for t in second.activities]
    assert first.activities[0].input["proposedCustomerId"].startswith("cus-")
    assert first.activities[1].input["proposedAccountId"].startswith("acc-")


def test_custom_status_names_the_current_step(mocker: MockerFixture) -> None:
    driver = drive(mocker)
    driver.run(responder())

    assert [s["step"] for s in driver.custom_statuses] == [
        "creating_customer",
        "opening_account",
        "sending_welcome",
        "completed",
    ]
    assert driver.custom_statuses[1]["customerId"] == "cus-existing"
    assert driver.custom_status["accountId"] == "acc-1"


def test_transient_failures_are_retried_with_backoff(mocker: MockerFixture) -> None:
    failures = iter([transient("open_customer_account")])
    driver = drive(mocker)

    output = driver.run(responder({"open_customer_account": lambda: next(failures, None)}))

    assert output["account"]["accountId"] == "acc-1"
    assert [t.name for t in driver.activities].count("open_customer_account") == 2
    assert len(driver.timers) == 1


def test_a_step_that_keeps_failing_fails_the_instance_and_names_the_step(
    mocker: MockerFixture,
) -> None:
    driver = drive(mocker)

    with pytest.raises(onboarding.OnboardingFailed, match="opening_account"):
        driver.run(
            responder(
                {
                    "open_customer_account": lambda: permanent(
                        "open_customer_account", ErrorCode.NOT_FOUND, "no such customer"
                    )
                }
            )
        )

    assert driver.custom_status == {
        "step": "failed",
        "customerId": "cus-existing",
        "accountId": None,
        "failedStep": "opening_account",
        "errorCode": "not_found",
        "error": "no such customer",
    }
    assert "send_notification" not in [t.name for t in driver.activities]


def test_a_key_holding_another_requests_effect_fails_at_once_and_names_the_key(
    mocker: MockerFixture,
) -> None:
    """A permanent conflict (the key was used for a different request) is not retried."""
    key = f"{ONBOARDING_ID}:welcome"
    driver = drive(mocker)

    with pytest.raises(onboarding.OnboardingFailed, match="sending_welcome") as failed:
        driver.run(
            responder(
                {"send_notification": lambda: activity_failed("send_notification", key_reused(key))}
            )
        )

    assert f"'{key}'" in str(failed.value)
    assert [t.name for t in driver.activities].count("send_notification") == 1
    assert driver.timers == []
    assert driver.custom_status["step"] == "failed"
    assert driver.custom_status["failedStep"] == "sending_welcome"
    assert driver.custom_status["errorCode"] == "conflict"
    assert f"'{key}'" in driver.custom_status["error"]


def test_exhausted_retries_fail_the_instance(mocker: MockerFixture) -> None:
    driver = drive(mocker)

    with pytest.raises(onboarding.OnboardingFailed, match="sending_welcome"):
        driver.run(responder({"send_notification": lambda: transient("send_notification")}))

    sends = [t for t in driver.activities if t.name == "send_notification"]
    assert len(sends) == onboarding.ONBOARDING_BACKOFF.max_attempts


@pytest.mark.parametrize(
    "value",
    [
        {**INPUT, "onboardingKey": "not-a-key"},
        {**INPUT, "detailsFingerprint": ""},
        {"onboardingKey": DETAILS.key},
        {**INPUT, "email": "ada@example.com"},  # personal data has no place in the input
        {"email": "ada@example.com", "name": "Ada"},
    ],
)
def test_invalid_input_fails_before_any_side_effect(mocker: MockerFixture, value: Any) -> None:
    driver = drive(mocker, value)

    with pytest.raises(InvalidOrchestrationInput):
        driver.run(responder())
    assert driver.activities == []
