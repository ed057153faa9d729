"""The main window's actions (with their keys), toolbar and menus."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar

FOLLOW_KEEP = 200_000  # events kept while following with "drop old events" on

TOOLBAR = ("run", "step", "step_message", "step_out", "continue", "pause", "stop", "restart", "back")


def _action(window, text, slot, shortcut=None, tip=None) -> QAction:
    action = QAction(text, window)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ApplicationShortcut)
    action.setToolTip(f"{tip or text} ({QKeySequence(shortcut).toString()})" if shortcut else (tip or text))
    action.triggered.connect(slot)
    window.addAction(action)
    return action


def make_actions(window) -> dict:
    """name -> QAction, connected to the window's slots and its debug controller's."""
    debug = window.debug

    def add(name, *args, **kwargs):
        actions[name] = _action(window, *args, **kwargs)

    actions: dict = {}
    add("open_model", "Open model…", window.open_model_dialog, "Ctrl+O")
    add("run_script", "Run script…", window.run_script_dialog, "Ctrl+Alt+R",
        "Run a Python script as `python SCRIPT.py ARGS` would, under the debugger (its arguments: SVI monitor > Settings)")
    add("open_recording", "Open recording…", window.open_recording_dialog, "Ctrl+Shift+O")
    add("open_folder", "Open folder of runs…", window.open_folder_dialog, "Ctrl+Alt+O",
        "Every recording in a folder as a run of the SVI monitor, followed as they grow")
    add("save_recording", "Save recording as…", window.save_recording_dialog, "Ctrl+S")
    add("export_png", "Export window as PNG…", window.export_png_dialog)
    add("quit", "Quit", window.close, "Ctrl+Q")
    add("run", "Run trace", lambda: window.run("trace"), "Ctrl+R",
        "Run the model and guide once, paused at the first step")
    add("run_svi", "Run SVI", lambda: window.run("svi", svi_settings=window.svi.settings()), "Ctrl+Shift+R")
    add("step", "Step", debug.step, "F11", "Step to the next event")
    add("step_message", "Step over message", debug.step_message, "F10", "Step to the end of the current message")
    add("step_out", "Step out", debug.step_out, "Shift+F11", "Step to the exit of the innermost handler")
    add("continue", "Continue", debug.continue_, "F5", "Run to the next breakpoint or the end")
    add("pause", "Pause", debug.pause, "F6")
    add("stop", "Stop", window.stop, "Shift+F5")
    add("restart", "Restart", window.restart, "Ctrl+Shift+F5")
    add("back", "Step back", debug.back, "Shift+F10", "Step back to the previous event (no re-run)")
    add("pause_on_nonfinite", "Pause at the first NaN or Inf", window.set_pause_on_nonfinite,
        tip="Debugger runs pause at the step that made the first non-finite value")
    actions["pause_on_nonfinite"].setCheckable(True)
    actions["pause_on_nonfinite"].setChecked(debug.breakpoints.pause_on_nonfinite)
    add("memory_limit", "Memory limit for runs…", window.memory_limit_dialog,
        tip="How much memory a model may take before its run is ended (default: half of this machine's)")
    add("zoom_in", "Larger text", lambda: window.zoom(1.1), "Ctrl+=")
    add("zoom_out", "Smaller text", lambda: window.zoom(1 / 1.1), "Ctrl+-")
    add("zoom_reset", "Reset text size", lambda: window.zoom(None), "Ctrl+0")
    add("light", "Light theme", lambda: window.apply_theme("light"))
    add("dark", "Dark theme", lambda: window.apply_theme("dark"))
    add("contrast", "High-contrast theme", lambda: window.apply_theme("contrast"))
    add("system", "Theme of the system", lambda: window.apply_theme(None))
    add("reset_layout", "Reset layout", window.reset_layout, tip="Every panel back where it was at the first launch")
    add("presentation", "Presentation mode", window.toggle_presentation, "F9",
        "Large text, high contrast and a slower message, for a class")
    actions["presentation"].setCheckable(True)
    add("drop_old_events", "Drop old events while following", window.set_drop_old_events,
        tip=f"Following a recording being written: keep only the newest {FOLLOW_KEEP:,} events, so memory "
            "stays flat however fast and long the writer goes (off: nothing is dropped)")
    actions["drop_old_events"].setCheckable(True)
    return actions


def build_bars(window, actions: dict, docks: dict):
    """The toolbar and the File, Run and View menus; returns the Recent submenu."""
    toolbar = QToolBar("Run", window)
    toolbar.setObjectName("RunToolbar")
    for name in TOOLBAR:
        toolbar.addAction(actions[name])
    window.addToolBar(toolbar)
    menus = window.menuBar()
    file_menu = menus.addMenu("&File")
    for name in ("open_model", "run_script", "open_recording", "open_folder"):
        file_menu.addAction(actions[name])
    recent = file_menu.addMenu("Recent")
    for name in ("save_recording", "export_png"):
        file_menu.addAction(actions[name])
    file_menu.addSeparator()
    file_menu.addAction(actions["quit"])
    run_menu = menus.addMenu("&Run")
    for name in ("run", "run_svi") + TOOLBAR[1:]:
        run_menu.addAction(actions[name])
    run_menu.addSeparator()
    run_menu.addAction(actions["pause_on_nonfinite"])
    run_menu.addAction(actions["memory_limit"])
    file_menu.insertAction(recent.menuAction(), actions["drop_old_events"])
    view_menu = menus.addMenu("&View")
    for dock in docks.values():
        view_menu.addAction(dock.toggleViewAction())
    view_menu.addSeparator()
    view_menu.addAction(actions["reset_layout"])
    view_menu.addSeparator()
    for name in ("system", "light", "dark", "contrast", "presentation", "zoom_in", "zoom_out", "zoom_reset"):
        view_menu.addAction(actions[name])
    return recent
