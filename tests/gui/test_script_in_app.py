"""A training script (no module-level ``model``) opened in the app: Run executes it as
``python SCRIPT.py ARGS`` in the runner's child, and the SVI monitor fills from its steps."""

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gui.views.app import read_panels
from minipyro.runner.script_files import is_script

SCRIPTS = Path(__file__).resolve().parents[1] / "runner" / "scripts"


def test_a_file_without_a_model_or_with_a_main_block_is_a_script(tmp_path):
    assert is_script(SCRIPTS / "svi_loop.py")  # defines model, trains it under __main__
    assert is_script(SCRIPTS / "no_pyro.py")  # no model, no main block
    model_file = tmp_path / "model_file.py"
    model_file.write_text("import pyro\n\ndef model():\n    pass\n")
    assert not is_script(model_file)
    assigned = tmp_path / "assigned.py"
    assigned.write_text("from mylib import make\nmodel = make()\n")
    assert not is_script(assigned)


def test_run_executes_the_script_with_its_arguments_and_fills_the_monitor(qtbot, window):
    # An ELBO module stepped by a torch optimiser: its loss events are the monitor's curve.
    window.open_model(SCRIPTS / "elbo_module_ranks.py", ["--num-steps", "6", "--ranks", "1"])
    assert window.actions_by_name["run"].text() == "Run script"
    window.run()
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=120000)
    window.bridge.flush()
    qtbot.waitUntil(lambda: window.svi.current is not None and len(window.svi.current) == 7, timeout=10000)
    events = [window.session.events[k] for k in range(len(window.session.events))]
    output = "".join(event["text"] for event in events if event["kind"] == "output")
    printed = [float(loss) for loss in re.findall(r"rank 0 step \d+ loss (\S+)", output)]
    assert len(printed) == 6
    assert list(window.svi.current.losses.values[1:]) == printed  # after the call that makes the params
    assert events[-1]["kind"] == "run_end" and events[-1]["status"] == "ok"
    kinds = {event["kind"] for event in events}
    assert {"msg_start", "msg_end", "structure", "loss"} <= kinds  # the first step's sites too


def test_a_lesson_with_a_main_block_is_still_a_model_file(tmp_path):
    # A lesson (its svi dict or title set) may be runnable with Python too; a training script that
    # keeps its SVI object at module level is still a script.
    lesson = tmp_path / "lesson.py"
    lesson.write_text('title = "A lesson"\nsvi = {"steps": 10}\n\ndef model():\n    pass\n\n'
                      'if __name__ == "__main__":\n    model()\n')
    assert not is_script(lesson)
    script = tmp_path / "train.py"
    script.write_text('svi = make_svi()\n\ndef model():\n    pass\n\nif __name__ == "__main__":\n    svi.step()\n')
    assert is_script(script)


def current_event(window):
    return window.session.events[window.session.current]


def wait_paused_at_tail(qtbot, window, timeout=30000):
    qtbot.waitUntil(lambda: window.bridge.state == "paused" and len(window.session) > 0, timeout=timeout)
    window.bridge.flush()
    qtbot.waitUntil(lambda: window.session.current == len(window.session) - 1, timeout=timeout)


def steps_seen(window):
    return len(window.svi.current) if window.svi.current is not None else 0


def test_breakpoints_stepping_and_pause_work_in_a_script_long_after_its_first_step(qtbot, window):
    # After its first step a script runs with its messages unobserved (the monitor hears its
    # losses): a breakpoint set later, a step from there and Pause must still stop at its sites.
    window.open_model(SCRIPTS / "svi_loop.py", ["--num-steps", "1000000"])
    window.run()
    qtbot.waitUntil(lambda: steps_seen(window) >= 30, timeout=60000)
    line = next(n for n, spec in window.source.sites.items() if spec.get("site") == "obs")
    window.source.toggle_breakpoint(line)  # while it trains
    wait_paused_at_tail(qtbot, window)
    event = current_event(window)
    assert event["kind"] == "msg_start" and event["name"] == "obs"
    assert window.source.current_line == line
    assert steps_seen(window) >= 30  # not the first step's sites
    qtbot.keyClick(window, Qt.Key_F11)  # Step: into the message's flow through the handlers
    qtbot.waitUntil(lambda: current_event(window)["seq"] > event["seq"] and window.bridge.state == "paused",
                    timeout=10000)
    wait_paused_at_tail(qtbot, window)
    assert current_event(window)["kind"] == "process" and window.stack.state.message.name == "obs"

    window.source.toggle_breakpoint(line)  # off again: Continue trains at full speed, unobserved
    qtbot.keyClick(window, Qt.Key_F5)
    trained = steps_seen(window)
    qtbot.waitUntil(lambda: steps_seen(window) >= trained + 100, timeout=60000)
    window.bridge.flush()
    recent = [window.session.events[k]["kind"] for k in range(len(window.session) - 50, len(window.session))]
    assert "msg_start" not in recent and "svi_step" in recent

    qtbot.keyClick(window, Qt.Key_F6)  # Pause: inside the next apply_stack
    wait_paused_at_tail(qtbot, window)
    assert current_event(window)["kind"] == "msg_start"
    assert "paused by you" in window.step_label.text()
    qtbot.keyClick(window, Qt.Key_F5, Qt.ShiftModifier)  # Stop
    qtbot.waitUntil(lambda: window.bridge.state in ("finished", "dead"), timeout=10000)


