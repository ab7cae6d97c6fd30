"""host.json as JSON with comments, %SETTING% substitution, local.settings.json values."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from durable_localhost import jsonc
from durable_localhost.config import EnvironmentPatch, load_host_config, read_local_settings
from durable_localhost.routing import compile_route
from durable_localhost.timeutil import format_timespan, parse_timespan

pytestmark = pytest.mark.emulator

REPO = Path(__file__).resolve().parents[2]


def test_comments_and_trailing_commas_are_skipped_but_not_inside_strings() -> None:
    text = '{\n // line\n "a": "http://x//y", /* block\n */ "b": [1, 2,],\n}'

    assert jsonc.loads(text) == {"a": "http://x//y", "b": [1, 2]}


def test_host_config_reads_prefix_hub_and_concurrency(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text(
        """{
          // comment
          "extensions": {
            "http": {"routePrefix": ""},
            "durableTask": {
              "hubName": "%MY_HUB%",
              "maxConcurrentActivityFunctions": 3,
              "maxConcurrentOrchestratorFunctions": 2,
              "storageProvider": {"longRunningTimerIntervalDuration": "1.00:00:00"}
            }
          }
        }"""
    )

    config = load_host_config(tmp_path, {"MY_HUB": "Hub42"})

    assert config.route_prefix == ""
    assert config.hub_name == "Hub42"
    assert config.max_concurrent_activities == 3
    assert config.max_concurrent_orchestrators == 2
    assert config.long_timer_interval == timedelta(days=1)
    assert config.max_short_timer == timedelta(days=6)


def test_missing_host_json_means_defaults(tmp_path: Path) -> None:
    config = load_host_config(tmp_path, {})

    assert (config.route_prefix, config.hub_name) == ("api", "TestHubName")


def test_the_projects_own_host_json_parses() -> None:
    config = load_host_config(REPO, {"TASKHUB_NAME": "Local"})

    assert config.hub_name == "Local"
    assert config.max_concurrent_activities == 8


def test_local_settings_do_not_override_the_environment(tmp_path: Path) -> None:
    (tmp_path / "local.settings.json").write_text(
        json.dumps({"Values": {"A": "from-file", "B": "from-file"}})
    )
    environ = {"A": "from-env"}
    patch = EnvironmentPatch(environ)

    patch.apply(read_local_settings(tmp_path), {"C": "override"})
    assert environ == {"A": "from-env", "B": "from-file", "C": "override"}

    patch.restore()
    assert environ == {"A": "from-env"}


def test_absent_local_settings_is_nothing(tmp_path: Path) -> None:
    assert read_local_settings(tmp_path) == {}


def test_timespans_round_trip() -> None:
    assert format_timespan(timedelta(days=3)) == "3.00:00:00"
    assert format_timespan(timedelta(hours=1, seconds=1.5)) == "01:00:01.5000000"
    assert parse_timespan("6.00:00:00") == timedelta(days=6)
    assert parse_timespan("00:00:05") == timedelta(seconds=5)


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("orders/{id}", "orders/42", {"id": "42"}),
        ("orders/{id}", "ORDERS/42", {"id": "42"}),
        ("orders/{id:int}", "orders/x", None),
        ("orders/{id}/{part?}", "orders/1", {"id": "1"}),
        ("files/{*rest}", "files/a/b/c", {"rest": "a/b/c"}),
        ("items/{kind=all}", "items", {"kind": "all"}),
        ("orders", "orders/1", None),
    ],
)
def test_route_templates(template: str, path: str, expected: dict[str, str] | None) -> None:
    assert compile_route(template).match(path) == expected
