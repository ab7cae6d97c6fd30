"""`GET /api/openapi.json`: the OpenAPI 3.1 document, generated from the routes themselves.

Every handler's route declaration (`api.routing`) records its method, route, key, models and
error statuses in `OPERATIONS` with the same call that registers it with the host, so this
document cannot drift from the app. Each operation names the key it needs (api/access.py).
Schemas come from the pydantic contracts in one pass, so two models that share a class name
still get distinct component names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

import azure.functions as func
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from api.access import Access
from api.http import PROBLEM_JSON, app_base_url, json_response
from api.routing import OPERATIONS, Operation, Routes
from shared.models.http import Problem
from shared.models.operations import OpenApiDocument

routes = Routes("operations")
bp = routes.bp

JSON = "application/json"
REF_TEMPLATE = "#/components/schemas/{model}"
API_TITLE = "Durable shop"
API_VERSION = "1.0.0"
KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"

#: One pair of security schemes (header, query) per key a route can need.
SECURITY_SCHEMES: dict[Access, dict[str, dict[str, str]]] = {
    Access.FUNCTION: {
        "functionKeyHeader": {
            "type": "apiKey",
            "in": "header",
            "name": KEY_HEADER,
            "description": "A key created on this function, a host key, or the master key.",
        },
        "functionKeyQuery": {"type": "apiKey", "in": "query", "name": KEY_QUERY},
    },
    Access.ADMIN: {
        "masterKeyHeader": {
            "type": "apiKey",
            "in": "header",
            "name": KEY_HEADER,
            "description": "The master key (`_master`); function and host keys are refused.",
        },
        "masterKeyQuery": {"type": "apiKey", "in": "query", "name": KEY_QUERY},
    },
}

#: Where each (model, mode) pair's schema lives: `{"$ref": "#/components/schemas/..."}`.
SchemaRefs = Mapping[tuple[Any, JsonSchemaMode], dict[str, Any]]

#: `{name}`, `{name?}`, `{name:int}`, `{*rest}`: the route template forms the host accepts.
_ROUTE_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]*)?\??\}")


#: What the host's 401 means for each route level (it answers before the app, without a body).
KEY_REFUSED = {
    Access.FUNCTION: "Missing or invalid key",
    Access.ADMIN: "Missing key, or not the master key",
}


def build_document(
    operations: Iterable[Operation], server_url: str | None = None
) -> dict[str, Any]:
    """The OpenAPI document for `operations` (plain JSON data)."""
    ops = sorted(operations, key=lambda op: (op.route, op.method))
    refs, components = _schemas(ops)
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        path = "/" + _ROUTE_PARAM.sub(r"{\1}", op.route)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, refs, components)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": API_TITLE,
            "version": API_VERSION,
            "description": (
                "Every Durable Functions pattern for a small shop. Each operation's `security` "
                "names the key it needs (`x-functions-key` header or `code` query parameter): "
                "a function or host key, or the master key for operator routes; `/health` is "
                "open. Errors are RFC 9457 problem documents listing each offending field."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                name: scheme
                for schemes in SECURITY_SCHEMES.values()
                for name, scheme in schemes.items()
            },
        },
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document


def _schemas(
    ops: list[Operation],
) -> tuple[SchemaRefs, dict[str, Any]]:
    """One schema pass over every model: requests and queries as validated, responses as sent."""
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Problem, "serialization"): None}
    for op in ops:
        for model in (op.request, op.query, op.path, op.headers):
            if model is not None:
                wanted[(model, "validation")] = None
        for response in op.responses.values():
            if response is not None:
                wanted[(response, "serialization")] = None
    refs, top = models_json_schema(list(wanted), by_alias=True, ref_template=REF_TEMPLATE)
    return dict(refs), dict(top.get("$defs", {}))


def _operation(
    op: Operation,
    refs: SchemaRefs,
    components: Mapping[str, Any],
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "operationId": op.function_name,
        "summary": op.summary,
        "tags": list(op.tags),
        "parameters": _path_parameters(op, refs, components)
        + _query_parameters(op, refs, components)
        + _model_parameters(op.headers, "header", refs, components),
        "responses": _responses(op, refs),
    }
    if op.request is not None:
        spec["requestBody"] = {
            "required": not op.body_optional,
            "content": {JSON: {"schema": refs[(op.request, "validation")]}},
        }
    spec["security"] = [{name: []} for name in SECURITY_SCHEMES.get(op.access, {})]
    return spec


def _path_parameters(
    op: Operation,
    refs: SchemaRefs,
    components: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """One parameter per route segment, with its schema from the route model (`path`)."""
    properties: dict[str, Any] = {}
    if op.path is not None:
        properties = _resolve(refs[(op.path, "validation")], components).get("properties", {})
    parameters = []
    for name in _ROUTE_PARAM.findall(op.route):
        schema = _without_null(properties.get(name, {"type": "string"}))
        parameter: dict[str, Any] = {"name": name, "in": "path", "required": True}
        if "description" in schema:
            parameter["description"] = schema["description"]
        parameters.append({**parameter, "schema": schema})
    return parameters


def _query_parameters(
    op: Operation,
    refs: SchemaRefs,
    components: Mapping[str, Any],
) -> list[dict[str, Any]]:
    parameters = _model_parameters(op.query, "query", refs, components)
    for parameter in parameters:
        if _is_array(parameter["schema"], components):
            # `status=Running,Completed`: one comma-separated value.
            parameter.update(style="form", explode=False)
    return parameters


def _model_parameters(
    model: type[BaseModel] | None,
    where: str,
    refs: SchemaRefs,
    components: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """One parameter per field of `model`, found `where` (query or header)."""
    if model is None:
        return []
    schema = _resolve(refs[(model, "validation")], components)
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = _without_null(prop)
        parameter: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": name in required,
            "schema": prop,
        }
        if "description" in prop:
            parameter["description"] = prop["description"]
        parameters.append(parameter)
    return parameters


def _responses(op: Operation, refs: SchemaRefs) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, model in sorted(op.responses.items()):
        response: dict[str, Any] = {"description": HTTPStatus(status).phrase}
        if model is not None:
            response["content"] = {JSON: {"schema": refs[(model, "serialization")]}}
        if status == 202:
            response["headers"] = {
                "Location": {
                    "description": "This app's status endpoint for the instance.",
                    "schema": {"type": "string", "format": "uri"},
                },
                "Retry-After": {
                    "description": "Seconds to wait before polling again.",
                    "schema": {"type": "integer"},
                },
            }
        responses[str(status)] = response
    problem = {PROBLEM_JSON: {"schema": refs[(Problem, "serialization")]}}
    # Any route may answer 503 when storage does not answer in time (api/routing.py).
    storage_unavailable = set() if 503 in op.responses else {503}
    for status in sorted({*op.errors, 500, *storage_unavailable}):
        responses[str(status)] = {"description": HTTPStatus(status).phrase, "content": problem}
    key_refused = KEY_REFUSED.get(op.access)
    if key_refused and 401 in op.errors:
        responses["401"]["description"] = (
            f"{key_refused} (no body), or no signed-in user (a problem document)."
        )
    elif key_refused:
        responses["401"] = {"description": f"{key_refused} (no body)."}
    return dict(sorted(responses.items()))


def _without_null(schema: Mapping[str, Any]) -> dict[str, Any]:
    """An absent query parameter is not `null`: drop the `| None` half of optional fields."""
    result = dict(schema)
    options = [o for o in result.get("anyOf", []) if o.get("type") != "null"]
    if "anyOf" in result and len(options) == 1:
        del result["anyOf"]
        result = {**options[0], **result}
    if "default" in result and result["default"] is None:
        del result["default"]
    return result


def _resolve(schema: Mapping[str, Any], components: Mapping[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return dict(components[ref.rsplit("/", 1)[1]])
    return dict(schema)


def _is_array(schema: Mapping[str, Any], components: Mapping[str, Any]) -> bool:
    """True for `list[...]` and `list[...] | None` properties."""
    options = schema.get("anyOf", [schema])
    return any(_resolve(option, components).get("type") == "array" for option in options)


@routes.route(
    "GET",
    "openapi.json",
    access=Access.FUNCTION,
    summary="This OpenAPI 3.1 document: every route, request model and error shape",
    responses={200: OpenApiDocument},
)
async def get_openapi_document(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(build_document(OPERATIONS.values(), server_url=app_base_url()))