def test_pause_reaches_a_script_busy_in_its_own_python(qtbot, window, tmp_path):
    script = tmp_path / "spins.py"
    script.write_text("import pyro\n\nn = 0\nwhile True:\n    n += 1\n")
    window.open_model(script)
    window.run()
    qtbot.waitUntil(lambda: window.bridge.state == "running", timeout=30000)
    qtbot.waitUntil(lambda: len(window.session) > 0, timeout=30000)
    qtbot.keyClick(window, Qt.Key_F6)
    wait_paused_at_tail(qtbot, window)
    event = current_event(window)
    assert event["kind"] == "line" and event["line"] in (4, 5) and event["file"] == str(script)
    assert "n" in read_panels(window)["variables"]
    qtbot.keyClick(window, Qt.Key_F5, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: window.bridge.state in ("finished", "dead"), timeout=10000)


def test_run_script_takes_any_file_and_its_arguments_are_edited_and_remembered_per_file(qtbot, window,
                                                                                         monkeypatch):
    script = SCRIPTS / "svi_loop.py"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(script), "Python (*.py)"))
    window.actions_by_name["run_script"].trigger()  # File > Run script...: opened and run at once
    assert window.svi.script_args.isVisibleTo(window.svi) and not window.svi.steps.isVisibleTo(window.svi)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=120000)
    window.bridge.flush()
    assert steps_seen(window) == 5  # the script's default --num-steps

    window.svi.script_args.setText("--num-steps 3 --learning-rate '0.01'")  # in the run settings
    qtbot.mouseClick(window.svi.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=120000)
    window.bridge.flush()
    qtbot.waitUntil(lambda: steps_seen(window) == 3, timeout=10000)
    assert window.script_args == ["--num-steps", "3", "--learning-rate", "0.01"]

    window.open_model(SCRIPTS / "no_pyro.py")  # another file: its own (no) arguments
    assert window.svi.script_args.text() == ""
    window.open_model(script)  # back: the arguments last used with it, from the settings
    assert window.svi.script_args.text() == "--num-steps 3 --learning-rate '0.01'"  # as typed
    window.open_model(script, ["-n", "2"])  # `main.py SCRIPT.py -- -n 2` replaces them
    assert window.svi.script_args.text() == "-n 2"

    window.svi.script_args.setText("--name 'unclosed")
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    warned = []
    window.run()
    assert warned and "unclosed" in warned[0] and window.bridge.state != "running"


def test_a_script_without_pyro_or_not_python_at_all_says_so(qtbot, window, tmp_path):
    quiet = tmp_path / "quiet.py"
    quiet.write_text("print('no Pyro here')\n")
    window.open_model(quiet)
    window.run()
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=60000)
    window.bridge.flush()
    qtbot.waitUntil(lambda: "finished: no Pyro calls were seen" in window.step_label.text(), timeout=5000)
    qtbot.waitUntil(lambda: "no Pyro here" in window.console.toPlainText(), timeout=5000)

    prose = tmp_path / "notes.py"
    prose.write_text("These are my notes, not a program.\n")
    window.open_model(prose, as_script=True)
    window.run()
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=60000)
    window.bridge.flush()
    qtbot.waitUntil(lambda: "ended with an error: SyntaxError" in window.step_label.text(), timeout=5000)
