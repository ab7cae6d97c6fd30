"""Loading and unloading an app: only the app's own modules are forgotten."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from durable_localhost.app_loader import load_app

pytestmark = pytest.mark.unit

APP = """
import azure.functions as func
import vendored_library
import app_helper

app = func.FunctionApp()
"""


def test_an_environment_inside_the_app_folder_is_not_unloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_packages = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages"
    site_packages.mkdir(parents=True)
    (site_packages / "vendored_library.py").write_text("class Thing: ...\n")
    (tmp_path / "app_helper.py").write_text("VALUE = 1\n")
    (tmp_path / "function_app.py").write_text(APP)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / ".venv"))
    monkeypatch.syspath_prepend(str(site_packages))
    for name in ("vendored_library", "app_helper"):
        monkeypatch.delitem(sys.modules, name, raising=False)

    loaded = load_app(tmp_path)
    library = sys.modules["vendored_library"]
    loaded.unload()

    assert "app_helper" not in sys.modules
    assert sys.modules.get("vendored_library") is library
    monkeypatch.delitem(sys.modules, "vendored_library")


def test_a_package_loaded_before_the_app_hands_the_next_load_fresh_submodules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "early_package"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "submodule.py").write_text("class Thing: ...\n")
    (tmp_path / "function_app.py").write_text(
        "import azure.functions as func\nfrom early_package import submodule\n"
        "app = func.FunctionApp()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    early = importlib.import_module("early_package")  # imported by someone before the app
    monkeypatch.setitem(sys.modules, "early_package", early)

    first = load_app(tmp_path)
    old = first.module.submodule
    first.unload()
    second = load_app(tmp_path)
    second.unload()

    assert second.module.submodule is not old
    assert not hasattr(early, "submodule")
