"""Run checkov once over infra/ (Terraform and Bicep) and read its JSON report.

checkov runs from its own venv (.venv-checkov) as a subprocess: its pinned dependencies clash
with the app's. `--skip-download` keeps it offline; the repository's own policies come from
infra/checkov-policies (`--external-checks-dir`).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.infra.paths import CHECKOV, CHECKOV_POLICIES, INFRA, REPO_ROOT

FRAMEWORKS = ("terraform", "bicep")

#: The production configuration: checkov skips `count = 0` resources and expands no dynamic
#: block with the defaults, so the slot, the network and authentication are scanned with it.
PRODUCTION_SCAN = "terraform (prod.tfvars)"
SCANS = (*FRAMEWORKS, PRODUCTION_SCAN)

#: checkov logs a check that raised, then moves on: such a check verified nothing.
_CRASH = re.compile(r"Failed to run check (?P<check>\S+) on (?P<file>[^:\s]+):(?P<resource>\S+)")


class CheckovUnavailableError(RuntimeError):
    """checkov is not installed where the Makefile puts it, or produced no report."""


@dataclass(frozen=True)
class Finding:
    check_id: str
    check_name: str
    resource: str
    file_path: str
    suppress_comment: str | None

    def where(self) -> str:
        return f"{self.check_id} on {self.resource} ({self.file_path})"


@dataclass(frozen=True)
class Crash:
    check_id: str
    file_path: str
    resource: str


@dataclass(frozen=True, repr=False)
class CheckovReport:
    framework: str
    passed: tuple[Finding, ...]
    failed: tuple[Finding, ...]
    skipped: tuple[Finding, ...]
    parsing_errors: tuple[str, ...]
    resource_count: int
    crashes: tuple[Crash, ...]
    #: Wall time of the single checkov run that produced every framework's report.
    seconds: float

    def __repr__(self) -> str:
        # pytest prints fixture values on failure; the full finding lists would drown the diff.
        return (
            f"<checkov {self.framework}: {len(self.passed)} passed, {len(self.failed)} failed, "
            f"{len(self.skipped)} skipped, {len(self.parsing_errors)} parse errors>"
        )

    def check_ids(self) -> set[str]:
        """Ids of every check that produced a result (passed or skipped with a reason)."""
        return {finding.check_id for finding in (*self.passed, *self.skipped)}


def _findings(results: dict[str, Any], key: str) -> tuple[Finding, ...]:
    return tuple(
        Finding(
            check_id=entry["check_id"],
            check_name=entry.get("check_name", ""),
            resource=entry["resource"],
            file_path=entry["file_path"],
            suppress_comment=(entry.get("check_result") or {}).get("suppress_comment"),
        )
        for entry in results.get(key, [])
    )


def run_checkov(
    frameworks: tuple[str, ...] = FRAMEWORKS, var_file: Path | None = None
) -> dict[str, CheckovReport]:
    """One checkov invocation over infra/ for `frameworks`; framework -> report. With
    `var_file`, Terraform is evaluated with those variable values instead of the defaults."""
    if not CHECKOV.is_file():
        raise CheckovUnavailableError(
            f"checkov not found at {CHECKOV}; `make deps` builds .venv-checkov from "
            "requirements-checkov.txt"
        )
    command = [
        str(CHECKOV),
        "--directory",
        str(INFRA),
        "--framework",
        ",".join(frameworks),
        *(["--var-file", str(var_file)] if var_file else []),
        "--skip-download",
        "--external-checks-dir",
        str(CHECKOV_POLICIES),
        "--output",
        "json",
        "--compact",
    ]
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    seconds = time.monotonic() - started
    try:
        raw = json.loads(completed.stdout)
    except json.JSONDecodeError as exc:
        raise CheckovUnavailableError(
            f"checkov exited {completed.returncode} without a JSON report:\n"
            f"{completed.stderr[-3000:]}"
        ) from exc

    crashes = tuple(
        Crash(match["check"], match["file"], match["resource"])
        for match in _CRASH.finditer(completed.stderr)
    )
    reports = {}
    for report in raw if isinstance(raw, list) else [raw]:
        framework = report["check_type"]
        results = report.get("results", {})
        reports[framework] = CheckovReport(
            framework=framework,
            passed=_findings(results, "passed_checks"),
            failed=_findings(results, "failed_checks"),
            skipped=_findings(results, "skipped_checks"),
            parsing_errors=tuple(results.get("parsing_errors", [])),
            resource_count=int(report.get("summary", {}).get("resource_count", 0)),
            crashes=tuple(crash for crash in crashes if _framework_of(crash) == framework),
            seconds=seconds,
        )
    return reports


def _framework_of(crash: Crash) -> str:
    return "bicep" if crash.file_path.endswith(".bicep") else "terraform"
