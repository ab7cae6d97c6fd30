"""The Durable extension's HTTP API (``HttpApiHandler``): webhooks and the SDK client's RPC base.

One route table serves both mounts (:func:`durable_api_app`). Bodies are always empty or JSON,
because the SDK parses every response with ``response.json(content_type=None)`` and crashes on
plain text. A path or method the table lacks is an empty 404, as in the extension's handler.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Middleware

from durable_localhost.completion_wait import (
    WaitArgumentError,
    requested_wait,
    wait_until_finished,
)
from durable_localhost.durable_errors import (
    bad_request,
    invalid_instance_id,
    invalid_json,
    json_body,
    refuse_live,
    rewind_refused,
    unknown_restart,
    wait_refused,
)
from durable_localhost.engine import Engine
from durable_localhost.episode_plan import UnknownFunctionError, not_found_message
from durable_localhost.ids import new_guid
from durable_localhost.keys import HostKeys
from durable_localhost.model import EntityRequest, Instance, ListFilter, RuntimeStatus
from durable_localhost.responses import (
    Handler,
    Route,
    count_param,
    empty,
    json_response,
    json_text_response,
    router_errors,
    with_trailing_slash,
)
from durable_localhost.status import status_payload
from durable_localhost.timeutil import parse
from durable_localhost.tracker import REQUEST_UNIT, lent
from durable_localhost.urls import PublicUrls, public_urls

DEFAULT_PAGE_SIZE = 100
_RUNNING_LIKE = {
    RuntimeStatus.RUNNING,
    RuntimeStatus.PENDING,
    RuntimeStatus.CONTINUED_AS_NEW,
    RuntimeStatus.SUSPENDED,
}


def _flag(request: web.Request, name: str, default: bool) -> bool:
    value = request.query.get(name)
    if value is None:
        return default
    return value.strip().lower() == "true"


@dataclass(frozen=True)
class DurableApiContext:
    """What the handlers of one mount work with."""

    engine: Engine
    hub_name: str
    keys: HostKeys

    def urls_for(self, request: web.Request) -> PublicUrls:
        """Management URLs pointing back at the origin the caller used."""
        return public_urls(f"{request.scheme}://{request.host}", self.hub_name, self.keys)


CONTEXT = web.AppKey("durable_api", DurableApiContext)


def _context(request: web.Request) -> DurableApiContext:
    return request.app[CONTEXT]


def _instance(request: web.Request) -> Instance | None:
    return _context(request).engine.get(request.match_info["instance_id"])


# ---------------------------------------------------------------------- orchestrations


async def start(request: web.Request) -> web.Response:
    """``POST orchestrators/{name}[/{instance_id}]``: 202 with the management URLs."""
    try:
        input_json = json_body(await request.text())
    except ValueError as exc:
        return invalid_json(exc)
    engine = _context(request).engine
    name = request.match_info["name"]
    instance_id = request.match_info.get("instance_id") or None
    refused = _refuse_start(engine, name, instance_id)
    if refused is not None:
        return refused
    try:
        instance = engine.start_orchestration(
            name,
            instance_id,
            input_json,
            version=request.query.get("version"),
            trace_parent=request.headers.get("traceparent"),
        )
    except UnknownFunctionError as exc:
        return bad_request(str(exc))
    return await _started(request, instance.instance_id)


def _refuse_start(engine: Engine, name: str, instance_id: str | None) -> web.Response | None:
    """``StartNewAsync``'s checks in its order: the function, the id, then an existing instance."""
    if name not in engine.index.orchestrators:
        return bad_request(
            not_found_message(name, "orchestrator", list(engine.index.orchestrators))
        )
    if instance_id is None:
        return None
    return invalid_instance_id(instance_id) or refuse_live(
        engine.get(instance_id), engine.config.overridable_states
    )


async def _started(request: web.Request, instance_id: str) -> web.Response:
    """The answer to a start or restart: 202 at once, or the result if it asked to wait."""
    try:
        wait = requested_wait(request.query)
    except WaitArgumentError as exc:
        return wait_refused(exc)
    if wait is None:
        return _check_status(request, instance_id)
    engine = _context(request).engine
    with lent(request.get(REQUEST_UNIT)), engine.pacing.waiting():
        instance = await wait_until_finished(lambda: engine.get(instance_id), wait)
    if instance is None or not instance.status.is_terminal:
        return _check_status(request, instance_id)
    if instance.status is RuntimeStatus.COMPLETED:
        return json_text_response(200, instance.output or "null")
    return await _status_answer(request, instance, return_500_on_failure=False)


def _check_status(request: web.Request, instance_id: str) -> web.Response:
    urls = _context(request).urls_for(request)
    headers = {"Location": urls.status_query(instance_id), "Retry-After": "10"}
    return json_text_response(202, urls.check_status_json(instance_id), headers)


