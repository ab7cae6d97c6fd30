"""`azd up` is wired to the Bicep tree and the deploy guide gives the exact commands.

The guide (infra/README.md) is folded into the top-level README; these tests keep the commands
it promises from quietly disappearing, and keep azure.yaml pointing at what exists.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.infra.bicep_model import REQUIRED, Expression, as_dict, bicep_file, read_bicep
from tests.infra.paths import AZURE_YAML, BICEP, BICEP_MAIN, INFRA_README, REPO_ROOT

pytestmark = pytest.mark.infra

DEPLOY_COMMANDS = (
    "az deployment group create",
    "az deployment group what-if",
    "azd auth login",
    "azd env new dev",
    "azd env set AZURE_LOCATION westeurope",
    "azd up",
    "terraform init",
    "terraform plan -var-file=environments/dev.tfvars",
    "terraform apply",
    "func azure functionapp publish",
    "az functionapp deployment source config-zip",
    "--build-remote true",
)

#: Checks that need tools we cannot install offline: documented for users, not run here.
STATIC_ONLY_COMMANDS = ("az bicep build", "terraform -chdir=infra/terraform validate")


def _simple_yaml(text: str) -> dict[str, object]:
    """Nested `key: value` mappings by indentation: all azure.yaml uses (no PyYAML needed)."""
    root: dict[str, object] = {}
    stack: list[tuple[int, dict[str, object]]] = [(-1, root)]
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip())
        key, _, value = raw.strip().partition(":")
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if value.strip():
            parent[key] = value.strip()
        else:
            child: dict[str, object] = {}
            parent[key] = child
            stack.append((indent, child))
    return root


def _azd_infra() -> dict[str, object]:
    infra = _simple_yaml(AZURE_YAML.read_text(encoding="utf-8"))["infra"]
    assert isinstance(infra, dict), infra
    return infra


def test_azure_yaml_provisions_the_bicep_tree_and_deploys_the_function_app() -> None:
    config = _simple_yaml(AZURE_YAML.read_text(encoding="utf-8"))
    assert config["infra"] == {"provider": "bicep", "path": "infra/bicep/azd", "module": "main"}
    assert (REPO_ROOT / "infra/bicep/azd/main.parameters.json").is_file()
    assert config["services"] == {"api": {"project": ".", "language": "python", "host": "function"}}


def test_azd_provisions_main_bicep_at_subscription_scope() -> None:
    """`azd up` without feature flags needs a subscription-scope template (azd's
    resource-group-scoped deployments are an opt-in beta). The file azure.yaml names must create
    the resource group, tag it for azd, and deploy main.bicep into it with every parameter
    main.bicep requires."""
    infra = _azd_infra()
    entry_path = REPO_ROOT / str(infra["path"]) / f"{infra['module']}.bicep"
    assert entry_path.is_file(), entry_path
    entry = read_bicep(entry_path)
    assert entry.syntax_errors == []
    assert entry.target_scope == "subscription"

    groups = [r for r in entry.resources if r.type == "Microsoft.Resources/resourceGroups"]
    assert len(groups) == 1
    assert not groups[0].existing
    assert groups[0].condition is None
    group = as_dict(groups[0].body)
    assert as_dict(group["tags"])["azd-env-name"] == Expression("environmentName")
    assert group["location"] == Expression("location")

    calls = [module for module in entry.modules if entry.module_target(module) == BICEP_MAIN]
    assert len(calls) == 1, "the entry point must deploy main.bicep exactly once"
    call = calls[0]
    assert call.condition is None
    body = as_dict(call.body)
    assert body["scope"] == Expression(groups[0].symbol)
    main = bicep_file(BICEP, "main.bicep")
    required = {name for name, param in main.parameters.items() if param.default == REQUIRED}
    params = as_dict(body["params"])
    assert sorted(required - set(params)) == []
    assert params["environmentName"] == Expression("environmentName")
    assert params["location"] == Expression("location")

    # azd maps its environment onto the entry point's parameters...
    parameters_file = entry_path.with_name(f"{infra['module']}.parameters.json")
    values = json.loads(parameters_file.read_text(encoding="utf-8"))["parameters"]
    assert values["environmentName"] == {"value": "${AZURE_ENV_NAME}"}
    assert values["location"] == {"value": "${AZURE_LOCATION}"}
    # ...and reads main.bicep's outputs back under their own names.
    assert {name: entry.output_values.get(name) for name in main.outputs} == {
        name: Expression(f"{call.symbol}.outputs.{name}") for name in main.outputs
    }
    assert {name: entry.outputs[name] for name in main.outputs} == main.outputs


def test_the_site_carries_the_azd_service_tag() -> None:
    site = bicep_file(BICEP, "modules/function-app.bicep")
    assert site.variables["azdServiceTag"] == {"azd-service-name": "api"}
    assert site.variables["siteTags"] == Expression("union(tags, azdServiceTag)")


@pytest.mark.parametrize("command", DEPLOY_COMMANDS + STATIC_ONLY_COMMANDS)
def test_the_guide_gives_the_command(command: str) -> None:
    assert command in INFRA_README.read_text(encoding="utf-8")


def test_the_azd_guide_needs_no_feature_flag_and_no_existing_group() -> None:
    guide = INFRA_README.read_text(encoding="utf-8")
    section = guide.split("## Deploy with the Azure Developer CLI", 1)[1].split("\n## ", 1)[0]
    commands = "\n".join(re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL))
    assert "azd up" in commands
    assert "azd config set" not in commands  # no alpha/beta feature to enable
    assert "az group create" not in commands  # azd creates rg-<environment> itself
    assert "AZURE_RESOURCE_GROUP" not in commands


def test_the_guide_explains_the_content_share_decision() -> None:
    guide = INFRA_README.read_text(encoding="utf-8")
    assert "## Content share" in guide
    assert "WEBSITE_RUN_FROM_PACKAGE" in guide
    assert "WEBSITE_SKIP_CONTENTSHARE_VALIDATION" in guide


def test_the_guide_says_which_checks_are_static_only() -> None:
    guide = INFRA_README.read_text(encoding="utf-8")
    assert "Everything in `make test` is **static**" in guide
