"""Every string a request can carry has a length limit, checked before any pattern runs.

Patterns and parsers (dates, decimals, e-mail addresses) then only ever see short text, so
their cost per request is bounded whatever they do. The walk covers the models behind every
route's body, query and path; responses are built by the app and are not checked here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import function_app  # noqa: F401  (registers every route, filling OPERATIONS)
from api.routing import OPERATIONS
from shared.models.base import Contract
from shared.models.customers import OnboardingRequest
from shared.models.inventory import InventoryUpdate
from shared.models.monitors import MonitorRequest


def _request_models() -> list[type[BaseModel]]:
    models = {
        model
        for operation in OPERATIONS.values()
        for model in (operation.request, operation.query, operation.path, operation.headers)
        if model is not None
    }
    return sorted(models, key=lambda model: model.__name__)


def unbounded_strings(node: Any, path: str = "") -> Iterator[str]:
    """JSON-schema paths of string schemas without `maxLength` (enums and constants are fixed).

    A `not` schema only refuses values, so what it holds needs no limit of its own.
    """
    if isinstance(node, dict):
        if (
            node.get("type") == "string"
            and "maxLength" not in node
            and "enum" not in node
            and "const" not in node
        ):
            yield path or "/"
        for key, value in node.items():
            if key != "not":
                yield from unbounded_strings(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from unbounded_strings(value, f"{path}/{index}")


@pytest.mark.parametrize("model", _request_models(), ids=lambda model: model.__name__)
def test_every_request_string_has_a_max_length(model: type[BaseModel]) -> None:
    assert list(unbounded_strings(model.model_json_schema(mode="validation"))) == []


def test_the_walk_finds_an_unbounded_string_in_a_nested_model() -> None:
    class Inner(Contract):
        note: str

    class Outer(Contract):
        inner: list[Inner]

    assert list(unbounded_strings(Outer.model_json_schema(mode="validation"))) == [
        "/$defs/Inner/properties/note"
    ]


@pytest.mark.parametrize(
    ("model", "payload", "field", "error"),
    [
        (
            MonitorRequest,
            {"jobId": "j", "deadline": "1" * 20_000 + "x"},
            "deadline",
            "datetime_too_long",
        ),
        (
            InventoryUpdate,
            {"quantity": 1, "unitPrice": "1" * 20_000 + "x"},
            "unitPrice",
            "decimal_parsing",
        ),
        (
            OnboardingRequest,
            {"email": "a" * 20_000 + "@example.com", "name": "A"},
            "email",
            "string_too_long",
        ),
    ],
    ids=["date-time", "decimal", "e-mail"],
)
def test_long_number_like_text_is_refused_by_its_length(
    model: type[BaseModel], payload: dict[str, Any], field: str, error: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(payload)

    assert (field, error) in {(str(e["loc"][0]), e["type"]) for e in caught.value.errors()}