async def status(request: web.Request) -> web.Response:
    """``GET instances/{id}``: 202 while running, 200 when finished (500 on request if failed)."""
    instance = _instance(request)
    if instance is None:
        return empty(404)
    failure_500 = _flag(request, "returnInternalServerErrorOnFailure", False)
    return await _status_answer(request, instance, return_500_on_failure=failure_500)


async def _status_answer(
    request: web.Request, instance: Instance, *, return_500_on_failure: bool
) -> web.Response:
    """``HandleGetStatusRequestAsync``: the status JSON with the flags the request carries."""
    history = None
    if _flag(request, "showHistory", False):
        history = await _context(request).engine.history_of(instance)
    payload = status_payload(
        instance,
        show_input=_flag(request, "showInput", True),
        history=history,
        show_history_output=_flag(request, "showHistoryOutput", False),
    )
    if instance.status in _RUNNING_LIKE:
        location = _context(request).urls_for(request).status_query(instance.instance_id)
        return json_response(202, payload, {"Location": location, "Retry-After": "5"})
    if instance.status is RuntimeStatus.FAILED and return_500_on_failure:
        return json_response(500, payload)
    return json_response(200, payload)


async def purge(request: web.Request) -> web.Response:
    """``DELETE instances/{id}``: 200 with how many were deleted (live instances: none)."""
    instance = _instance(request)
    if instance is None:
        return empty(404)
    deleted = 1 if _context(request).engine.control.purge(instance) else 0
    return json_response(200, {"instancesDeleted": deleted})


def _filter(request: web.Request) -> ListFilter:
    statuses = request.query.get("runtimeStatus")
    parsed: frozenset[RuntimeStatus] | None = None
    if statuses:
        parsed = frozenset(RuntimeStatus(s.strip()) for s in statuses.split(",") if s.strip())
    return ListFilter(
        created_from=_time(request.query.get("createdTimeFrom")),
        created_to=_time(request.query.get("createdTimeTo")),
        statuses=parsed,
        prefix=request.query.get("instanceIdPrefix") or None,
        name=request.query.get("name") or None,
    )


async def list_instances(request: web.Request) -> web.Response:
    """``GET instances``: filtered (also by ``name``), paged with ``x-ms-continuation-token``."""
    try:
        query = _filter(request)
        top = count_param(request.query.get("top"), "top", DEFAULT_PAGE_SIZE, minimum=1)
        token = request.headers.get("x-ms-continuation-token")
        first = count_param(token, "continuation token", 0, minimum=0)
    except ValueError as exc:
        return bad_request(str(exc))
    found = _context(request).engine.query(query)
    if _flag(request, "newestFirst", False):
        found.reverse()
    page = found[first : first + top]
    # Host extension: the dashboard shows "1-100 of N" without walking every page.
    headers = {"x-emulator-total-count": str(len(found))}
    if first + top < len(found):
        headers["x-ms-continuation-token"] = str(first + top)
    show_input = _flag(request, "showInput", False)
    body = [status_payload(i, show_input=show_input) for i in page]
    return json_response(200, body, headers)


async def purge_by(request: web.Request) -> web.Response:
    """``DELETE instances``: every finished instance matching the filter."""
    if not request.query.get("createdTimeFrom"):
        # The handler's answer here is a bare JSON string, not an HttpError.
        return json_response(400, "Please provide value for 'createdTimeFrom' parameter.")
    try:
        query = _filter(request)
    except ValueError as exc:
        return bad_request(str(exc))
    engine = _context(request).engine
    deleted = sum(1 for i in engine.query(query) if engine.control.purge(i))
    if deleted == 0:
        return empty(404)
    return json_response(200, {"instancesDeleted": deleted})


async def raise_event(request: web.Request) -> web.Response:
    """``POST instances/{id}/raiseEvent/{event_name}``: JSON content only."""
    instance = _instance(request)
    if instance is None:
        return empty(404)
    if instance.status.is_terminal:
        return empty(410)
    if request.content_type != "application/json":
        return bad_request("Only application/json request content is supported")
    body = await request.text()
    name = request.match_info["event_name"]
    _context(request).engine.raise_event(instance, name, body if body.strip() else None)
    return empty(202)


async def restart(request: web.Request) -> web.Response:
    """``POST instances/{id}/restart``: a new instance id unless told otherwise."""
    instance = _instance(request)
    if instance is None:
        return unknown_restart(request.match_info["instance_id"])
    new_id = _flag(request, "restartWithNewInstanceId", True)
    engine = _context(request).engine
    refused = None if new_id else refuse_live(instance, engine.config.overridable_states)
    if refused is not None:
        return refused
    restarted = engine.control.restart(instance, new_id)
    return await _started(request, restarted.instance_id)


