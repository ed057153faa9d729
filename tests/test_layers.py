"""The layering of DESIGN section 1: the core never imports Qt or the app; the app never imports torch."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("package, forbidden", [
    ("minipyro", {"PySide6", "pyqtgraph", "gui"}),
    ("gui", {"torch", "pyro"}),
])
def test_package_does_not_import_across_layers(package, forbidden):
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for module in imported_modules(path)
        if module in forbidden
    ]
    assert offenders == []


def test_core_imports_networkx_only_inside_functions():
    for path in sorted((ROOT / "minipyro").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = {alias.name.split(".")[0] for n in top_level for alias in n.names} | \
                {n.module.split(".")[0] for n in top_level if isinstance(n, ast.ImportFrom) and n.module}
        assert "networkx" not in names, path


def test_the_app_side_of_the_core_loads_without_torch():
    """The app imports the controller and the recording reader; neither may pull in torch."""
    import subprocess
    import sys

    code = ("import sys, minipyro.runner.controller, minipyro.observe.recording, minipyro.observe.event; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
