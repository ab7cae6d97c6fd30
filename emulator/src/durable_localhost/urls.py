"""Management URLs as the host writes them into responses and into the client binding."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from json.encoder import encode_basestring_ascii as _json_string

from durable_localhost.keys import HostKeys

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
#: Each management URL after ``<base>/instances/<id>``, ``{query}`` standing for the query.
_MANAGEMENT_SUFFIXES = {
    "purgeHistoryDeleteUri": "?{query}",
    "sendEventPostUri": "/raiseEvent/{{eventName}}?{query}",
    "statusQueryGetUri": "?{query}",
    "terminatePostUri": "/terminate?reason={{text}}&{query}",
    "suspendPostUri": "/suspend?reason={{text}}&{query}",
    "resumePostUri": "/resume?reason={{text}}&{query}",
    "restartPostUri": "/restart?{query}",
    "rewindPostUri": "/rewind?reason={{text}}&{query}",
}


@dataclass(frozen=True)
class PublicUrls:
    """How management URLs are written for one request origin."""

    origin: str
    hub_name: str
    keys: HostKeys
    _bindings: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def base(self) -> str:
        """``baseUrl`` of the client binding."""
        return f"{self.origin}{WEBHOOK_PATH}"

    @cached_property
    def query(self) -> str:
        """``taskHub=...&connection=Storage`` plus the system key when keys are enforced."""
        text = f"taskHub={urllib.parse.quote(self.hub_name)}&connection=Storage"
        if self.keys.enforced:
            text += f"&code={urllib.parse.quote(self.keys.system)}"
        return text

    @cached_property
    def _suffixes(self) -> dict[str, str]:
        """Every management URL's text after the instance id (the query filled in once)."""
        return {name: text.format(query=self.query) for name, text in _MANAGEMENT_SUFFIXES.items()}

    def management(self, instance_id: str, *, with_rewind: bool = True) -> dict[str, str]:
        """The management URLs of one instance (``id`` may be the ``INSTANCEID`` placeholder)."""
        head = f"{self.base}/instances/{_quoted(instance_id)}"
        urls = {"id": instance_id}
        for name, suffix in self._suffixes.items():
            if with_rewind or name != "rewindPostUri":
                urls[name] = head + suffix
        return urls

    def status_query(self, instance_id: str) -> str:
        """``statusQueryGetUri`` of one instance (the ``Location`` of a 202)."""
        return f"{self.base}/instances/{_quoted(instance_id)}{self._suffixes['statusQueryGetUri']}"

    def check_status_json(self, instance_id: str) -> str:
        """``json.dumps(self.management(instance_id, with_rewind=False))``, built faster.

        Every start answers with it. JSON escapes character by character, so the text around
        the quoted id is escaped once per origin; the quoted id itself needs no escaping.
        """
        quoted = _quoted(instance_id)
        return f'{{"id": {_json_string(instance_id)}{quoted.join(self._check_status_pieces)}'

    @cached_property
    def _check_status_pieces(self) -> list[str]:
        """The JSON text between the quoted ids of :meth:`check_status_json`."""
        head = _escaped(f"{self.base}/instances/")
        pieces = [""]
        for name, suffix in self._suffixes.items():
            if name != "rewindPostUri":
                pieces[-1] += f', "{name}": "{head}'
                pieces.append(f'{_escaped(suffix)}"')
        pieces[-1] += "}"
        return pieces

    def client_binding(self, rpc_base_url: str) -> str:
        """The JSON string the host passes to a ``durableClient`` input binding.

        Written once per RPC base: every call of a function with a client binding gets it.
        """
        binding = self._bindings.get(rpc_base_url)
        if binding is None:
            binding = self._bindings[rpc_base_url] = self._client_binding(rpc_base_url)
        return binding

    def _client_binding(self, rpc_base_url: str) -> str:
        create = f"{self.base}/orchestrators/{{functionName}}[/{{instanceId}}]?{self.query}"
        return json.dumps(
            {
                "taskHubName": self.hub_name,
                "connectionName": None,
                "creationUrls": {
                    "createNewInstancePostUri": create,
                    "createAndWaitOnNewInstancePostUri": (
                        f"{create}&timeout={{timeoutInSeconds}}"
                        "&pollingInterval={intervalInSeconds}"
                    ),
                },
                "managementUrls": self.management("INSTANCEID"),
                "baseUrl": self.base,
                "requiredQueryStringParameters": self.query,
                "rpcBaseUrl": rpc_base_url,
                "httpBaseUrl": None,
            }
        )


def _quoted(instance_id: str) -> str:
    """The id as it appears in a URL (JSON-safe: only ASCII letters, digits and ``_.-~/%``)."""
    return instance_id if instance_id == "INSTANCEID" else urllib.parse.quote(instance_id)


def _escaped(text: str) -> str:
    """``text`` as it appears inside a JSON string written by ``json.dumps``."""
    return _json_string(text)[1:-1]


@lru_cache(maxsize=32)
def public_urls(origin: str, hub_name: str, keys: HostKeys) -> PublicUrls:
    """The (cached) URLs for one request origin: most requests come from one or two."""
    return PublicUrls(origin, hub_name, keys)
