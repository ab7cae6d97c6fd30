"""One orchestrator episode: the context JSON the host sends and the state the SDK returns."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

from durable_localhost.config import HostConfig
from durable_localhost.history import Event, encode_event, played_text, with_played
from durable_localhost.model import Instance
from durable_localhost.timeutil import format_timespan

#: Separator the SDK puts between the exception text and the state JSON (``$OutOfProcData$``).
OUT_OF_PROC_LABEL = "\n\n$OutOfProcData$:"

#: Host 2.13 sends upperSchemaVersion 1 (V2) and upperSchemaVersionNew 2 (V3).
UPPER_SCHEMA_VERSION = 1
UPPER_SCHEMA_VERSION_NEW = 2


#: One encoder for the context's header and settings (``json.dumps`` with options builds a new
#: one per call).
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def input_token(input_json: str | None) -> Any:
    """The context's ``input``: ``ExecutionStarted.Input`` parsed as a JToken.

    The client double-encodes ``start_new`` input, so this is usually a string holding JSON
    text, which the SDK's ``get_input`` decodes once more.
    """
    if input_json is None:
        return None
    try:
        return json.loads(input_json)
    except json.JSONDecodeError:
        return input_json


def build_context_json(
    instance: Instance,
    new_events: list[Event],
    config: HostConfig,
    encoded: Sequence[str] = (),
) -> str:
    """The context string of ``OrchestrationContextToString`` (schema V3, long-timer settings).

    Past events are serialized once and cached on the instance (``played_json``), so an episode
    only pays for the events it adds; ``encoded`` holds the texts of the first new events,
    already made by ``encode_event``.
    """
    parts = instance.played_json
    if len(parts) < len(instance.history):
        past = instance.history[len(parts) :]
        parts.extend(played_text(e, encode_event(e)) for e in past)
    texts = [*encoded, *(encode_event(e) for e in new_events[len(encoded) :])]
    history = ",".join([*parts, *(with_played(text, False) for text in texts)])
    header = {
        "input": input_token(instance.input),
        "instanceId": instance.instance_id,
        "isReplaying": bool(instance.history),
        "parentInstanceId": instance.parent.instance_id if instance.parent else None,
    }
    settings = _settings_json(config.long_timer_interval, config.max_short_timer)
    return f'{{"history":[{history}],{_ENCODE(header)[1:-1]}, {settings}'


@lru_cache(maxsize=8)
def _settings_json(long_timer_interval: timedelta, max_short_timer: timedelta) -> str:
    """The context's host settings, the same in every episode: encoded once (without ``{``)."""
    settings = {
        "upperSchemaVersion": UPPER_SCHEMA_VERSION,
        "upperSchemaVersionNew": UPPER_SCHEMA_VERSION_NEW,
        "longRunningTimerIntervalDuration": format_timespan(long_timer_interval),
        "maximumShortTimerDuration": format_timespan(max_short_timer),
        "defaultHttpAsyncRequestSleepTimeMillseconds": 30000,
    }
    return _ENCODE(settings)[1:]


@dataclass
class EpisodeResult:
    """What the SDK answered: its state JSON, plus the error text if user code raised."""

    state: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    crash: str | None = None  # the SDK raised without a state payload (wrapper bug, bad JSON)

    @property
    def actions(self) -> Any:
        """The raw ``actions`` list."""
        return self.state.get("actions") or []

    @property
    def is_done(self) -> bool:
        """Whether the orchestrator returned (or continued as new)."""
        return bool(self.state.get("isDone"))


def parse_success(text: Any) -> EpisodeResult:
    """The wrapper returned the state JSON."""
    state = json.loads(text) if isinstance(text, str | bytes) else dict(text)
    return EpisodeResult(state=state)


def parse_failure(exc: BaseException) -> EpisodeResult:
    """User code raised: split ``str(exc)`` at ``$OutOfProcData$`` and parse the state."""
    message = str(exc)
    head, sep, tail = message.partition(OUT_OF_PROC_LABEL)
    if not sep:
        return EpisodeResult(crash=f"{type(exc).__name__}: {message}")
    try:
        state = json.loads(tail)
    except json.JSONDecodeError:
        return EpisodeResult(crash=message)
    return EpisodeResult(state=state, error=str(state.get("error") or head))
