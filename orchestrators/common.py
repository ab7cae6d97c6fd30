"""Small deterministic helpers every orchestrator uses."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any, TypeVar

import azure.durable_functions as df
from pydantic import BaseModel, ValidationError

from shared.json_text import decode_json_text
from shared.log_context import bind, describe_instance

M = TypeVar("M", bound=BaseModel)

__all__ = [
    "InvalidOrchestrationInput",
    "decode_json_text",
    "read_input",
    "replay_safe_logger",
    "step_key",
    "workflow_event",
]


class InvalidOrchestrationInput(ValueError):
    """The orchestration was started with input its contract rejects: fail, don't guess."""


def step_key(business_id: str, step: str) -> str:
    """Idempotency key for one side-effecting step of the business object `business_id`.

    Derived from what the instance acts for (an order, a batch, an approval), never from the
    instance id: a restart under a new instance id must find the effects already done.
    """
    return f"{business_id}:{step}"


def read_input(context: df.DurableOrchestrationContext, model: type[M]) -> M:
    """Validate the orchestration input again: starters are not the only way in."""
    raw = context.get_input()
    try:
        return model.model_validate(decode_json_text(raw))
    except ValidationError as exc:
        fields = ", ".join(
            ".".join(str(part) for part in err["loc"]) or "input" for err in exc.errors()
        )
        raise InvalidOrchestrationInput(f"invalid orchestration input ({fields})") from None


class _ReplaySafeAdapter(logging.LoggerAdapter[logging.Logger]):
    """Drops records while the orchestrator replays, so each line is logged once; every line
    carries the instance's workflow fields (`shared.log_context`)."""

    def __init__(self, logger: logging.Logger, context: df.DurableOrchestrationContext) -> None:
        super().__init__(logger, {})
        self._context = context
        self._fields = describe_instance(context.instance_id)

    def isEnabledFor(self, level: int) -> bool:
        return not self._context.is_replaying and self.logger.isEnabledFor(level)

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        return f"[{self._context.instance_id}] {msg}", kwargs

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            with bind(self._fields):
                super().log(level, msg, *args, **kwargs)


def replay_safe_logger(
    context: df.DurableOrchestrationContext, name: str
) -> logging.LoggerAdapter[logging.Logger]:
    return _ReplaySafeAdapter(logging.getLogger(name), context)


def workflow_event(
    context: df.DurableOrchestrationContext, name: str, event: str, **measures: int | str
) -> None:
    """One replay-safe line naming a workflow event with its figures as structured fields.

    Alerts and the workbook query these (`event`, then the measures) for what platform
    telemetry cannot tell: compensations, escalations, fan-out width. Ids and counts only.
    """
    replay_safe_logger(context, name).info(
        "%s %s",
        event,
        " ".join(f"{k}={v}" for k, v in measures.items()),
        extra={"event": event, **measures},
    )
