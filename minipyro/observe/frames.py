"""Where the user's code is: source lines of sites, and tracebacks with the Studio's frames folded.

Torch-free: the controller (in the app's process) folds a crashed child's frames with it too.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Optional

# The minipyro package: frames in here are the Studio's, not the user's.
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
# Libraries a site's call passes through on its way from the user's line to sample().
_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(module.__file__)) + os.sep
    for module in (sys.modules.get("pyroapi"), sys.modules.get("contextlib"))
    if module is not None and getattr(module, "__file__", None)
)


def is_user_file(filename: str) -> bool:
    return not filename.startswith((PACKAGE_DIR, "<frozen"))


def user_source(depth: int = 1) -> Optional[str]:
    """``file:line`` of the innermost frame outside minipyro: the user's sample/param call."""
    frame = sys._getframe(depth)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(PACKAGE_DIR) and not filename.startswith(_LIBRARY_DIRS):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def error_frames(error: BaseException, outer_frame=None) -> list:
    """The traceback as (file, line, function) dicts, innermost last.

    An error caught on its way up has a traceback only from the catching
    frame down; ``outer_frame`` adds the callers above it (the user's code).
    A syntax error adds the line it points at.
    """
    outer = traceback.extract_stack(outer_frame) if outer_frame is not None else []
    frames = [{"file": f.filename, "line": f.lineno, "function": f.name}
              for f in outer + traceback.extract_tb(error.__traceback__)]
    if isinstance(error, SyntaxError) and error.filename:
        frames.append({"file": error.filename, "line": error.lineno or 0, "function": "<module>"})
    return frames


def user_frames(frames: list) -> tuple[list, int]:
    """The frames outside minipyro (and Python's import machinery); how many were folded away."""
    kept = [f for f in frames if is_user_file(f["file"])]
    return kept, len(frames) - len(kept)
