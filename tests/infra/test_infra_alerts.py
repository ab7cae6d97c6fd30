"""Alerts and the workbook: one definition both trees deploy, about what the app really emits.

The scheduled query alerts and the workbook live as data (infra/monitoring/); each tree loads
the same files, so their parity is by construction and these tests check the rest: the files
are the ones loaded, the queries ask for tables and fields that exist (the app's own events
among them), the metric alert is the same in both trees, and README.md tells an operator what
each alert means and what to do.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from orchestrators.batch import BATCH_FINISHED
from orchestrators.expense_approval import APPROVAL_LAST_STAGE
from orchestrators.order_saga import (
    SAGA_COMPENSATED,
    SAGA_COMPENSATION_FAILED,
    SAGA_RECOVERY_CLOSED,
)
from shared.log_context import LogFields
from tests.infra.bicep_model import BicepFile, as_dict, as_list, bicep_file
from tests.infra.paths import BICEP, INFRA, REPO_ROOT, TERRAFORM
from tests.infra.terraform_model import TerraformTree, block

pytestmark = pytest.mark.infra

MONITORING = INFRA / "monitoring"
ALERTS = json.loads((MONITORING / "alerts.json").read_text(encoding="utf-8"))["alerts"]
WORKBOOK = json.loads((MONITORING / "workbook.json").read_text(encoding="utf-8"))

#: Events the app emits with `workflow_event` (docs/telemetry.md).
APP_EVENTS = {
    SAGA_COMPENSATED,
    SAGA_COMPENSATION_FAILED,
    SAGA_RECOVERY_CLOSED,
    APPROVAL_LAST_STAGE,
    BATCH_FINISHED,
}
#: Fields the app puts on its lines: the workflow fields, the activity boundary's and the events'.
APP_FIELDS = set(LogFields.__dataclass_fields__) | {
    "event",
    "outcome",
    "durationMs",
    "failedStep",
    "compensations",
    "failedCompensations",
    "recoveryRound",
    "stage",
    "deadline",
    "items",
    "processed",
    "failed",
    "chunks",
    "fanOutWidth",
}
#: Fields of the Durable extension's own lines, under their classic and OpenTelemetry names.
HOST_FIELDS = {
    f"{prefix}{name}"
    for prefix in ("", "prop__")
    for name in ("state", "functionType", "functionName", "instanceId")
} | {"Category"}
TABLES = {"AppTraces", "AppRequests", "StorageQueueLogs", "StorageTableLogs", "StorageBlobLogs"}
DURATION = re.compile(r"^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?)?$")


def queries() -> list[tuple[str, str]]:
    found = [(f"alert {a['name']}", a["query"]) for a in ALERTS]
    found += [
        (f"workbook {item['name']}", item["content"]["query"])
        for item in WORKBOOK["items"]
        if item["type"] == 3
    ]
    return found


def _loaded(text: str, pattern: str, base: Path) -> set[Path]:
    return {(base / match).resolve() for match in re.findall(pattern, text)}


def test_both_trees_load_the_same_alert_and_workbook_files() -> None:
    bicep = (BICEP / "modules" / "alerts.bicep").read_text(encoding="utf-8")
    terraform = (TERRAFORM / "alerts.tf").read_text(encoding="utf-8")

    from_bicep = _loaded(bicep, r"load(?:Json|Text)Content\('([^']+)'\)", BICEP / "modules")
    from_terraform = _loaded(terraform, r'file\("\$\{path\.module\}/([^"]+)"\)', TERRAFORM)

    expected = {(MONITORING / "alerts.json").resolve(), (MONITORING / "workbook.json").resolve()}
    assert from_bicep == from_terraform == expected


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: a["name"])
def test_each_alert_is_complete(alert: dict[str, Any]) -> None:
    assert re.fullmatch(r"[a-z0-9-]+", alert["name"])
    assert 0 <= alert["severity"] <= 4
    assert DURATION.match(alert["frequency"])
    assert DURATION.match(alert["window"])
    assert alert["operator"] in {"GreaterThan", "GreaterThanOrEqual", "LessThan"}
    assert alert["measure"] in alert["query"], "the measure column must come from the query"
    assert alert["meaning"]
    assert alert["action"]


@pytest.mark.parametrize(("where", "query"), queries(), ids=lambda v: str(v)[:40])
def test_queries_use_known_tables_and_emitted_fields(where: str, query: str) -> None:
    tables = set(re.findall(r"\b(App\w+|Storage\w+Logs)\b", query))
    properties = set(re.findall(r"Properties\.(\w+)", query))
    events = set(re.findall(r'Properties\.event\)\s*(?:==|in)\s*\(?"([\w.]+)"', query))
    events |= set(re.findall(r'"((?:saga|approval|batch)\.\w+)"', query))

    assert tables <= TABLES, where
    assert properties <= APP_FIELDS | HOST_FIELDS, where
    assert events <= APP_EVENTS, where


def test_the_app_events_the_alerts_count_are_all_queried() -> None:
    queried = " ".join(query for _, query in queries())

    assert {event for event in APP_EVENTS if f'"{event}"' in queried} == APP_EVENTS


def test_the_workbook_filters_by_pattern_instance_and_business_id() -> None:
    (parameters,) = [item for item in WORKBOOK["items"] if item["type"] == 9]
    names = {p["name"] for p in parameters["content"]["parameters"]}

    assert names == {"TimeRange", "Pattern", "InstanceId", "BusinessId"}
    assert WORKBOOK["version"] == "Notebook/1.0"


def test_the_queue_depth_alert_is_the_same_in_both_trees(terraform: TerraformTree) -> None:
    alerts: BicepFile = bicep_file(BICEP, "modules/alerts.bicep")
    bicep = as_dict(alerts.resource("queueDepth").body)
    (criterion,) = as_list(as_dict(as_dict(bicep["properties"])["criteria"])["allOf"])
    bicep_criterion = as_dict(criterion)
    tf = terraform.resource("azurerm_monitor_metric_alert", "task_hub_queue_depth")
    tf_criterion = block(tf, "criteria")

    assert bicep_criterion["metricName"] == tf_criterion["metric_name"]
    assert bicep_criterion["metricNamespace"] == tf_criterion["metric_namespace"]
    assert bicep_criterion["threshold"] == tf_criterion["threshold"]
    assert bicep_criterion["timeAggregation"] == tf_criterion["aggregation"]
    props = as_dict(bicep["properties"])
    assert (props["evaluationFrequency"], props["windowSize"]) == (
        tf["frequency"],
        tf["window_size"],
    )


def test_the_readme_tells_what_each_alert_means_and_what_to_do() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Operating it", 1)[1].split("\n## ", 1)[0]

    missing = [a["title"] for a in ALERTS if a["title"] not in section]
    assert missing == []
    assert "Task hub queue depth" in section
