"""`requests/*.http` run top to bottom against the app: every request is valid, every chained
id resolves, nothing answers 4xx or 5xx unless listed below, and every route the README shows
is in one of the files."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.e2e.support.clock import Clock
from tests.e2e.support.http_files import Runner, json_path, parse_http_file
from tests.e2e.support.target import Target

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "requests").glob("*.http"))
#: What the local-host file calls that a remote (Azure) target does not serve.
LOCAL_ONLY = {"local-host.http"}
#: Requests that may answer a 4xx here, and why: (file, method, URL as written) -> statuses.
#: The suite's paused clock never lets the refund's retries run out, so that order is not yet
#: waiting for the decision the file sends (a person running the file waits a minute first).
ALLOWED_CLIENT_ERRORS: dict[tuple[str, str, str], set[int]] = {
    (
        "orders.http",
        "POST",
        "{{host}}/api/orders/{{refundStatus.response.body.$.customStatus.orderId}}/recovery",
    ): {409},
}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_request_file_runs_with_every_chained_value_resolved(
    path: Path, target: Target, clock: Clock
) -> None:
    if target.remote and path.name in LOCAL_ONLY:
        pytest.skip("the local host's own API is not served remotely")
    parsed = parse_http_file(path)
    assert parsed.requests, f"{path.name} has no request"
    overrides = {"host": target.base_url}
    if target.function_key:
        overrides["key"] = target.function_key
    if target.master_key:
        overrides["masterKey"] = target.master_key
    if target.health_endpoint_names:
        # The allow-listed name under which this run's health endpoint is checked.
        overrides["monitor"] = target.health_endpoint_names[0]
    with httpx.Client(timeout=60) as http:
        runner = Runner(http, overrides)
        for request in parsed.requests:
            clock.settle()
            answer = runner.send(request, parsed.variables)
            assert answer.status < 500, (
                f"{path.name}:{request.line} {request.method} {request.url} answered "
                f"{answer.status}: {str(answer.body)[:300]}"
            )
            allowed = ALLOWED_CLIENT_ERRORS.get((path.name, request.method, request.url), set())
            assert answer.status < 400 or answer.status in allowed, (
                f"{path.name}:{request.line} {request.method} {request.url} answered "
                f"{answer.status}: {str(answer.body)[:300]}"
            )


def _readme_routes() -> set[tuple[str, str]]:
    """(METHOD, /api/path with placeholders as {}) of every curl line in the README."""
    text = (ROOT / "README.md").read_text()
    routes = set()
    for line in text.splitlines():
        found = re.search(r"curl\b(.*?)\s'?(?:http://localhost:7071)(/api/[^\s'?]*)", line)
        if not found:
            continue
        method = re.search(r"-X\s+([A-Z]+)", found.group(1))
        routes.add((method.group(1) if method else "GET", _shape(found.group(2))))
    return routes


def _shape(path: str) -> str:
    """`/api/instances/<id>` and `/api/instances/{{x.response.body.$.id}}` alike."""
    path = re.sub(r"\{\{[^}]*\}\}", "{}", path)
    return re.sub(r"<[^>]*>", "{}", path)


def _matches(readme: str, file: str) -> bool:
    """Same segments, where a placeholder (`{}` anywhere in a segment) matches any one."""
    ours, theirs = readme.strip("/").split("/"), file.strip("/").split("/")
    return len(ours) == len(theirs) and all(
        a == b or "{}" in a or "{}" in b for a, b in zip(ours, theirs, strict=True)
    )


def test_every_readme_route_is_in_a_request_file() -> None:
    covered = set()
    for path in FILES:
        for request in parse_http_file(path).requests:
            url = request.url.split("?")[0].replace("{{host}}", "")
            covered.add((request.method, _shape(url)))
    routes = _readme_routes()

    missing = sorted(
        (method, route)
        for method, route in routes
        if not any(m == method and _matches(route, p) for m, p in covered)
    )

    assert not missing, f"README routes without a request file entry: {missing}"
    assert len(routes) > 20


def test_json_path_reads_what_the_files_reference() -> None:
    body = {"output": {"customer": {"customerId": "c-1"}}, "items": [{"id": "a"}]}

    assert json_path(body, "$.output.customer.customerId") == "c-1"
    assert json_path([{"instanceId": "i"}], "$[0].instanceId") == "i"
    assert json_path(body, "$.items[0].id") == "a"
    with pytest.raises(KeyError):
        json_path(body, "$.missing")
