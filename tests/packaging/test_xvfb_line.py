"""The README's Xvfb line installs everything Qt's xcb platform plugin loads: every shared library
`ldd` resolves for the plugin belongs to a package that the line installs, or that those pull in,
or that every Debian/Ubuntu system has (priority "required"). This is what "tested on a bare
machine" comes to where no bare machine is at hand: the line's package closure, as apt computes it,
covers the plugin's closure, as the loader computes it."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APT_TOOLS = ("apt-cache", "dpkg", "dpkg-query", "ldd")


def readme_packages() -> list:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"^apt-get install -y (.*?)^xvfb-run", text, re.S | re.M)
    assert command, "the README has no `apt-get install -y ...` line before its xvfb-run line"
    return [word for word in command.group(1).replace("\\\n", " ").split() if not word.startswith("-")]


def installed_closure(packages: list) -> set:
    listing = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                              "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *packages],
                             capture_output=True, text=True, check=True).stdout
    names = {line.strip() for line in listing.splitlines() if line and not line[0].isspace()}
    names |= {line.split(":", 1)[1].strip() for line in listing.splitlines() if "Depends:" in line}
    return {name.strip("<>").split(":")[0] for name in names}


def base_system() -> set:
    rows = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Priority} ${Essential}\n"],
                          capture_output=True, text=True, check=True).stdout.splitlines()
    return {row.split()[0] for row in rows if " required" in row or row.endswith(" yes")}


def plugin_libraries(plugin: Path) -> list:
    listing = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    missing = sorted({line.split()[0] for line in listing.splitlines() if "not found" in line})
    if missing:  # then the loader's closure cannot be computed here (a bare machine: the line is not run)
        pytest.skip(f"this machine lacks {missing}: run the README's line first")
    paths = [m.group(1) for m in re.finditer(r"=> (/\S+)", listing)]
    return [path for path in paths if "PySide6" not in path]  # the wheel's own Qt needs no package


def owners(paths: list) -> dict:
    """The package owning each library path (Debian's merged /usr: both spellings are asked)."""
    spellings = {spelling: path for path in paths
                 for spelling in (path, path[len("/usr"):] if path.startswith("/usr/") else "/usr" + path)}
    listing = subprocess.run(["dpkg", "-S", *spellings], capture_output=True, text=True).stdout  # some unknown
    found = {}
    for line in listing.splitlines():
        package, _, spelling = line.partition(": ")
        if spelling in spellings:
            found[spellings[spelling]] = package.split(":")[0].split(",")[0]
    return found


@pytest.mark.skipif(not all(shutil.which(tool) for tool in APT_TOOLS), reason="not a Debian/Ubuntu system")
def test_the_readme_xvfb_line_installs_what_the_xcb_plugin_loads():
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    packages = readme_packages()
    assert {"xvfb", "xauth", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"} <= set(packages)
    libraries = plugin_libraries(plugin)
    owned = owners(libraries)
    assert set(owned) == set(libraries), f"libraries no package owns: {set(libraries) - set(owned)}"
    covered = installed_closure(packages) | base_system()
    uncovered = {path: package for path, package in owned.items() if package not in covered}
    assert not uncovered, f"the README's line does not install: {sorted(set(uncovered.values()))}"
