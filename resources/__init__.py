"""What the Studio ships besides code: the lessons (``examples/``), found the same way in a
checkout and in an installed wheel (``importlib.resources``)."""

from importlib.resources import files
from pathlib import Path


def examples_dir() -> Path:
    """The folder of the lessons (plain model files, run by the runner like any other)."""
    return Path(str(files(__name__) / "examples"))
