"""The debugger as a person uses it: open, run, step with the keys, travel back, breakpoints, stop."""

import json
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

import minipyro
from gui.views.app import read_panels
from resources import examples_dir

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = examples_dir() / "replay_block_plate.py"
MODELS = ROOT / "tests" / "runner" / "models"


def wait_paused(qtbot, window, timeout=30000):
    qtbot.waitUntil(lambda: window.bridge.state in ("paused", "finished")
                    and len(window.session) > 0
                    and window.session.current == len(window.session) - 1, timeout=timeout)


def panels_agree(window):
    """Every panel shows the session's current step, as read back from the widgets."""
    step = window.session.current
    state = window.session.state_at(step)
    shown = read_panels(window)
    message = state.message
    name = message.name if message else None
    assert shown["step"] == step and shown["status"].startswith(f"Step {step} of {window.session.last}")
    assert shown["stack"]["message"] == shown["inspector"]["message"] == name
    if message is not None:
        assert shown["stack"]["phase"] == message.phase
        assert shown["inspector"]["title"].startswith(f"{message.type} '{message.name}' — {message.phase}")
    if state.source:
        file, _, line = state.source.rpartition(":")
        assert shown["source"]["file"] == file and shown["source"]["line"] == int(line)
        if file in window.source.allowed:  # a file the user opened
            assert str(window.source.path) == file and window.source.current_line == int(line)
            assert shown["source"]["text"] is not None
        else:  # named by a recording: never read
            assert window.source.path is None and shown["source"]["text"] is None
    assert shown["timeline"] == {"current_seq": step, "selected": [step], "row_visible": True}
    return shown


def test_step_through_a_whole_trace_with_the_keys(qtbot, window):
    window.open_model(EXAMPLE)
    qtbot.keyClick(window, Qt.Key_R, Qt.ControlModifier)
    wait_paused(qtbot, window)
    steps = 0
    while window.bridge.state == "paused":
        panels_agree(window)
        before = len(window.session)
        qtbot.keyClick(window, Qt.Key_F11)
        qtbot.waitUntil(lambda: len(window.session) > before or window.bridge.state == "finished", timeout=10000)
        wait_paused(qtbot, window)
        steps += 1
    assert window.session.events[len(window.session) - 1]["kind"] == "run_end"
    assert steps == len(window.session) - 1
    panels_agree(window)


def test_the_stack_panel_shows_the_message_at_each_handler(qtbot, window):
    window.open_model(EXAMPLE)
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    events = window.session.events
    replay_step = next(k for k in range(len(events)) if events[k]["kind"] == "process"
                       and "value" in events[k]["changes"] and events.names[k] == "z")
    window.travel(replay_step)
    state = window.stack.state
    message = state.message
    assert message.name == "z" and message.phase == "process"
    handler = {h.handler_id: h for h in state.stack}[message.stack[message.position]]
    assert handler.handler == "replay"
    assert "value" in window.inspector.changed_fields()
    # noise is stopped by block: the handlers below are skipped
    stop_step = next(k for k in range(len(events)) if events[k]["kind"] == "stop" and events.names[k] == "noise")
    window.travel(stop_step)
    message = window.stack.state.message
    assert message.name == "noise" and message.stopped_by is not None
    assert "stop" in window.stack._badge(message, message.stopped_by)


def test_travel_backwards_with_the_slider_and_step_back(qtbot, window):
    window.open_model(EXAMPLE)
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    total = len(window.session)
    for step in (total - 1, total // 2, 3, 0, total // 3):
        window.timeline.slider.setValue(step)
        assert window.session.current == step
        panels_agree(window)
    qtbot.keyClick(window, Qt.Key_F10, Qt.ShiftModifier)  # step back
    assert window.session.current == total // 3 - 1
    qtbot.keyClick(window, Qt.Key_F11)  # travelling: moves through recorded events, no re-run
    assert window.session.current == total // 3
    assert window.bridge.state == "finished"
    panels_agree(window)


def test_step_over_message_and_step_out_while_travelling(qtbot, window):
    window.open_model(EXAMPLE)
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    events = window.session.events
    start = next(k for k in range(len(events)) if events[k]["kind"] == "msg_start" and events.names[k] == "noise")
    window.travel(start)
    qtbot.keyClick(window, Qt.Key_F10)
    assert events[window.session.current]["kind"] == "msg_end"
    assert events.names[window.session.current] == "noise"
    panels_agree(window)  # the timeline follows: one row, the current one, scrolled into view
    qtbot.keyClick(window, Qt.Key_F11, Qt.ShiftModifier)
    assert events[window.session.current]["kind"] == "handler_exit"
    panels_agree(window)
    qtbot.keyClick(window, Qt.Key_F5)  # no breakpoint: to the end
    assert window.session.current == window.session.last
    panels_agree(window)


def test_continue_on_a_finished_run_travels_to_the_next_breakpoint_hit(qtbot, window):
    window.open_model(EXAMPLE)
    line = next(n for n, spec in window.source.sites.items() if spec.get("handler") == "plate")
    window.source.toggle_breakpoint(line)  # a plate's line: its enter and exit, nothing else
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state in ("paused", "finished"), timeout=30000)
    while window.bridge.state == "paused":
        window.debug.continue_()
        qtbot.waitUntil(lambda: window.bridge.state in ("paused", "finished"), timeout=30000)
    events = window.session.events
    where = f"{window.source.path}:{line}"
    hits = [k for k in range(len(events)) if events[k].get("source") == where
            and events[k]["kind"] in ("msg_start", "handler_enter", "handler_exit")]
    assert hits and all(events[k]["kind"] in ("handler_enter", "handler_exit", "msg_start") for k in hits)
    assert window.debug.breakpoints.items[0].hits == len(hits)
    window.travel(0)
    visited = []
    for _ in hits:
        qtbot.keyClick(window, Qt.Key_F5)
        visited.append(window.session.current)
        assert "breakpoint on line" in window.step_label.text()
    assert visited == hits


