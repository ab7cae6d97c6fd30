"""The page the Functions host serves at ``/``: a static notice, never a list of functions.

The host answers ``/`` with a fixed HTML page when no function claims that path, and with
204 when the ``AzureWebJobsDisableHomepage`` setting is ``true``; it asks for no key.
"""

from __future__ import annotations

import os

from aiohttp import web

DISABLE_SETTING = "AzureWebJobsDisableHomepage"

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Functions app</title></head>
<body>
<h1>Your Functions app is up and running</h1>
<p>Served by durable-localhost, a local host for Azure Functions Python apps.</p>
</body>
</html>
"""


async def homepage(request: web.Request) -> web.StreamResponse:
    """200 with the page, or 204 when the app disabled it."""
    if os.environ.get(DISABLE_SETTING, "").strip().lower() == "true":
        return web.Response(status=204)
    return web.Response(text=PAGE, content_type="text/html")