def _control(operation: str) -> Handler:
    """``POST instances/{id}/<operation>?reason=``: queued while an episode runs."""

    async def handle(request: web.Request) -> web.Response:
        instance = _instance(request)
        if instance is None:
            return empty(404)
        if instance.status.is_terminal:
            return empty(410)
        control = _context(request).engine.control
        getattr(control, operation)(instance, request.query.get("reason"))
        return empty(202)

    return handle


async def rewind(request: web.Request) -> web.Response:
    """``POST instances/{id}/rewind?reason=``: failed instances only, as the extension allows."""
    instance = _instance(request)
    if instance is None:
        return empty(404)
    if instance.status.is_terminal and instance.status is not RuntimeStatus.FAILED:
        return empty(410)
    if instance.status is not RuntimeStatus.FAILED:
        return rewind_refused()
    await _context(request).engine.control.rewind(instance, request.query.get("reason"))
    return empty(202)


# ---------------------------------------------------------------------- entities


def _entity_key(request: web.Request) -> str:
    key = request.match_info.get("key", "")
    return "" if key == "$" else key


async def entity_state(request: web.Request) -> web.Response:
    """``GET entities/{name}/{key}``: the state, 404 if the entity has none."""
    record = _context(request).engine.entities.state(
        request.match_info["name"], _entity_key(request)
    )
    if record is None:
        return empty(404)
    return web.Response(status=200, text=record.state or "null", content_type="application/json")


async def signal_entity(request: web.Request) -> web.Response:
    """``POST entities/{name}/{key}?op=`` (or ``DELETE``): a signal."""
    operation = "delete" if request.method == "DELETE" else request.query.get("op")
    if not operation:
        return bad_request("The 'op' query parameter is required")
    body = await request.text()
    _context(request).engine.entities.enqueue(
        request.match_info["name"],
        _entity_key(request),
        EntityRequest(
            operation=operation,
            input=body if body.strip() else None,
            is_signal=True,
            request_id=_new_request_id(),
        ),
    )
    return empty(202)


async def list_entities(request: web.Request) -> web.Response:
    """``entities``: every entity that has state."""
    body = [
        {
            "entityId": {"name": r.name, "key": r.key},
            "lastOperationTime": r.updated.isoformat() if r.updated else None,
            "state": json.loads(r.state) if r.state else None,
        }
        for r in _context(request).engine.entities.existing()
    ]
    return json_response(200, body)


# ---------------------------------------------------------------------- the table

#: Every route also answers with a trailing slash, as the extension's handler does.
ROUTES: list[Route] = [
    ("POST", "/orchestrators/{name}", start),
    ("POST", "/orchestrators/{name}/{instance_id}", start),
    ("GET", "/instances", list_instances),
    ("DELETE", "/instances", purge_by),
    ("GET", "/instances/{instance_id}", status),
    ("DELETE", "/instances/{instance_id}", purge),
    ("POST", "/instances/{instance_id}/raiseEvent/{event_name}", raise_event),
    ("POST", "/instances/{instance_id}/restart", restart),
    ("POST", "/instances/{instance_id}/terminate", _control("terminate")),
    ("POST", "/instances/{instance_id}/suspend", _control("suspend")),
    ("POST", "/instances/{instance_id}/resume", _control("resume")),
    ("POST", "/instances/{instance_id}/rewind", rewind),
    ("*", "/entities", list_entities),
    *(
        (method, path, handler)
        for path in ("/entities/{name}", "/entities/{name}/{key}")
        for method, handler in (
            ("GET", entity_state),
            ("POST", signal_entity),
            ("DELETE", signal_entity),
        )
    ),
]


@web.middleware
async def _committed_before_acknowledged(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """A change is on disk before the API accepts it, as the real host's queue message is
    before its 202: a crash right after the answer loses no signal, start or event."""
    response = await handler(request)
    if request.method != "GET" and response.status < 400:
        await _context(request).engine.committed()
    return response


def durable_api_app(
    engine: Engine, hub_name: str, keys: HostKeys, middlewares: Iterable[Middleware] = ()
) -> web.Application:
    """The API as a sub-application, to mount at the webhook path and at the RPC base."""
    app = web.Application(
        middlewares=[*middlewares, router_errors(()), _committed_before_acknowledged]
    )
    app[CONTEXT] = DurableApiContext(engine, hub_name, keys)
    app.add_routes(with_trailing_slash(ROUTES))
    return app


def _time(text: str | None) -> datetime | None:
    return parse(text) if text else None


def _new_request_id() -> str:
    return new_guid()
