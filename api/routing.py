"""One declaration per HTTP function: route, method, key, durable client, OpenAPI contract.

`Routes.route` registers the Functions HTTP trigger (route, method, auth level), binds the
durable client when asked, records the contract `/api/openapi.json` serves, and wraps the
handler so `HttpProblem` and unexpected errors answer `application/problem+json`. Everything
the host serves and everything the document says come from the same call, so they cannot drift.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import azure.durable_functions as df
import azure.functions as func
from azure.functions.decorators.function_app import FunctionBuilder
from pydantic import BaseModel

from api.access import Access
from api.http import HttpProblem, problem_response
from api.replays import replaying
from shared.models.http import IdempotencyHeaders, Problem
from shared.settings import get_settings
from shared.storage_deadline import bounded_calls
from shared.storage_faults import is_transient_storage_fault

logger = logging.getLogger(__name__)

Method = Literal["GET", "POST", "PUT", "DELETE", "PATCH"]
ResponseSpec = type[BaseModel] | None
Handler = Callable[..., Awaitable[func.HttpResponse]]
#: The parameter name a handler declares to receive the durable client.
CLIENT_PARAMETER = "client"
#: What a route's `key_scope` may be: it starts the partition key of every claim of its keys.
KEY_SCOPE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


@dataclass(frozen=True)
class Operation:
    """What one HTTP function promises: documented in OpenAPI, served by the host."""

    function_name: str
    method: Method
    route: str
    summary: str
    access: Access
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    #: The route parameters' model (what `parse_params(req.route_params, ...)` validates).
    path: type[BaseModel] | None = None
    responses: Mapping[int, ResponseSpec] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    #: The request body may be omitted (e.g. an optional `{reason}` on management routes).
    body_optional: bool = False
    #: The request headers' model, documented as header parameters.
    headers: type[BaseModel] | None = None
    #: Where the route's `Idempotency-Key`s live (api/replays.py); None: the route takes none.
    key_scope: str | None = None


#: What a request gets when storage does not answer in time (or says it is overloaded).
STORAGE_UNAVAILABLE = HttpProblem(
    503,
    "Service unavailable",
    "storage did not answer in time; retry later",
    headers={"Retry-After": "5"},
)

#: Every declared operation, filled as the api modules are imported.
OPERATIONS: dict[str, Operation] = {}


class Routes:
    """One api module's HTTP functions: `bp` goes into function_app.py, `route` declares each."""

    def __init__(self, *tags: str) -> None:
        self.bp = df.Blueprint()
        self.tags = tags

    def route(
        self,
        method: Method,
        route: str,
        *,
        access: Access,
        summary: str,
        client: bool = False,
        name: str | None = None,
        request: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        path: type[BaseModel] | None = None,
        responses: Mapping[int, ResponseSpec] | None = None,
        errors: Iterable[int] = (),
        body_optional: bool = False,
        key_scope: str | None = None,
    ) -> Callable[[Handler], FunctionBuilder]:
        """Declare an `async def` handler as the HTTP function `name` (default: its own name).

        `access` is the key the route needs (see api/access.py); `client=True` binds the
        durable client to the handler's `client` parameter. `path` names the route
        parameters' model, so the document gives each one the values the handler accepts.
        A body model adds 400, 413 and 415 to the documented errors. A `key_scope` makes the
        route take an `Idempotency-Key` header (see api/replays.py), documented with its 400 and
        409: the name its keys are claimed under and its keyed ids derive from. It is stored
        with them, so it stays when the function is renamed, and no two routes share one.
        """

        def register(handler: Handler) -> FunctionBuilder:
            function_name = name or handler.__name__
            documented_errors = set(errors) | ({400, 413, 415} if request else set())
            if key_scope is not None:
                _check_key_scope(key_scope, function_name)
                documented_errors |= {400, 409}
            OPERATIONS[function_name] = Operation(
                function_name=function_name,
                method=method,
                route=route,
                summary=summary,
                access=access,
                request=request,
                query=query,
                path=path,
                responses=dict(responses or {}),
                errors=tuple(sorted(documented_errors)),
                tags=self.tags,
                body_optional=body_optional,
                headers=IdempotencyHeaders if key_scope else None,
                key_scope=key_scope,
            )
            served = replaying(handler, key_scope, function_name) if key_scope else handler
            builder: Any = _problem_answers(served, function_name)
            if client:
                builder = self.bp.durable_client_input(client_name=CLIENT_PARAMETER)(builder)
            builder = self.bp.function_name(function_name)(builder)
            built: FunctionBuilder = self.bp.route(
                route=route, methods=[method], auth_level=access.auth_level
            )(builder)
            return built

        return register


def _check_key_scope(key_scope: str, function_name: str) -> None:
    """A key scope is a lower-case name (it sorts before the expiry index partitions) that no
    other route declares: two routes under one scope would replay each other's answers."""
    if not KEY_SCOPE_NAME.fullmatch(key_scope):
        raise ValueError(f"{function_name}: key scope {key_scope!r} is not a lower-case name")
    for other in OPERATIONS.values():
        if other.key_scope == key_scope and other.function_name != function_name:
            raise ValueError(f"{function_name}: key scope {key_scope!r} is {other.function_name}'s")


def _problem_answers(handler: Handler, function_name: str) -> Handler:
    """The handler, answering `HttpProblem` and any unexpected error as problem+json."""

    @functools.wraps(handler)
    async def guarded(*args: Any, **kwargs: Any) -> func.HttpResponse:
        try:
            with bounded_calls(get_settings().storage_timeout_seconds):
                return await handler(*args, **kwargs)
        except HttpProblem as exc:
            return exc.to_response()
        except Exception as exc:
            if isinstance(exc, TimeoutError) or is_transient_storage_fault(exc):
                logger.warning("storage did not answer %s: %r", function_name, exc)
                return STORAGE_UNAVAILABLE.to_response()
            logger.exception("unhandled error in %s", function_name)
            return problem_response(
                Problem(
                    status=500,
                    title="Internal error",
                    detail="the request failed unexpectedly; it has been logged",
                )
            )

    return guarded
