"""The Durable backend option: one parameter, the scheduler with its role, settings both ways.

The app settings' values for either backend are compared between the trees by
test_infra_parity_properties.py (`BACKEND_SWITCHES`); this file checks what hangs off the
parameter and that host.json leaves the choice to those settings.
"""

from __future__ import annotations

import json

import pytest

from tests.infra.bicep_model import Expression, as_dict, bicep_file
from tests.infra.paths import BICEP, HOST_JSON
from tests.infra.terraform_model import TerraformTree, expression

pytestmark = pytest.mark.infra

DURABLE_TASK_DATA_CONTRIBUTOR = "0ad04412-c4d5-4796-b79c-f76d14c8d402"
PROVIDER_SETTINGS = (
    "AzureFunctionsJobHost__extensions__durableTask__storageProvider__type",
    "AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName",
)


def test_one_parameter_chooses_the_backend_and_azure_storage_is_the_default(
    terraform: TerraformTree,
) -> None:
    main = bicep_file(BICEP, "main.bicep")
    parameter = main.parameters["durableBackend"]

    assert parameter.default == "azureStorage"
    assert parameter.decorators["allowed"] == ["azureStorage", "scheduler"]
    assert terraform.variables["durable_backend"]["default"] == "azureStorage"
    assert main.variables["useScheduler"] == Expression("durableBackend == 'scheduler'")
    assert expression(terraform.locals["use_scheduler"]) == 'var.durable_backend == "scheduler"'
    modules = {module.symbol: module for module in main.modules}
    assert modules["durableTaskScheduler"].condition == "(useScheduler)"


def test_the_app_identity_gets_the_scheduler_data_role_in_both_trees(
    terraform: TerraformTree,
) -> None:
    module = bicep_file(BICEP, "modules/durable-task-scheduler.bicep")
    role = as_dict(module.resource("schedulerDataRole").body)

    assert module.variables["durableTaskDataContributor"] == DURABLE_TASK_DATA_CONTRIBUTOR
    assert terraform.locals["durable_task_data_contributor"] == DURABLE_TASK_DATA_CONTRIBUTOR
    assert role["scope"] == Expression("scheduler")
    tf_role = terraform.resource("azurerm_role_assignment", "durable_task_data")
    assert expression(tf_role["scope"]) == "azapi_resource.durable_task_scheduler[0].id"


def test_the_scheduler_is_the_same_in_both_trees(terraform: TerraformTree) -> None:
    module = bicep_file(BICEP, "modules/durable-task-scheduler.bicep")
    scheduler = terraform.resource("azapi_resource", "durable_task_scheduler")

    assert module.variables["schedulerSku"] == terraform.locals["durable_task_scheduler_sku"]
    assert module.resource("scheduler").api_version == "2025-11-01"
    assert str(scheduler["type"]) == "Microsoft.DurableTask/schedulers@2025-11-01"


def test_host_json_leaves_the_storage_provider_to_the_app_settings() -> None:
    provider = json.loads(HOST_JSON.read_text(encoding="utf-8"))["extensions"]["durableTask"][
        "storageProvider"
    ]

    assert "type" not in provider
    assert "connectionStringName" not in provider
    assert all(name.rpartition("__")[2] in {"type", "connectionStringName"} for name in PROVIDER_SETTINGS)
