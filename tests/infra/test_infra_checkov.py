"""checkov passes on infra/ for Terraform and Bicep: no parse errors, no failures, and every
skipped check says why next to the resource.

The custom policies in infra/checkov-policies must actually run in both frameworks: checkov
logs and ignores a policy file it cannot import, which would otherwise pass silently.
"""

from __future__ import annotations

import re

import pytest

from tests.infra.checkov_report import SCANS, CheckovReport
from tests.infra.paths import CHECKOV_POLICIES

pytestmark = pytest.mark.infra

#: A reason has to explain, not just exist ("n/a", "false positive" are not reasons).
MIN_REASON_LENGTH = 60

#: Fewer resources than this means checkov stopped reading part of a tree.
MIN_RESOURCES = {"terraform": 20, "bicep": 60}


def _custom_check_ids() -> set[str]:
    ids = set()
    for path in CHECKOV_POLICIES.glob("*.py"):
        ids.update(re.findall(r'id="(CKV_DSHOP_\d+)"', path.read_text(encoding="utf-8")))
    return ids


@pytest.fixture(params=SCANS)
def report(request: pytest.FixtureRequest, checkov_reports: dict[str, CheckovReport]):
    scan: str = request.param
    assert scan in checkov_reports, f"checkov produced no {scan} report"
    return checkov_reports[scan]


def test_every_file_parses(report: CheckovReport) -> None:
    assert report.parsing_errors == ()


def test_checkov_read_the_whole_tree(report: CheckovReport) -> None:
    assert report.resource_count >= MIN_RESOURCES[report.framework]


def test_no_check_fails(report: CheckovReport) -> None:
    assert [finding.where() for finding in report.failed] == []


def test_every_skip_gives_its_reason(report: CheckovReport) -> None:
    unexplained = [
        finding.where()
        for finding in report.skipped
        if len((finding.suppress_comment or "").strip()) < MIN_REASON_LENGTH
    ]
    assert unexplained == []


def test_a_check_that_crashed_is_skipped_with_a_reason(report: CheckovReport) -> None:
    """checkov logs a check that raises and reports nothing for it: only acceptable where the
    check is suppressed with its reason anyway (e.g. it cannot read a Bicep conditional)."""
    skipped = {(finding.check_id, finding.resource) for finding in report.skipped}
    unverified = [
        f"{crash.check_id} on {crash.resource} ({crash.file_path})"
        for crash in report.crashes
        if (crash.check_id, crash.resource) not in skipped
    ]
    assert unverified == []


def test_custom_policies_run(report: CheckovReport) -> None:
    custom = _custom_check_ids()
    assert len(custom) >= 11, f"expected the CKV_DSHOP_* policies in {CHECKOV_POLICIES}"
    assert sorted(custom - report.check_ids()) == []


def test_checkov_stays_fast(checkov_reports: dict[str, CheckovReport]) -> None:
    """Two runs: both frameworks with the defaults, Terraform with the production variables."""
    seconds = {report.seconds for report in checkov_reports.values()}
    assert len(seconds) == 2
    assert sum(seconds) < 240
