"""Starting the app: ``python main.py [FILE] [--screenshot PNG]``."""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QRect, QSettings, Qt
from PySide6.QtWidgets import QApplication

from minipyro.observe.recording import RecordingError

from .mainwindow import MainWindow

MAX_SCREENSHOT_STEPS = 2000
PANELS_JSON_SIZE = (1600, 1000)  # no screen is needed: the panels are read at a size where all show


def picture_quality(event: dict, stack_sizes: dict) -> tuple:
    """How good a step is for a picture: a handler changing a message, the deeper in a taller
    stack the better, a value set (replay, condition) best of all."""
    if event["kind"] != "process" or not event.get("changes"):
        return ()
    return (stack_sizes.get(event["msg_id"], 0), "value" in event["changes"], event["position"])


def best_picture_step(events) -> int:
    stack_sizes, best, best_quality = {}, len(events) // 2, ()
    for k in range(len(events)):
        event = events[k]
        if event["kind"] == "msg_start":
            stack_sizes[event["msg_id"]] = len(event["stack"])
        quality = picture_quality(event, stack_sizes)
        if quality > best_quality:
            best, best_quality = k, quality
    return best


def step_to_mid_message(window: MainWindow, timeout: float = 120.0) -> None:
    """Run the model paused at its start, step through it, and travel back to the best step
    for a picture (the app's time travel, without re-running)."""
    controller = window.bridge.controller
    window.run("trace", start_paused=True)
    deadline = time.monotonic() + timeout
    for _ in range(MAX_SCREENSHOT_STEPS):
        if not controller.wait_until("paused", "finished", "dead", timeout=max(0.1, deadline - time.monotonic())):
            break
        if controller.state != "paused":
            break
        controller.step()
    window.bridge.flush()
    QApplication.processEvents()
    window.travel(best_picture_step(window.session.events))


def finish_run_for_graph(window: MainWindow, timeout: float = 300.0) -> None:
    """Let a run that the picture left paused (a model longer than its steps) reach its end, where
    the structure is reported, and wait for the graph to be drawn; the picture's step stays."""
    controller, step = window.bridge.controller, window.session.current
    deadline = time.monotonic() + timeout
    while controller.state == "paused" and time.monotonic() < deadline:
        controller.continue_()
        controller.wait_until("paused", "finished", "dead", timeout=max(0.1, deadline - time.monotonic()))
    window.bridge.flush()
    QApplication.processEvents()
    while window.graph.building and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    window.travel(step)


def show_recording_mid_message(window: MainWindow) -> None:
    window.travel(best_picture_step(window.session.events))


def screenshot(window: MainWindow, path: str) -> None:
    deadline = time.monotonic() + 0.5  # let the stack panel's animation finish
    while time.monotonic() < deadline:
        QApplication.processEvents()
        # Outside exec() nothing deletes what Qt let go (the dock area's old tab bars): do it here.
        QApplication.sendPostedEvents(None, QEvent.DeferredDelete)
        time.sleep(0.02)
    window.grab().save(str(path), "PNG")


PANELS = {"stack": "Handler stack", "graph": "Model graph", "svi": "SVI monitor", "console": "Console",
          "timeline": "Timeline", "gallery": "Examples", "lesson": "Lesson", "inspector": "Message inspector",
          "problems": "Problems"}


def panels_at(window: MainWindow, step: int) -> dict:
    """Travel to ``step`` and read what every panel shows back from its widgets (``--panels-json``)."""
    window.travel(step)
    return read_panels(window)


def read_panels(window: MainWindow, force_paint: bool = True) -> dict:
    """What every panel shows now, read back from its widgets after they have painted
    (``force_paint``: paint them now, even behind another tab; else only what asked to repaint)."""
    if force_paint:
        QApplication.sendPostedEvents()  # layouts and scrolls due, without painting the whole window
        window.stack.grab()  # the one panel that paints its own picture: paint it now, even behind a tab
    else:
        QApplication.processEvents()
    file, line = window.source.location or (None, None)
    stack = window.stack.painted
    return {
        "step": window.session.current,
        "status": window.step_label.text(),
        "source": {"file": file, "line": line, "text": window.source.current_text()},
        "stack": {"message": stack.get("message"), "phase": stack.get("phase"),
                  "phase_words": stack.get("phase_words"),
                  "handlers": [{"label": h["label"], "state": h["state"], "badge": h["badge"]}
                               for h in stack.get("handlers", [])],
                  "default": stack.get("default")},
        "inspector": window.inspector.view(),
        "timeline": window.timeline.view_state(),
        "variables": window.variables.view(),
        "call_stack": window.call_stack.view(),
    }


def write_panels_json(window: MainWindow, steps, path) -> None:
    import json

    last = window.session.last
    Path(path).write_text(json.dumps([panels_at(window, step) for step in steps if 0 <= step <= last], indent=1),
                          encoding="utf-8")


