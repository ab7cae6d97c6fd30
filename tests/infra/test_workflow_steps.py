"""The deployment job's own scripts, run as the runner runs them, against stand-ins for az,
curl and the e2e suite: what they read, what they pass on, and when they stop the job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.infra.paths import REPO_ROOT
from tests.infra.workflows import load, run_script, step_by_id

pytestmark = pytest.mark.infra

ENVIRONMENT_WORKFLOW = REPO_ROOT / ".github" / "workflows" / "deploy-environment.yml"

#: A stand-in for the Azure CLI: logs its arguments, answers from a table of
#: (substring of the arguments, output) pairs, first match wins, else prints nothing. A list
#: of outputs answers the pattern's calls in turn, its last item from then on.
FAKE_AZ = """\
import json, os, sys
arguments = " ".join(sys.argv[1:])
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write("az " + arguments + "\\n")
for pattern, output in json.load(open(os.environ["FAKE_AZ_ANSWERS"])):
    if pattern in arguments:
        if isinstance(output, list):
            seen = sum(pattern in line for line in open(os.environ["FAKE_LOG"]))
            output = output[min(seen, len(output)) - 1]
        print(output)
        break
"""
#: Terraform: logs its arguments; `output -raw` prints the app's name.
FAKE_TERRAFORM = """\
echo "terraform $*" >> "$FAKE_LOG"
if [[ "$1" == output ]]; then echo shop-prod-app; fi
"""
#: curl as wait-healthy.sh calls it: prints only the status.
FAKE_CURL = 'printf "%s" "${FAKE_CURL_STATUS:-200}"\n'
#: The e2e suite: shows what it was given, then passes or fails.
FAKE_PYTEST = """\
echo "pytest $*" >> "$FAKE_LOG"
echo "pytest sees E2E_BASE_URL=$E2E_BASE_URL E2E_MASTER_KEY=$E2E_MASTER_KEY \
E2E_FUNCTION_KEY=$E2E_FUNCTION_KEY"
exit "${FAKE_PYTEST_EXIT:-0}"
"""


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str
    calls: list[str]
    outputs: dict[str, str]
    environment: dict[str, str]
    summary: str


@pytest.fixture
def runner(tmp_path: Path) -> Path:
    """A workspace like the runner's: the repository's scripts, fake tools first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "az").write_text(f"#!{sys.executable}\n{FAKE_AZ}")
    (bin_dir / "curl").write_text(f"#!/usr/bin/env bash\n{FAKE_CURL}")
    (bin_dir / "terraform").write_text(f"#!/usr/bin/env bash\n{FAKE_TERRAFORM}")
    venv_bin = tmp_path / "work" / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "pytest").write_text(f"#!/usr/bin/env bash\n{FAKE_PYTEST}")
    for tool in (*bin_dir.iterdir(), venv_bin / "pytest"):
        tool.chmod(0o755)
    (tmp_path / "work" / ".github").symlink_to(REPO_ROOT / ".github")
    for tree in ("bicep", "terraform"):
        (tmp_path / "work" / "infra" / tree).mkdir(parents=True)
    return tmp_path


