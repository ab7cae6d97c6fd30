"""Importing an app's ``function_app.py`` the way the worker indexes it, once per emulator.

Isolation: ``function_app.py`` is imported by path under a unique module name, and every module
the import pulled in from the app folder is removed from ``sys.modules`` when the app is unloaded.
So several apps (or the same app twice) can be loaded one after another in one process, each
with a fresh ``FunctionApp``, as ``get_functions()`` may only be called once per app object.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import site
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from durable_localhost.functions import FunctionIndex, build_index
from durable_localhost.sdk import import_durable_sdk

_counter = itertools.count(1)


class AppLoadError(RuntimeError):
    """The app could not be imported or indexed."""


@dataclass
class LoadedApp:
    """An imported app and what must be undone to unload it."""

    app_dir: Path
    module: ModuleType
    index: FunctionIndex
    added_sys_path: bool
    module_names: list[str]

    def unload(self) -> None:
        """Forget the modules this app imported from its own folder."""
        for name in self.module_names:
            _forget(name)
        if self.added_sys_path:
            with contextlib.suppress(ValueError):
                sys.path.remove(str(self.app_dir))


def _forget(name: str) -> None:
    """Drop a module, and its attribute on a parent package that stays loaded.

    ``from package import sub`` reads the package's attribute before ``sys.modules``, so a
    package imported before the app (by a test, say) would hand the next load the old ``sub``.
    """
    module = sys.modules.pop(name, None)
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name) if parent_name else None
    if module is not None and parent is not None and getattr(parent, child, None) is module:
        delattr(parent, child)


def _modules_under(folder: Path) -> set[str]:
    """The app's own modules: files under ``folder`` but not in an environment inside it.

    A ``.venv`` in the app folder is common; dropping its libraries on unload would leave two
    generations of a library's classes in one process (a pydantic model then rejects an
    instance of its own field type).
    """
    found: set[str] = set()
    prefix = str(folder) + "/"
    libraries = _library_roots()
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None)
        if not location:
            continue
        resolved = str(Path(location).resolve())
        if resolved.startswith(prefix) and not resolved.startswith(libraries):
            found.add(name)
    return found


def _library_roots() -> tuple[str, ...]:
    """Folders of the running environment: its prefixes and every site-packages."""
    folders = {sys.prefix, sys.exec_prefix, sys.base_prefix, *site.getsitepackages()}
    folders.add(site.getusersitepackages())
    return tuple(str(Path(f).resolve()) + "/" for f in folders)


def _find_app_object(module: ModuleType) -> Any:
    import azure.functions as func

    for value in vars(module).values():
        if isinstance(value, func.FunctionRegister):
            return value
    raise AppLoadError(f"{module.__file__} defines no FunctionApp (e.g. app = df.DFApp())")


def load_app(app_dir: Path) -> LoadedApp:
    """Import ``<app_dir>/function_app.py`` and read ``app.get_functions()`` exactly once."""
    app_dir = app_dir.resolve()
    script = app_dir / "function_app.py"
    if not script.exists():
        raise AppLoadError(f"no function_app.py in {app_dir}")
    import_durable_sdk()
    before = _modules_under(app_dir)
    added = str(app_dir) not in sys.path
    if added:
        sys.path.insert(0, str(app_dir))
    module_name = f"_emulated_function_app_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(module_name, script)
    if spec is None or spec.loader is None:
        raise AppLoadError(f"cannot import {script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
        app = _find_app_object(module)
        import azure.functions as func

        default_level = getattr(app, "auth_level", func.AuthLevel.FUNCTION)
        index = build_index(app.get_functions(), str(getattr(default_level, "value", "function")))
    except BaseException:
        sys.modules.pop(module_name, None)
        for name in _modules_under(app_dir) - before:
            _forget(name)
        if added:
            sys.path.remove(str(app_dir))
        raise
    imported = sorted((_modules_under(app_dir) - before) | {module_name})
    return LoadedApp(app_dir, module, index, added, imported)
