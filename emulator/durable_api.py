"""The Durable extension's HTTP API (``HttpApiHandler``): webhooks and the SDK client's RPC base.

Bodies are always empty or JSON, because the SDK parses every response with
``response.json(content_type=None)`` and crashes on plain text.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from emulator.engine import Engine, ListFilter, UnknownFunctionError
from emulator.ids import new_guid
from emulator.keys import HostKeys
from emulator.model import EntityRequest, Instance, RuntimeStatus
from emulator.status import status_payload
from emulator.timeutil import parse

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
DEFAULT_PAGE_SIZE = 100
_RUNNING_LIKE = {
    RuntimeStatus.RUNNING,
    RuntimeStatus.PENDING,
    RuntimeStatus.CONTINUED_AS_NEW,
    RuntimeStatus.SUSPENDED,
}


@dataclass(frozen=True)
class PublicUrls:
    """How management URLs are written for one request origin."""

    origin: str
    hub_name: str
    keys: HostKeys

    @property
    def base(self) -> str:
        """``baseUrl`` of the client binding."""
        return f"{self.origin}{WEBHOOK_PATH}"

    @property
    def query(self) -> str:
        """``taskHub=...&connection=Storage`` plus the system key when keys are enforced."""
        text = f"taskHub={urllib.parse.quote(self.hub_name)}&connection=Storage"
        if self.keys.enforced:
            text += f"&code={urllib.parse.quote(self.keys.system)}"
        return text

    def management(self, instance_id: str, *, with_rewind: bool = True) -> dict[str, str]:
        """The management URLs of one instance (``id`` may be the ``INSTANCEID`` placeholder)."""
        base, query = self.base, self.query
        quoted = instance_id if instance_id == "INSTANCEID" else urllib.parse.quote(instance_id)
        urls = {
            "id": instance_id,
            "purgeHistoryDeleteUri": f"{base}/instances/{quoted}?{query}",
            "sendEventPostUri": f"{base}/instances/{quoted}/raiseEvent/{{eventName}}?{query}",
            "statusQueryGetUri": f"{base}/instances/{quoted}?{query}",
            "terminatePostUri": f"{base}/instances/{quoted}/terminate?reason={{text}}&{query}",
            "suspendPostUri": f"{base}/instances/{quoted}/suspend?reason={{text}}&{query}",
            "resumePostUri": f"{base}/instances/{quoted}/resume?reason={{text}}&{query}",
            "restartPostUri": f"{base}/instances/{quoted}/restart?{query}",
        }
        if with_rewind:
            urls["rewindPostUri"] = f"{base}/instances/{quoted}/rewind?reason={{text}}&{query}"
        return urls

    def client_binding(self, rpc_base_url: str) -> str:
        """The JSON string the host passes to a ``durableClient`` input binding."""
        create = f"{self.base}/orchestrators/{{functionName}}[/{{instanceId}}]?{self.query}"
        return json.dumps(
            {
                "taskHubName": self.hub_name,
                "connectionName": None,
                "creationUrls": {
                    "createNewInstancePostUri": create,
                    "createAndWaitOnNewInstancePostUri": (
                        f"{create}&timeout={{timeoutInSeconds}}"
                        "&pollingInterval={intervalInSeconds}"
                    ),
                },
                "managementUrls": self.management("INSTANCEID"),
                "baseUrl": self.base,
                "requiredQueryStringParameters": self.query,
                "rpcBaseUrl": rpc_base_url,
                "httpBaseUrl": None,
            }
        )


def empty(status: int, headers: dict[str, str] | None = None) -> web.Response:
    """A response with no body at all (the SDK reads it as ``None``)."""
    return web.Response(status=status, headers=headers)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response."""
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/json", headers=headers
    )


def _flag(request: web.Request, name: str, default: bool) -> bool:
    value = request.query.get(name)
    if value is None:
        return default
    return value.strip().lower() == "true"


def _bad_request(message: str) -> web.Response:
    return json_response(
        400,
        {
            "Message": "One or more of the arguments submitted is incorrect",
            "ExceptionMessage": message,
        },
    )


