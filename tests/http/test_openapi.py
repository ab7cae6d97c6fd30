"""`GET /api/openapi.json`: a valid OpenAPI 3.1 document covering every documented route."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

import function_app  # noqa: F401  (imports every api module, filling OPERATIONS)
from api import openapi
from api.access import Access
from api.routing import OPERATIONS, Operation
from shared.models.instances import ManagementRequest
from tests.support.functions import user_function

#: The app's operations, taken at import time: tests elsewhere may add throwaway endpoints later.
APP_OPERATIONS: dict[str, Operation] = dict(OPERATIONS)
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.build_document(
        APP_OPERATIONS.values(), server_url="https://shop.example.com/api"
    )


def operations_in(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, spec in item.items():
            yield path, method, spec


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"


async def test_the_route_serves_the_document_with_our_origin() -> None:
    req = func.HttpRequest("GET", "https://shop.example.com/api/openapi.json?code=k", body=b"")

    response = await user_function(openapi.get_openapi_document)(req)

    served = json.loads(response.get_body())
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert served["servers"] == [{"url": "https://shop.example.com/api"}]
    assert "code=" not in response.get_body().decode()


def test_every_documented_operation_is_in_the_document(document: dict[str, Any]) -> None:
    found = {spec["operationId"]: (path, method) for path, method, spec in operations_in(document)}

    assert set(found) == set(APP_OPERATIONS)
    for name, op in APP_OPERATIONS.items():
        path, method = found[name]
        assert method == op.method.lower()
        assert path == "/" + re.sub(r"\{\*?(\w+)[^}]*\}", r"{\1}", op.route)


def test_every_ref_resolves_and_no_defs_are_left_behind(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]

    refs = set(refs_in(document))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas
    assert "$defs" not in json.dumps(document)


def test_every_error_is_a_problem_document(document: dict[str, Any]) -> None:
    by_id = {spec["operationId"]: spec for _, _, spec in operations_in(document)}
    for name, op in APP_OPERATIONS.items():
        responses = by_id[name]["responses"]
        unavailable = set() if 503 in op.responses else {503}  # storage did not answer
        for code in {*op.errors, 500, *unavailable}:
            content = responses[str(code)]["content"]
            assert content == {"application/problem+json": {"schema": PROBLEM_REF}}
        # Declared non-2xx answers with their own model (health's 503 report) are not errors.
        for code, response in responses.items():
            if int(code) >= 400 and int(code) not in op.responses and code != "401":
                assert int(code) in {*op.errors, 500, *unavailable}, (name, code)
                assert "application/problem+json" in response["content"]


def test_request_bodies_reference_their_models_and_imply_body_errors(
    document: dict[str, Any],
) -> None:
    by_id = {spec["operationId"]: spec for _, _, spec in operations_in(document)}
    for name, op in APP_OPERATIONS.items():
        spec = by_id[name]
        if op.request is None:
            assert "requestBody" not in spec
            continue
        body = spec["requestBody"]
        assert body["required"] is not op.body_optional
        assert set(body["content"]) == {"application/json"}
        assert {"400", "413", "415"} <= set(spec["responses"])


def test_management_commands_document_their_optional_reason(document: dict[str, Any]) -> None:
    terminate = document["paths"]["/instances/{instanceId}/terminate"]["post"]

    assert terminate["requestBody"]["required"] is False
    ref = terminate["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(schema["properties"]) == set(ManagementRequest.model_json_schema()["properties"])
    assert set(terminate["responses"]) >= {"202", "400", "404", "409", "413", "415", "500"}


def test_path_parameters_come_from_route_segments(document: dict[str, Any]) -> None:
    for path, _, spec in operations_in(document):
        names = re.findall(r"\{(\w+)\}", path)
        declared = [p["name"] for p in spec["parameters"] if p["in"] == "path"]
        assert declared == names
        assert all(p["required"] for p in spec["parameters"] if p["in"] == "path")


def test_every_route_parameter_has_a_model_with_exactly_those_fields() -> None:
    for name, op in APP_OPERATIONS.items():
        params = set(re.findall(r"\{\*?(\w+)[^}]*\}", op.route))
        if not params:
            assert op.path is None, name
            continue
        assert op.path is not None, f"{name}: declare path=<route model> in @endpoint"
        aliases = {field.alias or field_name for field_name, field in op.path.model_fields.items()}
        assert aliases == params, name


def test_path_parameters_document_what_the_route_accepts(document: dict[str, Any]) -> None:
    """Fuzzing: every id was documented as any string, so most generated paths were 400s."""
    for path, _, spec in operations_in(document):
        for parameter in (p for p in spec["parameters"] if p["in"] == "path"):
            schema = parameter["schema"]
            assert "pattern" in schema or "$ref" in schema, (path, parameter["name"])

    signal = document["paths"]["/counters/{key}/{operation}"]["post"]["parameters"]
    operation = next(p for p in signal if p["name"] == "operation")
    ref = operation["schema"]["$ref"].rsplit("/", 1)[1]
    assert document["components"]["schemas"][ref]["enum"] == ["add", "subtract", "reset"]
    key = next(p for p in signal if p["name"] == "key")
    assert re.fullmatch(key["schema"]["pattern"], "visits")
    assert not re.fullmatch(key["schema"]["pattern"], "@counter@visits")


def test_query_parameters_are_camel_case_and_comma_lists_are_not_exploded(
    document: dict[str, Any],
) -> None:
    listing = document["paths"]["/instances"]["get"]
    params = {p["name"]: p for p in listing["parameters"] if p["in"] == "query"}

    assert set(params) == {"status", "prefix", "createdFrom", "createdTo", "top"}
    assert params["status"]["explode"] is False
    assert params["status"]["schema"]["type"] == "array"
    assert params["status"]["schema"]["minItems"] == 1  # `status=` is a 400, not "any status"
    assert not any(p["required"] for p in params.values())
    assert params["top"]["schema"]["maximum"] == 100


def test_each_operation_names_the_key_its_route_needs(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    needed = {
        spec["operationId"]: {name for option in spec["security"] for name in option}
        for _, _, spec in operations_in(document)
    }

    assert "security" not in document  # every operation says it; no default to fall back on
    for name, op in APP_OPERATIONS.items():
        assert needed[name] == set(openapi.SECURITY_SCHEMES.get(op.access, {})), name
    assert needed["health"] == set()
    assert needed["list_instances"] == {"masterKeyHeader", "masterKeyQuery"}
    assert needed["start_order_fulfillment"] == {"functionKeyHeader", "functionKeyQuery"}
    assert {(s["in"], s["name"]) for s in schemes.values()} == {
        ("header", "x-functions-key"),
        ("query", "code"),
    }


def test_admin_operations_say_other_keys_are_refused(document: dict[str, Any]) -> None:
    for _, _, spec in operations_in(document):
        unauthorized = spec["responses"].get("401", {}).get("description", "")
        if APP_OPERATIONS[spec["operationId"]].access is Access.ADMIN:
            assert "master key" in unauthorized, spec["operationId"]
        elif APP_OPERATIONS[spec["operationId"]].access is Access.ANONYMOUS:
            assert not unauthorized


def test_accepted_responses_document_location_and_retry_after(document: dict[str, Any]) -> None:
    for _, _, spec in operations_in(document):
        accepted = spec["responses"].get("202")
        if accepted:
            assert set(accepted["headers"]) == {"Location", "Retry-After"}


def test_models_sharing_a_class_name_get_distinct_components() -> None:
    def model(field: str) -> type[BaseModel]:
        return type("Item", (BaseModel,), {"__annotations__": {field: int}})

    first, second = model("a"), model("b")
    ops = [
        Operation(
            "make_a", "POST", "a", "a", Access.FUNCTION, request=first, responses={200: first}
        ),
        Operation(
            "make_b", "POST", "b", "b", Access.FUNCTION, request=second, responses={200: second}
        ),
    ]

    document = openapi.build_document(ops)

    validate(document)
    ref_a = document["paths"]["/a"]["post"]["requestBody"]["content"]["application/json"]
    ref_b = document["paths"]["/b"]["post"]["requestBody"]["content"]["application/json"]
    assert ref_a["schema"] != ref_b["schema"]


def test_route_constraints_and_optional_segments_become_plain_parameters() -> None:
    ops = [
        Operation(
            "things",
            "GET",
            "things/{id:int}/{part?}",
            "things",
            Access.FUNCTION,
            responses={200: None},
        )
    ]

    document = openapi.build_document(ops)

    validate(document)
    spec = document["paths"]["/things/{id}/{part}"]["get"]
    assert [p["name"] for p in spec["parameters"]] == ["id", "part"]


def test_a_route_that_also_answers_401_itself_documents_both_meanings(
    document: dict[str, Any],
) -> None:
    decision = document["paths"]["/approvals/{instanceId}/decision"]["post"]["responses"]["401"]

    assert "key" in decision["description"]
    assert "signed-in user" in decision["description"]
    assert decision["content"]["application/problem+json"]["schema"] == PROBLEM_REF
