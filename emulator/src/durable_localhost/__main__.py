"""``python -m durable_localhost``: the ``durable-localhost`` command."""

from durable_localhost.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
