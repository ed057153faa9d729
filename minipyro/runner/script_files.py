"""Model file or script? DESIGN section 5: a file without a module-level ``model`` is a script.
So is one with an ``if __name__ == "__main__":`` block (Pyro's example scripts define ``model``
at module level and train it from their main block), unless it also sets the Studio's own
``svi`` dict or ``title``: a lesson may have a main block for running it with Python.

Decided from the file's syntax tree, without running it; torch-free, for the app's process.
"""

from __future__ import annotations

import ast
from pathlib import Path


def _bound_names(statement) -> set:
    """The module-level names a top-level statement binds (``def``, ``class``, ``=``, ``import ... as``)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in statement.names}
    targets = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    return {node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)}


def _is_main_block(statement) -> bool:
    """``if __name__ == "__main__":``"""
    test = getattr(statement, "test", None) if isinstance(statement, ast.If) else None
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__" \
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)


def is_script(path) -> bool:
    """True for a Python file that binds no module-level ``model``, or that has a main block (a
    training script) and no ``svi`` or ``title``; a file that cannot be parsed counts as a model
    file, whose run then reports the syntax error."""
    try:
        tree = ast.parse(Path(path).read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return False
    names = set()
    for statement in tree.body:
        bodies = [statement]
        if isinstance(statement, (ast.If, ast.Try)) and not _is_main_block(statement):
            # e.g. a model defined under try/except ImportError
            bodies = [node for node in ast.walk(statement) if isinstance(node, ast.stmt)]
        for node in bodies:
            names |= _bound_names(node)
    if "model" not in names:
        return True
    return not _sets_studio_settings(tree) and any(_is_main_block(statement) for statement in tree.body)


def _sets_studio_settings(tree) -> bool:
    """Whether the module assigns the Studio's ``svi`` dict (a literal) or its ``title`` (a string)."""
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name):
            name, value = statement.targets[0].id, statement.value
            if (name == "svi" and isinstance(value, ast.Dict)) or \
                    (name == "title" and isinstance(value, ast.Constant) and isinstance(value.value, str)):
                return True
    return False
