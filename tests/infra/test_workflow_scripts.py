"""The shell scripts the deployment job runs: version check, health wait, job summary."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.infra.workflows import VERSION_PARAMETERS, WORKFLOW_SCRIPTS

pytestmark = pytest.mark.infra


def _bash(
    script: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(WORKFLOW_SCRIPTS / script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": os.environ["PATH"], **(env or {})},
    )


# --- release-version.sh ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "running", "version"),
    [
        ("v1.4.0", "", "1.4.0"),
        ("1.4.0", "1.3.9", "1.4.0"),
        ("v1.10.0", "1.9.3", "1.10.0"),  # compared as versions, not as text
        ("v2.0.0", "1.99.99", "2.0.0"),
        ("v0.1.0", "", "0.1.0"),
    ],
)
def test_a_newer_version_is_accepted(requested: str, running: str, version: str) -> None:
    result = _bash("release-version.sh", requested, running)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{version}\n"


@pytest.mark.parametrize(
    ("requested", "running", "reason"),
    [
        ("v1.4.0", "1.4.0", "production already runs version 1.4.0"),
        ("1.9.0", "1.10.0", "1.9.0 is older than 1.10.0"),
        ("v1.4", "", "is not MAJOR.MINOR.PATCH"),
        ("v1.4.0-rc1", "", "is not MAJOR.MINOR.PATCH"),
        ("01.4.0", "", "is not MAJOR.MINOR.PATCH"),
        ("main", "", "is not MAJOR.MINOR.PATCH"),
        ("", "", "is not MAJOR.MINOR.PATCH"),
    ],
)
def test_a_version_that_does_not_move_forward_is_refused(
    requested: str, running: str, reason: str
) -> None:
    result = _bash("release-version.sh", requested, running)
    assert result.returncode == 1
    assert result.stdout == ""
    assert reason in result.stderr


# --- wait-healthy.sh ------------------------------------------------------------------------------


class _Health(http.server.BaseHTTPRequestHandler):
    """Answers 503 for the first `failures` requests, then 200."""

    failures = 0
    seen = 0

    def do_GET(self) -> None:
        type(self).seen += 1
        status = 503 if type(self).seen <= type(self).failures else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the script's output, not the server's."""


