"""Function keys for ``--keys``: a master key, a default function key and the Durable system key.

Without ``--keys`` nothing is enforced, as with Core Tools locally. With it, ``function`` routes
accept the function key or the master key, ``admin`` routes the master key only, and the Durable
webhooks the system key or the master key; ``anonymous`` stays open.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

MASTER_KEY_ENV = "EMULATOR_MASTER_KEY"
FUNCTION_KEY_ENV = "EMULATOR_FUNCTION_KEY"
SYSTEM_KEY_ENV = "EMULATOR_DURABLETASK_KEY"


@dataclass(frozen=True)
class HostKeys:
    """The keys of one emulator run; ``enforced`` is false without ``--keys``."""

    enforced: bool
    master: str
    function: str
    system: str

    def allows(self, level: str, presented: str | None) -> bool:
        """Whether a request with ``presented`` may call a route of auth ``level``.

        Any text is an answer, never an error: a non-ASCII or malformed key is simply wrong.
        """
        if not self.enforced or level == "anonymous":
            return True
        if not presented:
            return False
        if _same(presented, self.master):
            return True
        if level == "function":
            return _same(presented, self.function)
        if level == "system":
            return _same(presented, self.system)
        return False


def _same(presented: str, key: str) -> bool:
    """Constant-time comparison of any text (``compare_digest`` refuses non-ASCII ``str``)."""
    return secrets.compare_digest(_bytes(presented), _bytes(key))


def _bytes(text: str) -> bytes:
    # surrogatepass: header values decoded with surrogateescape still encode.
    return text.encode("utf-8", "surrogatepass")


def new_key() -> str:
    """A key in the host's style (URL-safe, 40+ characters)."""
    return secrets.token_urlsafe(40)


def resolve_keys(enforced: bool, stored: dict[str, str]) -> HostKeys:
    """Environment first, then keys stored with the state, else fresh ones."""
    return HostKeys(
        enforced=enforced,
        master=os.environ.get(MASTER_KEY_ENV) or stored.get("master") or new_key(),
        function=os.environ.get(FUNCTION_KEY_ENV) or stored.get("function") or new_key(),
        system=os.environ.get(SYSTEM_KEY_ENV) or stored.get("system") or new_key(),
    )
