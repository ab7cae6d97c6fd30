"""Run `requests/*.http` files the way VS Code's REST Client does, to keep them working.

Supported: file variables (`@name = value`), `{{name}}`, `{{$timestamp}}`, named requests
(`# @name x`) and references to their answers (`{{x.response.body.$.a.b[0].c}}`,
`{{x.response.headers.Name}}`), `###` separators, `#`/`//` comments, one JSON or text body.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

_REFERENCE = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")
_VARIABLE = re.compile(r"^@([A-Za-z_][\w-]*)\s*=\s*(.*)$")
_NAME = re.compile(r"^(?:#|//)\s*@name\s+(\S+)")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass
class HttpRequest:
    """One request of a file, with its references still unresolved."""

    name: str | None
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: str
    line: int


@dataclass
class HttpFile:
    """A parsed request file."""

    path: Path
    variables: dict[str, str] = field(default_factory=dict)
    requests: list[HttpRequest] = field(default_factory=list)


def parse_http_file(path: Path) -> HttpFile:
    """Split a file into its variables and requests."""
    parsed = HttpFile(path)
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith("###"):
            blocks.append([])
        else:
            blocks[-1].append((number, line))
    for block in blocks:
        request = _parse_block(block, parsed.variables)
        if request is not None:
            parsed.requests.append(request)
    return parsed


def _parse_block(block: list[tuple[int, str]], variables: dict[str, str]) -> HttpRequest | None:
    name = None
    rest = list(block)
    while rest:
        number, line = rest[0]
        stripped = line.strip()
        found = _NAME.match(stripped)
        variable = _VARIABLE.match(stripped)
        if found:
            name = found.group(1)
        elif variable:
            variables[variable.group(1)] = variable.group(2).strip()
        elif stripped and not stripped.startswith(("#", "//")):
            break
        rest.pop(0)
    if not rest:
        return None
    number, request_line = rest.pop(0)
    method, _, url = request_line.strip().partition(" ")
    if method not in _METHODS:
        raise ValueError(f"line {number}: not a request line: {request_line!r}")
    headers: list[tuple[str, str]] = []
    while rest and rest[0][1].strip():
        header = rest.pop(0)[1]
        key, _, value = header.partition(":")
        headers.append((key.strip(), value.strip()))
    body = "\n".join(line for _, line in rest).strip()
    return HttpRequest(name, method, url.strip().removesuffix(" HTTP/1.1"), headers, body, number)


@dataclass
class Answer:
    status: int
    headers: httpx.Headers
    body: Any


def json_path(value: Any, path: str) -> Any:
    """`$`, `$.a.b`, `$[0].id`, `$.items[2]`: the subset of JSONPath the files use."""
    if not path.startswith("$"):
        raise ValueError(f"not a JSONPath: {path}")
    for key, index in re.findall(r"\.([\w-]+)|\[(\d+)\]", path[1:]):
        value = value[key] if key else value[int(index)]
    return value


class Runner:
    """Sends a file's requests in order, resolving variables and earlier answers."""

    def __init__(self, http: httpx.Client, variables: dict[str, str]) -> None:
        self.http = http
        self.overrides = variables
        self.answers: dict[str, Answer] = {}
        self.timestamp = str(int(time.time()))

    def resolve(self, text: str, variables: dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            reference = match.group(1)
            if reference == "$timestamp":
                return self.timestamp
            if reference in variables:
                return self.resolve(variables[reference], variables)
            name, _, rest = reference.partition(".response.")
            if name not in self.answers:
                raise KeyError(f"{{{{{reference}}}}} names no earlier request or variable")
            answer = self.answers[name]
            if rest.startswith("headers."):
                return str(answer.headers[rest.removeprefix("headers.")])
            found = json_path(answer.body, rest.removeprefix("body."))
            return found if isinstance(found, str) else json.dumps(found)

        return _REFERENCE.sub(value, text)

    def send(self, request: HttpRequest, variables: dict[str, str]) -> Answer:
        merged = {**variables, **self.overrides}
        url = self.resolve(request.url, merged)
        headers = {}
        for key, raw in request.headers:
            resolved = self.resolve(raw, merged)
            if resolved:  # an empty key variable means "no key", as locally
                headers[key] = resolved
        body = self.resolve(request.body, merged) if request.body else None
        response = self.http.request(request.method, url, headers=headers, content=body)
        try:
            parsed: Any = response.json()
        except ValueError:
            parsed = response.text
        answer = Answer(response.status_code, response.headers, parsed)
        if request.name:
            self.answers[request.name] = answer
        return answer
