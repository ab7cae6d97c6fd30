"""What the deployment pipeline promises, read from the workflow files.

Nothing deploys before `make test`; the version reaches the staging slot before its code; the
swap comes only after the smoke test; only the jobs that sign in to Azure may mint OIDC tokens;
actions are pinned to commits; scripts never expand `${{ }}`; and the workflows run the deploy
commands README.md gives, with the same options.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.support import target as e2e_target
from tests.infra.paths import BICEP_ENVIRONMENTS, BICEP_MAIN, ENVIRONMENTS, TERRAFORM
from tests.infra.workflows import (
    VERSION_PARAMETERS,
    WORKFLOW_SCRIPTS,
    WORKFLOWS,
    Mapping,
    Step,
    all_steps,
    jobs,
    load,
    readme_pipeline_commands,
    step_by_id,
    steps,
    workflow_commands,
    workflow_files,
    workflows,
)

pytestmark = pytest.mark.infra

DEPLOY = "deploy.yml"
ENVIRONMENT = "deploy-environment.yml"
VERSION_SETTING = "AzureFunctionsJobHost__extensions__durableTask__defaultVersion"
#: The deployment job's steps that must run in this order, each only if all before it passed.
GATED_ORDER = (
    "login",
    "version",
    "settle_first_start",
    "slot_version",
    "package",
    "deploy_code",
    "slot_health",
    "smoke",
    "swap",
    "production_health",
)


@pytest.fixture(scope="module")
def flows() -> dict[str, Mapping]:
    return workflows()


@pytest.fixture(scope="module")
def deploy_steps(flows: dict[str, Mapping]) -> list[Step]:
    return list(steps(ENVIRONMENT, flows[ENVIRONMENT]))


def _position(deploy_steps: list[Step], step_id: str) -> int:
    return next(index for index, step in enumerate(deploy_steps) if step.id == step_id)


# --- commands: README ⇄ workflows -----------------------------------------------------------------


def test_the_workflows_run_the_readmes_deploy_commands() -> None:
    ran, documented = workflow_commands(), readme_pipeline_commands()
    assert sorted(map(str, ran - documented)) == [], "run by the workflows, not in the README"
    assert sorted(map(str, documented - ran)) == [], "in the README, not run by the workflows"


def test_the_pipeline_covers_every_deploy_stage() -> None:
    names = {command.name for command in workflow_commands()}
    for stage in (
        "az deployment group what-if",
        "az deployment group create",
        "terraform plan",
        "terraform apply",
        "az functionapp deployment source config-zip",
        "az functionapp deployment slot swap",
    ):
        assert stage in names


# --- order and gates ------------------------------------------------------------------------------


def test_nothing_deploys_before_make_test_passes(flows: dict[str, Mapping]) -> None:
    deploy = jobs(flows[DEPLOY])
    verify_runs = [step.run for step in steps(DEPLOY, flows[DEPLOY]) if step.job == "verify"]
    assert "make test" in verify_runs
    gate = next(s for s in steps(DEPLOY, flows[DEPLOY]) if s.run == "make test")
    assert "replay" in gate.name.lower()
    for environment in ENVIRONMENTS:
        job = deploy[environment]
        assert "verify" in ([job["needs"]] if isinstance(job["needs"], str) else job["needs"])
        assert job["uses"] == f"./.github/workflows/{ENVIRONMENT}"
        assert job["with"]["environment"] == environment
    # prod runs after dev for a tag, and never unless verify succeeded.
    assert "dev" in deploy["prod"]["needs"]
    assert "needs.verify.result == 'success'" in deploy["prod"]["if"]


def test_the_deployment_steps_run_in_order_and_stop_at_the_first_failure(
    deploy_steps: list[Step],
) -> None:
    positions = [_position(deploy_steps, step_id) for step_id in GATED_ORDER]
    assert positions == sorted(positions)
    for step in deploy_steps:
        assert not step.body.get("continue-on-error"), step.where
        if step.id in GATED_ORDER:
            assert "if" not in step.body, (
                f"{step.where} must run only when every step before passed"
            )


def test_the_infrastructure_runs_between_the_version_check_and_the_slot(
    deploy_steps: list[Step],
) -> None:
    lower, upper = _position(deploy_steps, "version"), _position(deploy_steps, "slot_version")
    for step_id in ("bicep_what_if", "bicep", "terraform_init", "terraform_plan", "terraform"):
        assert lower < _position(deploy_steps, step_id) < upper, step_id
    assert _position(deploy_steps, "bicep_what_if") < _position(deploy_steps, "bicep")
    assert _position(deploy_steps, "terraform_plan") < _position(deploy_steps, "terraform")


def test_the_first_start_is_settled_after_the_infrastructure_and_before_the_code(
    deploy_steps: list[Step],
) -> None:
    """What the script does is run in test_workflow_steps.py; here: where, and for whom."""
    settle = _position(deploy_steps, "settle_first_start")
    for step_id in ("bicep", "terraform"):
        assert _position(deploy_steps, step_id) < settle, step_id
    assert settle < _position(deploy_steps, "deploy_code")
    run = deploy_steps[settle].run or ""
    assert run.splitlines() == [
        "bash .github/scripts/settle-first-start.sh",
        'bash .github/scripts/settle-first-start.sh "$SLOT"',
    ]


def test_the_code_deployment_checks_the_remote_builds_pip_lines(
    deploy_steps: list[Step],
) -> None:
    run = deploy_steps[_position(deploy_steps, "deploy_code")].run or ""
    assert 'check-remote-build.sh "$SLOT" | tee -a "$GITHUB_STEP_SUMMARY"' in run
    assert run.rstrip().endswith('exit "$status"')


def test_the_job_summary_names_every_step_that_can_stop_the_deployment(
    deploy_steps: list[Step],
) -> None:
    summary = deploy_steps[-1]
    assert summary.body["if"] == "always()"
    assert "$GITHUB_STEP_SUMMARY" in (summary.run or "")
    outcomes = {
        name: value for name, value in summary.body["env"].items() if name.startswith("OUTCOME_")
    }
    reported = set()
    for value in outcomes.values():
        match = re.fullmatch(r"\$\{\{ steps\.(\w+)\.outcome \}\}", value)
        assert match, value
        reported.add(match[1])
    assert reported == {step.id for step in deploy_steps if step.id}
    script = (WORKFLOW_SCRIPTS / "deploy-summary.sh").read_text(encoding="utf-8")
    for name in outcomes:
        assert f'"{name}|' in script, f"deploy-summary.sh does not report {name}"


# --- version --------------------------------------------------------------------------------------


def test_the_release_version_comes_from_the_tag_or_the_input(flows: dict[str, Mapping]) -> None:
    triggers = flows[DEPLOY]["on"]
    assert triggers["push"] == {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}
    inputs = triggers["workflow_dispatch"]["inputs"]
    assert inputs["version"]["required"] is True
    assert inputs["environment"]["options"] == list(ENVIRONMENTS)
    assert inputs["infrastructure"]["options"] == ["bicep", "terraform"]
    read = step_by_id(flows[DEPLOY], DEPLOY, "version")
    assert read.body["env"]["REQUESTED"] == "${{ inputs.version || github.ref_name }}"
    assert "release-version.sh" in (read.run or "")


def test_the_release_version_is_durables_default_version_checked_before_deploying(
    flows: dict[str, Mapping],
) -> None:
    """What the version steps do is run in test_workflow_steps.py; here: which setting, and
    that the check takes production's running version."""
    job = jobs(flows[ENVIRONMENT])["deploy"]
    assert job["env"]["VERSION_SETTING"] == VERSION_SETTING
    assert job["env"]["SLOT"] == "staging"
    check = step_by_id(flows[ENVIRONMENT], ENVIRONMENT, "version")
    assert check.body["env"]["RUNNING_VERSION"] == "${{ steps.running.outputs.version }}"
    assert check.run == 'bash .github/scripts/release-version.sh "$VERSION" "$RUNNING_VERSION"'


