"""A script's command line, remembered per file in QSettings (as an IDE's run configuration is)."""

from __future__ import annotations

import shlex
from pathlib import Path

from PySide6.QtCore import QSettings


def _key(path: Path) -> str:
    # QSettings reads "/" as a group separator: each folder a group, the file's name the key.
    return "script_args/" + Path(path).resolve().as_posix().lstrip("/")


def remembered(settings: QSettings, path) -> str:
    """The arguments last used with the script at ``path``, as the user typed them ("" if none)."""
    value = settings.value(_key(path))
    return value if isinstance(value, str) else ""


def remember(settings: QSettings, path, line: str) -> None:
    settings.setValue(_key(path), line)


def split(line: str) -> list:
    """``line`` split as a POSIX shell would (quotes group words); ValueError if a quote is open."""
    return shlex.split(line)


def join(args: list) -> str:
    return shlex.join(str(arg) for arg in args)
