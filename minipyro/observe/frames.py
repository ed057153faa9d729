"""Where the user's code is: source lines of sites and handlers, the user's call stack, and
tracebacks with the Studio's frames folded.

Torch-free: the controller (in the app's process) folds a crashed child's frames with it too.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
import sysconfig
import traceback
from typing import Optional

# The minipyro package: frames in here are the Studio's, not the user's.
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _folders(*folders) -> tuple:
    return tuple(os.path.abspath(folder) + os.sep for folder in folders)


def _library_dirs() -> tuple:
    """Where Pyro, torch and pyroapi live: a site's way from the user's line to sample() passes
    through them. Found without importing them: the app's process never imports torch."""
    dirs = []
    for name in ("pyro", "torch", "pyroapi"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            dirs.extend(spec.submodule_search_locations)
    return _folders(*dirs)


_NOT_USER_CODE = (PACKAGE_DIR, "<frozen", *_library_dirs())
# Python's standard library (``with``'s contextlib, importlib, threading...), without the
# site-packages inside it when Python is not in a virtual environment.
_STDLIB = _folders(sysconfig.get_paths()["stdlib"])
_SITE_PACKAGES = _folders(*{sysconfig.get_paths()[key] for key in ("purelib", "platlib")})


def is_user_file(filename: str) -> bool:
    """Whether a traceback keeps this frame: everything but minipyro's own (and import machinery)."""
    return not filename.startswith((PACKAGE_DIR, "<frozen"))


# Asked for every frame between a site and the user's line (ten from inside SVI.step) and for
# every line the break-in traces: remembered per file rather than testing prefixes each time.
@functools.lru_cache(maxsize=4096)
def is_user_code(filename: str) -> bool:
    """Whether this is the user's own code: outside minipyro, Pyro, torch, pyroapi and the standard library."""
    if filename.startswith(_NOT_USER_CODE):
        return False
    return not filename.startswith(_STDLIB) or filename.startswith(_SITE_PACKAGES)


def innermost_user_frame(frame):
    """``frame`` or the nearest of its callers that runs the user's code; None if none does."""
    while frame is not None and not is_user_code(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


# (id(code), instruction offset) -> (code, "file:line"). ``f_lineno`` scans the code's line
# table from its start (measured: 5 000 machine instructions a site in a short model, a tenth
# of the cost of recording it), while a site is called from the same few offsets every step.
# The code is kept in the value so that its id cannot be reused by another while remembered.
_sources: dict = {}
MAX_REMEMBERED_SOURCES = 4096


def source_of(frame) -> Optional[str]:
    """``file:line`` of the line ``frame`` is at."""
    if frame is None:
        return None
    code = frame.f_code
    key = (id(code), frame.f_lasti)
    known = _sources.get(key)
    if known is not None and known[0] is code:
        return known[1]
    source = f"{code.co_filename}:{frame.f_lineno}"
    if len(_sources) >= MAX_REMEMBERED_SOURCES:
        _sources.clear()
    _sources[key] = (code, source)
    return source


def user_source(depth: int = 1) -> Optional[str]:
    """``file:line`` of the innermost user frame around the caller (``depth`` 1) or further out:
    the user's sample/param call, or the ``with`` line that entered a handler."""
    return source_of(innermost_user_frame(sys._getframe(depth)))


def user_stack(frame) -> list:
    """The user's frames from ``frame`` outward as (file, line, function) dicts, outermost first."""
    frames = []
    while frame is not None:
        code = frame.f_code
        if is_user_code(code.co_filename):
            frames.append({"file": code.co_filename, "line": frame.f_lineno, "function": code.co_name})
        frame = frame.f_back
    frames.reverse()
    return frames


def traceback_user_source(error: BaseException) -> Optional[str]:
    """``file:line`` of the innermost user frame ``error`` passed through: where it interrupted the user."""
    where = None
    entry = error.__traceback__
    while entry is not None:
        if is_user_code(entry.tb_frame.f_code.co_filename):
            where = f"{entry.tb_frame.f_code.co_filename}:{entry.tb_lineno}"
        entry = entry.tb_next
    return where


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
