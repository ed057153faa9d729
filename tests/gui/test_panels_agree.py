"""One source of truth: at every step of every lesson, every panel (read back from its widgets)
names the same message and step; stops grey the handlers below; defaults show exact diffs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gui.views.app import read_panels
from minipyro.observe.recording import save_lines
from resources import examples_dir

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted(examples_dir().glob("*.py"))


@pytest.fixture(scope="module")
def lesson_window(qapp, tmp_path_factory):
    """One window for all the lessons (opening a recording starts it afresh)."""
    from PySide6.QtCore import QSettings

    from gui.views.mainwindow import MainWindow

    window = MainWindow(QSettings(str(tmp_path_factory.mktemp("settings") / "settings.ini"), QSettings.IniFormat))
    window.resize(1600, 1000)
    window.show()
    yield window
    window.close()


@pytest.fixture(scope="module")
def recorder_runner():
    """A runner of its own for recording the lessons (the window's runner would show the runs)."""
    from minipyro.runner.controller import RunnerController

    controller = RunnerController()
    yield controller
    controller.close()


def record_trace(controller, path, tmp_path):
    controller.run(path, entry="trace", detail="steps")
    assert controller.wait_until("finished", "dead", timeout=120)
    recording = tmp_path / f"{path.stem}.mpr.jsonl"
    save_lines(recording, (json.dumps(event).encode() for event in controller.events), "steps")
    return recording


def check_step(window, k, shown):
    session = window.session
    state = session.state_at(k)
    event = session.events[k]
    message = state.message
    name = message.name if message else None
    assert shown["step"] == k and shown["status"].startswith(f"Step {k} of {session.last}")
    assert shown["timeline"] == {"current_seq": k, "selected": [k], "row_visible": True}
    assert shown["stack"]["message"] == shown["inspector"]["message"] == name
    assert shown["stack"]["phase"] == (message.phase if message else None)
    if state.source:
        file, _, line = state.source.rpartition(":")
        assert (shown["source"]["file"], shown["source"]["line"]) == (file, int(line))
    handlers = shown["stack"]["handlers"]
    assert [h["label"] for h in handlers] == [h.label for h in state.stack]
    if event["kind"] == "stop":
        states = [h["state"] for h in handlers]
        stopper = states.index("current")
        assert all(s == "skipped" for s in states[stopper + 1:]) and shown["stack"]["phase_words"] == "stopped"
    if event["kind"] == "default":
        changed = shown["inspector"]["changed"]
        if event.get("action", "").startswith("kept"):
            assert "value" not in changed, f"step {k}: a kept value is not a change"
        if event.get("action") == "sampled":
            assert {"value", "done"} <= set(changed)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_panel_agrees_at_every_step(lesson_window, recorder_runner, tmp_path, lesson):
    window = lesson_window
    recording = record_trace(recorder_runner, lesson, tmp_path)
    assert window.open_recording(recording)
    for k in range(len(window.session)):
        window.travel(k)
        check_step(window, k, read_panels(window))


def test_the_stack_repaints_at_every_message_boundary_without_being_forced(qtbot, window):
    window.open_model(examples_dir() / "replay_block_plate.py")
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    events = window.session.events
    boundaries = [k for k in range(len(events)) if events[k]["kind"] in ("msg_start", "msg_end", "stop")]
    assert boundaries
    for k in boundaries:
        window.travel(k)
        qtbot.waitUntil(lambda: window.stack.painted.get("message") == window.session.state_at(k).message.name
                        and window.stack.painted.get("phase") == window.session.state_at(k).message.phase,
                        timeout=2000)


def test_panels_json_from_the_command_line(recorder_runner, tmp_path):
    recording = record_trace(recorder_runner, examples_dir() / "condition_vs_obs.py", tmp_path)
    out = tmp_path / "panels.json"
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), str(recording), "--at", "3,5,999",
                             "--panels-json", str(out)], capture_output=True, text=True, timeout=180,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    shown = json.loads(out.read_text())
    assert [s["step"] for s in shown] == [3, 5]  # a step past the end is left out
    # The source shown is the recording's own copy of the model (never the file it names).
    carried = json.loads(recording.read_text().splitlines()[1])["source_text"].splitlines()
    for s in shown:
        assert set(s) >= {"step", "status", "source", "stack", "inspector", "timeline"}
        assert s["timeline"]["current_seq"] == s["step"]
        assert s["source"]["text"] == carried[s["source"]["line"] - 1]


def test_panels_json_refuses_a_bad_recording_without_a_dialog(tmp_path):
    bad = tmp_path / "bad.mpr.jsonl"
    bad.write_text('{"format": "minipyro-recording", "version": 1, "detail": "steps"}\n{not json\n')
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), str(bad), "--panels-json",
                             str(tmp_path / "o.json")], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 1 and "line 2" in result.stderr and not (tmp_path / "o.json").exists()