@pytest.fixture
def health_server() -> Iterator[tuple[str, type[_Health]]]:
    handler = type("Health", (_Health,), {"failures": 0, "seen": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/health", handler
    finally:
        server.shutdown()
        server.server_close()


def test_waiting_ends_when_the_health_route_answers_200(
    health_server: tuple[str, type[_Health]],
) -> None:
    url, handler = health_server
    handler.failures = 2
    result = _bash("wait-healthy.sh", url, "60", env={"HEALTH_POLL_SECONDS": "0"})
    assert result.returncode == 0, result.stderr
    assert f"{url} answered 200" in result.stdout
    assert handler.seen == 3


def test_waiting_fails_with_the_last_status_when_time_runs_out(
    health_server: tuple[str, type[_Health]],
) -> None:
    url, handler = health_server
    handler.failures = 1_000_000
    result = _bash("wait-healthy.sh", url, "0", env={"HEALTH_POLL_SECONDS": "0"})
    assert result.returncode == 1
    assert "did not answer 200 within 0s (last status: 503)" in result.stderr


def test_waiting_fails_when_nothing_listens(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    port = server.server_address[1]
    server.server_close()  # a port that was free a moment ago: nothing answers there
    result = _bash(
        "wait-healthy.sh",
        f"http://127.0.0.1:{port}/api/health",
        "0",
        env={"HEALTH_POLL_SECONDS": "0"},
    )
    assert result.returncode == 1
    assert "(last status: 000)" in result.stderr


# --- deploy-summary.sh ----------------------------------------------------------------------------

PASSED_UNTIL_SWAP = {
    "OUTCOME_LOGIN": "success",
    "OUTCOME_RUNNING": "success",
    "OUTCOME_VERSION": "success",
    "OUTCOME_BICEP_WHAT_IF": "success",
    "OUTCOME_BICEP": "success",
    "OUTCOME_TERRAFORM_INIT": "skipped",
    "OUTCOME_TERRAFORM_PLAN": "skipped",
    "OUTCOME_TERRAFORM": "skipped",
    "OUTCOME_SETTLE_FIRST_START": "success",
    "OUTCOME_SLOT_VERSION": "success",
    "OUTCOME_PACKAGE": "success",
    "OUTCOME_DEPLOY_CODE": "success",
    "OUTCOME_SLOT_HEALTH": "success",
    "OUTCOME_SMOKE": "success",
}


def _summary(**outcomes: str) -> str:
    env = {
        "ENVIRONMENT": "prod",
        "VERSION": "1.4.0",
        "RUNNING_VERSION": "1.3.2",
        "RESOURCE_GROUP": "rg-shop-prod",
        "APP": "shop-prod-app",
        **outcomes,
    }
    result = _bash("deploy-summary.sh", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_successful_deployment_says_what_runs_now() -> None:
    text = _summary(
        **PASSED_UNTIL_SWAP, OUTCOME_SWAP="success", OUTCOME_PRODUCTION_HEALTH="success"
    )
    assert text.startswith("## Deployed 1.4.0 to prod\n")
    assert "runs orchestration version 1.4.0 (before: 1.3.2)" in text


def test_a_failed_smoke_test_means_no_swap_and_says_so() -> None:
    outcomes = {**PASSED_UNTIL_SWAP, "OUTCOME_SMOKE": "failure"}
    text = _summary(**outcomes, OUTCOME_SWAP="skipped", OUTCOME_PRODUCTION_HEALTH="skipped")
    assert "Stopped by: the smoke test (tests/e2e against the staging slot) (failure)." in text
    assert "No swap happened: production still runs the previous release (1.3.2)." in text
    assert "Deployed" not in text


def test_the_first_failure_is_the_one_named() -> None:
    outcomes = {
        **PASSED_UNTIL_SWAP,
        "OUTCOME_BICEP_WHAT_IF": "failure",
        "OUTCOME_BICEP": "skipped",
        "OUTCOME_SLOT_VERSION": "skipped",
    }
    text = _summary(**outcomes)
    assert "Stopped by: the Bicep what-if (failure)." in text
    assert "No swap happened" in text


def test_a_refused_version_is_named() -> None:
    text = _summary(OUTCOME_LOGIN="success", OUTCOME_RUNNING="success", OUTCOME_VERSION="failure")
    assert "Stopped by: the release version check" in text


def test_an_unhealthy_production_after_the_swap_gets_the_swap_back_command() -> None:
    text = _summary(
        **PASSED_UNTIL_SWAP, OUTCOME_SWAP="success", OUTCOME_PRODUCTION_HEALTH="failure"
    )
    assert "Stopped by: production's health check after the swap (failure)." in text
    assert "The swap happened" in text
    assert (
        "az functionapp deployment slot swap --resource-group rg-shop-prod --name shop-prod-app "
        "--slot staging --target-slot production"
    ) in text


def test_a_cancelled_run_is_not_reported_as_deployed() -> None:
    text = _summary(**{**PASSED_UNTIL_SWAP, "OUTCOME_SMOKE": "cancelled"})
    assert "Stopped by: the smoke test (tests/e2e against the staging slot) (cancelled)." in text


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3" failures="1" errors="1">
<testcase classname="tests.e2e.test_orders" name="test_an_order_ships"/>
<testcase classname="tests.e2e.test_orders" name="test_a_declined_order_is_refunded">
<failure message="AssertionError: answered 500, expected (202,)&#10;second line">trace</failure>
</testcase>
<testcase classname="tests.e2e.test_platform" name="test_health">
<error message="ConnectError">x</error>
</testcase>
</testsuite></testsuites>
"""


def test_a_failed_smoke_test_lists_the_failed_tests(tmp_path: Path) -> None:
    report = tmp_path / "smoke.xml"
    report.write_text(JUNIT)
    outcomes = {**PASSED_UNTIL_SWAP, "OUTCOME_SMOKE": "failure"}
    text = _summary(**outcomes, SMOKE_REPORT=str(report))
    assert text.endswith(
        "Failed smoke tests:\n\n"
        "- `tests.e2e.test_orders::test_a_declined_order_is_refunded`: "
        "AssertionError: answered 500, expected (202,)\n"
        "- `tests.e2e.test_platform::test_health`: ConnectError\n"
    )
    assert "test_an_order_ships" not in text


def test_a_smoke_test_that_never_ran_lists_nothing(tmp_path: Path) -> None:
    outcomes = {**PASSED_UNTIL_SWAP, "OUTCOME_SMOKE": "failure"}
    text = _summary(**outcomes, SMOKE_REPORT=str(tmp_path / "missing.xml"))
    assert "Failed smoke tests" not in text


def test_a_failure_outside_the_listed_steps_still_reports_a_stop() -> None:
    text = _summary(OUTCOME_LOGIN="skipped")
    assert "Stopped by: a step outside this list (see the job log)." in text
    assert "No swap happened" in text


# --- version-parameter.sh -------------------------------------------------------------------------

DECLARATIONS = {
    "bicep": ("bicep/main.bicep", "param orchestrationVersion string = ''\n"),
    "terraform": (
        "terraform/variables.tf",
        'variable "orchestration_version" {\n  type = string\n}\n',
    ),
}


@pytest.mark.parametrize("tool", sorted(VERSION_PARAMETERS))
def test_the_version_parameter_is_passed_when_the_templates_declare_it(
    tool: str, tmp_path: Path
) -> None:
    path, declaration = DECLARATIONS[tool]
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(f"// other parameters\n{declaration}")
    result = _bash("version-parameter.sh", tool, "1.3.2", env={"INFRA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{VERSION_PARAMETERS[tool]}=1.3.2\n"


@pytest.mark.parametrize("tool", sorted(VERSION_PARAMETERS))
def test_no_version_parameter_while_the_templates_declare_none(tool: str, tmp_path: Path) -> None:
    path, _ = DECLARATIONS[tool]
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text('param somethingElse string\nvariable "something_else" {}\n')
    result = _bash("version-parameter.sh", tool, "1.3.2", env={"INFRA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"declare no {VERSION_PARAMETERS[tool]} parameter" in result.stderr


def test_an_unknown_infrastructure_tool_is_refused() -> None:
    result = _bash("version-parameter.sh", "pulumi", "1.3.2")
    assert result.returncode == 2
    assert "unknown infrastructure tool 'pulumi'" in result.stderr
