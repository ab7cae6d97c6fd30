"""ASP.NET-style route templates of HTTP triggers: ``orders/{id}``, ``{name?}``, ``{*rest}``.

Matching is case-insensitive on literals, as in the Functions host; constraints such as
``{id:int}`` or ``{id:guid}`` are checked, other constraint names are accepted as-is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PARAM = re.compile(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)((?::[^{}?=]+)*)(\?)?(?:=([^{}]*))?\}")

_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "bool": r"(?i:true|false)",
    "guid": r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}",
    "alpha": r"[A-Za-z]+",
    "double": r"-?\d+(?:\.\d+)?",
    "decimal": r"-?\d+(?:\.\d+)?",
    "float": r"-?\d+(?:\.\d+)?",
    "datetime": r"[^/]+",
}


@dataclass(frozen=True)
class RouteTemplate:
    """A compiled route template."""

    template: str
    pattern: re.Pattern[str]
    defaults: tuple[tuple[str, str], ...]
    literal_segments: int

    def match(self, path: str) -> dict[str, str] | None:
        """Route parameters if ``path`` (without the route prefix) matches."""
        found = self.pattern.fullmatch(path.strip("/"))
        if found is None:
            return None
        values = {k: v for k, v in found.groupdict().items() if v is not None}
        for key, default in self.defaults:
            values.setdefault(key, default)
        return values


def compile_route(template: str) -> RouteTemplate:
    """Compile ``template`` into an anchored regular expression."""
    segments = [s for s in template.strip("/").split("/") if s != ""]
    regex_parts: list[str] = []
    defaults: list[tuple[str, str]] = []
    literal_segments = 0
    for position, segment in enumerate(segments):
        pieces: list[str] = []
        cursor = 0
        optional_segment = False
        only_param = _PARAM.fullmatch(segment) is not None
        if _PARAM.search(segment) is None:
            literal_segments += 1
        for found in _PARAM.finditer(segment):
            pieces.append(re.escape(segment[cursor : found.start()]))
            catch_all, name, constraints, optional, default = found.groups()
            body = r".+" if catch_all else r"[^/]+"
            for constraint in filter(None, (constraints or "").split(":")):
                base = constraint.split("(")[0].lower()
                body = _CONSTRAINTS.get(base, body)
            pieces.append(f"(?P<{name}>{body})")
            if default is not None:
                defaults.append((name, default))
            if (optional or default is not None or catch_all) and only_param:
                optional_segment = True
            cursor = found.end()
        pieces.append(re.escape(segment[cursor:]))
        part = "".join(pieces)
        separator = "/" if position else ""
        if optional_segment:
            regex_parts.append(f"(?:{separator}{part})?")
        else:
            regex_parts.append(f"{separator}{part}")
    pattern = re.compile("".join(regex_parts), re.IGNORECASE)
    return RouteTemplate(template, pattern, tuple(defaults), literal_segments)