def test_the_infrastructure_is_given_the_version_production_runs(
    flows: dict[str, Mapping],
) -> None:
    """How the steps pass it on is run in test_workflow_steps.py."""
    for step_id in ("bicep_what_if", "terraform_plan"):
        step = step_by_id(flows[ENVIRONMENT], ENVIRONMENT, step_id)
        assert step.body["env"]["PRODUCTION_VERSION"] == (
            "${{ steps.running.outputs.version || inputs.version }}"
        )
        assert "version-parameter.sh" in (step.run or "")


def test_the_version_parameter_is_the_one_the_infrastructure_declares() -> None:
    """Both trees take the release version under the names the pipeline passes
    (version-parameter.sh, checked against VERSION_PARAMETERS in test_workflow_scripts.py)."""
    trees = {"bicep": BICEP_MAIN.read_text(), "terraform": (TERRAFORM / "variables.tf").read_text()}
    assert re.search(rf"^param {VERSION_PARAMETERS['bicep']} string", trees["bicep"], re.M)
    assert f'variable "{VERSION_PARAMETERS["terraform"]}"' in trees["terraform"]


# --- infrastructure inputs ------------------------------------------------------------------------


def test_the_parameter_files_and_outputs_the_pipeline_uses_exist() -> None:
    for environment in ENVIRONMENTS:
        assert (BICEP_ENVIRONMENTS / f"{environment}.bicepparam").is_file()
        assert (TERRAFORM / "environments" / f"{environment}.tfvars").is_file()
    bicep = BICEP_MAIN.read_text(encoding="utf-8")
    assert re.search(r"^param enableStagingSlot bool", bicep, re.M)
    assert re.search(r"^output functionAppName string", bicep, re.M)
    variables = (TERRAFORM / "variables.tf").read_text(encoding="utf-8")
    assert 'variable "enable_staging_slot"' in variables
    assert 'variable "resource_group_name"' in variables
    assert 'output "function_app_name"' in (TERRAFORM / "outputs.tf").read_text(encoding="utf-8")


