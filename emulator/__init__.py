"""A local emulator of the Azure Functions host and the Durable Functions extension.

It runs any Python v2-model app (``function_app.py``) with the real ``azure-functions`` and
``azure-functions-durable`` packages, because Azure Functions Core Tools cannot be installed on
the project's machines. See ``emulator/README.md`` for the architecture and fidelity notes.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
