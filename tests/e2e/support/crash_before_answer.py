"""`python -m tests.e2e.support.crash_before_answer <durable_localhost arguments>`.

The local host with the app, killed with SIGKILL the moment a request sent with an
`Idempotency-Key` is about to have its answer kept: after its effect, before the answer. That
is the crash window a retried request must survive (docs/idempotency.md).
"""

from __future__ import annotations

import os
import signal
from unittest import mock

from durable_localhost.cli import main
from shared import request_replays


def _die_before_answer(*_: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    with mock.patch.object(request_replays, "complete", _die_before_answer):
        raise SystemExit(main())
