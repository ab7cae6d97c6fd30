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

from shared import instance_ids


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
    _Kind(instance_ids.ORDER, "saga", "order_fulfillment_saga", "orderId"),
    _Kind(instance_ids.ONBOARDING, "chaining", "customer_onboarding", "onboardingKey"),
    _Kind(instance_ids.APPROVAL, "human-interaction", "expense_approval", "approvalId", True),
    _Kind(instance_ids.HEALTH_MONITOR, "eternal", "health_monitor", "endpoint"),
    _Kind(instance_ids.EXPORT_MONITOR, "monitor", "monitor_export_job", "monitorId"),
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


#: Payload fields that name the instance an activity works for, and how: first match wins.
_INSTANCE_OF: Final[tuple[tuple[str, Callable[[str], str]], ...]] = (
    ("correlationId", str),
    ("orderId", instance_ids.order),
    ("approvalId", str),
    ("onboardingKey", instance_ids.onboarding),
    ("batchId", str),
    ("name", instance_ids.health_monitor),  # a health check names its endpoint
)


def activity_fields(function: str, payload: Any) -> LogFields | None:
    """The fields of an activity call, read from its payload.

    A payload names its instance (`correlationId`), or the business object that instance
    exists for (`orderId`, `approvalId`, `onboardingKey`, `batchId`, a health check's endpoint
    `name`); otherwise its idempotency key (`<instance id>:<step>`, the step never holding a
    colon) does. An export job status check carries only its job id.
    """
    if not isinstance(payload, Mapping):
        return None
    for field, instance_of in _INSTANCE_OF:
        value = payload.get(field)
        if isinstance(value, str) and value:
            return describe_instance(instance_of(value), function)
    key = payload.get("idempotencyKey")
    if isinstance(key, str) and ":" in key:
        return describe_instance(key.rpartition(":")[0], function)
    job = payload.get("jobId")
    if isinstance(job, str) and job:
        return LogFields("", function, "monitor", "jobId", job)
    return None


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
