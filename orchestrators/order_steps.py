"""The order saga's forward steps, each declared once with the compensation that undoes it.

A step says which activity does the work, how its request is built from the order and the
results so far, which compensation undoes it and with what request, and where its output (and
the compensation's) goes in the saga's result. The saga runs `ORDER_STEPS` in order and
undoes them in reverse; adding a step means adding one entry here.

Keys derive from the order id, never from the instance id: the Durable `restart` API starts
the same input under a new instance id, and must find the effects already done.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestrators.common import step_key
from shared import instance_ids
from shared.models.base import Contract
from shared.models.inventory import (
    InventoryRelease,
    InventoryReservation,
    ReleaseInventoryRequest,
    ReserveInventoryRequest,
)
from shared.models.orders.workflow import CompensationName, OrderSagaInput, SagaStep
from shared.models.payments import ChargePaymentRequest, PaymentReceipt, RefundPaymentRequest
from shared.models.shipments import CancelShipmentRequest, CreateShipmentRequest, Shipment

#: What the steps so far produced, by result field (`reservation`, `payment`, ...).
Results = Mapping[str, Any]


def order_key(order_id: str, step: str) -> str:
    """The idempotency key of one of the order's effects: the same for every instance of it."""
    return step_key(instance_ids.order(order_id), step)


@dataclass(frozen=True)
class Compensation:
    """A compensation ready to run: what it undoes, and the request that says exactly what."""

    step: SagaStep
    name: CompensationName
    payload: dict[str, Any]


@dataclass(frozen=True)
class OrderStep:
    """One forward step and its compensation.

    `request(order, key, results)` builds the forward request; `undo(order, request)` builds
    the compensation's request from it, naming the effect it undoes by its fingerprint.
    """

    step: SagaStep
    progress: str
    key: str
    request: Callable[[OrderSagaInput, str, Results], Contract]
    output: Callable[[Any], Contract]
    result_field: str
    compensation: CompensationName
    undo: Callable[[OrderSagaInput, Any], Contract]
    undone: Callable[[Any], Contract]
    undone_field: str

    def compensation_of(self, order: OrderSagaInput, request: Contract) -> Compensation:
        return Compensation(self.step, self.compensation, self.undo(order, request).to_json())


def _reserve(order: OrderSagaInput, key: str, _: Results) -> ReserveInventoryRequest:
    return ReserveInventoryRequest(
        idempotency_key=key,
        order_id=order.order_id,
        items=order.items,
        order_fingerprint=order.fingerprint(),
    )


def _release(order: OrderSagaInput, reserve: ReserveInventoryRequest) -> ReleaseInventoryRequest:
    return ReleaseInventoryRequest(
        idempotency_key=reserve.idempotency_key,
        skus=[item.sku for item in order.items],
        reason=f"order {order.order_id} compensated",
        reservation_fingerprint=reserve.fingerprint(),
    )


def _charge(order: OrderSagaInput, key: str, results: Results) -> ChargePaymentRequest:
    reservation: InventoryReservation = results["reservation"]
    return ChargePaymentRequest(
        idempotency_key=key,
        order_id=order.order_id,
        amount=reservation.total,  # the reserved total, never a recomputation
        order_fingerprint=order.fingerprint(),
    )


def _refund(order: OrderSagaInput, charge: ChargePaymentRequest) -> RefundPaymentRequest:
    return RefundPaymentRequest(
        idempotency_key=charge.idempotency_key,
        order_id=order.order_id,
        charge_fingerprint=charge.fingerprint(),
    )


def _ship(order: OrderSagaInput, key: str, _: Results) -> CreateShipmentRequest:
    return CreateShipmentRequest(
        idempotency_key=key,
        order_id=order.order_id,
        items=order.items,
        order_fingerprint=order.fingerprint(),
    )


def _cancel(order: OrderSagaInput, shipment: CreateShipmentRequest) -> CancelShipmentRequest:
    return CancelShipmentRequest(
        idempotency_key=shipment.idempotency_key,
        order_id=order.order_id,
        shipment_fingerprint=shipment.fingerprint(),
    )


ORDER_STEPS: tuple[OrderStep, ...] = (
    OrderStep(
        step=SagaStep.RESERVE_INVENTORY,
        progress="reserving_inventory",
        key="reserve-inventory",
        request=_reserve,
        output=InventoryReservation.from_json,
        result_field="reservation",
        compensation=CompensationName.RELEASE_INVENTORY,
        undo=_release,
        undone=InventoryRelease.from_json,
        undone_field="release",
    ),
    OrderStep(
        step=SagaStep.CHARGE_PAYMENT,
        progress="charging_payment",
        key="charge-payment",
        request=_charge,
        output=PaymentReceipt.from_json,
        result_field="payment",
        compensation=CompensationName.REFUND_PAYMENT,
        undo=_refund,
        undone=PaymentReceipt.from_json,
        undone_field="payment",  # the receipt, refunded
    ),
    OrderStep(
        step=SagaStep.CREATE_SHIPMENT,
        progress="creating_shipment",
        key="create-shipment",
        request=_ship,
        output=Shipment.from_json,
        result_field="shipment",
        compensation=CompensationName.CANCEL_SHIPMENT,
        undo=_cancel,
        undone=Shipment.from_json,
        undone_field="shipment",  # the shipment, cancelled
    ),
)

STEP_OF_COMPENSATION: Mapping[CompensationName, OrderStep] = {
    step.compensation: step for step in ORDER_STEPS
}
