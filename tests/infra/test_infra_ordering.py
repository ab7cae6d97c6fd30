"""The site waits for what its first start needs, and re-deploying never undoes a slot swap.

First start: the identity's role assignments, the content share and its Key Vault secret, and
with network isolation the private endpoints, their DNS zone links and the subnet rules (storage
and vault then have no public endpoint). Slot swap: WEBSITE_CONTENTSHARE is not sticky, so a
swap exchanges it; a later deployment must keep the current value, not write the declared one.
"""

from __future__ import annotations

import pytest

from tests.infra.bicep_model import BicepFile, Expression, as_dict, as_list, bicep_file
from tests.infra.paths import BICEP
from tests.infra.terraform_model import TerraformTree, block

pytestmark = pytest.mark.infra

#: What the settings request (Bicep) or the site (Terraform) must wait for.
FIRST_START_NEEDS_BICEP = {"roleAssignments", "contentStorage", "keyVault", "network"}
FIRST_START_NEEDS_TERRAFORM = {
    "azurerm_role_assignment.app",
    "azurerm_storage_share.content",
    "azapi_resource.content_share_secret",
    "azurerm_private_endpoint.this",
    "azurerm_private_dns_zone_virtual_network_link.this",
    "azurerm_subnet_network_security_group_association.integration",
    "azurerm_subnet_network_security_group_association.private_endpoints",
}
TERRAFORM_SITES = (
    ("azurerm_linux_function_app", "this"),
    ("azurerm_linux_function_app_slot", "staging"),
)

#: (module in main.bicep that creates the instance, module that writes its settings, settings
#: file, settings variable, resource id main.bicep reads the current settings from)
BICEP_INSTANCES = (
    (
        "functionApp",
        "functionAppSettings",
        "modules/function-app-settings.bicep",
        "site",
        "resourceId('Microsoft.Web/sites/config', appResourceName, 'appsettings')",
    ),
    (
        "stagingSlot",
        "stagingSlotSettings",
        "modules/function-app-slot-settings.bicep",
        "slot",
        "resourceId('Microsoft.Web/sites/slots/config', appResourceName, 'staging', 'appsettings')",
    ),
)


def _main() -> BicepFile:
    return bicep_file(BICEP, "main.bicep")


def _depends_on(symbol: str) -> set[str]:
    body = as_dict(_main().module(symbol).body)
    return {
        str(item.text)
        for item in as_list(body.get("dependsOn", []))
        if isinstance(item, Expression)
    }


@pytest.mark.parametrize(("creator", "settings", "relative", "prefix", "current"), BICEP_INSTANCES)
def test_bicep_writes_the_settings_after_the_instance_and_what_it_needs(
    creator: str, settings: str, relative: str, prefix: str, current: str
) -> None:
    assert _depends_on(settings) >= {creator} | FIRST_START_NEEDS_BICEP
    # The instance itself is created without settings, after the roles and the network.
    assert _depends_on(creator) >= {"roleAssignments", "network"}
    instance_file = (
        "modules/function-app.bicep" if prefix == "site" else "modules/function-app-slot.bicep"
    )
    properties = as_dict(bicep_file(BICEP, instance_file).variables[f"{prefix}Properties"])
    assert "appSettings" not in as_dict(properties["siteConfig"])


@pytest.mark.parametrize(("creator", "settings", "relative", "prefix", "current"), BICEP_INSTANCES)
def test_bicep_keeps_the_current_content_share(
    creator: str, settings: str, relative: str, prefix: str, current: str
) -> None:
    args = as_dict(as_dict(_main().module(settings).body)["params"])
    assert args["currentAppSettings"] == Expression(f"list({current}, '2024-04-01').properties")
    parsed = bicep_file(BICEP, relative)
    values = as_dict(parsed.variables[f"{prefix}AppSettings"])
    assert values["WEBSITE_CONTENTSHARE"] == Expression(f"{prefix}ContentShareName")
    assert parsed.variables[f"{prefix}ContentShareName"] == Expression(
        "contains(currentAppSettings, 'WEBSITE_CONTENTSHARE') ? "
        "currentAppSettings.WEBSITE_CONTENTSHARE : contentShareName"
    )
    config = next(resource for resource in parsed.resources if not resource.existing)
    assert as_dict(config.body)["name"] == "appsettings"
    assert as_dict(config.body)["properties"] == Expression(f"{prefix}AppSettings")


@pytest.mark.parametrize("resource", TERRAFORM_SITES, ids=lambda resource: resource[0])
def test_terraform_site_waits_for_what_its_first_start_needs(
    terraform: TerraformTree, resource: tuple[str, str]
) -> None:
    depends_on = {item[2:-1] for item in terraform.resource(*resource)["depends_on"]}
    assert depends_on >= FIRST_START_NEEDS_TERRAFORM
    # The DNS zone group travels with each private endpoint.
    endpoint = terraform.resource("azurerm_private_endpoint", "this")
    assert block(endpoint, "private_dns_zone_group")["private_dns_zone_ids"]


@pytest.mark.parametrize("resource", TERRAFORM_SITES, ids=lambda resource: resource[0])
def test_terraform_never_resets_the_content_share(
    terraform: TerraformTree, resource: tuple[str, str]
) -> None:
    lifecycle = block(terraform.resource(*resource), "lifecycle")
    assert '${app_settings["WEBSITE_CONTENTSHARE"]}' in lifecycle["ignore_changes"]


def test_the_content_share_is_not_sticky(terraform: TerraformTree) -> None:
    """The code moves with a swap: the share must follow it, so it is never a slot setting."""
    bicep = bicep_file(BICEP, "modules/function-app-slot.bicep").variables["stickyAppSettingNames"]
    assert "WEBSITE_CONTENTSHARE" not in as_list(bicep)
    assert "WEBSITE_CONTENTSHARE" not in terraform.locals["sticky_app_setting_names"]
