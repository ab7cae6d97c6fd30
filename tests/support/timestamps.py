"""Process state the timestamp tests switch: the local time zone and the SDK's parser."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from shared import sdk_timestamps

#: Local zones that take each of dateutil's paths for a UTC timestamp: `tzlocal()` (zone named
#: UTC), `tzutc()` (any other name), and UTC as one half of a DST pair (dateutil decides).
LOCAL_ZONES = ("UTC", "Europe/Berlin", "UTC0BST,M3.5.0/1,M10.5.0/2")


@contextmanager
def local_zone(name: str) -> Iterator[None]:
    """Run with the process's local time zone set to `name` (POSIX TZ), then restore it."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@contextmanager
def sdk_parser(fast: bool) -> Iterator[None]:
    """Run with the SDK parsing timestamps through `parse_timestamp` (fast) or dateutil."""
    before = sdk_timestamps.installed()
    if fast:
        assert sdk_timestamps.install(), "the SDK's parse sites are not the checked ones"
    else:
        sdk_timestamps.uninstall()
    try:
        yield
    finally:
        if before:
            sdk_timestamps.install()
        else:
            sdk_timestamps.uninstall()
