"""Fast random identifiers (instance, execution and invocation ids).

``uuid.uuid4()`` reads ``os.urandom`` on every call, which is slow on some virtual machines and
shows up in orchestration throughput; these ids need uniqueness, not cryptographic strength.
"""

from __future__ import annotations

import random
import uuid

_random = random.Random()


def new_guid() -> str:
    """A random version-4 GUID in the host's ``D`` format."""
    return str(uuid.UUID(int=_random.getrandbits(128), version=4))


def new_hex_id() -> str:
    """A GUID in ``N`` format (32 hex digits), as the host generates instance ids."""
    return uuid.UUID(int=_random.getrandbits(128), version=4).hex


def seed(value: int) -> None:
    """Make every later id a function of ``value`` (serial runs, whose histories must repeat)."""
    _random.seed(value)
