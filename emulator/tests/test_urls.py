"""Management URLs: the fast JSON of a start's 202 says exactly what ``json.dumps`` would."""

from __future__ import annotations

import json

import pytest

from durable_localhost.keys import HostKeys
from durable_localhost.urls import public_urls

IDS = [
    "0123456789abcdef",
    "a/b c%d?e&f#g",
    'quote"back\\slash',
    "ünï\u2028code\n",
    "INSTANCEID",
    "",
]
HUBS = ["TestHub", 'h\u00e9b "x"\\ &=']
KEYS = [HostKeys(False, "", "", ""), HostKeys(True, "m", "f", 's/k\u00e9"y+=')]


@pytest.mark.parametrize("keys", KEYS)
@pytest.mark.parametrize("hub", HUBS)
@pytest.mark.parametrize("instance_id", IDS)
def test_check_status_json_is_the_management_urls_as_json_dumps_writes_them(
    instance_id: str, hub: str, keys: HostKeys
) -> None:
    urls = public_urls("http://h\u00f6st:7071", hub, keys)
    expected = urls.management(instance_id, with_rewind=False)

    assert urls.check_status_json(instance_id) == json.dumps(expected)
    assert urls.status_query(instance_id) == expected["statusQueryGetUri"]


def test_the_client_binding_names_the_rpc_base_it_was_asked_for() -> None:
    urls = public_urls("http://127.0.0.1:7071", "TestHub", KEYS[1])

    first = json.loads(urls.client_binding("http://127.0.0.1:7071/durabletask/a/"))
    again = json.loads(urls.client_binding("http://127.0.0.1:7071/durabletask/a/"))
    other = json.loads(urls.client_binding("http://127.0.0.1:7071/durabletask/b/"))

    assert first == again
    assert first["rpcBaseUrl"].endswith("/a/")
    assert other["rpcBaseUrl"].endswith("/b/")
    assert other["managementUrls"] == urls.management("INSTANCEID")
