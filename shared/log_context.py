"""Structured fields on every log line of a workflow: instance, function, pattern, business id.

One context variable holds the fields of the work running now. `bind` sets it (the activity
boundary through `activity_scope`, orchestrators through `orchestrators.common`), and a log
record factory copies it onto every record, so any logger, ours or a library's, emits
`instanceId`, `function`, `pattern`, `businessKind` and `businessId` as attributes: Application
Insights shows them as custom dimensions, OTLP backends as log attributes.

Only identifiers go here: the business id is an order id, a batch id, an approval id, an
onboarding key (a hash, never the e-mail), a monitor or endpoint name.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Final

from shared.models.approvals import APPROVAL_INSTANCE_PREFIX
from shared.models.customers import ONBOARDING_PREFIX
from shared.models.health_monitors import HEALTH_MONITOR_INSTANCE_PREFIX
from shared.models.orders import INSTANCE_PREFIX as ORDER_PREFIX


@dataclass(frozen=True)
class LogFields:
    """The searchable fields of one unit of work (names as they appear in telemetry)."""

    instanceId: str
    function: str
    pattern: str
    businessKind: str
    businessId: str

    def as_attributes(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class _Kind:
    prefix: str
    pattern: str
    orchestrator: str
    business_kind: str
    #: The business id is the instance id itself (approvals) rather than what follows the prefix.
    whole_id: bool = False


#: Instance-id prefixes, most specific first; an id matching none is a batch (its id is free).
_KINDS: Final = (
    _Kind(ORDER_PREFIX, "saga", "order_fulfillment_saga", "orderId"),
    _Kind(ONBOARDING_PREFIX, "chaining", "customer_onboarding", "onboardingKey"),
    _Kind(APPROVAL_INSTANCE_PREFIX, "human-interaction", "expense_approval", "approvalId", True),
    _Kind(HEALTH_MONITOR_INSTANCE_PREFIX, "eternal", "health_monitor", "endpoint"),
    _Kind("monitor-", "monitor", "monitor_export_job", "monitorId"),
)
_BATCH = _Kind("", "fan-out-fan-in", "process_batch", "batchId")
_CHUNK_MARK = ":chunk-"
_CHUNK_ORCHESTRATOR = "process_batch_chunk"

_current: contextvars.ContextVar[LogFields | None] = contextvars.ContextVar(
    "workflow_log_fields", default=None
)


def describe_instance(instance_id: str, function: str | None = None) -> LogFields:
    """The fields of the workflow an instance id belongs to (ids are minted by pattern)."""
    kind = next((k for k in _KINDS if instance_id.startswith(k.prefix)), _BATCH)
    if kind is _BATCH:
        business_id = instance_id.split(_CHUNK_MARK, 1)[0]
        orchestrator = _CHUNK_ORCHESTRATOR if _CHUNK_MARK in instance_id else kind.orchestrator
    else:
        business_id = instance_id if kind.whole_id else instance_id[len(kind.prefix) :]
        orchestrator = kind.orchestrator
    return LogFields(
        instanceId=instance_id,
        function=function or orchestrator,
        pattern=kind.pattern,
        businessKind=kind.business_kind,
        businessId=business_id,
    )


def current() -> LogFields | None:
    """The fields bound to the work running now, if any."""
    return _current.get()


@contextmanager
def bind(fields: LogFields) -> Iterator[LogFields]:
    """Every record logged inside carries `fields` (threads and tasks each see their own)."""
    token = _current.set(fields)
    try:
        yield fields
    finally:
        _current.reset(token)


def activity_fields(function: str, payload: Any) -> LogFields | None:
    """The fields of an activity call, read from its payload's correlation keys.

    Activities are keyed by `<instance id>:<step>` (`orchestrators.common.step_key`, whose
    steps never contain a colon) or name their instance as `correlationId`; a payload with
    neither (a bare item price) is attributed to its `batchId` when it has one.
    """
    if not isinstance(payload, Mapping):
        return None
    correlation = payload.get("correlationId")
    key = payload.get("idempotencyKey")
    if isinstance(correlation, str) and correlation:
        instance_id = correlation
    elif isinstance(key, str) and ":" in key:
        instance_id = key.rpartition(":")[0]
    elif isinstance(payload.get("batchId"), str):
        instance_id = str(payload["batchId"])
    else:
        return None
    return describe_instance(instance_id, function)


@contextmanager
def activity_scope(function: str, payload: Any) -> Iterator[LogFields | None]:
    """The activity boundary's hook: binds the call's fields while the activity runs."""
    fields = activity_fields(function, payload)
    if fields is None:
        yield None
        return
    with bind(fields):
        yield fields


def _record_factory(
    previous: Callable[..., logging.LogRecord],
) -> Callable[..., logging.LogRecord]:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        fields = _current.get()
        if fields is not None:
            for name, value in fields.as_attributes().items():
                setattr(record, name, value)
        return record

    make._workflow_fields = True  # type: ignore[attr-defined]
    return make


def install() -> None:
    """Make every log record carry the bound fields (idempotent).

    The fields are set when the record is made, so passing one of their names in `extra`
    is an error (`logging` refuses to overwrite): bind instead.
    """
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "_workflow_fields", False):
        logging.setLogRecordFactory(_record_factory(factory))
