"""The release version reaches Durable's defaultVersion from both IaC trees, on site and slot.

See docs/changing-orchestrations.md: each release stamps new orchestrations with its version
through the app setting that overrides host.json, and the setting moves with the code on a swap.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.infra.bicep_model import Expression, as_dict, bicep_file
from tests.infra.paths import BICEP, HOST_JSON
from tests.infra.terraform_model import TerraformTree

pytestmark = pytest.mark.infra

SETTING = "AzureFunctionsJobHost__extensions__durableTask__defaultVersion"


def _host_default_version() -> str:
    durable = json.loads(HOST_JSON.read_text(encoding="utf-8"))["extensions"]["durableTask"]
    return str(durable["defaultVersion"])


@pytest.mark.parametrize(
    ("module", "variable"),
    [
        ("modules/function-app-settings.bicep", "siteAppSettings"),
        ("modules/function-app-slot-settings.bicep", "slotAppSettings"),
    ],
)
def test_bicep_sets_the_version_on_the_site_and_the_slot(module: str, variable: str) -> None:
    settings = as_dict(bicep_file(BICEP, module).variables[variable])
    assert settings[SETTING] == Expression("appConfiguration.orchestrationVersion")
    main = bicep_file(BICEP, "main.bicep")
    assert as_dict(main.variables["appSettingValues"])["orchestrationVersion"] == Expression(
        "orchestrationVersion"
    )


def test_terraform_sets_the_version_on_the_site_and_the_slot(terraform: TerraformTree) -> None:
    """Both take the shared settings (the parity tests check the merge), so one place holds it."""
    assert terraform.locals["app_settings_shared"][SETTING] == "${var.orchestration_version}"


def test_the_version_setting_moves_with_the_code_on_a_swap(terraform: TerraformTree) -> None:
    assert SETTING not in terraform.locals["sticky_app_setting_names"]


def test_without_a_version_both_trees_deploy_the_one_host_json_gives(
    terraform: TerraformTree,
) -> None:
    bicep = bicep_file(BICEP, "main.bicep").parameters["orchestrationVersion"]
    assert bicep.default == terraform.variables["orchestration_version"]["default"]
    assert bicep.default == _host_default_version()
    # The pipeline's release versions are MAJOR.MINOR.PATCH (.github/scripts/release-version.sh).
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(bicep.default))


def test_host_json_chooses_the_strategies_for_slot_swaps() -> None:
    durable = json.loads(HOST_JSON.read_text(encoding="utf-8"))["extensions"]["durableTask"]
    assert durable["versionMatchStrategy"] == "CurrentOrOlder"
    assert durable["versionFailureStrategy"] == "Reject"
    assert "swap" in durable["//versioning"]
