"""The suite's HTTP client: the app's routes, the function key, and a leak check on every answer.

Every response is checked for the Durable host's own management URLs (`runtime/webhooks`) and
for function or system keys in query strings (`code=`): a user of the shop must never see
either, whatever route they call and whatever the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from tests.e2e.support.routes import needs_master_key
from tests.e2e.support.target import ROUTE_PREFIX, Target

#: Markers of the host's management URLs and of keys; no response of the app may contain them.
LEAK_MARKERS = ("runtime/webhooks", "code=")
PROBLEM_JSON = "application/problem+json"
#: One request never takes long; orchestrations are waited for by polling, not by blocking.
REQUEST_TIMEOUT = httpx.Timeout(30.0)

Json = dict[str, Any]


class LeakedManagementUrl(AssertionError):
    """A response carried a host management URL or a key."""


def check_no_leak(response: httpx.Response) -> None:
    """Fail if the body or a header of `response` shows a webhook URL or a key."""
    response.read()
    places = [("body", response.text)]
    places += [(f"header {name}", value) for name, value in response.headers.items()]
    for place, text in places:
        for marker in LEAK_MARKERS:
            if marker in text:
                raise LeakedManagementUrl(
                    f"{response.request.method} {response.request.url.path} answered "
                    f"{response.status_code} with {marker!r} in its {place}: {text[:300]}"
                )


class ApiClient:
    """`GET/POST/PUT/DELETE` on the app's `/api/...` routes, presenting the function key."""

    def __init__(self, target: Target, *, key: str | None = None, send_key: bool = True) -> None:
        self.target = target
        headers = {"Accept": "application/json"}
        presented = key if key is not None else target.function_key
        if send_key and presented:
            headers["x-functions-key"] = presented
        #: Without an explicit key, operator routes get the master key (when the target has one).
        self.master_key = target.master_key if send_key and key is None else None
        self.http = httpx.Client(
            base_url=target.api_url,
            headers=headers,
            timeout=REQUEST_TIMEOUT,
            event_hooks={"request": [self._choose_key], "response": [check_no_leak]},
        )

    def _choose_key(self, request: httpx.Request) -> None:
        path = request.url.path.removeprefix(f"/{ROUTE_PREFIX}")
        if self.master_key and needs_master_key(request.method, path):
            request.headers["x-functions-key"] = self.master_key

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        return self.http.get(path, params=_params(params))

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        content: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        if content is not None:
            return self.http.post(path, content=content, params=_params(params), headers=headers)
        if body is None:
            return self.http.post(path, params=_params(params), headers=headers)
        return self.http.post(path, json=body, params=_params(params), headers=headers)

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.http.put(path, json=body)

    def delete(self, path: str) -> httpx.Response:
        return self.http.delete(path)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, **kwargs)

    # --- answers the suite expects -----------------------------------------------------

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Json:
        """GET a route that must answer 200 with a JSON object."""
        return expect(self.get(path, params), 200)

    def notifications(self, correlation_id: str, kind: str | None = None) -> list[Json]:
        """What an instance sent (its outbox), oldest first."""
        params = {"correlationId": correlation_id, "top": 1000}
        if kind:
            params["kind"] = kind
        found = self.get_json("/notifications", params)
        notifications: list[Json] = found["notifications"]
        return notifications


def expect(response: httpx.Response, *statuses: int) -> Json:
    """The JSON object of a response whose status is one of `statuses` (else a clear failure)."""
    assert response.status_code in statuses, (
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code}, expected {statuses}: {response.text[:500]}"
    )
    body = response.json()
    assert isinstance(body, dict), f"expected a JSON object, got {body!r:.200}"
    return body


def expect_problem(response: httpx.Response, status: int, fields: Iterable[str] = ()) -> Json:
    """An RFC 9457 problem with `status` that names every one of `fields` among its errors."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code}, expected {status}: {response.text[:500]}"
    )
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith(PROBLEM_JSON), f"not a problem document: {content_type}"
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    named = {error["field"] for error in problem.get("errors") or []}
    for field in fields:
        assert any(name == field or name.startswith(f"{field}.") for name in named), (
            f"the problem does not name {field!r}; it names {sorted(named)}: {problem}"
        )
    body: Json = problem
    return body


def _params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    if params is None:
        return None
    return {name: _text(value) for name, value in params.items() if value is not None}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
