"""Session fixtures for the infrastructure checks: parse once, run checkov once."""

from __future__ import annotations

import pytest

from tests.infra.bicep_model import BicepFile, read_bicep_tree
from tests.infra.checkov_report import (
    PRODUCTION_SCAN,
    CheckovReport,
    CheckovUnavailableError,
    run_checkov,
)
from tests.infra.paths import BICEP, TERRAFORM, TERRAFORM_ENVIRONMENTS
from tests.infra.terraform_model import TerraformTree, read_terraform


@pytest.fixture(scope="session")
def checkov_reports() -> dict[str, CheckovReport]:
    """checkov's report per scan: both frameworks with the defaults in one run, then Terraform
    with the production variables; shared by every test."""
    try:
        reports = run_checkov()
        production = run_checkov(("terraform",), TERRAFORM_ENVIRONMENTS / "prod.tfvars")
        reports[PRODUCTION_SCAN] = production["terraform"]
        return reports
    except CheckovUnavailableError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def bicep_files() -> tuple[BicepFile, ...]:
    """Every .bicep file under infra/bicep, parsed."""
    files = read_bicep_tree(BICEP)
    assert files, f"no .bicep files under {BICEP}"
    return files


@pytest.fixture(scope="session")
def terraform() -> TerraformTree:
    """The Terraform root module under infra/terraform, parsed."""
    tree = read_terraform(TERRAFORM)
    assert tree.files, f"no .tf files under {TERRAFORM}"
    return tree
