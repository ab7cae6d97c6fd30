"""Saga with compensation: order fulfilment.

reserve inventory -> charge payment -> create shipment -> send confirmation. The forward path
runs `ORDER_STEPS`; a step that fails for good has the effects so far undone in reverse
(`order_compensation.py`), and compensations that keep failing wait for an operator
(`order_recovery.py`). docs/order-saga.md gives the rules and why.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any, Unpack

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from orchestrators import order_messages
from orchestrators.common import read_input, replay_safe_logger, workflow_event
from orchestrators.notify import SEND_NOTIFICATION, send_notification
from orchestrators.order_compensation import run_compensations, step_failure
from orchestrators.order_messages import Message
from orchestrators.order_recovery import RECORD_ORDER_RECOVERY, Waiting, await_decision
from orchestrators.order_status import ProgressFields, order_progress, order_result, results_of
from orchestrators.order_steps import (
    ORDER_STEPS,
    STEP_OF_COMPENSATION,
    Compensation,
    OrderStep,
    order_key,
)
from orchestrators.retry import (
    StepFailed,
    backoff_of,
    call_activity_with_backoff,
    retry_with_backoff,
)
from shared import instance_ids
from shared.models.notifications import (
    OPERATIONS,
    Audience,
    NotificationKind,
    NotificationReceipt,
    NotificationRequest,
    RecipientRef,
)
from shared.models.orders.recovery import RecoveryRound
from shared.models.orders.workflow import (
    CompensationName,
    CompensationOutcome,
    OrderStatus,
    RecoverableOrderInput,
    RecoveredOrderResult,
    RecoveryAction,
    RecoveryDecisionEvent,
    RecoveryResume,
    SagaStep,
    StepFailure,
)

bp = df.Blueprint()

Steps = Generator[TaskBase, Any, Any]

#: Workflow events (docs/telemetry.md): what the compensation alerts and the recovery backlog
#: count. A saga waiting for operators is one whose last event is `compensation_failed`.
SAGA_COMPENSATED = "saga.compensated"
SAGA_COMPENSATION_FAILED = "saga.compensation_failed"
SAGA_RECOVERY_CLOSED = "saga.recovery_closed"


@bp.orchestration_trigger(context_name="context")
def order_fulfillment_saga(context: df.DurableOrchestrationContext) -> Steps:
    order = read_input(context, RecoverableOrderInput)
    return (yield from _OrderSaga(context, order).run())


class _OrderSaga:
    """One run of the saga; holds what has been done so it can be undone."""

    def __init__(
        self, context: df.DurableOrchestrationContext, order: RecoverableOrderInput
    ) -> None:
        self.context = context
        self.order = order
        self.log = replay_safe_logger(context, __name__)
        self.step_backoff = backoff_of(order.step_retry)
        self.compensation_backoff = backoff_of(order.compensation_retry)
        self.completed: list[SagaStep] = []
        #: Compensations of every step that did (or may have) taken effect, in step order.
        self.to_undo: list[Compensation] = []
        self.result: dict[str, Any] = {}
        self.decisions: list[RecoveryDecisionEvent] = []
        self._customer = RecipientRef(
            audience=Audience.ORDER_CUSTOMER,
            ref=order.order_id,
            details_fingerprint=order.order_fingerprint,
        )

    def key(self, step: str) -> str:
        return order_key(self.order.order_id, step)

    @property
    def correlation_id(self) -> str:
        """The order's outbox partition: the same for every instance of the order, so a
        restart under a new instance id finds its notifications already written."""
        return instance_ids.order(self.order.order_id)

    # --- the forward path --------------------------------------------------------------

    def run(self) -> Steps:
        if self.order.resume is not None:
            return (yield from self._resume(self.order.resume))
        try:
            for step in ORDER_STEPS:
                yield from self._forward(step)
        except StepFailed as failed:
            return (yield from self._compensate(failed))
        return (yield from self._confirm())

    def _forward(self, step: OrderStep) -> Steps:
        self._progress(step.progress)
        context = self.context
        request = step.request(self.order, self.key(step.key), self.result)
        payload = request.to_json()
        undo = step.compensation_of(self.order, request)
        try:
            output = yield from retry_with_backoff(
                context,
                lambda: context.call_activity(step.step.value, payload),
                step.step.value,
                self.step_backoff,
            )
        except StepFailed as failed:
            if not failed.failure.is_permanent:
                self.to_undo.append(undo)  # outcome unknown: undo whatever may have happened
            raise
        self.completed.append(step.step)
        self.to_undo.append(undo)
        self.result[step.result_field] = step.output(output)

    def _confirm(self) -> Steps:
        """Past the pivot: a confirmation failure is reported, never compensated."""
        order, context = self.order, self.context
        self._progress("sending_confirmation")
        message = order_messages.confirmation(
            order.order_id, self.result["reservation"].total, self.result["shipment"]
        )
        request = self._to_customer(NotificationKind.ORDER_CONFIRMATION, message).to_json()
        try:
            self.result["confirmation"] = NotificationReceipt.from_json(
                (
                    yield from call_activity_with_backoff(
                        context, SEND_NOTIFICATION, request, self.step_backoff
                    )
                )
            )
            self.completed.append(SagaStep.SEND_CONFIRMATION)
        except StepFailed as failed:
            self.log.warning("order %s shipped but not confirmed: %s", order.order_id, failed)
            self.result["confirmation_failure"] = step_failure(failed)
            self.result["operations_alerted"] = yield from self._alert_operations(
                order_messages.confirmation_alert(order.order_id, context.instance_id, failed)
            )
        self._progress("completed", status=OrderStatus.COMPLETED)
        return self._output(OrderStatus.COMPLETED)

    # --- the way back ----------------------------------------------------------------

    def _compensate(self, failed: StepFailed) -> Steps:
        failure = step_failure(failed)
        failed_step = SagaStep(failed.step)
        self.result["failure"] = failure
        self.log.warning("order %s failed at %s; compensating", self.order.order_id, failed)
        outcomes = yield from self._run_compensations(failed_step, list(reversed(self.to_undo)))
        self.result["compensations"] = outcomes
        broken = [outcome for outcome in outcomes if not outcome.succeeded]
        self.result["failed_compensations"] = broken
        self._progress(
            "notifying_customer",
            failed_step=failed_step,
            failed_compensations=[o.compensation for o in broken],
        )
        self.result["customer_notified"] = yield from self._tell_customer(failure, outcomes)
        if not broken:
            workflow_event(self.context, __name__, SAGA_COMPENSATED, failedStep=failed_step.value)
            self._progress("compensated", status=OrderStatus.COMPENSATED, failed_step=failed_step)
            return self._output(OrderStatus.COMPENSATED)
        return (yield from self._recover(failed_step, broken))

    def _run_compensations(
        self, failed_step: SagaStep, compensations: list[Compensation]
    ) -> Generator[TaskBase, Any, list[CompensationOutcome]]:
        def show(running: Compensation, outcomes: list[CompensationOutcome]) -> None:
            self._progress(
                "compensating",
                failed_step=failed_step,
                compensating=running.name,
                failed_compensations=[o.compensation for o in outcomes if not o.succeeded],
            )

        return (
            yield from run_compensations(
                self.context, compensations, self.compensation_backoff, show, self._record_undone
            )
        )

    def _record_undone(self, name: CompensationName, output: Any) -> None:
        """Show the state after undoing (refunded payment, cancelled shipment, release)."""
        step = STEP_OF_COMPENSATION[name]
        self.result[step.undone_field] = step.undone(output)

    # --- manual recovery -------------------------------------------------------------

    def _recover(
        self,
        failed_step: SagaStep,
        broken: list[CompensationOutcome],
        resumed: Waiting | None = None,
    ) -> Steps:
        """Wait for operators until every unresolved compensation is undone or resolved.

        `resumed` is the round already announced by an earlier generation (continue-as-new).
        """
        waiting = resumed
        while True:
            if waiting is None:
                round_number = len(self.decisions) + 1  # each earlier round was decided
                waiting = Waiting(
                    self.order.order_id, round_number, self.context.current_utc_datetime
                )
                yield from self._announce_round(failed_step, broken, waiting)
            decision = yield from self._await(failed_step, broken, waiting)
            if decision is None:
                return None  # continued as new
            self.decisions.append(decision)
            if decision.action is RecoveryAction.RESOLVE:
                self._close_recovery(OrderStatus.RESOLVED_BY_HAND, waiting.round)
                self._progress(
                    "resolved_by_hand",
                    status=OrderStatus.RESOLVED_BY_HAND,
                    failed_step=failed_step,
                    failed_compensations=[o.compensation for o in broken],
                )
                return self._output(OrderStatus.RESOLVED_BY_HAND)
            retried = yield from self._run_compensations(
                failed_step, [self._compensation(o.compensation) for o in broken]
            )
            self.result["compensations"] = [*self.result["compensations"], *retried]
            broken = [outcome for outcome in retried if not outcome.succeeded]
            self.result["failed_compensations"] = broken
            if not broken:
                self._close_recovery(OrderStatus.COMPENSATED, waiting.round)
                self._progress(
                    "compensated", status=OrderStatus.COMPENSATED, failed_step=failed_step
                )
                return self._output(OrderStatus.COMPENSATED)
            waiting = None

    def _close_recovery(self, status: OrderStatus, round_number: int) -> None:
        workflow_event(
            self.context,
            __name__,
            SAGA_RECOVERY_CLOSED,
            outcome=status.value,
            recoveryRound=round_number,
        )

    def _resume(self, resume: RecoveryResume) -> Steps:
        """A generation continued as new while waiting: go on waiting where it stood."""
        result = resume.result
        self.completed = list(result.completed_steps)
        self.decisions = list(result.recovery_decisions)
        self.result = results_of(result)
        waiting = Waiting(
            self.order.order_id, resume.round, resume.awaiting_since, resume.reminders_sent
        )
        return (yield from self._recover(resume.failed_step, resume.unresolved, waiting))

    def _await(
        self, failed_step: SagaStep, broken: list[CompensationOutcome], waiting: Waiting
    ) -> Generator[TaskBase, Any, RecoveryDecisionEvent | None]:
        """The operator's decision, or None once the saga continued as new to wait on."""

        def show(next_reminder: datetime) -> None:
            self._progress(
                "awaiting_recovery",
                status=OrderStatus.AWAITING_RECOVERY,
                failed_step=failed_step,
                failed_compensations=[o.compensation for o in broken],
                recovery_round=waiting.round,
                awaiting_since=waiting.since,
                next_reminder=next_reminder,
            )

        outcome = yield from await_decision(
            self.context,
            waiting,
            timedelta(seconds=self.order.recovery_reminder_seconds),
            show,
            lambda n: self._remind(failed_step, broken, waiting.round, n),
        )
        if isinstance(outcome, RecoveryDecisionEvent):
            return outcome
        self.context.continue_as_new(
            self.order.model_copy(
                update={
                    "resume": RecoveryResume(
                        round=outcome.round,
                        reminders_sent=outcome.reminders_sent,
                        failed_step=failed_step,
                        unresolved=broken,
                        awaiting_since=outcome.since,
                        result=self._result(OrderStatus.AWAITING_RECOVERY),
                    )
                }
            ).to_json()
        )
        return None

    def _compensation(self, name: CompensationName) -> Compensation:
        """A compensation rebuilt from the step table (the same request every time)."""
        step = STEP_OF_COMPENSATION[name]
        return step.compensation_of(
            self.order, step.request(self.order, self.key(step.key), self.result)
        )

    def _announce_round(
        self, failed_step: SagaStep, broken: list[CompensationOutcome], waiting: Waiting
    ) -> Steps:
        """Record what is unresolved for operators, and alert them."""
        order, context = self.order, self.context
        round_number, since = waiting.round, waiting.since
        workflow_event(
            context,
            __name__,
            SAGA_COMPENSATION_FAILED,
            failedStep=failed_step.value,
            failedCompensations=len(broken),
            recoveryRound=round_number,
        )
        record = RecoveryRound(
            order_id=order.order_id,
            instance_id=context.instance_id,
            round=round_number,
            failed_step=failed_step,
            unresolved=broken,
            awaiting_since=since,
        )
        try:
            yield from call_activity_with_backoff(
                context, RECORD_ORDER_RECOVERY, record.to_json(), self.compensation_backoff
            )
        except StepFailed as failed:  # the alert and the custom status still say it all
            self.log.error("order %s: recovery round not recorded: %s", order.order_id, failed)
        self.result["operations_alerted"] = yield from self._alert_operations(
            order_messages.recovery_alert(
                order.order_id,
                context.instance_id,
                failed_step,
                self.result["failure"],
                broken,
                self.result["customer_notified"],
                round_number,
            )
        )

    def _remind(
        self,
        failed_step: SagaStep,
        broken: list[CompensationOutcome],
        round_number: int,
        reminder: int,
    ) -> Generator[TaskBase, Any, bool]:
        message = order_messages.recovery_reminder(
            self.order.order_id,
            self.context.instance_id,
            failed_step,
            broken,
            round_number,
            reminder,
        )
        return (yield from self._alert_operations(message))

    def _tell_customer(
        self, failure: StepFailure, compensations: list[CompensationOutcome]
    ) -> Generator[TaskBase, Any, bool]:
        """Tell the customer the order was cancelled; whether that worked goes in the output."""
        message = order_messages.cancellation(
            self.order.order_id, failure, compensations, self.result.get("payment")
        )
        request = self._to_customer(NotificationKind.ORDER_CANCELLED, message)
        delivery = yield from send_notification(self.context, request, self.compensation_backoff)
        return delivery.sent

    def _alert_operations(self, message: Message) -> Generator[TaskBase, Any, bool]:
        """Write an operations alert; whether it was written is part of the saga's output."""
        request = NotificationRequest(
            idempotency_key=self.key(message.key),
            correlation_id=self.correlation_id,
            kind=NotificationKind.OPERATIONS_ALERT,
            to=OPERATIONS,
            subject=message.subject[:200],
            body=message.body[:4000],
            data=message.data,
        )
        delivery = yield from send_notification(self.context, request, self.compensation_backoff)
        return delivery.sent

    def _to_customer(self, kind: NotificationKind, message: Message) -> NotificationRequest:
        return NotificationRequest(
            idempotency_key=self.key(message.key),
            correlation_id=self.correlation_id,
            kind=kind,
            to=self._customer,
            subject=message.subject,
            body=message.body,
            data=message.data,
        )

    # --- reporting ---------------------------------------------------------------------

    def _progress(self, step: str, **fields: Unpack[ProgressFields]) -> None:
        """Publish where the saga stands."""
        self.context.set_custom_status(order_progress(self.order.order_id, step, **fields))

    def _result(self, status: OrderStatus) -> RecoveredOrderResult:
        return order_result(
            self.order.order_id, status, self.completed, self.decisions, self.result
        )

    def _output(self, status: OrderStatus) -> dict[str, Any]:
        return self._result(status).to_json()
