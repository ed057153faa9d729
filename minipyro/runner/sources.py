"""The text a recording carries so that it opens with its source anywhere (format version 2):
the model file's, and that of the files an error's frames point at in the model's folder.

The app never opens a path that a recording names; it shows these texts instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

MAX_SOURCE_BYTES = 1 << 20  # per file: a model file, not a data file
MAX_ERROR_SOURCES = 8  # files per error


def source_text(path) -> Optional[str]:
    """A file's text, or None if it is not a readable UTF-8 regular file under the size cap."""
    path = Path(path)
    try:
        if not path.is_file() or path.stat().st_size > MAX_SOURCE_BYTES:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def error_sources(frames: list, model_file) -> dict:
    """file -> text for the files an error's frames point at in the model's folder (its own
    helper modules), the model file itself aside (``run_start`` carries it)."""
    folder = Path(model_file).resolve().parent
    sources: dict = {}
    for frame in frames:
        file = frame["file"]
        if file in sources or len(sources) >= MAX_ERROR_SOURCES or file == str(model_file):
            continue
        path = Path(file)
        if path.is_absolute() and folder in path.resolve().parents:
            text = source_text(path)
            if text is not None:
                sources[file] = text
    return sources
