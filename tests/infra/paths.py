"""Where the infrastructure sources and tools live, relative to the repository root."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA = REPO_ROOT / "infra"
BICEP = INFRA / "bicep"
BICEP_MAIN = BICEP / "main.bicep"
#: The subscription-scope entry point `azure.yaml` gives azd; it deploys BICEP_MAIN.
BICEP_AZD_MAIN = BICEP / "azd" / "main.bicep"
BICEP_MODULES = BICEP / "modules"
BICEP_ENVIRONMENTS = BICEP / "environments"
TERRAFORM = INFRA / "terraform"
TERRAFORM_ENVIRONMENTS = TERRAFORM / "environments"
CHECKOV_POLICIES = INFRA / "checkov-policies"
INFRA_README = INFRA / "README.md"
AZURE_YAML = REPO_ROOT / "azure.yaml"
HOST_JSON = REPO_ROOT / "host.json"

#: checkov lives in its own venv: its pins clash with the app's (see requirements-checkov.txt).
CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"

#: The environments both trees ship parameter files for.
ENVIRONMENTS = ("dev", "prod")
