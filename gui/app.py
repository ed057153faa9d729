"""Starting the app: ``python main.py [FILE] [--screenshot PNG]``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from .mainwindow import MainWindow

SCREENSHOT_SIZE = (1600, 1000)
MAX_SCREENSHOT_STEPS = 2000


def is_mid_message(event: dict, events) -> bool:
    """A step worth a picture: a handler changing a message that passes through two or more."""
    if event["kind"] != "process" or not event.get("changes"):
        return False
    start = next((e for e in reversed(events) if e["kind"] == "msg_start" and e["msg_id"] == event["msg_id"]), None)
    return start is not None and len(start["stack"]) >= 2


def step_to_mid_message(window: MainWindow, timeout: float = 120.0) -> None:
    """Run the model paused at its start, and step until the middle of a message."""
    controller = window.bridge.controller
    window.run("trace", start_paused=True)
    deadline = time.monotonic() + timeout
    for _ in range(MAX_SCREENSHOT_STEPS):
        if not controller.wait_until("paused", "finished", "dead", timeout=max(0.1, deadline - time.monotonic())):
            break
        window.bridge.flush()
        QApplication.processEvents()
        if controller.state != "paused" or is_mid_message(controller.events[-1], controller.events):
            break
        controller.step()


def show_recording_mid_message(window: MainWindow) -> None:
    events = window.session.events
    target = next((k for k in range(len(events)) if is_mid_message(events[k], [events[j] for j in range(k)])),
                  len(events) // 2)
    window.session.set_current(target)


def screenshot(window: MainWindow, path: str) -> None:
    deadline = time.monotonic() + 0.5  # let the stack panel's animation finish
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)
    window.grab().save(str(path), "PNG")


def main(file=None, screenshot_path=None, settings: QSettings | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("MiniPyro Studio")
    if screenshot_path is not None:
        # Pictures must not depend on a person's saved layout.
        settings = QSettings(str(Path(screenshot_path).with_suffix(".ini")), QSettings.IniFormat)
        settings.clear()
    window = MainWindow(settings)
    if screenshot_path is not None:
        window.resize(*SCREENSHOT_SIZE)
    window.show()
    if file is not None:
        window.open_path(file)
    if screenshot_path is None:
        return app.exec()
    if file is not None and str(file).endswith(".jsonl"):
        show_recording_mid_message(window)
    elif file is not None:
        step_to_mid_message(window)
    screenshot(window, screenshot_path)
    window.close()
    Path(screenshot_path).with_suffix(".ini").unlink(missing_ok=True)
    window.deleteLater()
    app.processEvents()
    return 0
