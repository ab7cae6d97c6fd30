"""The workflows pass GitHub's workflow schema, zizmor's security audits and shellcheck, offline.

Each tool is also run once on a small broken workflow (`workflow_fixtures/`) to show that it
really checks something here: a tool that silently did nothing would pass every clean file too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.paths import REPO_ROOT
from tests.infra.workflows import (
    CHECK_JSONSCHEMA,
    FIXTURES,
    WORKFLOW_SCRIPTS,
    WORKFLOWS,
    ZIZMOR,
    Step,
    all_steps,
    load,
    run_script,
    workflow_files,
)
from tests.infra.workflows import steps as workflow_steps

pytestmark = pytest.mark.infra

SCHEMA = ("--builtin-schema", "vendor.github-workflows")
RUN_STEPS = [step for step in all_steps() if step.run]


def _run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=300, check=False
    )


def _tool(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path.name} is missing: it comes with requirements-dev.txt (make deps)")
    return path


# --- schema -------------------------------------------------------------------------------------


def test_the_repository_has_the_ci_and_deploy_workflows() -> None:
    names = {path.name for path in workflow_files()}
    assert {"ci.yml", "deploy.yml", "deploy-environment.yml"} <= names


def test_every_workflow_matches_githubs_workflow_schema() -> None:
    result = _run(_tool(CHECK_JSONSCHEMA), *SCHEMA, *workflow_files())
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_job_without_a_runner() -> None:
    result = _run(_tool(CHECK_JSONSCHEMA), *SCHEMA, FIXTURES / "schema-invalid.yml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "'runs-on' is a required property" in result.stdout


# --- zizmor -------------------------------------------------------------------------------------


def _zizmor(*inputs: Path) -> subprocess.CompletedProcess[str]:
    """zizmor's offline audits as JSON. `--strict-collection`: without it, zizmor skips a
    workflow it cannot parse and reports nothing for it."""
    options = ("--offline", "--strict-collection", "--no-progress", "--format", "json")
    return _run(_tool(ZIZMOR), *options, *inputs)


def _zizmor_findings(*inputs: Path) -> set[str]:
    """The audits zizmor reports, as "audit at file:line" (ignore comments honoured)."""
    result = _zizmor(*inputs)
    # 0: no finding; 10 and up: findings, by highest severity; anything else: zizmor failed.
    assert result.returncode == 0 or result.returncode >= 10, result.stderr
    found = set()
    for finding in json.loads(result.stdout):
        if finding.get("ignored"):
            continue
        location = finding["locations"][0]
        path = location["symbolic"]["key"]["Local"]["verbatim_path"]
        row = location["concrete"]["location"]["start_point"]["row"] + 1
        found.add(f"{finding['ident']} at {path}:{row}")
    return found


def test_zizmor_finds_nothing_in_the_workflows() -> None:
    assert _zizmor_findings(WORKFLOWS) == set()


def test_zizmor_flags_an_injectable_workflow() -> None:
    audits = {finding.split()[0] for finding in _zizmor_findings(FIXTURES / "insecure.yml")}
    expected = {"template-injection", "artipacked", "dangerous-triggers", "excessive-permissions"}
    assert expected <= audits


def test_zizmor_fails_on_a_workflow_it_cannot_parse() -> None:
    result = _zizmor(FIXTURES / "unparseable.yml")
    assert result.returncode == 1, result.stdout + result.stderr


def test_every_zizmor_ignore_says_why() -> None:
    """An ignore comment stands right under a comment line that gives its reason."""
    for path in workflow_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if "zizmor: ignore[" in line:
                above = lines[number - 1].strip() if number else ""
                assert above.startswith("#"), f"{path.name}:{number + 1}: ignore without a reason"


# --- shellcheck ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shellcheck() -> str:
    found = shutil.which("shellcheck")
    if not found:
        pytest.skip(
            "shellcheck is not installed, so the workflows' run: scripts were NOT checked "
            "(Debian package `shellcheck`; .ci/run installs it)"
        )
    return found


def _shellcheck(shellcheck: str, script: Path) -> list[str]:
    result = _run(shellcheck, "--shell=bash", "--format=json1", script)
    assert result.returncode in (0, 1), result.stderr
    comments = json.loads(result.stdout)["comments"]
    return [f"line {c['line']}: SC{c['code']} {c['message']}" for c in comments]


def _check_step(shellcheck: str, step: Step, folder: Path) -> list[str]:
    script = folder / "step.sh"
    script.write_text(run_script(step), encoding="utf-8")
    return _shellcheck(shellcheck, script)


@pytest.mark.parametrize("step", RUN_STEPS, ids=[step.where for step in RUN_STEPS])
def test_every_run_script_passes_shellcheck(shellcheck: str, step: Step, tmp_path: Path) -> None:
    assert _check_step(shellcheck, step, tmp_path) == []


@pytest.mark.parametrize(
    "script",
    [*sorted(WORKFLOW_SCRIPTS.glob("*.sh")), REPO_ROOT / ".ci" / "run"],
    ids=lambda p: p.name,
)
def test_the_shell_scripts_pass_shellcheck(shellcheck: str, script: Path) -> None:
    assert _shellcheck(shellcheck, script) == []


def test_shellcheck_flags_unsafe_run_scripts(shellcheck: str, tmp_path: Path) -> None:
    steps = list(workflow_steps("shell-unsafe.yml", load(FIXTURES / "shell-unsafe.yml")))
    assert len(steps) == 1
    codes = {line.split()[2] for line in _check_step(shellcheck, steps[0], tmp_path)}
    assert {"SC2086", "SC2115"} <= codes  # unquoted; rm -rf "$TARGET/"* when TARGET is empty
