"""Saga with compensation: order fulfilment.

reserve inventory -> charge payment -> create shipment -> send confirmation.

Rules this orchestration follows, and why:
- Each forward step retries transient failures with exponential backoff (durable timers) and
  never retries permanent ones; when a step fails for good, the completed steps are undone in
  reverse order: cancel shipment, refund payment, release inventory.
- A permanent failure means the activity guarantees it left no effect (the inventory
  activity releases SKUs it had reserved before finding one short), so that step is not
  compensated. A step that exhausted its retries on *transient* failures has an unknown
  outcome (a timeout may hide a charge that went through), so it is compensated too;
  compensations are idempotent and leave a tombstone when there was nothing to undo.
- Every compensation gets its own backoff retries. One that still fails does not stop the
  others (a stuck refund must not keep stock reserved); the saga then ends
  `compensation_failed`, names the failed compensations in its output and custom status,
  and writes an operations alert.
- A cancelled order (compensated or compensation_failed) is announced to the customer once
  the compensations have run (`order_cancelled`): a customer-friendly reason (never the
  internal error text) and where their money stands, saying "refunded" only when the refund
  succeeded. It is retried like a compensation; if it still cannot be written the output
  says `customerNotified: false` and the operations alert (if any) says so, but the status
  stays what the compensations made it.
- Shipping is the pivot: once the shipment exists the order is fulfilled. A confirmation
  e-mail that cannot be sent does not refund a shipped order; the order completes, the
  output records the failure and operations are alerted to resend it.
- The input holds references only (order id, lines, the fingerprint of the order's stored
  details): the customer's e-mail, address and payment token are read by the activities
  from the order's stored details, and notifications name their recipient by reference, so
  no history, status or output holds personal data.
- Step keys derive from the instance id, which comes back when a purged order is posted
  again. So every step's request carries the order's fingerprint
  (`OrderDetails.fingerprint()`), and a store whose key holds another order's effect
  refuses with a permanent `conflict` naming the key: the new order compensates what it did
  itself and ends `compensated` with that conflict as its failure; it never takes the
  earlier order's charge, shipment or stock as its own. Each compensation names the forward
  request it undoes by that request's fingerprint, so it never undoes another order's effect
  either: one that finds such an effect under its key leaves it and fails (`conflict`), which
  ends the saga `compensation_failed` so that a human looks.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from orchestrators.common import read_input, replay_safe_logger, step_key
from orchestrators.notify import SEND_NOTIFICATION, send_notification
from orchestrators.order_cancellation import (
    cancellation_notice,
    cancellation_reason,
    customer_payment,
)
from orchestrators.retry import Backoff, StepFailed, retry_with_backoff
from shared.models.inventory import (
    InventoryRelease,
    InventoryReservation,
    ReleaseInventoryRequest,
    ReserveInventoryRequest,
)
from shared.models.notifications import (
    OPERATIONS,
    Audience,
    NotificationKind,
    NotificationReceipt,
    NotificationRequest,
    RecipientRef,
)
from shared.models.orders.workflow import (
    CompensationName,
    CompensationOutcome,
    OrderProgress,
    OrderSagaInput,
    OrderSagaResult,
    OrderStatus,
    RetryPolicy,
    SagaStep,
    StepFailure,
)
from shared.models.payments import ChargePaymentRequest, PaymentReceipt, RefundPaymentRequest
from shared.models.shipments import CancelShipmentRequest, CreateShipmentRequest, Shipment

bp = df.Blueprint()

Steps = Generator[TaskBase, Any, Any]

#: Idempotency-key suffixes, one per side effect. A compensation reuses its step's key: it
#: names the effect to undo.
RESERVE_KEY = "reserve-inventory"
CHARGE_KEY = "charge-payment"
SHIPMENT_KEY = "create-shipment"
CONFIRMATION_KEY = "confirmation"
COMPENSATION_ALERT_KEY = "operations-alert"
CANCELLATION_KEY = "cancellation-notice"
CONFIRMATION_ALERT_KEY = "confirmation-alert"


@dataclass(frozen=True)
class _Compensation:
    step: SagaStep
    name: CompensationName
    payload: dict[str, Any]


@bp.orchestration_trigger(context_name="context")
def order_fulfillment_saga(context: df.DurableOrchestrationContext) -> Steps:
    order = read_input(context, OrderSagaInput)
    return (yield from _OrderSaga(context, order).run())


def backoff_of(policy: RetryPolicy) -> Backoff:
    return Backoff(
        max_attempts=policy.max_attempts,
        first_delay=policy.first_delay,
        multiplier=policy.multiplier,
        max_delay=policy.max_delay,
    )


def _failure(failed: StepFailed) -> StepFailure:
    return StepFailure(
        step=failed.step,
        kind=failed.failure.kind,
        code=failed.failure.code,
        message=failed.failure.message,
        attempts=failed.attempts,
    )


class _OrderSaga:
    """One run of the saga; holds what has been done so it can be undone."""

    def __init__(self, context: df.DurableOrchestrationContext, order: OrderSagaInput) -> None:
        self.context = context
        self.order = order
        self.log = replay_safe_logger(context, __name__)
        self.step_backoff = backoff_of(order.step_retry)
        self.compensation_backoff = backoff_of(order.compensation_retry)
        self.completed: list[SagaStep] = []
        #: Compensations of every step that did (or may have) taken effect, in step order.
        self.to_undo: list[_Compensation] = []
        self.result: dict[str, Any] = {}
        self._customer = RecipientRef(
            audience=Audience.ORDER_CUSTOMER,
            ref=order.order_id,
            details_fingerprint=order.order_fingerprint,
        )

    # --- the forward path --------------------------------------------------------------

    def run(self) -> Steps:
        order, context = self.order, self.context
        reserve_key = step_key(context.instance_id, RESERVE_KEY)
        charge_key = step_key(context.instance_id, CHARGE_KEY)
        shipment_key = step_key(context.instance_id, SHIPMENT_KEY)
        order_fingerprint = order.fingerprint()
        try:
            self._progress("reserving_inventory")
            reserve = ReserveInventoryRequest(
                idempotency_key=reserve_key,
                order_id=order.order_id,
                items=order.items,
                order_fingerprint=order_fingerprint,
            )
            reservation = InventoryReservation.from_json(
                (
                    yield from self._forward(
                        SagaStep.RESERVE_INVENTORY,
                        reserve.to_json(),
                        _Compensation(
                            SagaStep.RESERVE_INVENTORY,
                            CompensationName.RELEASE_INVENTORY,
                            ReleaseInventoryRequest(
                                idempotency_key=reserve_key,
                                skus=[item.sku for item in order.items],
                                reason=f"order {order.order_id} compensated",
                                reservation_fingerprint=reserve.fingerprint(),
                            ).to_json(),
                        ),
                    )
                )
            )
            self.result["reservation"] = reservation
            self.result["total"] = reservation.total

            self._progress("charging_payment")
            charge = ChargePaymentRequest(
                idempotency_key=charge_key,
                order_id=order.order_id,
                amount=reservation.total,
                order_fingerprint=order_fingerprint,
            )
            self.result["payment"] = PaymentReceipt.from_json(
                (
                    yield from self._forward(
                        SagaStep.CHARGE_PAYMENT,
                        charge.to_json(),
                        _Compensation(
                            SagaStep.CHARGE_PAYMENT,
                            CompensationName.REFUND_PAYMENT,
                            RefundPaymentRequest(
                                idempotency_key=charge_key,
                                order_id=order.order_id,
                                charge_fingerprint=charge.fingerprint(),
                            ).to_json(),
                        ),
                    )
                )
            )

            self._progress("creating_shipment")
            shipment = CreateShipmentRequest(
                idempotency_key=shipment_key,
                order_id=order.order_id,
                items=order.items,
                order_fingerprint=order_fingerprint,
            )
            self.result["shipment"] = Shipment.from_json(
                (
                    yield from self._forward(
                        SagaStep.CREATE_SHIPMENT,
                        shipment.to_json(),
                        _Compensation(
                            SagaStep.CREATE_SHIPMENT,
                            CompensationName.CANCEL_SHIPMENT,
                            CancelShipmentRequest(
                                idempotency_key=shipment_key,
                                order_id=order.order_id,
                                shipment_fingerprint=shipment.fingerprint(),
                            ).to_json(),
                        ),
                    )
                )
            )
        except StepFailed as failed:
            return (yield from self._compensate(failed))
        return (yield from self._confirm())

    def _forward(self, step: SagaStep, payload: dict[str, Any], undo: _Compensation) -> Steps:
        context = self.context
        try:
            result = yield from retry_with_backoff(
                context,
                lambda: context.call_activity(step.value, payload),
                step.value,
                self.step_backoff,
            )
        except StepFailed as failed:
            if not failed.failure.is_permanent:
                self.to_undo.append(undo)  # outcome unknown: undo whatever may have happened
            raise
        self.completed.append(step)
        self.to_undo.append(undo)
        return result

    def _confirm(self) -> Steps:
        """Past the pivot: a confirmation failure is reported, never compensated."""
        order, context = self.order, self.context
        self._progress("sending_confirmation")
        shipment: Shipment = self.result["shipment"]
        request = NotificationRequest(
            idempotency_key=step_key(context.instance_id, CONFIRMATION_KEY),
            correlation_id=context.instance_id,
            kind=NotificationKind.ORDER_CONFIRMATION,
            to=self._customer,
            subject=f"Your order {order.order_id} is on its way",
            body=(
                f"We charged {self.result['total']} and shipped your order with "
                f"{shipment.carrier}, tracking number {shipment.tracking_number}."
            ),
            data={
                "orderId": order.order_id,
                "total": str(self.result["total"]),
                "shipmentId": shipment.shipment_id,
                "trackingNumber": shipment.tracking_number,
            },
        ).to_json()
        try:
            self.result["confirmation"] = NotificationReceipt.from_json(
                (
                    yield from retry_with_backoff(
                        context,
                        lambda: context.call_activity(SEND_NOTIFICATION, request),
                        SagaStep.SEND_CONFIRMATION.value,
                        self.step_backoff,
                    )
                )
            )
            self.completed.append(SagaStep.SEND_CONFIRMATION)
        except StepFailed as failed:
            self.log.warning("order %s shipped but not confirmed: %s", order.order_id, failed)
            self.result["confirmation_failure"] = _failure(failed)
            self.result["operations_alerted"] = yield from self._alert_operations(
                CONFIRMATION_ALERT_KEY,
                f"Order {order.order_id} shipped without a confirmation",
                f"The confirmation of order {order.order_id} could not be sent: {failed}",
                {"orderId": order.order_id, "instanceId": context.instance_id},
            )
        self._progress("completed", status=OrderStatus.COMPLETED)
        return self._output(OrderStatus.COMPLETED)

    # --- the way back ----------------------------------------------------------------

    def _compensate(self, failed: StepFailed) -> Steps:
        failure = _failure(failed)
        failed_step = SagaStep(failed.step)
        self.result["failure"] = failure
        self.log.warning("order %s failed at %s; compensating", self.order.order_id, failed)
        outcomes: list[CompensationOutcome] = []
        for undo in reversed(self.to_undo):
            self._progress(
                "compensating",
                failed_step=failed_step,
                compensating=undo.name,
                failed_compensations=[o.compensation for o in outcomes if not o.succeeded],
            )
            outcomes.append((yield from self._undo(undo)))
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
            self._progress("compensated", status=OrderStatus.COMPENSATED, failed_step=failed_step)
            return self._output(OrderStatus.COMPENSATED)

        names = [outcome.compensation for outcome in broken]
        self.result["operations_alerted"] = yield from self._alert_operations(
            COMPENSATION_ALERT_KEY,
            f"Order {self.order.order_id} needs manual compensation",
            (
                f"The order failed at {failed_step.value} ({failure.code}: {failure.message}). "
                f"These compensations kept failing: {', '.join(names)}."
            ),
            {
                "orderId": self.order.order_id,
                "instanceId": self.context.instance_id,
                "failedStep": failed_step.value,
                "failedCompensations": [name.value for name in names],
                "failures": [o.failure.to_json() for o in broken if o.failure is not None],
                "customerNotified": self.result["customer_notified"],
            },
        )
        self._progress(
            "compensation_failed",
            status=OrderStatus.COMPENSATION_FAILED,
            failed_step=failed_step,
            failed_compensations=names,
        )
        return self._output(OrderStatus.COMPENSATION_FAILED)

    def _undo(self, undo: _Compensation) -> Steps:
        context = self.context
        try:
            output = yield from retry_with_backoff(
                context,
                lambda: context.call_activity(undo.name.value, undo.payload),
                undo.name.value,
                self.compensation_backoff,
            )
        except StepFailed as failed:
            self.log.error("compensation %s kept failing: %s", undo.name.value, failed)
            return CompensationOutcome(
                step=undo.step, compensation=undo.name, succeeded=False, failure=_failure(failed)
            )
        self._record_undone(undo.name, output)
        return CompensationOutcome(step=undo.step, compensation=undo.name, succeeded=True)

    def _record_undone(self, name: CompensationName, output: Any) -> None:
        """Show the state after undoing (refunded payment, cancelled shipment, release)."""
        if name is CompensationName.RELEASE_INVENTORY:
            self.result["release"] = InventoryRelease.from_json(output)
        elif name is CompensationName.REFUND_PAYMENT:
            self.result["payment"] = PaymentReceipt.from_json(output)
        else:
            self.result["shipment"] = Shipment.from_json(output)

    def _tell_customer(
        self, failure: StepFailure, compensations: list[CompensationOutcome]
    ) -> Generator[TaskBase, Any, bool]:
        """Tell the customer the order was cancelled; whether that worked goes in the output."""
        order, context = self.order, self.context
        payment: PaymentReceipt | None = self.result.get("payment")
        notice = cancellation_notice(
            order.order_id,
            cancellation_reason(failure),
            customer_payment(compensations, payment),
            payment,
        )
        request = NotificationRequest(
            idempotency_key=step_key(context.instance_id, CANCELLATION_KEY),
            correlation_id=context.instance_id,
            kind=NotificationKind.ORDER_CANCELLED,
            to=self._customer,
            subject=notice.subject,
            body=notice.body,
            data=notice.data,
        )
        return (yield from send_notification(context, request, self.compensation_backoff)).sent

    def _alert_operations(
        self, key: str, subject: str, body: str, data: dict[str, Any]
    ) -> Generator[TaskBase, Any, bool]:
        """Write an operations alert; whether it was written is part of the saga's output."""
        context = self.context
        request = NotificationRequest(
            idempotency_key=step_key(context.instance_id, key),
            correlation_id=context.instance_id,
            kind=NotificationKind.OPERATIONS_ALERT,
            to=OPERATIONS,
            subject=subject[:200],
            body=body[:4000],
            data=data,
        )
        return (yield from send_notification(context, request, self.compensation_backoff)).sent

    # --- reporting ---------------------------------------------------------------------

    def _progress(
        self,
        step: str,
        *,
        status: OrderStatus | None = None,
        failed_step: SagaStep | None = None,
        compensating: CompensationName | None = None,
        failed_compensations: list[CompensationName] | None = None,
    ) -> None:
        self.context.set_custom_status(
            OrderProgress(
                order_id=self.order.order_id,
                step=step,
                status=status.value if status else "running",
                failed_step=failed_step,
                compensating=compensating,
                failed_compensations=failed_compensations or [],
            ).to_json()
        )

    def _output(self, status: OrderStatus) -> dict[str, Any]:
        return OrderSagaResult(
            order_id=self.order.order_id,
            status=status,
            completed_steps=self.completed,
            **self.result,
        ).to_json()
