"""`GET /api/notifications?correlationId=<instance id>`: what an instance sent.

Notifications go to an outbox table instead of a mail server, so this route is how users and
HTTP-only end-to-end tests see confirmations, alerts and escalations.
"""

from __future__ import annotations

import asyncio

import azure.functions as func

from api.access import Access
from api.http import json_response, parse_params
from api.routing import Routes
from shared import outbox
from shared.models.notifications import NotificationList, NotificationQuery

routes = Routes("notifications")
bp = routes.bp


@routes.route(
    "GET",
    "notifications",
    access=Access.ADMIN,
    summary="Notifications one instance sent (its outbox rows), oldest first",
    query=NotificationQuery,
    responses={200: NotificationList},
    errors=(400,),
)
async def list_sent_notifications(req: func.HttpRequest) -> func.HttpResponse:
    query = parse_params(req.params, NotificationQuery, "query")
    # The table client is synchronous: keep the worker's event loop free for other requests.
    found = await asyncio.to_thread(
        outbox.list_notifications, query.correlation_id, query.top, query.kind
    )
    return json_response(found)
