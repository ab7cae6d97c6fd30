"""Running an order's compensations: each with its own backoff, none stopping the others.

A compensation that still fails after its retries does not stop the ones after it (a stuck
refund must not keep stock reserved); its outcome says why it failed, and the saga decides
what follows (docs/order-recovery.md). Deterministic: durable tasks only.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from orchestrators.common import replay_safe_logger
from orchestrators.order_steps import Compensation
from orchestrators.retry import Backoff, StepFailed, retry_with_backoff
from shared.models.orders.workflow import CompensationName, CompensationOutcome, StepFailure

#: Told before each compensation runs: it, and the outcomes so far (for the custom status).
OnCompensating = Callable[[Compensation, list[CompensationOutcome]], None]
#: Told the output of each compensation that succeeded (the refunded receipt, ...).
OnUndone = Callable[[CompensationName, Any], None]


def step_failure(failed: StepFailed) -> StepFailure:
    """The contract form of a step (or compensation) that failed for good."""
    return StepFailure(
        step=failed.step,
        kind=failed.failure.kind,
        code=failed.failure.code,
        message=failed.failure.message,
        attempts=failed.attempts,
    )


def run_compensations(
    context: df.DurableOrchestrationContext,
    compensations: Sequence[Compensation],
    backoff: Backoff,
    on_compensating: OnCompensating,
    on_undone: OnUndone,
) -> Generator[TaskBase, Any, list[CompensationOutcome]]:
    """Run `compensations` in the order given (the caller passes them last step first)."""
    outcomes: list[CompensationOutcome] = []
    for compensation in compensations:
        on_compensating(compensation, outcomes)
        outcomes.append((yield from _undo(context, compensation, backoff, on_undone)))
    return outcomes


def _undo(
    context: df.DurableOrchestrationContext,
    undo: Compensation,
    backoff: Backoff,
    on_undone: OnUndone,
) -> Generator[TaskBase, Any, CompensationOutcome]:
    try:
        output = yield from retry_with_backoff(
            context,
            lambda: context.call_activity(undo.name.value, undo.payload),
            undo.name.value,
            backoff,
        )
    except StepFailed as failed:
        replay_safe_logger(context, __name__).error(
            "compensation %s kept failing: %s", undo.name.value, failed
        )
        return CompensationOutcome(
            step=undo.step, compensation=undo.name, succeeded=False, failure=step_failure(failed)
        )
    on_undone(undo.name, output)
    return CompensationOutcome(step=undo.step, compensation=undo.name, succeeded=True)
