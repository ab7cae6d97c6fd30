"""``--debug``: let an editor attach with debugpy before the app is loaded.

User code runs on the engine's worker threads (orchestrators, activities, entities, HTTP
functions). debugpy traces threads started after ``listen``, and every pool starts its threads
lazily, so breakpoints in the app hit without further set-up. Launching the emulator under
debugpy (``.vscode/launch.json``) needs no option at all.
"""

from __future__ import annotations

import importlib

DEFAULT_DEBUG_PORT = 5678


class DebuggerUnavailableError(RuntimeError):
    """``--debug`` was given but debugpy is not installed."""


def listen_for_debugger(port: int, *, wait: bool) -> None:
    """Open debugpy on loopback ``port``; with ``wait``, block until an editor attaches."""
    try:
        debugpy = importlib.import_module("debugpy")
    except ImportError as exc:
        raise DebuggerUnavailableError(
            "--debug needs debugpy: .venv/bin/pip install debugpy (it is in requirements-dev.txt)"
        ) from exc
    debugpy.listen(("127.0.0.1", port))
    print(f"Debugger listening on 127.0.0.1:{port} (attach with debugpy)", flush=True)
    if wait:
        print("Waiting for the debugger to attach...", flush=True)
        debugpy.wait_for_client()