def run_step(
    runner: Path,
    step_id: str,
    answers: Sequence[tuple[str, str | list[str]]],
    **env: str,
) -> Ran:
    step = step_by_id(load(ENVIRONMENT_WORKFLOW), ENVIRONMENT_WORKFLOW.name, step_id)
    log, outputs = runner / "calls.log", runner / "github_output"
    job_environment, summary = runner / "github_env", runner / "step_summary"
    for path in (log, outputs, job_environment, summary):
        path.write_text("")
    (runner / "answers.json").write_text(json.dumps(answers))
    job_env = load(ENVIRONMENT_WORKFLOW)["jobs"]["deploy"]["env"]
    result = subprocess.run(
        ["bash", "-c", run_script(step)],
        cwd=runner / "work" / step.body.get("working-directory", "."),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={
            "PATH": f"{runner / 'bin'}:{os.environ['PATH']}",
            "FAKE_LOG": str(log),
            "FAKE_AZ_ANSWERS": str(runner / "answers.json"),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_ENV": str(job_environment),
            "GITHUB_STEP_SUMMARY": str(summary),
            "ENVIRONMENT": "prod",
            "RUNNER_TEMP": str(runner),
            "HEALTH_POLL_SECONDS": "0",
            "SETTLE_PAUSE_SECONDS": "0",
            "RESOURCE_GROUP": "rg-shop-prod",
            "APP": "shop-prod-app",
            "VERSION": "1.4.0",
            "SLOT": job_env["SLOT"],
            "VERSION_SETTING": job_env["VERSION_SETTING"],
            **env,
        },
    )
    return Ran(
        result.returncode,
        result.stdout,
        result.stderr,
        log.read_text().splitlines(),
        _pairs(outputs),
        _pairs(job_environment),
        summary.read_text(),
    )


def _pairs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def declare_version_parameter(runner: Path) -> None:
    """Templates that take the release version, as part 2 of the versioning work adds them."""
    infra = runner / "work" / "infra"
    (infra / "bicep" / "main.bicep").write_text("param orchestrationVersion string\n")
    (infra / "terraform" / "variables.tf").write_text('variable "orchestration_version" {}\n')


KEYS = [("--query masterKey", "the-master-key"), ("--query functionKeys.default", "the-host-key")]


def test_the_smoke_test_gets_the_slots_keys_masked_before_anything_runs(runner: Path) -> None:
    ran = run_step(runner, "smoke", KEYS, E2E_BASE_URL="https://shop-prod-app-staging.example")
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[:2] == ["::add-mask::the-master-key", "::add-mask::the-host-key"]
    assert lines[2] == (
        "pytest sees E2E_BASE_URL=https://shop-prod-app-staging.example "
        "E2E_MASTER_KEY=the-master-key E2E_FUNCTION_KEY=the-host-key"
    )
    key_calls = [call for call in ran.calls if call.startswith("az functionapp keys list")]
    assert len(key_calls) == 2
    assert all("--name shop-prod-app --slot staging" in call for call in key_calls)
    assert ran.calls[-1].startswith("pytest tests/e2e")


def test_the_smoke_test_stops_when_the_slot_has_no_master_key(runner: Path) -> None:
    ran = run_step(runner, "smoke", KEYS[1:], E2E_BASE_URL="https://slot.example")
    assert ran.returncode == 1
    assert "the staging slot has no master key or default function key yet" in ran.stderr
    assert not any(call.startswith("pytest") for call in ran.calls)
    assert "::add-mask::" not in ran.stdout


def test_a_failing_smoke_suite_fails_the_step(runner: Path) -> None:
    ran = run_step(runner, "smoke", KEYS, E2E_BASE_URL="https://slot.example", FAKE_PYTEST_EXIT="1")
    assert ran.returncode == 1


def test_the_running_version_is_empty_before_the_first_release(runner: Path) -> None:
    ran = run_step(runner, "running", [])
    assert ran.returncode == 0, ran.stderr
    assert ran.outputs == {"version": ""}
    assert len(ran.calls) == 1  # no app: the settings are not read


def test_the_running_version_is_read_from_the_tagged_app(runner: Path) -> None:
    answers = [("functionapp list", "shop-prod-app"), ("appsettings list", "1.3.2")]
    ran = run_step(runner, "running", answers)
    assert ran.returncode == 0, ran.stderr
    assert ran.outputs == {"version": "1.3.2"}
    assert "--query [?tags.\"azd-service-name\"=='api'].name | [0]" in ran.calls[0]
    assert "--name shop-prod-app --query [?name=='AzureFunctionsJobHost__" in ran.calls[1]


def test_the_slot_gets_the_release_version(runner: Path) -> None:
    ran = run_step(runner, "slot_version", [])
    assert ran.returncode == 0, ran.stderr
    assert ran.calls == [
        "az functionapp config appsettings set --resource-group rg-shop-prod --name shop-prod-app "
        "--slot staging --settings "
        "AzureFunctionsJobHost__extensions__durableTask__defaultVersion=1.4.0 --output none"
    ]