# --- smoke test -----------------------------------------------------------------------------------


def test_the_smoke_test_passes_the_variables_the_e2e_suite_reads(
    flows: dict[str, Mapping],
) -> None:
    smoke = step_by_id(flows[ENVIRONMENT], ENVIRONMENT, "smoke")
    assert smoke.body["env"][e2e_target.BASE_URL_ENV] == "${{ steps.slot_health.outputs.url }}"
    exported = re.search(r"^export (.*)$", smoke.run or "", re.M)
    assert exported
    assert set(exported[1].split()) == {e2e_target.MASTER_KEY_ENV, e2e_target.FUNCTION_KEY_ENV}


# --- hardening ------------------------------------------------------------------------------------


def test_every_action_is_pinned_to_a_full_commit_sha() -> None:
    for step in all_steps():
        if step.uses and not step.uses.startswith("./"):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step.uses), step.where


def test_no_run_script_expands_an_expression() -> None:
    """`${{ }}` in a script is pasted into the shell before it runs; values go through env."""
    for step in all_steps():
        assert "${{" not in (step.run or ""), step.where


def test_checkouts_leave_no_token_behind() -> None:
    for step in all_steps():
        if step.uses and step.uses.startswith("actions/checkout@"):
            assert step.body["with"]["persist-credentials"] is False, step.where


def test_permissions_are_empty_by_default_and_oidc_only_where_azure_is_used(
    flows: dict[str, Mapping],
) -> None:
    for name, flow in flows.items():
        assert flow["permissions"] == {}, name
        for job_id, job in jobs(flow).items():
            permissions = job["permissions"]
            signs_in = job.get("uses", "").endswith(ENVIRONMENT) or any(
                (step.uses or "").startswith("azure/login@")
                for step in steps(name, {"jobs": {job_id: job}})
            )
            expected = {"contents": "read", **({"id-token": "write"} if signs_in else {})}
            assert permissions == expected, f"{name} > {job_id}"


def test_the_deployment_signs_in_with_oidc_variables_only(flows: dict[str, Mapping]) -> None:
    login = step_by_id(flows[ENVIRONMENT], ENVIRONMENT, "login")
    assert login.body["with"] == {
        "client-id": "${{ vars.AZURE_CLIENT_ID }}",
        "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
        "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
    }
    text = "\n".join(path.read_text(encoding="utf-8") for path in workflow_files())
    assert "secrets." not in text


def test_ci_runs_make_test_with_pip_and_npm_caches() -> None:
    ci = load(WORKFLOWS / "ci.yml")
    assert set(ci["on"]) == {"pull_request", "push"}
    ci_steps = list(steps("ci.yml", ci))
    assert ci_steps[-1].run == "make test"
    caches = {step.body.get("with", {}).get("cache") for step in ci_steps}
    assert {"pip", "npm"} <= caches
