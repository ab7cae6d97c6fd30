"""Undo the extra JSON encoding Durable payloads pick up on the way through the host."""

from __future__ import annotations

import json
from typing import Any


def decode_json_text(value: Any) -> Any:
    """Decode `value` while it is JSON text, at most twice.

    The Python client double-encodes `raise_event` and `start_new` payloads (SDK issue #295),
    so a waiting orchestrator, or a status read of an instance's input, can get JSON *text*
    instead of the value; other senders deliver the value itself. A string that is not JSON
    is returned as it is.
    """
    for _ in range(2):
        if not isinstance(value, str):
            break
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            break
    return value
