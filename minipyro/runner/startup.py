"""The start-up hook of the Python processes a recorded script starts (``main.py record``).

coverage.py follows subprocesses with an environment variable and a ``.pth`` file installed in
site-packages; a recording must install nothing, so the hook travels on ``PYTHONPATH`` instead:
:func:`hook_folder` writes a folder holding a ``sitecustomize.py`` that calls :func:`start`,
and the script's children get it first on their ``PYTHONPATH``. Python imports the first
``sitecustomize`` it finds: :func:`start` begins the process's recording (when
``MINIPYRO_STUDIO_RECORD`` is set), then runs the ``sitecustomize`` it hides, if there is one,
so that the process starts as it would have.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

_SITECUSTOMIZE = """\
# Written by minipyro-studio record: the processes a recorded script starts record too.
try:
    from minipyro.runner.startup import start
except ImportError:  # the Studio is installed elsewhere than this process looks
    import sys
    sys.path.append({root!r})
    from minipyro.runner.startup import start
start(__file__)
"""


def hook_folder(package_root) -> Path:
    """A new folder holding the ``sitecustomize.py`` (the caller removes it when the run ends)."""
    folder = Path(tempfile.mkdtemp(prefix="minipyro-studio-hook-"))
    (folder / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(root=str(package_root)), encoding="utf-8")
    return folder


def start(hook_file: str) -> None:
    from .script import ENV_VAR, record_this_process

    if os.environ.get(ENV_VAR):
        record_this_process()
    _run_hidden_sitecustomize(os.path.dirname(os.path.abspath(hook_file)))


def _run_hidden_sitecustomize(hook_dir: str) -> None:
    others = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != hook_dir]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", others)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
