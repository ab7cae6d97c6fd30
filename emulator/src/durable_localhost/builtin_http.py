"""``call_http``'s built-in activity, run as the extension's ``TaskHttpActivityShim`` runs it.

The request is made once: the Python SDK's ``httpRequest`` has no ``asynchronousPatternEnabled``
(and no ``timeout`` or ``retryOptions``), which Newtonsoft turns into ``false`` and ``null``, so
the extension neither polls a 202 nor retries. What the orchestrator gets back is
``DurableHttpResponse``: the status code, the *response* headers only
(``HttpResponseMessage.Headers`` leaves the content headers out), a header sent more than once
as an array, and the body as text.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from durable_localhost.invokers import ActivityError

log = logging.getLogger("durable_localhost.host")

#: ``DurableHttpClientFactory`` gives its ``HttpClient`` this timeout (seconds).
HTTP_CLIENT_TIMEOUT = 240
#: ``HttpContentHeaders``: .NET keeps these on the content, not in the response's headers.
CONTENT_HEADERS = frozenset(
    {
        "allow",
        "content-disposition",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-md5",
        "content-range",
        "content-type",
        "expires",
        "last-modified",
    }
)
#: ``new MediaTypeHeaderValue(contentType)`` accepts a bare ``type/subtype`` (RFC 9110 token
#: characters), no parameters.
_TCHARS = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEDIA_TYPE = re.compile(rf"{_TCHARS}[ \t]*/[ \t]*{_TCHARS}")
#: .NET's ``HttpClient`` sends none of the headers aiohttp adds on its own.
_NO_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent")


async def run_builtin_http(request: Mapping[str, Any]) -> str:
    """Make the request once; the ``DurableHttpResponse`` JSON, or the host's failure."""
    method = str(request.get("method") or "GET").upper()
    headers, body, content_type = _request_parts(request)
    if request.get("tokenSource") is not None:
        log.warning(
            "call_http to %s: the local host has no managed identity, so the request goes "
            "without the Authorization header the host would add for its token_source",
            request.get("uri"),
        )
    if content_type is not None:
        headers.add("Content-Type", content_type)
    timeout = aiohttp.ClientTimeout(total=HTTP_CLIENT_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(
                timeout=timeout, auto_decompress=False, skip_auto_headers=_NO_AUTO_HEADERS
            ) as session,
            session.request(method, str(request["uri"]), data=body, headers=headers) as response,
        ):
            raw = await response.read()
            text = raw.decode(response.charset or "utf-8", errors="replace")
            return json.dumps(
                {
                    "statusCode": response.status,
                    "headers": response_headers(response.headers),
                    "content": text,
                }
            )
    except TimeoutError as exc:
        message = (
            "The request was canceled due to the configured HttpClient.Timeout of "
            f"{HTTP_CLIENT_TIMEOUT} seconds elapsing."
        )
        raise _unhandled("System.Threading.Tasks.TaskCanceledException", message) from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise _http_request_failed(_network_message(exc, str(request["uri"]))) from exc


def scheduled_http_input(http_request: Mapping[str, Any]) -> str:
    """``TaskScheduled.Input`` of the built-in activity, as the extension records it.

    DTFx's one-element parameter array holding the ``DurableHttpRequest`` the shim read, which
    Newtonsoft writes with every property: the ones the SDK leaves out at their defaults.
    """
    recorded = {
        "method": http_request.get("method") or "GET",
        "uri": http_request.get("uri"),
        "headers": dict(http_request.get("headers") or {}),
        "content": http_request.get("content"),
        "tokenSource": http_request.get("tokenSource"),
        "asynchronousPatternEnabled": False,
        "retryOptions": None,
        "timeout": None,
    }
    return json.dumps([recorded], separators=(",", ":"), ensure_ascii=False)


def response_headers(headers: CIMultiDictProxy[str]) -> dict[str, str | list[str]]:
    """``HttpResponseMessage.Headers`` as ``HttpHeadersConverter`` writes them."""
    found: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key in CONTENT_HEADERS:
            continue
        names.setdefault(key, name)
        found.setdefault(key, []).append(value)
    return {names[k]: v[0] if len(v) == 1 else v for k, v in found.items()}


def _request_parts(request: Mapping[str, Any]) -> tuple[CIMultiDict[str], str | None, str | None]:
    """Headers, body and content type as ``ConvertToHttpRequestMessage`` builds them."""
    headers: CIMultiDict[str] = CIMultiDict()
    content_type = ""
    for name, value in dict(request.get("headers") or {}).items():
        values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if name.lower() == "content-type":
            for candidate in values:
                if "multipart" in candidate:
                    raise _unhandled(
                        "Microsoft.Azure.WebJobs.Extensions.DurableTask.FunctionFailedException",
                        "Multipart content is not supported with CallHttpAsync.",
                    )
                content_type = candidate
        elif name.lower() in CONTENT_HEADERS:
            raise _unhandled(
                "System.InvalidOperationException",
                f"Misused header name, '{name}'. Make sure request headers are used with "
                "HttpRequestMessage, response headers with HttpResponseMessage, and content "
                "headers with HttpContent objects.",
            )
        else:
            for one in values:
                headers.add(str(name), one)
    content = request.get("content")
    if content is None:
        return headers, None, None
    content_type = content_type or "text/plain"
    if not _MEDIA_TYPE.fullmatch(content_type):
        raise _unhandled(
            "System.FormatException", f"The format of value '{content_type}' is invalid."
        )
    if content_type.lower() == "application/x-www-form-urlencoded":
        content_type = f"{content_type}; charset=utf-8"
    return headers, str(content), content_type


def _network_message(exc: BaseException, uri: str) -> str:
    """``HttpRequestException``'s text for a failed connection: what failed, then host:port."""
    url = URL(uri)
    where = f"({url.host}:{url.port})"
    cause = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    if isinstance(cause, ConnectionRefusedError):
        return f"Connection refused {where}"
    text = getattr(cause, "strerror", None) or str(cause) or type(cause).__name__
    return f"{text} {where}"


def _http_request_failed(message: str) -> ActivityError:
    """``TaskFailureException`` around an ``HttpRequestException``: its text, the exception JSON."""
    details = {
        "ClassName": "System.Net.Http.HttpRequestException",
        "Message": message,
        "Data": None,
        "InnerException": None,
        "HelpURL": None,
        "StackTraceString": None,
        "HResult": -2147467259,
        "Source": "System.Net.Http",
    }
    return ActivityError(message, json.dumps(details))


def _unhandled(exception_type: str, message: str) -> ActivityError:
    """Any other exception, as DTFx's activity dispatcher records it."""
    details = f"Unhandled exception while executing task: {exception_type}: {message}"
    return ActivityError(message, details)
