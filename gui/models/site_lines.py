"""Which lines of a model file call a primitive: the lines the source gutter marks, where a click
sets a line breakpoint."""

from __future__ import annotations

import ast

PRIMITIVES = {"sample", "param", "deterministic", "factor", "plate"}


def site_lines(source: str) -> dict:
    """line -> what the line calls: ``{"site": name}`` (a glob for f-string names) or ``{"handler": "plate"}``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    lines = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name not in PRIMITIVES or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            site = first.value
        elif isinstance(first, ast.JoinedStr):
            site = "".join(v.value if isinstance(v, ast.Constant) else "*" for v in first.values)
        else:
            continue
        spec = {"handler": "plate"} if name == "plate" else {"site": site}
        lines.setdefault(node.lineno, spec)
    return lines
