"""Both trees refuse the names that would make invalid resource names, before deploying.

`namePrefix`/`environmentName` end up in storage account names (3-24 lowercase letters and
digits) and in the task hub name. `azd env new dev-weu` is a valid azd environment but not a
valid part of a storage account name; without a rule the deployment fails halfway, at the first
storage account. Each tree's own rule is read from its source and fed the same names.
"""

from __future__ import annotations

import re

import pytest

from tests.infra.bicep_model import BicepFile, Expression, bicep_file
from tests.infra.paths import BICEP
from tests.infra.terraform_model import TerraformTree, expression

pytestmark = pytest.mark.infra

#: Names the infra README documents as invalid, and why.
BAD_NAMES = {
    "dev-weu": "a hyphen (azd accepts it as an environment name)",
    "Dev": "an uppercase letter",
    "dev_1": "an underscore",
    "dev weu": "a space",
    "dév": "a non-ASCII letter",
    "d": "too short",
    "abcdefghi": "too long",
    "": "empty",
}
GOOD_NAMES = ("dev", "prod", "test2", "ab", "abcdefgh", "shop")

#: Storage account names: 3-24 lowercase letters and digits (Microsoft.Storage naming rules).
STORAGE_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")


def _bicep_accepts(main: BicepFile, parameter: str, value: str) -> bool:
    """main.bicep's rule for `parameter`: its length decorators plus the character check that
    `nameStem` and `baseName` fail on."""
    decorators = main.parameters[parameter].decorators
    low, high = decorators["minLength"], decorators["maxLength"]
    assert isinstance(low, int)
    assert isinstance(high, int)
    characters = main.variables["nameCharacters"]
    assert isinstance(characters, str)
    return low <= len(value) <= high and all(char in characters for char in value)


def _terraform_accepts(terraform: TerraformTree, variable: str, value: str) -> bool:
    """Every validation block of the variable, evaluated for `value`."""
    for validation in terraform.variables[variable]["validation"]:
        condition = expression(validation["condition"])
        ref = re.escape(f"var.{variable}")
        if match := re.fullmatch(
            rf"length\({ref}\) >= (\d+) && length\({ref}\) <= (\d+)", condition
        ):
            if not int(match[1]) <= len(value) <= int(match[2]):
                return False
        elif match := re.fullmatch(rf'can\(regex\("(.+)", {ref}\)\)', condition):
            if re.search(match[1].replace("\\\\", "\\"), value) is None:
                return False
        else:
            raise AssertionError(f"{variable}: unknown validation {condition!r}")
    return True


@pytest.mark.parametrize(
    ("bicep", "terraform_name"),
    [("environmentName", "environment_name"), ("namePrefix", "name_prefix")],
)
@pytest.mark.parametrize("name", sorted(BAD_NAMES))
def test_both_trees_refuse_a_bad_name(
    terraform: TerraformTree, bicep: str, terraform_name: str, name: str
) -> None:
    main = bicep_file(BICEP, "main.bicep")
    assert not _bicep_accepts(main, bicep, name), BAD_NAMES[name]
    assert not _terraform_accepts(terraform, terraform_name, name), BAD_NAMES[name]


@pytest.mark.parametrize(
    ("bicep", "terraform_name"),
    [("environmentName", "environment_name"), ("namePrefix", "name_prefix")],
)
@pytest.mark.parametrize("name", GOOD_NAMES)
def test_both_trees_accept_a_good_name(
    terraform: TerraformTree, bicep: str, terraform_name: str, name: str
) -> None:
    main = bicep_file(BICEP, "main.bicep")
    assert _bicep_accepts(main, bicep, name)
    assert _terraform_accepts(terraform, terraform_name, name)


def test_bicep_stops_before_any_resource_when_a_name_breaks_the_rule() -> None:
    """The check feeds every name: storage accounts, task hub and base name all go through a
    variable that fails (int() of the rule) when any character is outside nameCharacters."""
    main = bicep_file(BICEP, "main.bicep")
    assert main.variables["nameParts"] == Expression("'${namePrefix}${environmentName}'")
    assert main.variables["namePartCharacterIsValid"] == Expression(
        "[for position in range(0, length(nameParts)): "
        "contains(nameCharacters, substring(nameParts, position, 1))]"
    )
    guard = "contains(namePartCharacterIsValid, false) ? int(nameRuleMessage)"
    assert main.variables["nameStem"] == Expression(f"{guard} : nameParts")
    assert main.variables["baseName"] == Expression(
        f"{guard} : '${{namePrefix}}-${{environmentName}}'"
    )
    for name in ("taskHubAccountName", "contentAccountName", "productionTaskHubName"):
        text = str(main.variables[name])
        assert "nameStem" in text
        assert "environmentName" not in text
        assert "namePrefix" not in text
    for name, value in main.variables.items():
        if isinstance(value, Expression) and name not in {"nameParts", "baseName", "resourceToken"}:
            assert "${environmentName}" not in value.text, f"{name} bypasses the name rule"


@pytest.mark.parametrize("prefix", ["ab", "abcdefgh"])
@pytest.mark.parametrize("environment", ["ab", "abcdefgh"])
def test_accepted_names_make_valid_storage_account_names(prefix: str, environment: str) -> None:
    """The longest and shortest accepted names, with a 13-character token (both trees)."""
    token = "a" * 13
    for kind in ("sth", "stc"):
        assert STORAGE_ACCOUNT_NAME.match(f"{kind}{prefix}{environment}{token}"[:24])
