"""What every caller relies on: the anonymous health route, the OpenAPI document, the routes."""

from __future__ import annotations

from openapi_spec_validator import validate

from tests.e2e.support.client import PROBLEM_JSON, ApiClient, expect
from tests.e2e.support.routes import (
    ANONYMOUS,
    MASTER_KEY_ONLY,
    ROUTES,
    concrete,
    documented_routes,
)
from tests.e2e.support.target import Target


def test_health_is_anonymous_and_reports_storage(target: Target) -> None:
    anonymous = ApiClient(target, send_key=False)
    try:
        response = anonymous.get("/health")
    finally:
        anonymous.close()
    body = expect(response, 200)
    assert body["status"] == "healthy"
    assert body["checks"] == {"storage": "ok"}
    assert body["version"]
    assert response.headers["Cache-Control"] == "no-store"


def test_the_openapi_document_lists_every_route(api: ApiClient) -> None:
    document = api.get_json("/openapi.json")

    validate(document)
    assert document["openapi"].startswith("3.1")
    assert documented_routes(document) == set(ROUTES)
    assert document["servers"][0]["url"].endswith("/api")
    schemes = document["components"]["securitySchemes"]
    assert {(s["in"], s["name"]) for s in schemes.values()} == {
        ("header", "x-functions-key"),
        ("query", "code"),
    }
    # Each operation names its key: none for the health check, the master key for operator
    # routes, a function (or host) key for the rest.
    for method, path in ROUTES:
        security = document["paths"][path][method.lower()]["security"]
        named = {name for option in security for name in option}
        if (method, path) in ANONYMOUS:
            assert named == set(), (method, path)
        elif (method, path) in MASTER_KEY_ONLY:
            assert named == {"masterKeyHeader", "masterKeyQuery"}, (method, path)
        else:
            assert named == {"functionKeyHeader", "functionKeyQuery"}, (method, path)


def test_every_route_is_served_and_answers_json(api: ApiClient) -> None:
    """Call each route with placeholder ids and no body: the app answers, never the bare host."""
    for method, path in sorted(ROUTES):
        response = api.request(method, concrete(path))
        where = f"{method} {path} -> {response.status_code}"
        assert response.status_code not in (401, 405, 500), where
        if response.status_code == 204:
            continue
        content_type = response.headers.get("content-type", "")
        # The host's own 404 (unknown route) has an empty body; the app's is a problem document.
        assert content_type.startswith(("application/json", PROBLEM_JSON)), where
        assert response.content, where