def test_the_slot_health_check_waits_on_the_slots_own_host(runner: Path) -> None:
    answers = [("--slot staging --query defaultHostName", "shop-prod-app-staging.example")]
    ran = run_step(runner, "slot_health", answers)
    assert ran.returncode == 0, ran.stderr
    assert ran.outputs == {"url": "https://shop-prod-app-staging.example"}
    assert "https://shop-prod-app-staging.example/api/health answered 200" in ran.stdout


def test_production_must_run_the_release_version_after_the_swap(runner: Path) -> None:
    answers = [("--query defaultHostName", "shop.example"), ("appsettings list", "1.3.2")]
    ran = run_step(runner, "production_health", answers)
    assert ran.returncode == 1
    assert "is '1.3.2' after the swap, not 1.4.0" in ran.stderr
    answers = [("--query defaultHostName", "shop.example"), ("appsettings list", "1.4.0")]
    assert run_step(runner, "production_health", answers).returncode == 0


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "not declared"])
def test_bicep_keeps_production_at_its_version_when_the_template_takes_one(
    runner: Path, declared: bool
) -> None:
    if declared:
        declare_version_parameter(runner)
    answers = [("what-if", "Resource changes: 1 to modify.")]
    what_if = run_step(runner, "bicep_what_if", answers, PRODUCTION_VERSION="1.3.2")
    assert what_if.returncode == 0, what_if.stderr
    passed = "orchestrationVersion=1.3.2" if declared else ""
    assert what_if.environment == {"BICEP_VERSION_PARAMETER": passed}
    call = next(c for c in what_if.calls if c.startswith("az deployment group what-if"))
    assert call.endswith(f"--parameters enableStagingSlot=true {passed}".rstrip())
    assert "Resource changes: 1 to modify." in what_if.summary

    answers = [("deployment group create", "shop-prod-app")]
    create = run_step(runner, "bicep", answers, BICEP_VERSION_PARAMETER=passed)
    assert create.returncode == 0, create.stderr
    assert f"enableStagingSlot=true {passed}".rstrip() + " --query" in create.calls[0]
    assert create.environment == {"APP": "shop-prod-app"}


def test_a_bicep_deployment_without_the_app_name_stops_the_job(runner: Path) -> None:
    ran = run_step(runner, "bicep", [], BICEP_VERSION_PARAMETER="")
    assert ran.returncode == 1
    assert "the deployment has no functionAppName output" in ran.stderr
    assert ran.environment == {}


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "not declared"])
def test_terraform_keeps_production_at_its_version_when_the_variables_take_one(
    runner: Path, declared: bool
) -> None:
    if declared:
        declare_version_parameter(runner)
    plan = run_step(runner, "terraform_plan", [], PRODUCTION_VERSION="1.3.2")
    assert plan.returncode == 0, plan.stderr
    passed = " -var orchestration_version=1.3.2" if declared else ""
    assert plan.calls[0] == (
        "terraform plan -input=false -var-file=environments/prod.tfvars "
        f"-var resource_group_name=rg-shop-prod -var enable_staging_slot=true{passed} "
        "-out=prod.tfplan"
    )
    apply = run_step(runner, "terraform", [])
    assert apply.calls == [
        "terraform apply -input=false prod.tfplan",
        "terraform output -raw function_app_name",
    ]
    assert apply.environment == {"APP": "shop-prod-app"}


SITE_ID = "/subscriptions/s/resourceGroups/rg-shop-prod/providers/Microsoft.Web/sites/shop-prod-app"
DENIED = "AccessToKeyVaultDenied"


def settle_answers(production: list[str], slot: list[str]) -> list[tuple[str, str | list[str]]]:
    """The site ids, and the content share reference's status per poll, for each site."""
    return [
        ("--slot staging --query id", f"{SITE_ID}/slots/staging"),
        ("--query id", SITE_ID),
        ("slots/staging/config/configreferences", slot),
        ("configreferences", production),
    ]


