"""Settings that follow `make run`'s ports when they are not the defaults.

`local.settings.json` names the default ports (the app at localhost:7071, Azurite through
`UseDevelopmentStorage=true`, which means 10000-10002). With `PORT` or `AZURITE_PORTS` set to
other ports, those values would send the app's own URLs, the `self` health check and every
storage call to whatever else listens on the defaults. This prints, NUL-separated, the
`NAME=value` pairs that point them at the chosen ports instead; a variable already set in the
environment is left alone (it wins over `local.settings.json` on the host, too).

    python3 scripts/local_settings_env.py SETTINGS_FILE APP_PORT BLOB_PORT QUEUE_PORT TABLE_PORT
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

DEFAULT_APP_PORT = 7071
DEFAULT_AZURITE_PORTS = (10000, 10001, 10002)
DEVELOPMENT_STORAGE = "UseDevelopmentStorage=true"
ACCOUNT = "devstoreaccount1"
#: Azurite's well-known development key (public and documented, not a secret).
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
LOCAL_ORIGINS = ("http://localhost:{}", "http://127.0.0.1:{}")


def development_storage(blob: int, queue: int, table: int) -> str:
    """What `UseDevelopmentStorage=true` means, on Azurite's given ports."""
    base = "http://127.0.0.1:{}/" + ACCOUNT
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint={base.format(blob)};QueueEndpoint={base.format(queue)};"
        f"TableEndpoint={base.format(table)};"
    )


def moved_value(value: str, app_port: int, azurite_ports: tuple[int, int, int]) -> str:
    """The value with the default ports it names replaced by the chosen ones."""
    if value.strip() == DEVELOPMENT_STORAGE and azurite_ports != DEFAULT_AZURITE_PORTS:
        return development_storage(*azurite_ports)
    if app_port != DEFAULT_APP_PORT:
        for origin in LOCAL_ORIGINS:
            value = value.replace(origin.format(DEFAULT_APP_PORT), origin.format(app_port))
    return value


def moved_settings(
    values: Mapping[str, object],
    environment: Mapping[str, str],
    app_port: int,
    azurite_ports: tuple[int, int, int],
) -> dict[str, str]:
    """The settings whose value changes with the ports, unless the environment sets them."""
    moved: dict[str, str] = {}
    for name, value in values.items():
        if name in environment or not isinstance(value, str):
            continue
        changed = moved_value(value, app_port, azurite_ports)
        if changed != value:
            moved[name] = changed
    return moved


def main(argv: list[str]) -> int:
    settings_file, *ports = argv
    app_port, blob, queue, table = (int(port) for port in ports)
    try:
        values = json.loads(Path(settings_file).read_text(encoding="utf-8")).get("Values") or {}
    except (OSError, ValueError, AttributeError):
        return 0  # the host reads the file next and says what is wrong with it
    moved = moved_settings(values, os.environ, app_port, (blob, queue, table))
    sys.stdout.write("".join(f"{name}={value}\0" for name, value in moved.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