def test_a_gutter_breakpoint_pauses_the_run_there(qtbot, window):
    window.open_model(EXAMPLE)
    line = next(n for n, spec in window.source.sites.items() if spec.get("site") == "obs")
    window.source.toggle_breakpoint(line)
    assert window.debug.breakpoints.specs() == [{"id": 1, "line": f"{window.source.path}:{line}"},
                                                {"id": 0, "nonfinite": True}]  # on by default
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "paused", timeout=30000)
    wait_paused(qtbot, window)
    event = window.session.events[window.session.current]
    assert event["kind"] == "msg_start" and event["name"] == "obs"
    assert window.source.current_line == line
    assert any(mark[1] == "breakpoint" for mark in window.timeline.slider.marks)
    qtbot.keyClick(window, Qt.Key_F5)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)


def test_stop_ends_a_hung_run(qtbot, window, tmp_path):
    model = tmp_path / "hangs.py"
    model.write_text("def model():\n    print('in the loop', flush=True)\n    while True:\n        pass\n")
    window.open_model(model)
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: "in the loop" in window.console.toPlainText(), timeout=60000)
    assert window.bridge.state == "running"
    started = time.monotonic()
    qtbot.keyClick(window, Qt.Key_F5, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: "run ended: stopped" in window.console.toPlainText(), timeout=10000)
    assert time.monotonic() - started < 5.0  # the design asks for a second; this only catches a hang
    assert window.bridge.state == "finished" and window.actions_by_name["run"].isEnabled()


def test_a_failing_model_shows_the_error_and_selects_its_step(qtbot, window):
    window.open_model(MODELS / "negative_scale.py")
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    events = window.session.events
    assert events[window.session.current]["kind"] == "error"
    assert any(mark[1] == "error" for mark in window.timeline.slider.marks)
    qtbot.waitUntil(lambda: "ValueError" in window.console.toPlainText())  # drawn at the next frame
    assert "negative_scale.py:7" in window.console.toPlainText()
    assert window.source.current_line == 7
    window.open_model(EXAMPLE)  # the app is ready for the next run
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    assert window.session.events[len(window.session) - 1]["status"] == "ok"


