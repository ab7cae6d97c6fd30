"""Timer schedules as the host's NCrontab and ``TimeSpan.TryParse`` read them, and the monitor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from durable_localhost.cron import (
    ScheduleError,
    parse_cron,
    parse_dotnet_timespan,
    parse_schedule,
)
from durable_localhost.startup_errors import StartupError
from durable_localhost.timer_status import ScheduleStatus, after_run, check_past_due
from durable_localhost.timer_triggers import is_disabled, resolve_setting_refs, time_zone

pytestmark = pytest.mark.unit

MONDAY = datetime(2026, 3, 2, 0, 0, 0, tzinfo=UTC)  # a Monday


def next_n(expression: str, count: int, start: datetime = MONDAY) -> list[str]:
    schedule = parse_schedule(expression)
    found: list[str] = []
    at: datetime | None = start
    while len(found) < count:
        assert at is not None
        at = schedule.next_after(at)
        assert at is not None
        found.append(at.strftime("%a %Y-%m-%d %H:%M:%S"))
    return found


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("*/15 * * * * *", ["Mon 2026-03-02 00:00:15", "Mon 2026-03-02 00:00:30"]),
        ("0 5-7 * * * *", ["Mon 2026-03-02 00:05:00", "Mon 2026-03-02 00:06:00"]),
        ("0 7-5 * * * *", ["Mon 2026-03-02 00:05:00", "Mon 2026-03-02 00:06:00"]),  # swapped
        ("0 10/20 * * * *", ["Mon 2026-03-02 00:10:00", "Mon 2026-03-02 00:30:00"]),
        ("0 0 9,17 * * *", ["Mon 2026-03-02 09:00:00", "Mon 2026-03-02 17:00:00"]),
        ("0 0 0-12/6 * * *", ["Mon 2026-03-02 06:00:00", "Mon 2026-03-02 12:00:00"]),
        ("0 30 9 * * Sat", ["Sat 2026-03-07 09:30:00", "Sat 2026-03-14 09:30:00"]),
        ("0 0 9 * * mon-fri", ["Mon 2026-03-02 09:00:00", "Tue 2026-03-03 09:00:00"]),
        ("0 0 0 1 Jan,jul *", ["Wed 2026-07-01 00:00:00", "Fri 2027-01-01 00:00:00"]),
        ("0 0 0 1 ju *", ["Mon 2026-06-01 00:00:00", "Tue 2027-06-01 00:00:00"]),  # a prefix
        ("0 0 0 13 * 5", ["Fri 2026-03-13 00:00:00", "Fri 2026-11-13 00:00:00"]),  # day AND weekday
        ("0 0 0 31 * *", ["Tue 2026-03-31 00:00:00", "Sun 2026-05-31 00:00:00"]),
        ("5 * * * *", ["Mon 2026-03-02 00:05:00", "Mon 2026-03-02 01:05:00"]),  # five fields
        ("00:20:00", ["Mon 2026-03-02 00:20:00", "Mon 2026-03-02 00:40:00"]),
        ("1.00:00:00", ["Tue 2026-03-03 00:00:00", "Wed 2026-03-04 00:00:00"]),
    ],
)
def test_occurrences_follow_the_expression(expression: str, expected: list[str]) -> None:
    assert next_n(expression, len(expected)) == expected


def test_a_date_that_never_comes_has_no_occurrence() -> None:
    assert parse_schedule("0 0 0 30 2 *").next_after(MONDAY) is None


def test_an_occurrence_is_strictly_after_the_instant() -> None:
    schedule = parse_schedule("0 */5 * * * *")
    assert schedule.next_after(MONDAY) == MONDAY + timedelta(minutes=5)
    assert schedule.next_after(MONDAY + timedelta(microseconds=1)) == MONDAY + timedelta(minutes=5)


def test_cron_follows_the_time_zone_and_its_daylight_saving() -> None:
    berlin = parse_cron("0 0 9 * * *", ZoneInfo("Europe/Berlin"))

    winter = berlin.next_after(datetime(2026, 3, 2, tzinfo=UTC))
    summer = berlin.next_after(datetime(2026, 4, 2, tzinfo=UTC))

    assert winter == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert summer == datetime(2026, 4, 2, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("0 61 * * * *", "61 is higher than the maximum allowable value for the [Minute] field"),
        ("0 0 0 0 * *", "0 is lower than the minimum allowable value for the [Day] field"),
        ("0 0 0 * * 7", "7 is higher than the maximum allowable value for the [DayOfWeek] field"),
        ("0 0 0 * Foo *", "'Foo' is not a known value name"),
        ("0 0 x * * *", "'x' is not a valid [Hour] crontab field value"),
        ("0 0 */x * * *", "'*/x' is not a valid [Hour] crontab field expression"),
        ("0 0 1,,2 * * *", "cannot be empty"),
        ("* * * *", "It must contain 6 components"),
        ("every day", "It must contain 6 components"),
        ("25:00:00", "It must contain 6 components"),
    ],
)
def test_a_bad_schedule_is_refused_with_the_reason(expression: str, reason: str) -> None:
    with pytest.raises(ScheduleError) as refused:
        parse_schedule(expression)

    message = str(refused.value)
    assert message.startswith(
        f"The schedule expression '{expression}' was not recognized as a valid cron expression "
        "or timespan string."
    )
    assert reason in message


def test_a_timespan_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ScheduleError, match="not positive"):
        parse_schedule("00:00:00")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", timedelta(days=2)),
        ("01:30", timedelta(hours=1, minutes=30)),
        ("1:02:03", timedelta(hours=1, minutes=2, seconds=3)),
        ("1.02:03:04", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("1:02:03:04", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("00:00:01.5", timedelta(seconds=1.5)),
    ],
)
def test_timespans_are_read_as_dotnet_reads_them(text: str, value: timedelta) -> None:
    assert parse_dotnet_timespan(text) == value


@pytest.mark.parametrize(
    ("expression", "sub_minute"),
    [
        ("*/10 * * * * *", True),
        ("0 * * * * *", False),
        ("*/10 0-59 * * * *", True),
        ("*/10 5 * * * *", False),
        ("00:00:30", True),
        ("00:01:00", False),
    ],
)
def test_schedules_more_often_than_a_minute_keep_no_status(
    expression: str, sub_minute: bool
) -> None:
    assert parse_schedule(expression).sub_minute is sub_minute


def test_a_new_timer_gets_a_status_and_is_not_past_due() -> None:
    check = check_past_due(None, parse_schedule("0 */5 * * * *"), MONDAY)

    assert check.status == ScheduleStatus(None, MONDAY + timedelta(minutes=5), MONDAY)
    assert (check.late_by, check.rewritten) == (timedelta(0), True)


def test_a_timer_whose_recorded_next_passed_is_past_due_by_the_difference() -> None:
    schedule = parse_schedule("0 */5 * * * *")
    stored = ScheduleStatus(MONDAY, MONDAY + timedelta(minutes=5), MONDAY)

    check = check_past_due(stored, schedule, MONDAY + timedelta(minutes=7))

    assert check.late_by == timedelta(minutes=2)
    assert not check.rewritten


def test_a_schedule_changed_while_down_is_rebased_not_past_due() -> None:
    stored = ScheduleStatus(MONDAY, MONDAY + timedelta(minutes=5), MONDAY)
    hourly = parse_schedule("0 0 * * * *")

    check = check_past_due(stored, hourly, MONDAY + timedelta(hours=3, minutes=10))

    assert check.late_by == timedelta(0)
    assert check.status.next == MONDAY + timedelta(hours=4)
    assert check.rewritten


def test_a_run_that_started_early_counts_from_its_occurrence() -> None:
    schedule = parse_schedule("0 */5 * * * *")
    status = ScheduleStatus(None, MONDAY + timedelta(minutes=5), None)

    early = after_run(status, schedule, MONDAY + timedelta(minutes=4, seconds=59), scheduled=True)
    late = after_run(status, schedule, MONDAY + timedelta(minutes=17), scheduled=True)

    assert early.next == MONDAY + timedelta(minutes=10)
    assert late.next == MONDAY + timedelta(minutes=20)  # missed occurrences are skipped


def test_settings_are_substituted_and_a_missing_one_is_named() -> None:
    environ = {"Schedules__Cleanup": "0 0 3 * * *", "SECONDS": "30"}

    assert resolve_setting_refs("%Schedules:Cleanup%", environ) == "0 0 3 * * *"
    assert resolve_setting_refs("%SECONDS% * * * * *", environ) == "30 * * * * *"
    with pytest.raises(ScheduleError, match="'%MISSING%' does not resolve to a value"):
        resolve_setting_refs("%MISSING%", environ)


def test_the_time_zone_comes_from_website_time_zone_then_a_tz_name() -> None:
    assert time_zone({}) is UTC
    assert time_zone({"TZ": ":/etc/localtime"}) is UTC  # a shell's TZ, not a zone name
    assert time_zone({"TZ": "Asia/Tokyo"}) == ZoneInfo("Asia/Tokyo")
    assert time_zone({"WEBSITE_TIME_ZONE": "Europe/Berlin", "TZ": "Asia/Tokyo"}) == ZoneInfo(
        "Europe/Berlin"
    )


def test_an_unknown_website_time_zone_refuses_the_start() -> None:
    with pytest.raises(StartupError, match=r"'W\. Europe Standard Time' in the app setting"):
        time_zone({"WEBSITE_TIME_ZONE": "W. Europe Standard Time"})


def test_a_function_is_disabled_by_the_hosts_setting() -> None:
    assert is_disabled("cleanup", {"AzureWebJobs.cleanup.Disabled": "true"})
    assert is_disabled("cleanup", {"AZUREWEBJOBS__CLEANUP__DISABLED": "1"})
    assert not is_disabled("cleanup", {"AzureWebJobs.cleanup.Disabled": "false"})
    assert not is_disabled("cleanup", {"AzureWebJobs.other.Disabled": "true"})


def test_the_function_sees_its_status_in_local_time_and_never_as_year_one() -> None:
    status = ScheduleStatus(None, datetime(2026, 3, 2, 8, 0, tzinfo=UTC), MONDAY)

    seen = status.for_function(ZoneInfo("Europe/Berlin"))

    assert seen == {
        "Last": "0001-01-01T00:00:00+00:00",
        "Next": "2026-03-02T09:00:00+01:00",
        "LastUpdated": "2026-03-02T01:00:00+01:00",
    }
    assert ScheduleStatus.from_json(status.to_json()) == status
