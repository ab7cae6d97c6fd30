"""Startup failures as one message saying what is wrong and where (file, and line when known).

The command prints :class:`StartupError` as a single line and exits non-zero, as ``func start``
does when the host refuses to start; the traceback is shown only with ``--verbose``.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path


class StartupError(Exception):
    """The app cannot start: a message, and the file (and line) it is about."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(self.describe())

    def describe(self) -> str:
        """``<file>:<line>: <message>``, or just the message when no file is involved."""
        if self.path is None:
            return self.message
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


def invalid_json(path: Path, error: json.JSONDecodeError) -> StartupError:
    """A settings file that does not parse, with the line the parser stopped at."""
    return StartupError(f"{path.name} is not valid JSON: {error.msg}", path, error.lineno)


def app_import_failed(app_dir: Path, error: BaseException) -> StartupError:
    """An exception raised while importing the app, placed at the deepest line in the app.

    A ``SyntaxError`` names its own file and line; anything else is placed at the innermost
    traceback frame inside the app folder (``function_app.py`` or a module it imported), so a
    failing ``import`` points at the line that ran it rather than into a library.
    """
    summary = f"{type(error).__name__}: {error}"
    if isinstance(error, SyntaxError) and error.filename:
        summary = f"{type(error).__name__}: {error.msg}"
        return StartupError(
            f"Worker failed to index functions: {summary}", Path(error.filename), error.lineno
        )
    path, line = _deepest_app_frame(app_dir, error)
    return StartupError(f"Worker failed to index functions: {summary}", path, line)


def _deepest_app_frame(app_dir: Path, error: BaseException) -> tuple[Path | None, int | None]:
    root = app_dir.resolve()
    found: tuple[Path | None, int | None] = (None, None)
    for frame in traceback.extract_tb(error.__traceback__):
        file = Path(frame.filename)
        if file.is_absolute() and file.resolve().is_relative_to(root) and ".venv" not in file.parts:
            found = (file, frame.lineno)
    return found