def test_open_a_recording_and_refuse_a_bad_one(qtbot, window, tmp_path, monkeypatch):
    from minipyro.runner.modelfile import load_model_file

    example = load_model_file(EXAMPLE)
    with minipyro.record(detail="steps") as rec:
        minipyro.trace(example.model).get_trace(*example.args)
    path = tmp_path / "run.mpr.jsonl"
    rec.save(path)
    assert window.open_recording(path)
    assert len(window.session) == len(rec)
    window.timeline.slider.setValue(len(rec) // 2)
    shown = panels_agree(window)
    assert shown["source"]["file"] == str(EXAMPLE) and "not shown" in window.source.toPlainText()

    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    bad = tmp_path / "bad.mpr.jsonl"
    bad.write_text(path.read_text().splitlines()[0] + "\n{not json\n" + "{}\n")
    assert not window.open_recording(bad)
    assert shown and str(bad) in shown[0] and "line 2" in shown[0]


def test_a_recorded_svi_run_shows_the_settings_it_trained_with(qtbot, window, tmp_path):
    window.svi.show_settings({"steps": 1000, "lr": 0.01})  # as a file opened before might leave them
    path = tmp_path / "svi.mpr.jsonl"
    header = {"format": "minipyro-recording", "version": 2, "detail": "svi"}
    run = {"file": "elsewhere.py", "entry": "svi", "seed": 7}
    events = [{"seq": 0, "kind": "run_start", "t": 0.0, "status": "running", **run,
               "svi": {"steps": 200, "lr": 0.05, "optimizer": "ClippedAdam", "elbo": "TraceMeanField_ELBO"}},
              {"seq": 1, "kind": "svi_step", "t": 0.1, "step": 1, "loss": 3.5, "params": {}, "grad_norms": {}},
              {"seq": 2, "kind": "run_end", "t": 0.2, "status": "ok", **run}]
    path.write_text("\n".join(json.dumps(line) for line in [header, *events]) + "\n")
    assert window.open_recording(path)
    shown = window.svi.settings()
    assert (shown["steps"], shown["lr"], shown["optimizer"], shown["elbo"], shown["seed"]) == \
        (200, 0.05, "ClippedAdam", "TraceMeanField_ELBO", 7)


def test_a_recording_being_written_is_followed(qtbot, window, tmp_path):
    path = tmp_path / "live.mpr.jsonl"
    header = {"format": "minipyro-recording", "version": 1, "detail": "sites"}
    lines = [json.dumps(header)] + [json.dumps({"seq": i, "kind": "output", "t": i * 0.1, "stream": "stdout",
                                                "text": f"line {i}\n"}) for i in range(5)]
    path.write_text("\n".join(lines[:3]) + "\n")
    assert window.open_recording(path)
    assert len(window.session) == 2
    with open(path, "a") as f:
        f.write("\n".join(lines[3:]) + "\n")
    qtbot.waitUntil(lambda: len(window.session) == 5, timeout=10000)
    qtbot.waitUntil(lambda: "line 4" in window.console.toPlainText())  # drawn at the next frame


def test_save_recording_round_trips(qtbot, window, tmp_path):
    window.open_model(EXAMPLE)
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    path = tmp_path / "saved.mpr.jsonl"
    window.save_recording(path)
    loaded = minipyro.load_recording(path)
    assert [e.to_dict() for e in loaded] == [window.session.events[k] for k in range(len(window.session))]


def test_closing_the_window_stops_the_run(qtbot, own_window):
    window = own_window
    window.open_model(MODELS / "endless_loop.py")
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "running", timeout=30000)
    process = window.bridge.controller.process
    window.close()
    assert process.poll() is not None


def test_filters_and_search_narrow_the_timeline(qtbot, window):
    window.open_model(EXAMPLE)
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    timeline = window.timeline
    timeline.kind.setCurrentText("messages (start and end)")
    kinds = {window.session.events[step]["kind"] for step in timeline.model.rows}
    assert kinds == {"msg_start", "msg_end"}
    timeline.site.setText("no*")
    assert {window.session.events.names[step] for step in timeline.model.rows} == {"noise"}
    timeline.kind.setCurrentText("all events")
    timeline.site.setText("")
    timeline.search.setText("broadcast")
    assert timeline.model.rows and all(window.session.events[s]["kind"] == "process" for s in timeline.model.rows)


def test_clicking_a_traceback_line_in_the_console_moves_the_source(qtbot, window):
    from PySide6.QtCore import QUrl

    window.open_model(MODELS / "negative_scale.py")
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    window.source.show_location(str(EXAMPLE), 3)
    target = QUrl.fromLocalFile(str(MODELS / "negative_scale.py"))
    target.setFragment("7")
    qtbot.waitUntil(lambda: target.toString() in window.console.document().toHtml())
    window.console.anchorClicked.emit(target)
    assert window.source.path == MODELS / "negative_scale.py" and window.source.current_line == 7


def test_pause_reaches_plain_python_and_stop_says_where(qtbot, window):
    window.open_model(MODELS / "busy_loop.py")
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: any(window.session.events[k]["kind"] == "msg_end"
                                for k in range(len(window.session))), timeout=30000)
    qtbot.keyClick(window, Qt.Key_F6)  # Pause, while the model spins in `while True: n += 1`
    started = time.monotonic()
    qtbot.waitUntil(lambda: window.bridge.state == "paused", timeout=5000)
    assert time.monotonic() - started < 2.0
    wait_paused(qtbot, window)
    shown = panels_agree(window)
    assert window.session.events[window.session.current]["kind"] == "line"
    assert shown["status"].endswith("paused by you")
    assert shown["source"]["line"] == 10 and "while True" in shown["source"]["text"]
    assert "n" in shown["variables"] and shown["call_stack"][0]["function"] == "model"
    qtbot.keyClick(window, Qt.Key_F5, Qt.ShiftModifier)  # Stop
    qtbot.waitUntil(lambda: window.bridge.state in ("finished", "dead"), timeout=5000)
    window.bridge.flush()
    qtbot.waitUntil(lambda: "stopped by you at busy_loop.py:10" in window.step_label.text(), timeout=3000)
    assert "crash" not in window.step_label.text().lower()
