"""``createAndWait``: ``?timeout=&pollingInterval=`` on start and restart, as the extension answers.

``HttpApiHandler`` starts the instance, then, with both values present, waits (reading the
status every interval) and answers 200 with the output, the status JSON of a failed or
terminated instance, or the usual 202 when the timeout passes first.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from multidict import MultiDict

from durable_localhost.completion_wait import CompletionWait, WaitArgumentError, requested_wait
from durable_webhooks import Durable, StartApp

START = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.emulator
def test_start_and_wait_answers_200_with_the_output_once_an_hour_timer_has_fired(
    start_app: StartApp,
) -> None:
    # The request waits while virtual time jumps the hour: a waiting request must not hold
    # the clock, or this would answer 202 after five seconds.
    durable = Durable(start_app("timers", start_time=START))

    response = durable.http.post(
        "/orchestrators/nap",
        params={"timeout": "5", "pollingInterval": "0.05"},
        json={"seconds": 3600},
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == "rested"


@pytest.mark.emulator
def test_start_and_wait_answers_202_with_the_management_urls_when_the_timeout_passes_first(
    start_app: StartApp,
) -> None:
    durable = Durable(start_app("timers", start_time=START, paused=True))

    response = durable.http.post(
        "/orchestrators/nap/napper",
        params={"timeout": "0.2", "pollingInterval": "0.05"},
        json={"seconds": 3600},
    )

    assert response.status_code == 202
    body = response.json()
    assert body["id"] == "napper"
    assert response.headers["Location"] == body["statusQueryGetUri"]
    assert response.headers["Retry-After"] == "10"
    assert durable.body("napper")["runtimeStatus"] in ("Pending", "Running")


@pytest.mark.emulator
def test_start_and_wait_on_a_failing_orchestration_answers_200_with_its_failed_status(
    start_app: StartApp,
) -> None:
    durable = Durable(start_app("failures"))

    response = durable.http.post(
        "/orchestrators/explodes",
        # The start route passes false to the status answer: the flag does not turn it into 500.
        params={
            "timeout": "5",
            "pollingInterval": "0.05",
            "returnInternalServerErrorOnFailure": "true",
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["runtimeStatus"] == "Failed"
    assert "orchestrator boom" in body["output"]
    assert "Location" not in response.headers


@pytest.mark.emulator
def test_start_with_only_a_timeout_answers_202_at_once(start_app: StartApp) -> None:
    durable = Durable(start_app("timers", start_time=START))

    response = durable.http.post(
        "/orchestrators/nap", params={"timeout": "5"}, json={"seconds": 3600}
    )

    assert response.status_code == 202


@pytest.mark.emulator
def test_start_with_an_interval_longer_than_the_timeout_is_400_after_starting(
    start_app: StartApp,
) -> None:
    durable = Durable(start_app("timers", start_time=START, paused=True))

    response = durable.http.post(
        "/orchestrators/nap/too-eager",
        params={"timeout": "1", "pollingInterval": "2.5"},
        json={"seconds": 60},
    )

    assert response.status_code == 400
    assert response.json() == {
        "Message": "One or more of the arguments submitted is incorrect",
        "ExceptionMessage": "Total timeout 1 should be bigger than retry timeout 2.5",
        "ExceptionType": "System.ArgumentException",
    }
    assert durable.body("too-eager")["runtimeStatus"] in ("Pending", "Running")


@pytest.mark.emulator
def test_restart_and_wait_answers_200_with_the_new_instance_output(start_app: StartApp) -> None:
    durable = Durable(start_app("timers", start_time=START))
    instance_id = durable.start("nap", {"seconds": 60})
    assert durable.server.wait_idle()

    response = durable.http.post(
        f"/instances/{instance_id}/restart",
        params={"timeout": "5", "pollingInterval": "0.05", "restartWithNewInstanceId": "false"},
    )

    assert response.status_code == 200
    assert response.json() == "rested"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ([("timeout", "30"), ("pollingInterval", "1")], CompletionWait(30, 1)),
        ([("timeout", " 1.5e1 "), ("pollingInterval", ".5")], CompletionWait(15, 0.5)),
        # NameValueCollection joins a repeated key with commas; AllowThousands reads "1,2" as 12.
        ([("timeout", "1"), ("timeout", "2"), ("pollingInterval", "3")], CompletionWait(12, 3)),
        ([("Timeout", "8"), ("POLLINGINTERVAL", "2")], CompletionWait(8, 2)),
        ([("timeout", "30")], None),
        ([("timeout", "soon"), ("pollingInterval", "1")], None),
        ([("timeout", "1_000"), ("pollingInterval", "1")], None),
    ],
)
def test_wait_values_are_read_as_double_tryparse_reads_them(
    query: list[tuple[str, str]], expected: CompletionWait | None
) -> None:
    assert requested_wait(MultiDict(query)) == expected


@pytest.mark.unit
@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        (
            [("timeout", "NaN"), ("pollingInterval", "1")],
            400,
            "TimeSpan does not accept floating point Not-a-Number values.",
        ),
        (
            [("timeout", "1e13"), ("pollingInterval", "1")],
            500,
            "TimeSpan overflowed because the duration is too long.",
        ),
    ],
)
def test_wait_values_the_host_cannot_make_a_timespan_of_are_refused(
    query: list[tuple[str, str]], status: int, message: str
) -> None:
    with pytest.raises(WaitArgumentError) as raised:
        requested_wait(MultiDict(query))
    assert (raised.value.status, raised.value.message) == (status, message)
