"""A local host for Azure Functions Python v2 apps with Durable Functions.

It runs any app's ``function_app.py`` with the real ``azure-functions`` and
``azure-functions-durable`` packages, without Azure Functions Core Tools. The public API:

* :class:`EmulatorServer`: the host on a background thread for tests, with ``server.clock``
  (:class:`ClockControl`) to pause and advance virtual time, and ``server.activities``
  (:class:`ActivityOverrides`) to answer chosen activities with fakes (:func:`fails_then`);
* :class:`EmulatorHost` and :class:`EmulatorOptions`: the host on the caller's event loop
  (``await host.start()`` / ``await host.stop()``);
* :func:`serve`: run a host until SIGINT/SIGTERM, as the ``durable-localhost`` command does.

The pytest plugin (``durable_localhost.pytest_plugin``) provides ready fixtures.
"""

from durable_localhost.cli import serve
from durable_localhost.clock import ClockMode
from durable_localhost.overrides import (
    ActivityFake,
    ActivityOverrides,
    UnknownActivity,
    fails_then,
)
from durable_localhost.server import EmulatorHost, EmulatorOptions
from durable_localhost.testing import ClockControl, EmulatorServer

__all__ = [
    "ActivityFake",
    "ActivityOverrides",
    "ClockControl",
    "ClockMode",
    "EmulatorHost",
    "EmulatorOptions",
    "EmulatorServer",
    "UnknownActivity",
    "__version__",
    "fails_then",
    "serve",
]

__version__ = "0.1.0"
