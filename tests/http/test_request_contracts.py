"""Every request body's numbers are JSON numbers: `true`, `"5"` or `2.0` never become a count.

Pydantic's lax mode turns `true` into 1 for `int` and `float` fields, and `"5"` or `5.0` into 5
for `int` fields: `{"quantity": true}` would stock one unit, `intervalSeconds: true` start a
health monitor that checks every second and `stageTimeoutHours: true` make a one-hour
approval stage. Body numbers are therefore strict; query parameters, which are always
strings, are not (they are not request bodies).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, Strict, ValidationError

import function_app  # noqa: F401  (imports every api module, filling OPERATIONS)
from api.routing import OPERATIONS
from shared.models.approvals.http import ApprovalRequest
from shared.models.batches.items import PriceUpdate
from shared.models.health_monitors.http import HealthMonitorRequest
from shared.models.inventory import InventoryUpdate
from shared.models.orders.http import OrderRequest

REQUEST_MODELS = sorted(
    {op.request for op in OPERATIONS.values() if op.request is not None}, key=lambda m: m.__name__
)


def _numbers(annotation: Any, strict: bool, path: str) -> Iterator[tuple[str, bool]]:
    """(path, is strict) for every int or float the annotation can hold, models included."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        strict = strict or any(isinstance(extra, Strict) and extra.strict for extra in extras)
        yield from _numbers(base, strict, path)
    elif origin in (typing.Union, types.UnionType, list, tuple, dict):
        for arg in typing.get_args(annotation):
            yield from _numbers(arg, strict, path)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from _fields(annotation, path)
    elif annotation in (int, float):
        yield path, strict


def _fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, bool]]:
    for name, field in model.model_fields.items():
        strict = any(isinstance(meta, Strict) and meta.strict for meta in field.metadata)
        yield from _numbers(field.annotation, strict, f"{prefix}{field.alias or name}.")


@pytest.mark.parametrize("model", REQUEST_MODELS, ids=lambda m: m.__name__)
def test_every_number_in_a_request_body_is_strict(model: type[BaseModel]) -> None:
    lax = [path.rstrip(".") for path, strict in _fields(model) if not strict]

    assert lax == [], f"{model.__name__}: use StrictInt / StrictFloat for {lax}"


def test_the_check_sees_numbers_inside_nested_models_and_lists() -> None:
    paths = {path.rstrip(".") for path, _ in _fields(OrderRequest)}

    assert {"items.quantity", "stepRetry.maxAttempts", "stepRetry.multiplier"} <= paths


@pytest.mark.parametrize(
    ("model", "payload", "field"),
    [
        (InventoryUpdate, {"quantity": True, "unitPrice": "1.00"}, "quantity"),
        (InventoryUpdate, {"quantity": "5", "unitPrice": "1.00"}, "quantity"),
        (InventoryUpdate, {"quantity": 5.0, "unitPrice": "1.00"}, "quantity"),
        (HealthMonitorRequest, {"name": "self", "intervalSeconds": True}, "intervalSeconds"),
        (HealthMonitorRequest, {"name": "self", "alertThreshold": 2.0}, "alertThreshold"),
        (
            ApprovalRequest,
            {
                "requester": "ada@example.com",
                "amount": "10.00",
                "description": "x",
                "approvers": ["boss@example.com"],
                "stageTimeoutHours": True,
            },
            "stageTimeoutHours",
        ),
    ],
)
def test_booleans_strings_and_floats_are_not_counts(
    model: type[BaseModel], payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(payload)

    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


def test_integers_are_still_fine_where_a_float_is_expected() -> None:
    request = ApprovalRequest.model_validate(
        {
            "requester": "ada@example.com",
            "amount": "10.00",
            "description": "x",
            "approvers": ["boss@example.com"],
            "stageTimeoutHours": 72,
        }
    )

    assert request.stage_timeout_hours == 72.0


def _string_pattern(schema: dict[str, Any]) -> str:
    (pattern,) = [o["pattern"] for o in schema["anyOf"] if o.get("type") == "string"]
    return str(pattern)


@pytest.mark.parametrize(
    ("model", "field"),
    [(InventoryUpdate, "unitPrice"), (ApprovalRequest, "amount"), (PriceUpdate, "basePrice")],
)
def test_the_document_gives_money_strings_the_pattern_the_model_enforces(
    model: type[BaseModel], field: str
) -> None:
    """A string the model refuses (`"unitPrice": ""`) is invalid by the document's pattern too."""
    pattern = _string_pattern(model.model_json_schema()["properties"][field])

    for text in ("12.50", "1", "7.5", "007"):
        assert re.fullmatch(pattern, text), text
        model.model_validate(_valid(model, field, text))
    for text in ("", "1e5", "1_000", " 1", "-1", ".5", "1.", "1.001", "1.500", "\u0661"):
        assert not re.fullmatch(pattern, text), text
        with pytest.raises(ValidationError):
            model.model_validate(_valid(model, field, text))


def _valid(model: type[BaseModel], field: str, value: str) -> dict[str, Any]:
    """A valid payload of `model` with `field` set to `value`."""
    payloads: dict[type[BaseModel], dict[str, Any]] = {
        InventoryUpdate: {"quantity": 1},
        ApprovalRequest: {
            "requester": "ada@example.com",
            "description": "x",
            "approvers": ["boss@example.com"],
        },
        PriceUpdate: {"id": "a", "sku": "s", "currency": "EUR"},
    }
    return {**payloads[model], field: value}
