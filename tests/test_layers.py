"""The layering of DESIGN section 1, as import-linter contracts in pyproject.toml: the core
imports neither ``observe`` nor ``runner``, ``observe`` never imports ``runner``, ``minipyro``
imports no Qt and not the app, the app imports no torch, ``gui.models`` no Qt."""

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def lint_imports_command():
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is missing: install the test extras (pip install -e '.[test]')")
    return [found]


@pytest.mark.parametrize("contract", CONTRACTS, ids=[contract["id"] for contract in CONTRACTS])
def test_import_contract(contract):
    # A contract's source package that does not exist yet (a package being split out) is
    # skipped by name rather than reported as kept.
    for module in contract.get("source_modules", []):
        if not (ROOT / Path(*module.split("."))).is_dir() and \
                not (ROOT / Path(*module.split("."))).with_suffix(".py").is_file():
            pytest.skip(f"{module} does not exist yet, so contract {contract['id']!r} has nothing to check")
    result = subprocess.run([*lint_imports_command(), "--no-cache", "--no-logo", "--contract", contract["id"]],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout, result.stdout


def test_core_imports_networkx_only_inside_functions():
    for path in sorted((ROOT / "minipyro").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = {alias.name.split(".")[0] for n in top_level for alias in n.names} | \
                {n.module.split(".")[0] for n in top_level if isinstance(n, ast.ImportFrom) and n.module}
        assert "networkx" not in names, path


def test_the_app_side_of_the_core_loads_without_torch():
    """The app imports the controller and the recording reader; neither may pull in torch."""
    code = ("import sys, minipyro.runner.controller, minipyro.observe.recording, minipyro.observe.event; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
