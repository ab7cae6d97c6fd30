"""Instance ids of every orchestration: their prefixes and how each is built.

All orchestrations of a task hub share one namespace of instance ids, and a start under an id
that another orchestration holds replaces or joins it. So each pattern's ids start with its
own prefix, built here only, and a caller-chosen id (a batch id) may not start like them.
"""

from __future__ import annotations

import uuid
from typing import Final

ORDER: Final = "order-"
ONBOARDING: Final = "onboarding-"
APPROVAL: Final = "approval-"
EXPORT_MONITOR: Final = "monitor-"
HEALTH_MONITOR: Final = "health-monitor-"

#: Every prefix the app mints or derives ids under; a batch id is chosen by its caller and
#: is its instance id as it stands, so it may start like none of them (in any case).
RESERVED_PREFIXES: Final = (ORDER, ONBOARDING, APPROVAL, EXPORT_MONITOR, HEALTH_MONITOR)


def _any_case(prefix: str) -> str:
    """`order-` as `[oO][rR][dD][eE][rR]-` (the prefixes hold only letters and '-')."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in prefix)


#: `is_reserved` as a regular expression without lookahead, for a JSON Schema `not`.
RESERVED_PATTERN: Final = "^(" + "|".join(_any_case(p) for p in RESERVED_PREFIXES) + ")"


def is_reserved(candidate: str) -> bool:
    """Whether `candidate` starts like one of the app's own ids (compared in lower case)."""
    return candidate.lower().startswith(RESERVED_PREFIXES)


def order(order_id: str) -> str:
    """One saga instance per order id: a re-post of the same order finds the first one."""
    return f"{ORDER}{order_id}"


def onboarding(onboarding_key: str) -> str:
    """One onboarding instance per e-mail (its `email_key`): a re-post finds the one started."""
    return f"{ONBOARDING}{onboarding_key}"


def approval(request_id: str | None = None) -> str:
    """An approval named after its request's `Idempotency-Key` (`request_id`), else fresh."""
    return f"{APPROVAL}{request_id or uuid.uuid4().hex}"


def export_monitor() -> str:
    """A fresh export monitor: every request watches anew."""
    return f"{EXPORT_MONITOR}{uuid.uuid4().hex}"


def health_monitor(name: str) -> str:
    """One singleton instance per endpoint name."""
    return f"{HEALTH_MONITOR}{name}"


def batch_chunk(batch_id: str, chunk_index: int, attempt: int = 1) -> str:
    """A chunk's deterministic child id: `<batch>:chunk-<n>`, `...:attempt-<k>` on retries."""
    base = f"{batch_id}:chunk-{chunk_index}"
    return base if attempt == 1 else f"{base}:attempt-{attempt}"
