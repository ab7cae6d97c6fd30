"""App Service Authentication (Easy Auth) with Microsoft Entra ID in both trees.

Off by default, on in production. Unauthenticated requests pass through to the app
(AllowAnonymous) so function-key routes and the health probe keep working; the app requires the
platform's principal on the approval routes. The choice and its reason are in infra/README.md.
"""

from __future__ import annotations

import pytest

from tests.infra.bicep_model import Expression, as_dict, bicep_file, read_bicepparam
from tests.infra.paths import BICEP, BICEP_ENVIRONMENTS, INFRA_README, TERRAFORM_ENVIRONMENTS
from tests.infra.terraform_model import TerraformTree, dynamic_block, expression, load_hcl

pytestmark = pytest.mark.infra

SWITCH = ("enableAppServiceAuthentication", "enable_app_service_authentication")


def test_off_by_default_and_on_in_production(terraform: TerraformTree) -> None:
    bicep, terraform_name = SWITCH
    assert bicep_file(BICEP, "main.bicep").parameters[bicep].default is False
    assert terraform.variables[terraform_name]["default"] is False
    for environment, expected in (("dev", None), ("prod", True)):
        assert (
            read_bicepparam(BICEP_ENVIRONMENTS / f"{environment}.bicepparam").values.get(bicep)
            is expected
        )
        assert (
            load_hcl(TERRAFORM_ENVIRONMENTS / f"{environment}.tfvars").get(terraform_name)
            is expected
        )


@pytest.mark.parametrize(
    ("relative", "variable", "resource"),
    [
        ("modules/function-app.bicep", "siteAuthSettings", "siteAuthentication"),
        ("modules/function-app-slot.bicep", "slotAuthSettings", "slotAuthentication"),
    ],
)
def test_bicep_lets_anonymous_requests_through_to_the_app(
    relative: str, variable: str, resource: str
) -> None:
    parsed = bicep_file(BICEP, relative)
    settings = as_dict(parsed.variables[variable])
    assert settings["platform"] == {"enabled": Expression("authentication.enabled")}
    assert settings["globalValidation"] == {
        "requireAuthentication": False,
        "unauthenticatedClientAction": "AllowAnonymous",
    }
    assert settings["login"] == {"tokenStore": {"enabled": False}}
    assert settings["httpSettings"] == {"requireHttps": True}
    body = as_dict(parsed.resource(resource).body)
    assert body["name"] == "authsettingsV2"
    assert body["properties"] == Expression(variable)


def test_a_client_id_is_required_when_authentication_is_on(terraform: TerraformTree) -> None:
    auth = as_dict(bicep_file(BICEP, "main.bicep").variables["appAuthentication"])
    assert auth["clientId"] == Expression(
        "enableAppServiceAuthentication && empty(authClientId) ? int('authClientId is required "
        "when enableAppServiceAuthentication is true') : authClientId"
    )
    conditions = [
        expression(rule["condition"])
        for rule in terraform.variables["auth_client_id"]["validation"]
    ]
    assert conditions == [
        "!var.enable_app_service_authentication || length(var.auth_client_id) > 0"
    ]


@pytest.mark.parametrize(
    "resource",
    [("azurerm_linux_function_app", "this"), ("azurerm_linux_function_app_slot", "staging")],
)
def test_terraform_lets_anonymous_requests_through_to_the_app(
    terraform: TerraformTree, resource: tuple[str, str]
) -> None:
    content = dynamic_block(terraform.resource(*resource), "auth_settings_v2")["content"][0]
    assert content["auth_enabled"] is True
    assert content["require_authentication"] is False
    assert content["unauthenticated_action"] == "AllowAnonymous"
    assert content["login"] == [{"token_store_enabled": False}]


def test_the_guide_explains_the_split() -> None:
    guide = INFRA_README.read_text(encoding="utf-8")
    section = guide.split("## App Service Authentication", 1)[1].split("\n## ", 1)[0]
    for term in (
        "AllowAnonymous",
        "excludedPaths",
        "x-ms-client-principal-name",
        "WEBSITE_AUTH_ENABLED",
    ):
        assert term in section, term