def _restarts(ran: Ran) -> list[str]:
    return [call for call in ran.calls if call.startswith("az functionapp restart")]


def test_the_first_start_is_settled_by_a_restart(runner: Path) -> None:
    ran = run_step(runner, "settle_first_start", settle_answers([DENIED, "Resolved"], ["Resolved"]))
    assert ran.returncode == 0, ran.stderr
    assert _restarts(ran) == [
        "az functionapp restart --resource-group rg-shop-prod --name shop-prod-app"
    ]
    polls = [call for call in ran.calls if call.startswith("az rest")]
    assert len(polls) == 3
    assert polls[0] == (
        f"az rest --method get --url https://management.azure.com{SITE_ID}/config/"
        "configreferences/appsettings/WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"
        "?api-version=2024-04-01 --query properties.status --output tsv"
    )
    assert "shop-prod-app (slot staging): WEBSITE_CONTENTAZUREFILECONNECTIONSTRING resolved" in (
        ran.stdout
    )


def test_the_slot_is_settled_on_its_own(runner: Path) -> None:
    ran = run_step(runner, "settle_first_start", settle_answers(["Resolved"], [DENIED, "Resolved"]))
    assert ran.returncode == 0, ran.stderr
    assert _restarts(ran) == [
        "az functionapp restart --resource-group rg-shop-prod --name shop-prod-app --slot staging"
    ]
    assert f"{SITE_ID}/slots/staging/config/configreferences" in ran.calls[-1]


def test_a_reference_that_never_resolves_stops_the_job(runner: Path) -> None:
    answers = settle_answers([DENIED], ["Resolved"])
    ran = run_step(runner, "settle_first_start", answers, SETTLE_ATTEMPTS="3")
    assert ran.returncode == 1
    assert (
        "shop-prod-app: the Key Vault reference WEBSITE_CONTENTAZUREFILECONNECTIONSTRING did not "
        f"resolve after 3 attempts (last status: {DENIED})"
    ) in ran.stderr
    assert len(_restarts(ran)) == 2  # between the three polls, none after the last
    assert not any("slots/staging" in call for call in ran.calls)  # the slot waits its turn


def test_a_missing_site_is_named(runner: Path) -> None:
    ran = run_step(runner, "settle_first_start", [])
    assert ran.returncode == 1
    assert "shop-prod-app: no such function app in rg-shop-prod" in ran.stderr


PIP_OK = "Running pip install...\nSuccessfully installed azure-functions-1.21.3"
PIP_FAILED = (
    "Running pip install...\n"
    "WARNING: Retrying after connection broken by 'NewConnectionError(Failed to establish')\n"
    "ERROR: Could not find a version that satisfies the requirement azure-functions"
)


def test_the_code_deployment_puts_the_builds_pip_lines_in_the_summary(runner: Path) -> None:
    ran = run_step(runner, "deploy_code", [("log deployment show", PIP_OK)])
    assert ran.returncode == 0, ran.stderr
    assert "Successfully installed azure-functions-1.21.3" in ran.summary
    log_call = next(call for call in ran.calls if "log deployment show" in call)
    assert "--name shop-prod-app --slot staging --query" in log_call


def test_a_failed_pip_install_in_the_remote_build_stops_the_job(runner: Path) -> None:
    ran = run_step(runner, "deploy_code", [("log deployment show", PIP_FAILED)])
    assert ran.returncode == 1
    assert "**pip failed in the remote build**" in ran.summary
    assert "ERROR: Could not find a version" in ran.stderr
    assert "Retrying" not in ran.stderr  # a retry's warning is not the failure


def test_a_build_log_without_pip_lines_says_so(runner: Path) -> None:
    ran = run_step(runner, "deploy_code", [])
    assert ran.returncode == 0, ran.stderr
    assert "The deployment log has no pip lines" in ran.summary