class DurableHttpApi:
    """Routes ``<base>/<tail>`` to the engine; used for both the webhooks and the RPC base."""

    def __init__(self, engine: Engine, hub_name: str, keys: HostKeys) -> None:
        self.engine = engine
        self.hub_name = hub_name
        self.keys = keys

    def urls_for(self, request: web.Request) -> PublicUrls:
        """Management URLs pointing back at the origin the caller used."""
        return PublicUrls(f"{request.scheme}://{request.host}", self.hub_name, self.keys)

    async def handle(self, request: web.Request, tail: str) -> web.Response:
        """Dispatch one API call."""
        parts = [urllib.parse.unquote(p) for p in tail.split("/")]
        if parts and parts[-1] == "" and len(parts) > 1:
            parts = parts[:-1]
        head = parts[0] if parts else ""
        method = request.method
        if head == "orchestrators" and len(parts) in (2, 3) and method == "POST":
            return await self._start(request, parts[1], parts[2] if len(parts) == 3 else None)
        if head == "instances":
            return await self._instances(request, parts[1:])
        if head == "entities":
            return await self._entities(request, parts[1:])
        return empty(404)

    # ------------------------------------------------------------------ orchestrations

    async def _start(
        self, request: web.Request, name: str, instance_id: str | None
    ) -> web.Response:
        body = await request.text()
        try:
            instance = self.engine.start_orchestration(
                name,
                instance_id or None,
                body if body.strip() else None,
                version=request.query.get("version"),
            )
        except UnknownFunctionError as exc:
            return _bad_request(str(exc))
        return self._check_status(request, instance)

    def _check_status(self, request: web.Request, instance: Instance) -> web.Response:
        urls = self.urls_for(request).management(instance.instance_id, with_rewind=False)
        headers = {"Location": urls["statusQueryGetUri"], "Retry-After": "10"}
        return json_response(202, urls, headers)

    async def _instances(self, request: web.Request, rest: list[str]) -> web.Response:
        method = request.method
        if not rest or rest == [""]:
            if method == "GET":
                return self._list(request)
            if method == "DELETE":
                return self._purge_by(request)
            return empty(405)
        instance = self.engine.get(rest[0])
        if len(rest) == 1:
            if method == "GET":
                return await self._status(request, instance)
            if method == "DELETE":
                if instance is None or not self.engine.purge(instance):
                    return empty(404)
                return json_response(200, {"instancesDeleted": 1})
            return empty(405)
        if method != "POST":
            return empty(405)
        operation = rest[1]
        if operation == "raiseEvent" and len(rest) == 3:
            return await self._raise_event(request, instance, rest[2])
        if operation == "restart":
            if instance is None:
                return _bad_request(f"No instance with ID '{rest[0]}' was found.")
            new_id = _flag(request, "restartWithNewInstanceId", True)
            return self._check_status(request, self.engine.restart(instance, new_id))
        if operation in ("terminate", "suspend", "resume", "rewind"):
            return self._control(request, instance, operation)
        return empty(404)

    async def _status(self, request: web.Request, instance: Instance | None) -> web.Response:
        if instance is None:
            return empty(404)
        history = None
        if _flag(request, "showHistory", False):
            history = await self.engine.history_of(instance)
        payload = status_payload(
            instance,
            show_input=_flag(request, "showInput", True),
            history=history,
            show_history_output=_flag(request, "showHistoryOutput", False),
        )
        if instance.status in _RUNNING_LIKE:
            location = self.urls_for(request).management(instance.instance_id)["statusQueryGetUri"]
            return json_response(202, payload, {"Location": location, "Retry-After": "5"})
        if instance.status is RuntimeStatus.FAILED and _flag(
            request, "returnInternalServerErrorOnFailure", False
        ):
            return json_response(500, payload)
        return json_response(200, payload)

    def _filter(self, request: web.Request) -> ListFilter:
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

    def _list(self, request: web.Request) -> web.Response:
        try:
            query = self._filter(request)
            top = _count(request.query.get("top"), "top", DEFAULT_PAGE_SIZE, minimum=1)
            start = _count(
                request.headers.get("x-ms-continuation-token"), "continuation token", 0, minimum=0
            )
        except ValueError as exc:
            return _bad_request(str(exc))
        found = self.engine.query(query)
        if _flag(request, "newestFirst", False):
            found.reverse()
        page = found[start : start + top]
        # Emulator extension: the dashboard shows "1-100 of N" without walking every page.
        headers = {"x-emulator-total-count": str(len(found))}
        if start + top < len(found):
            headers["x-ms-continuation-token"] = str(start + top)
        show_input = _flag(request, "showInput", False)
        body = [status_payload(i, show_input=show_input) for i in page]
        return json_response(200, body, headers)

    def _purge_by(self, request: web.Request) -> web.Response:
        if not request.query.get("createdTimeFrom"):
            return _bad_request("createdTimeFrom is required to purge instances by filter")
        try:
            query = self._filter(request)
        except ValueError as exc:
            return _bad_request(str(exc))
        deleted = sum(1 for i in self.engine.query(query) if self.engine.purge(i))
        if deleted == 0:
            return empty(404)
        return json_response(200, {"instancesDeleted": deleted})

    async def _raise_event(
        self, request: web.Request, instance: Instance | None, name: str
    ) -> web.Response:
        if instance is None:
            return empty(404)
        if instance.status.is_terminal:
            return empty(410)
        if request.content_type != "application/json":
            return _bad_request("Only application/json request content is supported")
        body = await request.text()
        self.engine.raise_event(instance, name, body if body.strip() else None)
        return empty(202)

    def _control(
        self, request: web.Request, instance: Instance | None, operation: str
    ) -> web.Response:
        if instance is None:
            return empty(404)
        if instance.status.is_terminal:
            return empty(410)
        reason = request.query.get("reason")
        if operation == "terminate":
            self.engine.terminate(instance, reason)
        elif operation == "suspend":
            self.engine.suspend(instance, reason)
        elif operation == "resume":
            self.engine.resume(instance, reason)
        else:
            return empty(501)  # rewind is not emulated (no failed-activity rewrite)
        return empty(202)

    # ------------------------------------------------------------------ entities

    async def _entities(self, request: web.Request, rest: list[str]) -> web.Response:
        if len(rest) < 1 or not rest[0]:
            return self._list_entities()
        name = rest[0]
        key = rest[1] if len(rest) > 1 else ""
        key = "" if key == "$" else key
        if request.method == "GET":
            record = self.engine.entity_state(name, key)
            if record is None:
                return empty(404)
            return web.Response(
                status=200, text=record.state or "null", content_type="application/json"
            )
        if request.method in ("POST", "DELETE"):
            operation = "delete" if request.method == "DELETE" else request.query.get("op")
            if not operation:
                return _bad_request("The 'op' query parameter is required")
            body = await request.text()
            self.engine.enqueue_entity(
                name,
                key,
                EntityRequest(
                    operation=operation,
                    input=body if body.strip() else None,
                    is_signal=True,
                    request_id=_new_request_id(),
                ),
            )
            return empty(202)
        return empty(405)

    def _list_entities(self) -> web.Response:
        body = [
            {
                "entityId": {"name": r.name, "key": r.key},
                "lastOperationTime": r.updated.isoformat() if r.updated else None,
                "state": json.loads(r.state) if r.state else None,
            }
            for r in self.engine.entities.values()
            if r.exists
        ]
        return json_response(200, body)


def _count(text: str | None, what: str, default: int, *, minimum: int) -> int:
    """A paging number from the query or a header; ValueError names it when it is not one."""
    if text is None or text.strip() == "":
        return default
    if not text.strip().isdigit() or int(text) < minimum:
        raise ValueError(f"{what} must be an integer of at least {minimum}, not {text!r}")
    return int(text)


def _time(text: str | None) -> datetime | None:
    return parse(text) if text else None


def _new_request_id() -> str:
    return new_guid()
