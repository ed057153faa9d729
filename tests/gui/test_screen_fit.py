"""The window on a projector's screen (1280x720, 1024x768): on screen, every panel shown at
least at its minimum size and inside the window, the monitor's buttons whole, plots of a
usable height; presentation mode rearranges instead of growing. Each size is a child process
whose offscreen screen has that size (Qt's offscreen platform reads its screens from a file)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from resources import examples_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("width, height", [(1280, 720), (1024, 768)])
def test_the_window_fits_a_projectors_screen(tmp_path, width, height):
    screens = tmp_path / "screens.json"
    screens.write_text(json.dumps({"screens": [{"name": "projector", "x": 0, "y": 0, "width": width, "height": height,
                                                "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    out = tmp_path / "fit.json"
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={screens}", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, str(Path(__file__).with_name("screen_fit_probe.py")),
                             str(examples_dir() / "normal_normal.py"), str(out)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    for state, seen in report.items():
        assert seen["screen"] == [width, height]
        assert seen["on_screen"], f"{state}: window {seen['window']} off a {width}x{height} screen"
        for name, panel in seen["panels"].items():
            assert panel["inside"] and not panel["below_minimum"], f"{state}: {name} cut: {panel}"
        assert not seen["svi_buttons_cut"], f"{state}: cut: {seen['svi_buttons_cut']}"
        assert not seen["toolbar_hidden"], f"{state}: toolbar buttons off the window: {seen['toolbar_hidden']}"
    assert report["normal"]["window"][2:] == [width, height]  # the first window: the whole (small) screen
    assert report["presentation, training"]["window"] == report["normal"]["window"]  # not grown
    assert set(report["presentation, training"]["panels"]) == {"SVI monitor"}
    assert set(report["presentation, stepping"]["panels"]) == {"Handler stack", "Message inspector", "Source"}
    assert report["normal, monitor"]["loss_plot_height"] >= 100
    assert report["normal, monitor"]["params_plot_height"] >= 60  # its data area: with a title and an axis label each, they had 30
    assert report["presentation, training"]["loss_plot_height"] >= 300
    assert report["normal again"]["panels"].keys() == report["normal, monitor"]["panels"].keys()
