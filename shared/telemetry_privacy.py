"""What never reaches telemetry: e-mail addresses, payment tokens, keys and bearer tokens.

The app logs ids, not people, so these rules are the second line: they catch what a library
or an exception text carries (an SDK error that quotes a request, a validation message that
repeats its input). Patterns are bounded and only run when their marker character is present,
so a long stack trace costs one `in` check, not a quadratic scan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.util.types import AttributeValue

REDACTED = "[redacted]"

#: (marker that must be present, pattern): checked in this order.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("@", re.compile(r"[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")),
    ("tok_", re.compile(r"tok_[A-Za-z0-9_]{1,100}")),
    ("=", re.compile(r"(?i)\b(?:code|sig|token|access_token|client_secret|key)=[^&\s\"']{1,512}")),
    ("earer", re.compile(r"(?i)\bbearer\s{1,4}[A-Za-z0-9._~+/=-]{1,4096}")),
)


def scrub(text: str) -> str:
    """`text` with every e-mail address, payment token, key and bearer token replaced."""
    for marker, pattern in _RULES:
        if marker in text:
            text = pattern.sub(REDACTED, text)
    return text


def scrub_value(value: Any) -> Any:
    """A log body or attribute value with its strings scrubbed (sequences element-wise)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list | tuple):
        return type(value)(scrub_value(item) for item in value)
    return value


def _scrubbed(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """Only the entries whose value changed, scrubbed."""
    changed: dict[str, Any] = {}
    for key, value in (attributes or {}).items():
        clean = scrub_value(value)
        if clean != value:
            changed[key] = clean
    return changed


class ScrubbingLogProcessor(LogRecordProcessor):
    """Scrubs each log record's body and attributes before any exporter sees it.

    Registered ahead of the exporting processor, on the same mutable record.
    """

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        record = log_record.log_record
        record.body = scrub_value(record.body)
        attributes = record.attributes
        for key, value in _scrubbed(attributes).items():
            attributes[key] = value  # type: ignore[index]  # BoundedAttributes(immutable=False)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class ScrubbingSpanProcessor(SpanProcessor):
    """Scrubs span attributes and event attributes (exception messages) when a span ends.

    The SDK hands processors the finished span itself before the exporting processor, which
    runs after this one; its attribute maps stay mutable, so scrubbing them in place is what
    every later processor and exporter reads.
    """

    def on_start(self, span: Span, parent_context: object = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        _scrub_in_place(getattr(span, "_attributes", None))  # `attributes` is a read-only view
        for event in span.events:
            _scrub_in_place(event.attributes)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _scrub_in_place(attributes: Mapping[str, AttributeValue] | None) -> None:
    """Rewrites a `BoundedAttributes` through its item dict, which even a frozen one exposes."""
    target = getattr(attributes, "_dict", None)
    if target is None:
        return
    for key, value in _scrubbed(attributes).items():
        target[key] = value
