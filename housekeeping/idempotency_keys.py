"""Removes expired `Idempotency-Key` rows on IDEMPOTENCY_KEY_CLEANUP_SCHEDULE.

Removal only saves space: a key past its retention already counts as absent when it is read
(`shared.request_replays`), so a late or failed run changes no answer. Each run is bounded;
when it stops at its bound the next scheduled run continues.
"""

from __future__ import annotations

import logging

import azure.durable_functions as df
import azure.functions as func

from shared import request_replays

#: The host resolves `%NAME%` from the app settings when it indexes the function.
SCHEDULE = "%IDEMPOTENCY_KEY_CLEANUP_SCHEDULE%"

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.function_name("remove_expired_idempotency_keys")
@bp.timer_trigger(arg_name="timer", schedule=SCHEDULE, run_on_startup=False)
def remove_expired_idempotency_keys(timer: func.TimerRequest) -> None:
    result = request_replays.remove_expired()
    log.info(
        "expired idempotency keys removed: %d, claimed again and kept: %d, more left: %s, "
        "rows without an index row indexed: %d%s",
        result.removed,
        result.kept,
        result.more,
        result.adopted,
        " (this run started late)" if timer.past_due else "",
    )
