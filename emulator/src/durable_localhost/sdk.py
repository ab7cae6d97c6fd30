"""Loading the Durable SDK safely and resetting its process-wide client session.

``import azure.durable_functions`` reads ``host.json`` from the *current directory* with a strict
JSON parser (unless pytest is loaded) and crashes on the comments the real host accepts. The real
worker's current directory is its own install folder, not the app, so the emulator imports the
SDK once from a neutral directory before importing the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import sys
import threading
from pathlib import Path
from types import ModuleType

_lock = threading.Lock()


def import_durable_sdk() -> ModuleType:
    """Import ``azure.durable_functions`` with the working directory set to this package."""
    with _lock:
        cached = sys.modules.get("azure.durable_functions")
        if cached is not None:
            return cached
        previous = os.getcwd()
        os.chdir(Path(__file__).resolve().parent)
        try:
            return importlib.import_module("azure.durable_functions")
        finally:
            os.chdir(previous)


async def close_sdk_client_session() -> None:
    """Close the SDK's shared aiohttp session, which is bound to the loop that created it.

    The SDK keeps one module-level ``ClientSession`` for its HTTP calls to the host. When an
    emulator stops, its loop goes away; a later emulator in the same process (tests) must not
    reuse the dead session.
    """
    with contextlib.suppress(ImportError):
        from azure.durable_functions.models.utils import http_utils

        session = getattr(http_utils, "_client_session", None)
        if session is not None and not session.closed:
            with contextlib.suppress(Exception):
                await session.close()
        http_utils._client_session = None
        http_utils._session_lock = asyncio.Lock()
