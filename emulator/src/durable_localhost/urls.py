"""Management URLs as the host writes them into responses and into the client binding."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass

from durable_localhost.keys import HostKeys

WEBHOOK_PATH = "/runtime/webhooks/durabletask"


@dataclass(frozen=True)
class PublicUrls:
    """How management URLs are written for one request origin."""

    origin: str
    hub_name: str
    keys: HostKeys

    @property
    def base(self) -> str:
        """``baseUrl`` of the client binding."""
        return f"{self.origin}{WEBHOOK_PATH}"

    @property
    def query(self) -> str:
        """``taskHub=...&connection=Storage`` plus the system key when keys are enforced."""
        text = f"taskHub={urllib.parse.quote(self.hub_name)}&connection=Storage"
        if self.keys.enforced:
            text += f"&code={urllib.parse.quote(self.keys.system)}"
        return text

    def management(self, instance_id: str, *, with_rewind: bool = True) -> dict[str, str]:
        """The management URLs of one instance (``id`` may be the ``INSTANCEID`` placeholder)."""
        base, query = self.base, self.query
        quoted = instance_id if instance_id == "INSTANCEID" else urllib.parse.quote(instance_id)
        urls = {
            "id": instance_id,
            "purgeHistoryDeleteUri": f"{base}/instances/{quoted}?{query}",
            "sendEventPostUri": f"{base}/instances/{quoted}/raiseEvent/{{eventName}}?{query}",
            "statusQueryGetUri": f"{base}/instances/{quoted}?{query}",
            "terminatePostUri": f"{base}/instances/{quoted}/terminate?reason={{text}}&{query}",
            "suspendPostUri": f"{base}/instances/{quoted}/suspend?reason={{text}}&{query}",
            "resumePostUri": f"{base}/instances/{quoted}/resume?reason={{text}}&{query}",
            "restartPostUri": f"{base}/instances/{quoted}/restart?{query}",
        }
        if with_rewind:
            urls["rewindPostUri"] = f"{base}/instances/{quoted}/rewind?reason={{text}}&{query}"
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
