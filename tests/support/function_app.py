"""`function_app.py` imported the way the worker indexes it, into a fresh app object.

`get_functions()` may be called once per app, so each caller imports the file under its own
module name and gets an app of its own, with every blueprint and the SDK settings it applies.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import azure.functions as func

ROOT = Path(__file__).resolve().parents[2]


def fresh_app(module_name: str) -> func.FunctionApp:
    """A new app object from `function_app.py`, imported as `module_name`."""
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "function_app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app: func.FunctionApp = module.app
    return app
