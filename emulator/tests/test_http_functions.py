"""HTTP-triggered functions served like the host: routes, methods, query, body, status."""

from __future__ import annotations

import httpx
import pytest

from durable_webhooks import StartApp

pytestmark = pytest.mark.emulator


@pytest.fixture
def api(start_app: StartApp) -> httpx.Client:
    server = start_app("http_basics")
    return httpx.Client(base_url=server.api_url, timeout=30)


def test_route_prefix_comes_from_host_json(api: httpx.Client) -> None:
    assert str(api.base_url).rstrip("/").endswith("/v1")


def test_route_params_query_headers_and_body_reach_the_function(api: httpx.Client) -> None:
    response = api.put("/items/42/blue?colour=red", content=b"raw body", headers={"x-test": "hi"})

    assert response.status_code == 201
    assert response.headers["x-reply"] == "yes"
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "method": "PUT",
        "route": {"item_id": "42", "label": "blue"},
        "query": {"colour": "red"},
        "header": "hi",
        "body": "raw body",
    }


def test_optional_route_parameter_may_be_omitted(api: httpx.Client) -> None:
    response = api.get("/items/7")

    assert response.status_code == 200
    assert response.json()["route"] == {"item_id": "7"}


def test_route_constraint_and_unknown_paths_give_404(api: httpx.Client) -> None:
    assert api.get("/items/not-a-number").status_code == 404
    assert api.get("/nowhere").status_code == 404


def test_a_wrong_method_on_an_app_route_is_a_404_with_no_body_as_on_the_host(
    api: httpx.Client,
) -> None:
    response = api.delete("/items/1")

    assert response.status_code == 404
    assert response.content == b""
    assert "allow" not in response.headers


def test_the_root_is_a_static_page_that_names_no_function(start_app: StartApp) -> None:
    server = start_app("http_basics")

    page = httpx.get(f"{server.base_url}/")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "up and running" in page.text
    assert not [name for name in server.host.function_names() if name in page.text]
    assert httpx.post(f"{server.base_url}/").text == page.text  # whatever the method


def test_the_root_page_is_204_when_the_app_disables_it(start_app: StartApp) -> None:
    server = start_app("http_basics", settings={"AzureWebJobsDisableHomepage": "true"})

    page = httpx.get(f"{server.base_url}/")

    assert page.status_code == 204
    assert page.content == b""


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/admin/host/status", "GET, HEAD"),
        ("POST", "/runtime/emulator/host", "GET"),
        ("GET", "/runtime/emulator/clock/pause", "POST"),
    ],
)
def test_the_hosts_own_routes_answer_a_wrong_method_with_problem_json_and_allow(
    start_app: StartApp, method: str, path: str, allow: str
) -> None:
    server = start_app("http_basics")

    response = httpx.request(method, f"{server.base_url}{path}")

    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Method Not Allowed"
    assert allow in response.json()["detail"]


def test_an_unknown_path_under_the_hosts_own_routes_is_a_problem_json_404(
    start_app: StartApp,
) -> None:
    server = start_app("http_basics")

    for path in ("/runtime/emulator/nothing-here", "/admin/nothing-here"):
        response = httpx.get(f"{server.base_url}{path}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert path in response.json()["detail"]
    assert httpx.get(f"{server.base_url}/elsewhere").content == b""


@pytest.mark.parametrize(
    ("raw", "label"),
    [("a%2Fb", "a/b"), ("a%0Ab", "a\nb"), ("100%25", "100%"), ("%C3%A9t%C3%A9", "été")],
)
def test_encoded_characters_stay_inside_their_route_parameter(
    api: httpx.Client, raw: str, label: str
) -> None:
    """Found by fuzzing: %2F split the segment (a 404, or another route), %0A was a 404."""
    response = api.get(f"{api.base_url}/items/42/{raw}")

    assert response.status_code == 200
    assert response.json()["route"] == {"item_id": "42", "label": label}


def test_an_encoded_slash_does_not_reach_a_shorter_route(api: httpx.Client) -> None:
    assert api.get(f"{api.base_url}/items/42/%2F").json()["route"]["label"] == "/"
    assert api.get(f"{api.base_url}/items%2F42").status_code == 404


def test_async_function_gets_json_body_and_context(api: httpx.Client) -> None:
    response = api.post("/async-echo", json={"a": [1, 2]})

    assert response.json() == {"got": {"a": [1, 2]}, "function": "async_echo"}


def test_unhandled_exception_is_a_500_with_empty_body(api: httpx.Client) -> None:
    response = api.get("/boom")

    assert response.status_code == 500
    assert response.content == b""


def test_string_return_and_function_name_override(start_app: StartApp) -> None:
    server = start_app("http_basics")
    response = httpx.get(f"{server.api_url}/plain-text")

    assert response.status_code == 200
    assert response.text == "just text"
    assert "renamed_function" in server.host.function_names()


def test_auth_levels_are_not_enforced_without_keys(api: httpx.Client) -> None:
    assert api.get("/secret").status_code == 200
    assert api.get("/admin-only").status_code == 200
