"""What the wheel holds, checked without building it (tests/packaging/smoke_wheel.sh builds,
installs and runs it): every package of the app, the lessons as package data, no tests."""

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
SHIPPED = ("minipyro", "gui", "resources")


def test_every_package_of_the_app_is_found():
    found = set(find_packages(str(ROOT), include=SETUPTOOLS["packages"]["find"]["include"]))
    on_disk = {".".join(init.parent.relative_to(ROOT).parts)
               for top in SHIPPED for init in (ROOT / top).rglob("__init__.py")}
    assert on_disk - found == set()
    assert {name for name in found if name.split(".")[0] not in SHIPPED} == set()


def test_no_folder_of_code_is_left_out_for_lack_of_an_init():
    """A folder of modules without ``__init__.py`` is no package: its code would miss the wheel."""
    lessons = ROOT / "resources" / "examples"
    missing = sorted(str(folder.relative_to(ROOT))
                     for top in SHIPPED for folder in [ROOT / top, *(ROOT / top).rglob("*")]
                     if folder.is_dir() and folder != lessons and folder.name != "__pycache__"
                     and any(folder.glob("*.py")) and not (folder / "__init__.py").exists())
    assert missing == []


def test_the_lessons_are_package_data():
    assert SETUPTOOLS["package-data"]["resources"] == ["examples/*.py"]
    from resources import examples_dir

    assert examples_dir().resolve() == (ROOT / "resources" / "examples").resolve()
    assert (examples_dir() / "normal_normal.py").is_file()  # main.py demo's model


def test_the_console_script_is_main_main():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"] == {"minipyro-studio": "main:main"}
    assert "main" in SETUPTOOLS["py-modules"]
    import main

    assert callable(main.main)


def test_the_screenshot_script_names_files_that_exist():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_screenshots", ROOT / "resources" / "make_screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shots = {**module.SHOTS, **module.projector_shots()}
    paths = [Path(arg) for _, args in shots.values() for arg in args if str(arg).endswith(".py")]
    assert paths and [str(p) for p in paths if not p.is_file()] == []
