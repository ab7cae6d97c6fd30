"""Error kinds that survive the activity -> orchestrator boundary.

The Durable SDK delivers an activity failure to the orchestrator as a plain `Exception` whose
message embeds the original type and text (custom exception classes are lost, SDK issues #229
and #496). So an activity raises `ActivityError`, whose message carries a small JSON marker,
and the orchestrator recovers the kind with `classify_failure()`.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Final, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

_MARKER: Final = "@@error"
_END: Final = "@@"
#: Where an `ActivityError`'s marker stands: at the start of its own text, or right after the
#: `<Type>Error: ` prefix the host puts before an activity's exception. A marker anywhere else
#: (say, echoed input inside some other error's message) is not trusted.
_MARKER_AT: Final = re.compile(r"(?:\A|\b\w*Error: )" + re.escape(_MARKER))


class ErrorKind(StrEnum):
    """Whether retrying can help."""

    TRANSIENT = "transient"
    PERMANENT = "permanent"


class ErrorCode(StrEnum):
    """Machine-readable reasons used across the app. Add codes here, not as ad-hoc strings."""

    VALIDATION = "validation"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_DECLINED = "payment_declined"
    UNDELIVERABLE = "undeliverable"
    NOT_ALLOWED = "not_allowed"
    UNAVAILABLE = "unavailable"
    TIMEOUT = "timeout"
    UNEXPECTED = "unexpected"


class FailureInfo(BaseModel):
    """What an orchestrator learns about a failed activity or sub-orchestration."""

    model_config = ConfigDict(frozen=True)

    kind: ErrorKind
    code: str
    message: str

    @property
    def is_permanent(self) -> bool:
        return self.kind is ErrorKind.PERMANENT


class ActivityError(Exception):
    """Raised by activities; its text carries a marker the orchestrator can parse back."""

    def __init__(self, kind: ErrorKind, code: ErrorCode | str, message: str) -> None:
        self.info = FailureInfo(kind=kind, code=str(code), message=message)
        super().__init__(f"{_MARKER}{self.info.model_dump_json()}{_END} {message}")


class PermanentError(ActivityError):
    """Retrying cannot help: bad input, a declined card, no stock."""

    def __init__(self, code: ErrorCode | str, message: str) -> None:
        super().__init__(ErrorKind.PERMANENT, code, message)


class TransientError(ActivityError):
    """Retrying later may help: a dependency is busy, throttled or briefly unreachable."""

    def __init__(self, code: ErrorCode | str, message: str) -> None:
        super().__init__(ErrorKind.TRANSIENT, code, message)


def classify_failure(error: BaseException) -> FailureInfo:
    """Recover the kind of a failure from the exception the orchestrator received.

    Failures without a marker (a bug, a crashed worker, a host timeout) are treated as
    transient: retrying is the safe default, and the retry budget bounds the cost.
    """
    text = str(error)
    found = _MARKER_AT.search(text)
    if found is not None:
        try:
            payload, _ = json.JSONDecoder().raw_decode(text, found.end())
            return FailureInfo.model_validate(payload)
        except (ValueError, ValidationError):
            pass
    return FailureInfo(
        kind=ErrorKind.TRANSIENT, code=ErrorCode.UNEXPECTED, message=_first_line(text)
    )


def _first_line(text: str, limit: int = 500) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return line[:limit]


M = TypeVar("M", bound=BaseModel)


def validate_payload(model: type[M], payload: object) -> M:
    """Validate an activity's input; bad input is a permanent failure, never retried."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        fields = ", ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'input'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise PermanentError(ErrorCode.VALIDATION, f"invalid {model.__name__}: {fields}") from None
