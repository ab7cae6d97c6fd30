"""Settings come from app settings with safe defaults; bad values name the setting."""

from __future__ import annotations

import pytest

from shared.settings import (
    FAST_HISTORY_TIMESTAMPS_SETTING,
    PLATFORM_SETTING_NAMES,
    SETTING_NAMES,
    SettingsError,
    fast_history_timestamps_enabled,
    load_settings,
)


def test_defaults_apply_when_nothing_is_set() -> None:
    settings = load_settings({})

    assert settings.batch_max_parallel == 16
    assert settings.batch_chunk_size == 100
    assert settings.approval_default_stage_hours == 72
    assert settings.health_monitor_allowlist == {}


def test_values_are_read_by_app_setting_name() -> None:
    settings = load_settings(
        {
            "BATCH_MAX_PARALLEL": "4",
            "HEALTH_MONITOR_ALLOWLIST": '{"self": "http://localhost:7071/api/health"}',
            "MAX_REQUEST_BYTES": "",
        }
    )

    assert settings.batch_max_parallel == 4
    assert str(settings.health_monitor_allowlist["self"]) == "http://localhost:7071/api/health"
    assert settings.max_request_bytes == 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BATCH_MAX_PARALLEL", "0"),
        ("BATCH_CHUNK_SIZE", "lots"),
        ("HEALTH_MONITOR_ALLOWLIST", "not json"),
        ("HEALTH_MONITOR_ALLOWLIST", '{"Bad Name": "http://x"}'),
        ("HEALTH_MONITOR_ALLOWLIST", '{"ok": "ftp://x"}'),
        ("APPROVAL_DEFAULT_STAGE_HOURS", "200"),
        ("OPERATIONS_EMAIL", "ops"),
        ("OPERATIONS_EMAIL", "ops@elsewhere.example"),
        ("NOTIFICATION_ALLOWED_DOMAINS", "not a domain"),
        ("NOTIFICATION_ALLOWED_DOMAINS", " , "),
        ("PUBLIC_BASE_URL", "https://shop.example.com/api"),
        ("PUBLIC_BASE_URL", "https://shop.example.com/?x=1"),
        ("PUBLIC_BASE_URL", "ftp://shop.example.com"),
        ("WEBSITE_HOSTNAME", "evil.example/path"),
    ],
)
def test_bad_values_fail_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


def test_notification_domains_are_read_as_a_comma_separated_list() -> None:
    settings = load_settings(
        {
            "NOTIFICATION_ALLOWED_DOMAINS": " Shop.Example , example.com,",
            "OPERATIONS_EMAIL": "o@shop.example",
        }
    )

    assert settings.notification_allowed_domains == ("shop.example", "example.com")


def test_notification_domains_default_to_the_example_domains() -> None:
    assert load_settings({}).notification_allowed_domains == ("example.com", "example.org")


def test_platform_settings_are_read_but_not_deployed() -> None:
    """App Service sets WEBSITE_HOSTNAME; PUBLIC_BASE_URL is an override the templates omit."""
    assert not set(PLATFORM_SETTING_NAMES) & set(SETTING_NAMES)
    assert load_settings({"WEBSITE_HOSTNAME": "f.azurewebsites.net"}).app_origin == (
        "https://f.azurewebsites.net"
    )


def test_setting_names_are_the_documented_ones() -> None:
    assert "HEALTH_MONITOR_ALLOWLIST" in SETTING_NAMES
    assert all(name.isupper() for name in SETTING_NAMES)


def test_operations_email_keeps_only_the_address_of_a_display_name_form() -> None:
    settings = load_settings({"OPERATIONS_EMAIL": "Ops Team <ops@example.com>"})

    assert settings.operations_email == "ops@example.com"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("", True), ("true", True), ("ON", True), ("0", False), ("False", False)],
)
def test_fast_history_timestamps_default_on_and_turn_off(value: str | None, expected: bool) -> None:
    environ = {} if value is None else {FAST_HISTORY_TIMESTAMPS_SETTING: value}
    assert fast_history_timestamps_enabled(environ) is expected


def test_a_malformed_fast_history_timestamps_value_is_named() -> None:
    with pytest.raises(SettingsError, match="FAST_HISTORY_TIMESTAMPS: expected true or false"):
        fast_history_timestamps_enabled({FAST_HISTORY_TIMESTAMPS_SETTING: "maybe"})


def test_fast_history_timestamps_is_optional_so_the_templates_need_not_set_it() -> None:
    assert FAST_HISTORY_TIMESTAMPS_SETTING not in SETTING_NAMES


def test_idempotency_keys_are_kept_a_day_and_swept_every_quarter_hour_by_default() -> None:
    settings = load_settings({})

    assert settings.idempotency_key_retention_hours == 24
    assert settings.idempotency_key_cleanup_schedule == "0 */15 * * * *"


@pytest.mark.parametrize(
    "schedule",
    ["0 */15 * * * *", "0  0 3 * * Sun", "30 5,35 */2 1-15 Jan-Jun 1-5", "0 0 0 29 2 *"],
)
def test_cleanup_schedules_in_ncrontab_form_are_accepted(schedule: str) -> None:
    settings = load_settings({"IDEMPOTENCY_KEY_CLEANUP_SCHEDULE": schedule})

    assert settings.idempotency_key_cleanup_schedule == " ".join(schedule.split())


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ("*/15 * * * *", "6 fields"),  # five-field cron: the host needs seconds too
        ("00:15:00", "6 fields"),
        ("0 60 * * * *", "minute field: '60' is not in 0-59"),
        ("0 0 24 * * *", "hour field"),
        ("0 0 0 0 * *", "day field"),
        ("0 0 0 * 13 *", "month field"),
        ("0 0 0 * * 7", "day of week field"),
        ("0 0 0 * Foo *", "month field: 'Foo'"),
        ("0 30-10 * * * *", "runs backwards"),
        ("0 */0 * * * *", "step"),
        ("0 ? * * * *", "minute field"),
        ("0 1,,2 * * * *", "minute field"),
    ],
)
def test_a_malformed_cleanup_schedule_is_named_with_its_field(schedule: str, problem: str) -> None:
    with pytest.raises(SettingsError, match="IDEMPOTENCY_KEY_CLEANUP_SCHEDULE") as raised:
        load_settings({"IDEMPOTENCY_KEY_CLEANUP_SCHEDULE": schedule})

    assert problem in str(raised.value)


@pytest.mark.parametrize("hours", ["0", "721", "1.5", "a day"])
def test_a_retention_outside_an_hour_to_thirty_days_is_refused(hours: str) -> None:
    with pytest.raises(SettingsError, match="IDEMPOTENCY_KEY_RETENTION_HOURS"):
        load_settings({"IDEMPOTENCY_KEY_RETENTION_HOURS": hours})
