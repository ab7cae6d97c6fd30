import datetime
import os
import time
import uuid

# ruleid: orchestrator-determinism
import requests
# ruleid: orchestrator-determinism
from azure.data.tables import TableClient


def orchestrator(context):
    # ruleid: orchestrator-determinism
    started = datetime.datetime.now(datetime.UTC)
    # ruleid: orchestrator-determinism
    stamp = datetime.datetime.utcnow()
    # ruleid: orchestrator-determinism
    elapsed = time.time()
    # ruleid: orchestrator-determinism
    key = uuid.uuid4()
    # ruleid: orchestrator-determinism
    limit = os.environ["LIMIT"]
    # ruleid: orchestrator-determinism
    other = os.getenv("OTHER")
    # ruleid: orchestrator-determinism
    with open("state.json") as handle:
        handle.read()
    # ruleid: orchestrator-determinism
    requests.get("https://example.com")
    # ruleid: orchestrator-determinism
    TableClient.from_connection_string("...", "t")
    # ok: orchestrator-determinism
    now = context.current_utc_datetime
    # ok: orchestrator-determinism
    minted = context.new_uuid()
    # ok: orchestrator-determinism
    result = yield context.call_activity("read_limit", {"at": now.isoformat()})
    return started, stamp, elapsed, key, limit, other, requests, minted, result
