"""`azd up` is wired to the Bicep tree and the deploy guide gives the exact commands.

The guide (infra/README.md) is folded into the top-level README; these tests keep the commands
it promises from quietly disappearing, and keep azure.yaml pointing at what exists.
"""

from __future__ import annotations

import pytest

from tests.infra.bicep_model import Expression, bicep_file
from tests.infra.paths import AZURE_YAML, BICEP, INFRA_README, REPO_ROOT

pytestmark = pytest.mark.infra

DEPLOY_COMMANDS = (
    "az deployment group create",
    "az deployment group what-if",
    "azd up",
    "azd env set AZURE_RESOURCE_GROUP",
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


def test_azure_yaml_provisions_the_bicep_tree_and_deploys_the_function_app() -> None:
    config = _simple_yaml(AZURE_YAML.read_text(encoding="utf-8"))
    assert config["infra"] == {"provider": "bicep", "path": "infra/bicep", "module": "main"}
    assert (REPO_ROOT / "infra/bicep/main.bicep").is_file()
    assert (REPO_ROOT / "infra/bicep/main.parameters.json").is_file()
    assert config["services"] == {"api": {"project": ".", "language": "python", "host": "function"}}


def test_the_site_carries_the_azd_service_tag() -> None:
    site = bicep_file(BICEP, "modules/function-app.bicep")
    assert site.variables["azdServiceTag"] == {"azd-service-name": "api"}
    assert site.variables["siteTags"] == Expression("union(tags, azdServiceTag)")


@pytest.mark.parametrize("command", DEPLOY_COMMANDS + STATIC_ONLY_COMMANDS)
def test_the_guide_gives_the_command(command: str) -> None:
    assert command in INFRA_README.read_text(encoding="utf-8")


def test_the_guide_explains_the_content_share_decision() -> None:
    guide = INFRA_README.read_text(encoding="utf-8")
    assert "## Content share" in guide
    assert "WEBSITE_RUN_FROM_PACKAGE" in guide
    assert "WEBSITE_SKIP_CONTENTSHARE_VALIDATION" in guide


def test_the_guide_says_which_checks_are_static_only() -> None:
    guide = INFRA_README.read_text(encoding="utf-8")
    assert "Everything in `make test` is **static**" in guide
