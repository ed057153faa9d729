"""Model files (DESIGN section 5): a plain Python file defining ``model`` and, for SVI, ``guide``.

Optional module-level names: ``args`` (a tuple, or a function returning one),
``kwargs`` (a dict or a function returning one), ``svi`` (a dict of literals:
``steps``, ``lr``, ``optimizer``, ``optimizer_kwargs``, ``elbo``, ``elbo_kwargs``
and, on Pyro, ``predictive``), ``title``, and the module
docstring (the lesson text). This module runs only in the runner's child
process: loading a model file executes it.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Optional

SVI_DEFAULTS = {"steps": 1000, "lr": 0.01, "optimizer": "Adam", "elbo": "Trace_ELBO"}
ENGINES = ("minipyro", "pyro")
# What a model file's svi dict (and the app's SVI panel) may name on minipyro; on Pyro, any
# optimiser of pyro.optim and ELBO of pyro.infer.
OPTIMIZERS = ("Adam", "ClippedAdam", "SGD")
ELBOS = ("Trace_ELBO", "TraceMeanField_ELBO", "JitTrace_ELBO")


class ModelFileError(Exception):
    """The file does not follow the model file convention; the message says what is missing."""


@dataclass
class FileInfo:
    """What a model file says about itself, read without running it (``ast``, never ``exec``)."""

    title: str
    doc: str
    svi: dict  # SVI_DEFAULTS updated with the file's literal ``svi`` dict
    imports: frozenset  # top-level packages it imports: "pyroapi", "minipyro", "pyro", ...
    syntax_error: Optional[str] = None
    # The first line importing each engine: "pyro" counts only imports of Pyro beyond
    # pyro.distributions, which minipyro models use too.
    engine_lines: dict = field(default_factory=dict)


def read_info(path) -> FileInfo:
    """The file's lesson text, title, SVI settings and imports, without executing it."""
    path = Path(path)
    svi = dict(SVI_DEFAULTS)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, ValueError) as error:
        return FileInfo(path.stem, "", svi, frozenset(), syntax_error=str(error))
    title, imports, engine_lines = path.stem, set(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module if node.module != "pyro" else f"pyro.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            package = name.split(".")[0]
            imports.add(package)
            if package == "pyro" and name.split(".")[1:2] == ["distributions"]:
                continue
            if package in ("pyro", "minipyro", "pyroapi"):
                engine_lines.setdefault(package, node.lineno)
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            if name == "title" and isinstance(value, str):
                title = value
            elif name == "svi" and isinstance(value, dict):
                svi.update(value)
    return FileInfo(title, ast.get_docstring(tree) or "", svi, frozenset(imports), engine_lines=engine_lines)


def choose_engine(path, requested: Optional[str] = None) -> str:
    """The engine a file runs on (DESIGN section 5): ``requested`` if given; else "pyro" for a
    file that imports Pyro, "minipyro" for one that imports minipyro or only pyroapi."""
    if requested is not None and requested not in ENGINES:
        raise ModelFileError(f"unknown engine {requested!r}; choose one of {', '.join(ENGINES)}")
    lines = read_info(path).engine_lines
    if requested is not None:
        (other,) = set(ENGINES) - {requested}
        if other in lines and requested not in lines and "pyroapi" not in lines:
            # Its sites would run on the engine it imports, unobserved: a check would find nothing.
            raise ModelFileError(f"{path}:{lines[other]}: this file imports {other}, so its sites run on "
                                 f"{other}, not on {requested}: leave --engine out (or import {requested})")
        return requested
    if "pyro" in lines and "minipyro" in lines:
        raise ModelFileError(f"{path}:{lines['pyro']}: this file imports both Pyro and minipyro; a model "
                             "runs on one engine: use pyro's handlers with pyro.sample (or minipyro's "
                             f"with minipyro.sample, line {lines['minipyro']}), or pass --engine")
    return "pyro" if "pyro" in lines else "minipyro"


def uses_pyroapi(path: Path) -> bool:
    """Whether the file imports pyroapi (then it runs inside the "minipyro_studio" backend)."""
    return "pyroapi" in read_info(path).imports


@contextlib.contextmanager
def backend_for(path: Path):
    """Run a pyroapi-written file on this core; a file that imports minipyro needs nothing."""
    if uses_pyroapi(path):
        import pyroapi

        import minipyro  # noqa: F401  (registers the alias)

        with pyroapi.pyro_backend("minipyro_studio"):
            yield
    else:
        yield


@dataclass
class ModelFile:
    path: Path
    module: ModuleType
    model: object
    guide: object = None
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    svi: dict = field(default_factory=lambda: dict(SVI_DEFAULTS))
    title: str = ""
    doc: str = ""


def _value(module, name, expected_type, default):
    value = getattr(module, name, default)
    if callable(value) and not isinstance(value, expected_type):
        value = value()
    if not isinstance(value, expected_type):
        raise ModelFileError(f"{module.__file__}: '{name}' must be a {expected_type.__name__} "
                             f"(or a function returning one), got {type(value).__name__}")
    return value


def load_model_file(path) -> ModelFile:
    """Execute the file as a module (its folder importable) and read the convention's names."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # so the file can import its neighbours
    module_name = f"minipyro_model_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)  # SyntaxError and the file's own errors propagate as they are

    model = getattr(module, "model", None)
    if not callable(model):
        raise ModelFileError(f"{path}: defines no function named 'model'")
    guide = getattr(module, "guide", None)
    if guide is not None and not callable(guide):
        raise ModelFileError(f"{path}: 'guide' must be a function")
    svi = dict(SVI_DEFAULTS)
    svi.update(_value(module, "svi", dict, {}))
    return ModelFile(
        path=path, module=module, model=model, guide=guide,
        args=_value(module, "args", tuple, ()), kwargs=_value(module, "kwargs", dict, {}),
        svi=svi, title=str(getattr(module, "title", "") or path.stem), doc=module.__doc__ or "",
    )
