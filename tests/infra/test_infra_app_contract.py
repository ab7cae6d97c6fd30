"""The infrastructure configures the app the way the app reads its configuration.

shared/settings.py names the settings and their bounds, host.json reads TASKHUB_NAME and caps
concurrency, and the app's table connection is called `AppStorage`. Both trees must set exactly
those names, with the app's defaults, inside the app's bounds; otherwise a deployment would
start an app that rejects its own settings.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.settings import APP_STORAGE_CONNECTION, SETTING_NAMES, Settings, load_settings
from tests.infra.bicep_model import BicepValue, as_dict, bicep_file
from tests.infra.paths import BICEP, HOST_JSON
from tests.infra.terraform_model import TerraformTree

pytestmark = pytest.mark.infra

#: Connection-level settings the app and the host read besides SETTING_NAMES.
HOST_SETTINGS = ("TASKHUB_NAME",)
APP_STORAGE_SETTINGS = (
    f"{APP_STORAGE_CONNECTION}__tableServiceUri",
    f"{APP_STORAGE_CONNECTION}__credential",
    f"{APP_STORAGE_CONNECTION}__clientId",
)


#: App settings the templates do not set; the app's default applies there. infra/ is owned
#: separately: it adds these to both trees, and `test_settings_left_to_the_templates_owner`
#: fails once it has, so the name is removed here and the checks below cover it.
NOT_IN_TEMPLATES = ("NOTIFICATION_ALLOWED_DOMAINS", "STORAGE_TIMEOUT_SECONDS")
DEPLOYED = tuple(name for name in SETTING_NAMES if name not in NOT_IN_TEMPLATES)


def _field(setting: str) -> str:
    return setting.lower()


def _bicep_parameter(setting: str) -> str:
    head, *rest = setting.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def _bicep_settings() -> dict[str, BicepValue]:
    settings = bicep_file(BICEP, "modules/function-app-settings.bicep").variables["siteAppSettings"]
    return as_dict(settings)


def _terraform_settings(terraform: TerraformTree) -> dict[str, Any]:
    return {
        **terraform.locals["app_settings_shared"],
        **terraform.locals["app_settings_by_instance"]["production"],
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


def test_every_app_setting_is_set_in_both_trees(terraform: TerraformTree) -> None:
    expected = {*DEPLOYED, *HOST_SETTINGS, *APP_STORAGE_SETTINGS}
    assert sorted(expected - set(_bicep_settings())) == []
    assert sorted(expected - set(_terraform_settings(terraform))) == []


def test_settings_left_to_the_templates_owner(terraform: TerraformTree) -> None:
    for name in NOT_IN_TEMPLATES:
        assert name not in _bicep_settings(), f"{name} is deployed: drop it from NOT_IN_TEMPLATES"
        assert name not in _terraform_settings(terraform), f"{name} is deployed"


def test_app_storage_connection_is_identity_based_under_the_names_the_app_reads(
    terraform: TerraformTree,
) -> None:
    for settings in (_bicep_settings(), _terraform_settings(terraform)):
        assert APP_STORAGE_CONNECTION not in settings
        assert settings[f"{APP_STORAGE_CONNECTION}__credential"] == "managedidentity"


@pytest.mark.parametrize("setting", DEPLOYED)
def test_infra_defaults_are_the_app_defaults(setting: str, terraform: TerraformTree) -> None:
    field = Settings.model_fields[_field(setting)]
    app_default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
    bicep_default = bicep_file(BICEP, "main.bicep").parameters[_bicep_parameter(setting)].default
    terraform_default = terraform.variables[_field(setting)]["default"]
    assert bicep_default == app_default
    assert terraform_default == app_default


@pytest.mark.parametrize(
    "setting", [name for name in DEPLOYED if Settings.model_fields[_field(name)].metadata]
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
        for setting in DEPLOYED
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
