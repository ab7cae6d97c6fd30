"""Management URLs as the host writes them into responses and into the client binding."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from functools import cached_property, lru_cache

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
        quoted = instance_id if instance_id == "INSTANCEID" else urllib.parse.quote(instance_id)
        head = f"{self.base}/instances/{quoted}"
        urls = {"id": instance_id}
        for name, suffix in self._suffixes.items():
            if with_rewind or name != "rewindPostUri":
                urls[name] = head + suffix
        return urls

    def client_binding(self, rpc_base_url: str) -> str:
        """The JSON string the host passes to a ``durableClient`` input binding."""
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


@lru_cache(maxsize=32)
def public_urls(origin: str, hub_name: str, keys: HostKeys) -> PublicUrls:
    """The (cached) URLs for one request origin: most requests come from one or two."""
    return PublicUrls(origin, hub_name, keys)
