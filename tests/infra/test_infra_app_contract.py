"""The infrastructure configures the app the way the app reads its configuration.

shared/settings.py names the settings and their bounds, host.json reads TASKHUB_NAME and caps
concurrency, and the app's table connection is called `AppStorage`. Both trees must set exactly
those names, with the app's defaults, inside the app's bounds; otherwise a deployment would
start an app that rejects its own settings (or, for a timer's `%SETTING%` schedule, a host that
disables the timer). local.settings.json.example sets the same names with the same values, so
`make run` and `func start` run what Azure runs.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from shared.settings import APP_STORAGE_CONNECTION, SETTING_NAMES, Settings, load_settings
from tests.infra.bicep_model import BicepValue, as_dict, bicep_file
from tests.infra.paths import BICEP, HOST_JSON, REPO_ROOT
from tests.infra.terraform_model import TerraformTree

pytestmark = pytest.mark.infra

#: Connection-level settings the app and the host read besides SETTING_NAMES.
HOST_SETTINGS = ("TASKHUB_NAME",)
APP_STORAGE_SETTINGS = (
    f"{APP_STORAGE_CONNECTION}__tableServiceUri",
    f"{APP_STORAGE_CONNECTION}__credential",
    f"{APP_STORAGE_CONNECTION}__clientId",
)
#: Settings local.settings.json.example sets to a local value instead of the app's default.
LOCAL_VALUES = ("HEALTH_MONITOR_ALLOWLIST",)


def _field(setting: str) -> str:
    return setting.lower()


def _bicep_parameter(setting: str) -> str:
    head, *rest = setting.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


#: Where each tree declares the app settings of the production site and of the staging slot.
BICEP_SETTINGS = {
    "production": ("modules/function-app-settings.bicep", "siteAppSettings"),
    "staging": ("modules/function-app-slot-settings.bicep", "slotAppSettings"),
}


def _bicep_settings(instance: str = "production") -> dict[str, BicepValue]:
    relative, variable = BICEP_SETTINGS[instance]
    return as_dict(bicep_file(BICEP, relative).variables[variable])


def _terraform_settings(terraform: TerraformTree, instance: str = "production") -> dict[str, Any]:
    return {
        **terraform.locals["app_settings_shared"],
        **terraform.locals["app_settings_by_instance"][instance],
    }


def _host_json() -> dict[str, Any]:
    """host.json is strict JSON: the Durable SDK parses it with json.loads at import."""
    parsed: dict[str, Any] = json.loads(HOST_JSON.read_text(encoding="utf-8"))
    return parsed


def _app_bounds(setting: str) -> tuple[float, float]:
    """The closed interval the app accepts, from the field's ge/gt/le/lt constraints."""
    low, high = float("-inf"), float("inf")
    for constraint in Settings.model_fields[_field(setting)].metadata:
        if (value := getattr(constraint, "ge", None)) is not None:
            low = float(value)
        elif (value := getattr(constraint, "gt", None)) is not None:
            low = float(value) + 1e-9
        elif (value := getattr(constraint, "le", None)) is not None:
            high = float(value)
        elif (value := getattr(constraint, "lt", None)) is not None:
            high = float(value) - 1e-9
    return low, high


def _app_default(setting: str) -> Any:
    field = Settings.model_fields[_field(setting)]
    return field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]


def _local_settings_example() -> dict[str, str]:
    parsed = json.loads((REPO_ROOT / "local.settings.json.example").read_text(encoding="utf-8"))
    values: dict[str, str] = parsed["Values"]
    return values


@pytest.mark.parametrize("instance", sorted(BICEP_SETTINGS))
def test_every_app_setting_is_set_in_both_trees(terraform: TerraformTree, instance: str) -> None:
    expected = {*SETTING_NAMES, *HOST_SETTINGS, *APP_STORAGE_SETTINGS}
    assert sorted(expected - set(_bicep_settings(instance))) == []
    assert sorted(expected - set(_terraform_settings(terraform, instance))) == []


