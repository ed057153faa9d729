"""Regenerate the README's pictures: ``python resources/make_screenshots.py [FOLDER]``.

Each is the app's own ``--screenshot`` on a lesson, on an offscreen screen of a projector's size
(Qt's offscreen platform reads its screen from a file), so the pictures show the app as it is,
fitted to that screen. They go to ``resources/screenshots/`` (not shipped in the wheel), or to
FOLDER. ``--projector FOLDER`` takes every combination a classroom meets instead (1280x720 and
1024x768, debugger and monitor, each theme, presentation mode) for a person to look through.
A checkout tool: it runs this checkout's ``main.py``.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"
OUT = ROOT / "resources" / "screenshots"
WIDE, PROJECTOR = (1280, 720), (1024, 768)
DEBUGGER = [EXAMPLES / "replay_block_plate.py", "--show", "stack", "--show", "lesson"]
MONITOR = [EXAMPLES / "gaussian_mixture.py", "--svi-steps", "400", "--show", "svi"]

SHOTS = {
    "debugger.png": (WIDE, DEBUGGER),
    "model_graph.png": (WIDE, [EXAMPLES / "eight_schools.py", "--show", "graph"]),
    "svi_monitor.png": (WIDE, MONITOR),
    "console_error.png": (WIDE, [ROOT / "tests" / "runner" / "models" / "negative_scale.py", "--show", "console"]),
    "dark_theme.png": (WIDE, [EXAMPLES / "nested_plates.py", "--theme", "dark", "--show", "graph"]),
    "contrast_theme.png": (PROJECTOR, DEBUGGER + ["--theme", "contrast"]),
    "presentation.png": (PROJECTOR, DEBUGGER + ["--presentation"]),
    "presentation_svi.png": (PROJECTOR, MONITOR + ["--presentation"]),
    "gallery.png": (WIDE, ["--show", "gallery"]),
    "problems.png": (WIDE, [EXAMPLES / "debugging_a_nan.py", "--svi-steps", "40", "--show", "problems",
                            "--show", "inspector"]),
}


def projector_shots() -> dict:
    shots = {}
    for width, height in (WIDE, PROJECTOR):
        for view, args in (("debugger", DEBUGGER), ("monitor", MONITOR)):
            for theme in ("light", "dark", "contrast"):
                shots[f"{view}_{theme}_{width}x{height}.png"] = ((width, height), args + ["--theme", theme])
            shots[f"{view}_presentation_{width}x{height}.png"] = ((width, height), args + ["--presentation"])
    return shots


def screen_file(size, folder: Path) -> Path:
    path = folder / f"screen_{size[0]}x{size[1]}.json"
    path.write_text(json.dumps({"screens": [{"name": "projector", "x": 0, "y": 0, "width": size[0],
                                             "height": size[1], "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    return path


def take(shots: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    screens = Path(tempfile.mkdtemp(prefix="minipyro-screens-"))
    for name, (size, args) in shots.items():
        (out / name).unlink(missing_ok=True)  # so a picture the app failed to save is noticed
        env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={screen_file(size, screens)}")
        command = [sys.executable, str(ROOT / "main.py"), *map(str, args), "--screenshot", str(out / name)]
        subprocess.run(command, check=True, env=env, stderr=subprocess.DEVNULL)
        if not (out / name).is_file() or (out / name).stat().st_size == 0:
            sys.exit(f"{out / name}: the app wrote no picture")
        print(f"wrote {out / name}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--projector"]:
        take(projector_shots(), Path(sys.argv[2]))
    else:
        take(SHOTS, Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
