"""Step over message and step out land on the same events live (the runner pauses there) and
travelling through the recording of that run afterwards (the app finds them in the events)."""

import random

import pytest
from PySide6.QtCore import Qt

from resources import examples_dir

KEYS = {"step": (Qt.Key_F11, Qt.NoModifier), "step_message": (Qt.Key_F10, Qt.NoModifier),
        "step_out": (Qt.Key_F11, Qt.ShiftModifier)}


def press(qtbot, window, command):
    key, modifier = KEYS[command]
    qtbot.keyClick(window, key, modifier)


@pytest.mark.parametrize("lesson", ["replay_block_plate", "block_hiding", "nested_plates", "eight_schools"])
def test_live_step_over_and_out_land_where_time_travel_does(qtbot, window, tmp_path, lesson):
    rng = random.Random(lesson)
    window.open_model(examples_dir() / f"{lesson}.py")
    window.run("trace", start_paused=True)
    qtbot.waitUntil(lambda: window.bridge.state == "paused", timeout=60000)
    landed = []  # (from, command, where the live run paused)
    while window.bridge.state == "paused":
        start = window.session.current
        assert start == len(window.session) - 1  # live: at the newest step
        command = rng.choices(list(KEYS), weights=[2, 3, 2])[0]
        press(qtbot, window, command)
        qtbot.waitUntil(lambda: window.bridge.state in ("paused", "finished"), timeout=30000)
        landed.append((start, command, window.session.current))
    assert window.session.events[window.session.current]["kind"] == "run_end"
    commands = {command for _, command, _ in landed}
    assert {"step_message", "step_out"} <= commands

    path = tmp_path / "run.mpr.jsonl"
    window.save_recording(path)
    assert window.open_recording(path)  # the same run, now only a recording
    for start, command, live in landed:
        window.travel(start)
        press(qtbot, window, command)
        assert window.session.current == live, (start, command)
        assert window.bridge.state != "running"  # nothing was run again
