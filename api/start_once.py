"""Start an orchestration once per instance id, by one of three policies stated as data.

Every starter calls `start_once` with a `StartPolicy` saying what an existing instance under
its id means. It matters where the id derives from the request (an e-mail, an order id, a
batch id, an `Idempotency-Key`, a health monitor's name); a fresh id meets no instance:

| policy | existing instance | same request | other details |
|---|---|---|---|
| `JOIN` | pending, running, suspended, completed | 202, that instance | 409 |
| `JOIN` | failed, terminated | started again | 409 (or started again, see below) |
| `SINGLETON` | pending, running, suspended | 409 | 409 |
| `SINGLETON` | finished | replaced | replaced |
| any | of another orchestrator | 409 | 409 |

Joining makes a retried POST safe: a client that lost the answer never starts a second
instance. Starting a failed instance again is sound for the *same* request, since its steps'
idempotency keys find the effects the first run left; `restart_with_other_details` allows it
for other details too where every step keeps what was stored first. An instance of another
orchestrator under the id (started by other means) is never joined, nor replaced.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from azure.durable_functions.models.OrchestrationRuntimeStatus import OrchestrationRuntimeStatus

from api.http import HttpProblem, instance_url
from api.instance_state import ACTIVE, JOINABLE, runtime_status_name
from shared.json_text import decode_json_text

RuntimeStatuses = frozenset[OrchestrationRuntimeStatus]


@dataclass(frozen=True)
class StartPolicy:
    """What a start meets under its id: which statuses it joins, refuses or starts over."""

    name: str
    #: A request with the same details answers 202 with the existing instance.
    joins: RuntimeStatuses
    #: Any request is a 409 (a singleton that still runs).
    refuses: RuntimeStatuses
    #: Whether a request must match the existing instance's details to join or start over it.
    compares_details: bool


JOIN = StartPolicy("join", joins=JOINABLE, refuses=frozenset(), compares_details=True)
SINGLETON = StartPolicy("singleton", joins=frozenset(), refuses=ACTIVE, compares_details=False)


def _always_same(_: Any) -> bool:
    return True


async def start_once(
    client: df.DurableOrchestrationClient,
    policy: StartPolicy,
    orchestrator: str,
    instance_id: str,
    payload: dict[str, Any],
    *,
    same_request: Callable[[Any], bool] = _always_same,
    conflict_detail: str = "this id was already used for a different request",
    restart_with_other_details: bool = False,
    before_start: Callable[[], Awaitable[None]] | None = None,
) -> bool:
    """Start `orchestrator` as `instance_id` unless `policy` joins or refuses what is there.

    True when this call started the instance, False when it joined an existing one; a 409
    (`HttpProblem`) when the policy refuses. `same_request` receives the existing instance's
    input object (a missing or unreadable input counts as the same request: nothing new starts
    for a mere retry). `before_start` runs only when an instance is about to start: where the
    request's details are stored for the orchestration.
    """
    existing = _Existing(orchestrator, instance_id, same_request, conflict_detail)
    status = await client.get_status(instance_id, show_input=True)
    if status and existing.joined(policy, status, restart_with_other_details):
        return False
    if before_start is not None:
        await before_start()
    try:
        await client.start_new(orchestrator, instance_id, payload)
    except Exception:
        # A request racing this one may have started the instance since the read; the host
        # refuses to start it again while it runs. Answer as the policy answers that instance.
        status = await client.get_status(instance_id, show_input=True)
        if not (status and status.runtime_status in ACTIVE):
            raise
        if existing.joined(policy, status, restart_with_other_details=False):
            return False
        raise
    return True


@dataclass(frozen=True)
class _Existing:
    """The request, as compared with an instance found under its id."""

    orchestrator: str
    instance_id: str
    same_request: Callable[[Any], bool]
    conflict_detail: str

    def joined(
        self,
        policy: StartPolicy,
        status: DurableOrchestrationStatus,
        restart_with_other_details: bool,
    ) -> bool:
        """True to join `status`, False to start over it; a 409 when `policy` refuses it."""
        if status.name not in (None, self.orchestrator):
            raise self._conflict(
                f"'{self.instance_id}' is the instance id of another orchestration"
            )
        if status.runtime_status in policy.refuses:
            raise self._conflict(
                f"'{self.instance_id}' is {runtime_status_name(status)}; it must finish first"
            )
        joins = status.runtime_status in policy.joins
        if policy.compares_details and (joins or not restart_with_other_details):
            stored = decode_json_text(status.input_)
            if isinstance(stored, dict) and not self.same_request(stored):
                raise self._conflict(self.conflict_detail)
        return joins

    def _conflict(self, detail: str) -> HttpProblem:
        return HttpProblem(
            409, "Conflict", detail, headers={"Location": instance_url(self.instance_id)}
        )
