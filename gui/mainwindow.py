"""The main window: dockable panels around one session, a toolbar and menus.

Stepping works in two ways, as in a time-travel debugger: while the current
step is the newest event of a paused run, Step sends the runner a command;
anywhere earlier, it moves through the recorded events without re-running.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox,
                               QToolBar)

from minipyro.observe.recording import RecordingError, RecordingReader, save_lines

from .palette import set_theme, stylesheet, system_theme
from .panels.console import ConsolePanel
from .panels.graph import GraphPanel
from .panels.inspector import InspectorPanel
from .panels.lessons import GalleryPanel, LessonPanel
from .panels.source import SourcePanel
from .panels.stack import StackPanel
from .panels.svi import SviPanel
from .panels.timeline import TimelinePanel
from .runner_bridge import RunnerBridge
from .session import Session

FOLLOW_INTERVAL_MS = 250  # how often a recording being written is read again
FOLLOW_TAIL_MS = 100  # while a run streams, how often the panels move to the newest step
MAX_RECENT = 8
PRESENTATION_ZOOM = 1.5
PRESENTATION_ANIMATION_MS = 600
NORMAL_ANIMATION_MS = 160


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None):
        super().__init__()
        self.settings = settings or QSettings("MiniPyro", "MiniPyro Studio")
        self.session = Session()
        self.bridge = RunnerBridge(self)
        self.model_path: Path | None = None
        self.recording_reader: RecordingReader | None = None
        self.run_entry = "trace"
        self.base_font_size = QApplication.instance().font().pointSizeF()
        self.setWindowTitle("MiniPyro Studio")

        self.source = SourcePanel(self.session)
        self.stack = StackPanel(self.session)
        self.inspector = InspectorPanel(self.session)
        self.timeline = TimelinePanel(self.session)
        self.console = ConsolePanel(self.session)
        self.graph = GraphPanel(self.session)
        self.svi = SviPanel(self.session)
        self.gallery = GalleryPanel()
        self.lesson = LessonPanel()
        self.setCentralWidget(self.source)
        self.docks = {}
        for name, widget, area in (("Handler stack", self.stack, Qt.RightDockWidgetArea),
                                   ("Message inspector", self.inspector, Qt.RightDockWidgetArea),
                                   ("Timeline", self.timeline, Qt.BottomDockWidgetArea),
                                   ("Console", self.console, Qt.BottomDockWidgetArea),
                                   ("Model graph", self.graph, Qt.BottomDockWidgetArea),
                                   ("SVI monitor", self.svi, Qt.BottomDockWidgetArea)):
            dock = QDockWidget(name, self)
            dock.setObjectName(name)
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        for name, widget in (("Examples", self.gallery), ("Lesson", self.lesson)):
            dock = QDockWidget(name, self)
            dock.setObjectName(name)
            dock.setWidget(widget)
            self.addDockWidget(Qt.LeftDockWidgetArea, dock)
            self.docks[name] = dock
        self.tabifyDockWidget(self.docks["Examples"], self.docks["Lesson"])
        self.gallery.sigOpen.connect(self.open_model)
        self.tabifyDockWidget(self.docks["Timeline"], self.docks["Console"])
        self.tabifyDockWidget(self.docks["Timeline"], self.docks["Model graph"])
        self.tabifyDockWidget(self.docks["Timeline"], self.docks["SVI monitor"])
        self.docks["Timeline"].raise_()

        self.step_label = QLabel("No run")
        self.step_label.setObjectName("stepLabel")
        self._make_actions()
        self.statusBar().addPermanentWidget(self.step_label)

        self.bridge.sigEvents.connect(self._on_runner_events)
        self.bridge.sigControl.connect(self._on_runner_control)
        self.bridge.sigError.connect(lambda message: self.statusBar().showMessage(message, 5000))
        self.session.sig_step_changed.connect(self._update_step_label)
        self.session.sig_events_added.connect(lambda *_: self._update_step_label(self.session.current))
        self.source.sigBreakpointsChanged.connect(self._on_breakpoints)
        self.console.sigOpenLocation.connect(self.source.show_location)
        self.graph.sigSiteClicked.connect(self.travel_to_site)
        self.svi.sigRun.connect(lambda settings: self.run("svi", svi_settings=settings))
        self.svi.sigCommand.connect(self._on_svi_command)
        self._show_capture = False
        self._follow_tail = QTimer(self)
        self._follow_tail.setSingleShot(True)
        self._follow_tail.setInterval(FOLLOW_TAIL_MS)
        self._follow_tail.timeout.connect(self._follow_newest)
        self._follow_timer = QTimer(self)
        self._follow_timer.setInterval(FOLLOW_INTERVAL_MS)
        self._follow_timer.timeout.connect(self._follow_recording)

        self.presenting = False
        self.apply_theme(self.settings.value("theme") or None)
        self.docks["Examples"].raise_()
        self._restore_layout()
        self._update_actions()

    # Actions -------------------------------------------------------------------------
    def _action(self, text, slot, shortcut=None, tip=None):
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ApplicationShortcut)
        action.setToolTip(f"{tip or text} ({QKeySequence(shortcut).toString()})" if shortcut else (tip or text))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _make_actions(self):
        a = self.actions_by_name = {
            "open_model": self._action("Open model…", self.open_model_dialog, "Ctrl+O"),
            "open_recording": self._action("Open recording…", self.open_recording_dialog, "Ctrl+Shift+O"),
            "save_recording": self._action("Save recording as…", self.save_recording_dialog, "Ctrl+S"),
            "export_png": self._action("Export window as PNG…", self.export_png_dialog),
            "quit": self._action("Quit", self.close, "Ctrl+Q"),
            "run": self._action("Run trace", lambda: self.run("trace"), "Ctrl+R",
                                "Run the model and guide once, paused at the first step"),
            "run_svi": self._action("Run SVI", lambda: self.run("svi", svi_settings=self.svi.settings()),
                                    "Ctrl+Shift+R"),
            "step": self._action("Step", self.step, "F11", "Step to the next event"),
            "step_message": self._action("Step over message", self.step_message, "F10",
                                         "Step to the end of the current message"),
            "step_out": self._action("Step out", self.step_out, "Shift+F11",
                                     "Step to the exit of the innermost handler"),
            "continue": self._action("Continue", self.continue_, "F5",
                                     "Run to the next breakpoint or the end"),
            "pause": self._action("Pause", self.pause, "F6"),
            "stop": self._action("Stop", self.stop, "Shift+F5"),
            "restart": self._action("Restart", self.restart, "Ctrl+Shift+F5"),
            "back": self._action("Step back", lambda: self.travel(self.session.current - 1), "Shift+F10",
                                 "Step back to the previous event (no re-run)"),
            "zoom_in": self._action("Larger text", lambda: self.zoom(1.1), "Ctrl+="),
            "zoom_out": self._action("Smaller text", lambda: self.zoom(1 / 1.1), "Ctrl+-"),
            "zoom_reset": self._action("Reset text size", lambda: self.zoom(None), "Ctrl+0"),
            "light": self._action("Light theme", lambda: self.apply_theme("light")),
            "dark": self._action("Dark theme", lambda: self.apply_theme("dark")),
            "system": self._action("Theme of the system", lambda: self.apply_theme(None)),
            "presentation": self._action("Presentation mode", self.toggle_presentation, "F9",
                                         "Large text, high contrast and a slower message, for a class"),
        }
        toolbar = QToolBar("Run", self)
        toolbar.setObjectName("RunToolbar")
        for name in ("run", "step", "step_message", "step_out", "continue", "pause", "stop", "restart", "back"):
            toolbar.addAction(a[name])
        self.addToolBar(toolbar)
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        for name in ("open_model", "open_recording"):
            file_menu.addAction(a[name])
        self.recent_menu = file_menu.addMenu("Recent")
        self._fill_recent()
        for name in ("save_recording", "export_png"):
            file_menu.addAction(a[name])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        run_menu = menus.addMenu("&Run")
        for name in ("run", "run_svi", "step", "step_message", "step_out", "continue", "pause", "stop", "restart",
                     "back"):
            run_menu.addAction(a[name])
        view_menu = menus.addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        a["presentation"].setCheckable(True)
        for name in ("system", "light", "dark", "presentation", "zoom_in", "zoom_out", "zoom_reset"):
            view_menu.addAction(a[name])

    def _update_actions(self):
        state = self.bridge.state
        self.svi.set_run_state(state)
        live = state in ("running", "paused")
        has_model = self.model_path is not None
        at_end = self.session.current >= len(self.session) - 1
        travelling = len(self.session) > 0 and not at_end
        a = self.actions_by_name
        a["run"].setEnabled(has_model and not live)
        a["run_svi"].setEnabled(has_model and not live)
        stepping = travelling or state == "paused"
        for name in ("step", "step_message", "step_out", "continue"):
            a[name].setEnabled(stepping)
        a["pause"].setEnabled(state == "running")
        a["stop"].setEnabled(live)
        a["restart"].setEnabled(has_model)
        a["back"].setEnabled(self.session.current > 0)
        a["save_recording"].setEnabled(len(self.session) > 0)

    def _update_step_label(self, step):
        total = len(self.session)
        state = self.bridge.state
        suffix = {"running": " — running", "paused": " — paused"}.get(state, "")
        if self.recording_reader is not None and self._follow_timer.isActive():
            suffix = " — following the file"
        self.step_label.setText(f"Step {step + 1} of {total}{suffix}" if total else "No run")
        self._update_actions()

    # Opening -------------------------------------------------------------------------
    def open_model(self, path) -> None:
        path = Path(path).resolve()
        self.stop()
        self._follow_timer.stop()
        self.recording_reader = None
        self.model_path = path
        self.session.reset(str(path))
        self.source.load(path)
        self.svi.load_settings(path)
        self.lesson.show_file(path)
        self.docks["Lesson"].raise_()
        self.setWindowTitle(f"{path.name} — MiniPyro Studio")
        self._remember(path)
        self._update_step_label(-1)

    def open_recording(self, path) -> bool:
        """Open a recording (following it if it is still being written). False with a dialog if unreadable."""
        path = Path(path).resolve()
        self.stop()
        self._follow_timer.stop()
        try:
            reader = self.session.load_recording(path)
        except (RecordingError, OSError) as error:
            self.session.reset()
            QMessageBox.critical(self, "Cannot open the recording", str(error))
            return False
        self.model_path = None
        self.recording_reader = reader
        self.setWindowTitle(f"{path.name} — MiniPyro Studio")
        self._remember(path)
        self.session.set_current(0 if len(self.session) else -1)
        if not self.session.ended:
            self._follow_timer.start()  # still being written: follow it
        self._update_step_label(self.session.current)
        return True

    def _add_pairs(self, pairs):
        if pairs:
            self.session.add_events([p[0] for p in pairs], [p[1] for p in pairs])

    def _follow_recording(self):
        if self.recording_reader is None:
            self._follow_timer.stop()
            return
        try:
            pairs = self.recording_reader.read_new_raw()
        except (RecordingError, OSError) as error:
            self._follow_timer.stop()
            QMessageBox.critical(self, "Cannot follow the recording", str(error))
            return
        following_tail = self.session.current >= len(self.session) - 1
        self._add_pairs(pairs)
        if following_tail and pairs:
            self.session.set_current(len(self.session) - 1)
        if pairs and pairs[-1][0]["kind"] == "run_end":
            self._follow_timer.stop()
            self._update_step_label(self.session.current)

    def open_model_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open model", str(self._last_folder()), "Python (*.py)")
        if path:
            self.open_model(path)

    def open_recording_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open recording", str(self._last_folder()),
                                              "MiniPyro recordings (*.mpr.jsonl);;All files (*)")
        if path:
            self.open_recording(path)

    def open_path(self, path) -> None:
        if str(path).endswith(".jsonl"):
            self.open_recording(path)
        else:
            self.open_model(path)

    def save_recording(self, path) -> None:
        events = self.session.events
        save_lines(path, (events.line(k) for k in range(len(events))), "steps")

    def save_recording_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self, "Save recording", str(self._last_folder() / "run.mpr.jsonl"),
                                              "MiniPyro recordings (*.mpr.jsonl)")
        if path:
            try:
                self.save_recording(path)
            except OSError as error:
                QMessageBox.critical(self, "Cannot save the recording", str(error))

    def export_png_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self, "Export window", str(self._last_folder() / "window.png"),
                                              "PNG images (*.png)")
        if path:
            self.grab().save(path, "PNG")

    def _remember(self, path: Path):
        recent = [p for p in (self.settings.value("recent") or []) if p != str(path)]
        self.settings.setValue("recent", [str(path)] + recent[: MAX_RECENT - 1])
        self.settings.setValue("last_folder", str(path.parent))
        self._fill_recent()

    def _fill_recent(self):
        self.recent_menu.clear()
        for path in self.settings.value("recent") or []:
            self.recent_menu.addAction(path, lambda p=path: self.open_path(p))

    def _last_folder(self) -> Path:
        return Path(self.settings.value("last_folder") or Path.cwd())

    # Running and stepping ------------------------------------------------------------------
    def run(self, entry: str = "trace", start_paused: bool | None = None, svi_settings: dict | None = None) -> None:
        if self.model_path is None or self.bridge.state in ("running", "paused"):
            return
        self.run_entry = entry
        self.session.reset(str(self.model_path))
        self.console.clear()
        paused = entry == "trace" if start_paused is None else start_paused
        if entry == "svi":
            self.docks["SVI monitor"].raise_()
            self.resizeDocks([self.docks["SVI monitor"]], [max(520, self.height() // 2)], Qt.Vertical)
        self.bridge.command("run", self.model_path, entry=entry, breakpoints=self.source.breakpoints(),
                            start_paused=paused, detail="steps" if entry == "trace" else "sites",
                            svi=svi_settings)
        self._update_step_label(-1)

    def _on_runner_events(self, events: list):
        at_tail = self.session.current >= len(self.session) - 1
        first = len(self.session)
        self.session.add_events(events)
        if self._show_capture:
            note = self.session.find(lambda e: e["kind"] == "output" and e["stream"] == "runner", first)
            start = None if note is None else self.session.find(lambda e: e["kind"] == "msg_start", note)
            if start is not None:  # the captured step has arrived: show its first message
                self._show_capture = False
                self.travel(start)
                self.docks["Handler stack"].raise_()
                return
        if at_tail and self.bridge.state == "running" and not self._follow_tail.isActive():
            self._follow_tail.start()  # follow the newest step, at most ~10 times a second

    def _follow_newest(self):
        if self.session.current < len(self.session) - 1 and self.bridge.state == "running":
            self.session.set_current(len(self.session) - 1)

    def _on_svi_command(self, name: str):
        if name == "capture":
            self._show_capture = True
        self.bridge.command(name)
        self._update_actions()

    def _on_runner_control(self, message: dict):
        name = message["control"]
        if name == "paused":
            self.session.set_current(min(message.get("seq", 0), len(self.session) - 1))
        elif name == "finished":
            error = next((k for k in range(len(self.session) - 1, -1, -1)
                          if self.session.events[k]["kind"] == "error"), None)
            self.session.set_current(error if error is not None else len(self.session) - 1)
            if error is not None:
                self.docks["Console"].raise_()
        elif name == "refused":
            self.statusBar().showMessage(f"The runner refused {message.get('command')}: {message.get('reason')}",
                                         5000)
        self._update_step_label(self.session.current)

    def _live_at_tail(self) -> bool:
        return self.bridge.state == "paused" and self.session.current >= len(self.session) - 1

    def travel(self, step: int) -> None:
        if len(self.session):
            self.session.set_current(max(0, min(step, len(self.session) - 1)))

    def step(self):
        if self._live_at_tail():
            self.bridge.command("step")
        else:
            self.travel(self.session.current + 1)

    def step_message(self):
        self._step_to("step_message", self.session.end_of_message)

    def step_out(self):
        self._step_to("step_out", self.session.exit_of_handler)

    def _step_to(self, command: str, find):
        """Live at the newest step: ask the runner. Travelling: find the step among the events."""
        if self._live_at_tail():
            self.bridge.command(command)
            return
        target = find(self.session.current)
        self.travel(target if target is not None else len(self.session) - 1)

    def continue_(self):
        if self.bridge.state == "paused":
            self.travel(len(self.session) - 1)
            self.bridge.command("continue_")
        else:
            self.travel(len(self.session) - 1)

    def pause(self):
        self.bridge.command("pause")

    def stop(self):
        if self.bridge.state in ("running", "paused"):
            self.bridge.controller.stop()
            self.bridge.flush()
        self._update_actions()

    def restart(self):
        self.stop()
        self.run(self.run_entry)

    def travel_to_site(self, which: str, name: str):
        """Travel to the msg_start of a site of the model or the guide (clicked in the graph)."""
        start = 0
        if which == "guide":  # the guide runs after the model's structure is reported
            model_done = self.session.find(lambda e: e["kind"] == "structure" and e["which"] == "model", 0)
            start = 0 if model_done is None else model_done
        step = self.session.find(lambda e: e["kind"] == "msg_start" and e["name"] == name, start)
        if step is None:
            step = self.session.find(lambda e: e["kind"] == "msg_start" and e["name"] == name, 0)
        if step is not None:
            self.travel(step)
        self.statusBar().showMessage(f"{which} site '{name}'" + ("" if step is not None else ": not in this run"),
                                     3000)

    def _on_breakpoints(self, specs: list):
        self.timeline.set_breakpoints(specs)
        if self.bridge.state in ("running", "paused"):
            self.bridge.command("set_breakpoints", specs)

    # View ----------------------------------------------------------------------------
    def apply_theme(self, name: str | None):
        """A named theme, or None to follow the system's light or dark scheme."""
        self.settings.setValue("theme", name or "")
        set_theme(name or system_theme())
        QApplication.instance().setStyleSheet(stylesheet())
        self.svi.apply_theme()
        self.graph.refresh()
        for widget in (self.stack, self.source, self.timeline):
            widget.update()
        self.session.sig_step_changed.emit(self.session.current)

    def toggle_presentation(self):
        """For a class: text half as large again, the high-contrast theme, a slower message."""
        self.presenting = not self.presenting
        self.actions_by_name["presentation"].setChecked(self.presenting)
        if self.presenting:
            self._theme_before = self.settings.value("theme") or None
            self.zoom(PRESENTATION_ZOOM)
            self.apply_theme("contrast")
            self.stack.animation_ms = PRESENTATION_ANIMATION_MS
        else:
            self.zoom(None)
            self.apply_theme(self._theme_before)
            self.stack.animation_ms = NORMAL_ANIMATION_MS

    def zoom(self, factor):
        """Multiply the text size by ``factor``; None goes back to the size the app started with."""
        app = QApplication.instance()
        font = app.font()
        size = self.base_font_size if factor is None else max(6.0, min(48.0, font.pointSizeF() * factor))
        font.setPointSizeF(size)
        app.setFont(font)
        self.source.set_text_size(size)
        self.timeline.view.verticalHeader().setDefaultSectionSize(QFontMetrics(font).height() + 6)
        self.stack.update()

    def _restore_layout(self):
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1600, 1000)
            self.resizeDocks([self.docks["Handler stack"]], [560], Qt.Horizontal)
            self.resizeDocks([self.docks["Handler stack"], self.docks["Message inspector"]], [420, 380], Qt.Vertical)
            self.resizeDocks([self.docks["Timeline"]], [300], Qt.Vertical)
            self.resizeDocks([self.docks["Examples"]], [300], Qt.Horizontal)
        state = self.settings.value("window_state")
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event):
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self._follow_timer.stop()
        self.bridge.close()  # a run going on is stopped, the child ended
        super().closeEvent(event)
