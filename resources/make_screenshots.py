"""Regenerate the README's pictures: ``python resources/make_screenshots.py [FOLDER]``.

Each is the app's own ``--screenshot`` on a lesson (offscreen Qt unless a display is set),
so the pictures always show the app as it is. They go to ``resources/screenshots/`` (not
shipped in the wheel), or to FOLDER. A checkout tool: it runs this checkout's ``main.py``.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"
OUT = ROOT / "resources" / "screenshots"

SHOTS = {
    "debugger.png": [EXAMPLES / "replay_block_plate.py", "--show", "stack", "--show", "lesson"],
    "model_graph.png": [EXAMPLES / "eight_schools.py", "--show", "graph"],
    "svi_monitor.png": [EXAMPLES / "normal_normal.py", "--svi-steps", "1000", "--show", "svi"],
    "console_error.png": [ROOT / "tests" / "runner" / "models" / "negative_scale.py", "--show", "console"],
    "dark_theme.png": [EXAMPLES / "nested_plates.py", "--theme", "dark", "--show", "graph"],
    "presentation.png": [EXAMPLES / "replay_block_plate.py", "--presentation", "--show", "stack"],
    "gallery.png": ["--show", "gallery"],
}


def main(out: Path = OUT):
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen" if "DISPLAY" not in env else "xcb")
    for name, args in SHOTS.items():
        (out / name).unlink(missing_ok=True)  # so a picture the app failed to save is noticed
        command = [sys.executable, str(ROOT / "main.py"), *map(str, args), "--screenshot", str(out / name)]
        subprocess.run(command, check=True, env=env, stderr=subprocess.DEVNULL)
        if not (out / name).is_file() or (out / name).stat().st_size == 0:
            sys.exit(f"{out / name}: the app wrote no picture")
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