def run_to_the_end(window: MainWindow, timeout: float = 300.0) -> None:
    """Run the model to its end, going on past any pause (the first non-finite value's)."""
    window.run("trace", start_paused=False)
    controller = window.bridge.controller
    deadline = time.monotonic() + timeout
    while controller.wait_until("paused", "finished", "dead", timeout=max(0.1, deadline - time.monotonic())) \
            and controller.state == "paused" and time.monotonic() < deadline:
        controller.continue_()
    window.bridge.flush()
    QApplication.processEvents()


def read_whole_folder(window: MainWindow, timeout: float = 120.0) -> None:
    """A folder of runs read to the end of every file, as the picture of a finished job."""
    deadline = time.monotonic() + timeout
    while not window.run_folder.caught_up and time.monotonic() < deadline:
        window._poll_folder()
    window.svi.redraw()


def run_to_first_problem(window: MainWindow, svi_steps: int = 0, timeout: float = 120.0) -> None:
    """Run the model (a trace, or ``svi_steps`` of SVI) until it pauses (the first non-finite
    value) or ends, and show its first problem as a click in the Problems panel does."""
    if svi_steps:
        window.svi.steps.setValue(svi_steps)
        window.run("svi", svi_settings=window.svi.settings())
    else:
        window.run("trace", start_paused=False)
    window.bridge.controller.wait_until("paused", "finished", "dead", timeout=timeout)
    window.bridge.flush()
    QApplication.processEvents()
    if window.problems.problems:
        window.show_problem(window.problems.problems[0])


def run_svi_for_picture(window: MainWindow, steps: int) -> None:
    window.svi.steps.setValue(steps)
    window.run("svi", svi_settings=window.svi.settings())
    controller = window.bridge.controller
    controller.wait_until("paused", "finished", "dead", timeout=600)  # paused: at the first non-finite value
    window.bridge.flush()
    QApplication.processEvents()
    window.svi.redraw()


def main(file=None, screenshot_path=None, settings: QSettings | None = None, show=None, theme=None,
         presentation=False, svi_steps=0, at=None, panels_json=None, script_args=None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("MiniPyro Studio")
    if panels_json is not None:
        with _throwaway_settings() as settings:
            return _panels_json(app, file, at, panels_json, settings)
    if screenshot_path is None:
        return _show(app, MainWindow(settings), file, script_args)
    with _throwaway_settings() as settings:  # pictures must not depend on a person's saved layout
        return _picture(app, MainWindow(settings), file, screenshot_path, show, theme, presentation, svi_steps,
                        script_args)


@contextlib.contextmanager
def _throwaway_settings():
    """Settings in a temporary folder, removed afterwards (with whatever Qt wrote there)."""
    with tempfile.TemporaryDirectory(prefix="minipyro-settings-") as folder:
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.IniFormat)
        yield settings
        settings.sync()
        del settings


def _show(app, window, file, script_args) -> int:
    window.show()
    if file is not None:
        window.open_path(file, script_args)
    return app.exec()


def _picture(app, window, file, screenshot_path, show, theme, presentation, svi_steps, script_args) -> int:
    window.show()
    if file is not None:
        window.open_path(file, script_args)
    if theme:
        window.apply_theme(theme)
    if presentation:
        window.toggle_presentation()
    if file is not None and Path(file).is_dir():
        read_whole_folder(window)
    elif file is not None and str(file).endswith(".jsonl"):
        show_recording_mid_message(window)
    elif file is not None and "problems" in (show or []):
        run_to_first_problem(window, svi_steps)
    elif file is not None and svi_steps:
        run_svi_for_picture(window, svi_steps)
    elif file is not None:
        step_to_mid_message(window)
    for name in show or []:
        window.docks[PANELS[name]].raise_()
    QApplication.processEvents()
    if "graph" in (show or []) and file is not None and not str(file).endswith(".jsonl"):
        finish_run_for_graph(window)
    if "graph" in (show or []):
        window.resizeDocks([window.docks["Model graph"]], [int(window.height() * 0.55)], Qt.Vertical)
        QApplication.processEvents()
        window.graph.fit()
    screenshot(window, screenshot_path)
    window.close()
    window.deleteLater()
    app.processEvents()
    return 0


def _panels_json(app, file, at, path, settings) -> int:
    """``main.py FILE --at K1,K2 --panels-json OUT``: no window on screen is needed (offscreen)."""
    window = MainWindow(settings)
    window.keep_on_screen = False
    window.fit_to_screen(QRect(0, 0, *PANELS_JSON_SIZE))
    window.show()
    try:
        if str(file).endswith(".jsonl"):
            try:  # no dialog here: nobody may be there to close it
                window.debug.open_recording(Path(file).resolve())
            except (RecordingError, OSError) as error:
                print(f"minipyro-studio: {error}", file=sys.stderr)
                return 1
        else:
            window.open_model(file)
            run_to_the_end(window)
        steps = range(len(window.session)) if at is None else at
        write_panels_json(window, steps, path)
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()
    return 0