@pytest.mark.parametrize("setting", SETTING_NAMES)
def test_the_local_settings_example_sets_every_app_setting_to_its_default(setting: str) -> None:
    example = _local_settings_example()
    assert setting in example
    if setting not in LOCAL_VALUES:
        assert example[setting] == str(_app_default(setting))


def test_the_app_accepts_the_local_settings_example() -> None:
    load_settings(_local_settings_example())


def test_app_storage_connection_is_identity_based_under_the_names_the_app_reads(
    terraform: TerraformTree,
) -> None:
    for settings in (_bicep_settings(), _terraform_settings(terraform)):
        assert APP_STORAGE_CONNECTION not in settings
        assert settings[f"{APP_STORAGE_CONNECTION}__credential"] == "managedidentity"


@pytest.mark.parametrize("setting", SETTING_NAMES)
def test_infra_defaults_are_the_app_defaults(setting: str, terraform: TerraformTree) -> None:
    app_default = _app_default(setting)
    bicep_default = bicep_file(BICEP, "main.bicep").parameters[_bicep_parameter(setting)].default
    terraform_default = terraform.variables[_field(setting)]["default"]
    assert bicep_default == app_default
    assert terraform_default == app_default


@pytest.mark.parametrize(
    "setting", [name for name in SETTING_NAMES if _app_bounds(name) != (-math.inf, math.inf)]
)
def test_infra_bounds_lie_inside_the_app_bounds(setting: str) -> None:
    decorators = bicep_file(BICEP, "main.bicep").parameters[_bicep_parameter(setting)].decorators
    low, high = _app_bounds(setting)
    minimum, maximum = decorators["minValue"], decorators["maxValue"]
    assert isinstance(minimum, int)
    assert isinstance(maximum, int)
    assert low <= minimum <= maximum <= high


def test_the_app_accepts_the_deployed_defaults() -> None:
    """What the templates deploy by default, as the app would read it from its environment."""
    main = bicep_file(BICEP, "main.bicep")
    environ = {
        setting: str(main.parameters[_bicep_parameter(setting)].default)
        for setting in SETTING_NAMES
        if setting != "HEALTH_MONITOR_ALLOWLIST"
    }
    environ["HEALTH_MONITOR_ALLOWLIST"] = json.dumps(
        {"self": "https://func-shop-dev-abc.azurewebsites.net/api/health"}
    )
    settings = load_settings(environ)
    assert settings.batch_max_parallel == Settings().batch_max_parallel
    assert list(settings.health_monitor_allowlist) == ["self"]


def test_host_json_reads_the_task_hub_from_the_app_setting() -> None:
    durable = _host_json()["extensions"]["durableTask"]
    assert durable["hubName"] == "%TASKHUB_NAME%"


def test_worker_threads_cover_everything_host_json_runs_at_once(terraform: TerraformTree) -> None:
    """Each sync invocation the host dispatches holds a Python thread; with fewer threads than
    the host's concurrency caps, work queues inside the worker where no one can see it."""
    durable = _host_json()["extensions"]["durableTask"]
    concurrent = sum(
        durable[key]
        for key in (
            "maxConcurrentOrchestratorFunctions",
            "maxConcurrentActivityFunctions",
            "maxConcurrentEntityFunctions",
        )
    )
    bicep_threads = _bicep_settings()["PYTHON_THREADPOOL_THREAD_COUNT"]
    assert isinstance(bicep_threads, str)
    assert int(bicep_threads) >= concurrent
    assert terraform.locals["python_threadpool_size"] >= concurrent


def test_one_worker_process_on_ep1(terraform: TerraformTree) -> None:
    """EP1 has one vCPU: a second Python process would only add memory and contention."""
    main = bicep_file(BICEP, "main.bicep")
    assert main.variables["workerProcessCountBySku"] == {"EP1": 1, "EP2": 2, "EP3": 4}
    assert terraform.locals["worker_process_count_by_sku"]["EP1"] == 1
