"""Activity `send_notification`: records a notification in the outbox, once per key.

The row mapping lives in `shared.outbox`, which the read route uses too.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.errors import validate_payload
from shared.models.notifications import NotificationRequest
from shared.outbox import write_notification

bp = df.Blueprint()


@bp.activity_trigger(input_name="request")
def send_notification(request: dict[str, Any]) -> dict[str, Any]:
    return write_notification(validate_payload(NotificationRequest, request)).to_json()
