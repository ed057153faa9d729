"""The runner child's ``script`` entry: a training script run as ``python SCRIPT.py ARGS`` would
run it (DESIGN section 5), inside a run whose recorder the app watches: its SVI steps and ELBO
evaluations fill the SVI monitor, and every site of its first step can be stepped through."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .script import run_as_main


class ScriptExit(Exception):
    """The script called ``sys.exit`` with a failing status."""


def run_script_entry(file, args: list) -> None:
    """Run ``file`` as ``__main__`` with ``sys.argv = [file, *args]``, its folder first on
    ``sys.path`` and as the working folder; ``sys.exit(0)`` ends it normally."""
    path = Path(file)
    saved = sys.argv, list(sys.path), os.getcwd()
    sys.argv = [str(path), *[str(arg) for arg in args]]
    sys.path.insert(0, str(path.resolve().parent))
    os.chdir(path.resolve().parent)
    try:
        run_as_main(str(path.resolve()))
    except SystemExit as stop:
        if stop.code not in (None, 0):
            raise ScriptExit(f"the script exited with status {stop.code}") from None
    finally:
        sys.argv, sys.path[:], cwd = saved[0], saved[1], saved[2]
        os.chdir(cwd)
