"""The main window: dockable panels around one session, a toolbar and menus.

The window renders; what the commands do to the session (stepping live or through the
recorded events, following a run, a capture, the errors) is ``gui.models.debug``'s.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox

from minipyro.observe.recording import RecordingError

from ..models.debug import DebugController
from ..models.session import Session
from ..models.svi_runs import SviRuns
from .actions import build_bars, make_actions
from .palette import set_theme, stylesheet, system_theme
from .panels.breakpoints import BreakpointsPanel
from .panels.console import ConsolePanel
from .panels.graph import GraphPanel
from .panels.inspector import InspectorPanel
from .panels.lessons import GalleryPanel, LessonPanel
from .panels.python import CallStackPanel, VariablesPanel
from .panels.source import SourcePanel
from .panels.stack import StackPanel
from .panels.svi import SviPanel
from .panels.timeline import TimelinePanel
from .recent import RecentFiles
from .runner_bridge import RunnerBridge

FOLLOW_INTERVAL_MS = 250  # how often a recording being written is read again
FOLLOW_TAIL_MS = 100  # while a run streams, how often the panels move to the newest step
STATUS_MS = 5000
PRESENTATION_ZOOM = 1.5
PRESENTATION_ANIMATION_MS = 600
NORMAL_ANIMATION_MS = 160
RIGHT, BOTTOM, LEFT = Qt.RightDockWidgetArea, Qt.BottomDockWidgetArea, Qt.LeftDockWidgetArea


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, controller=None):
        """``controller``: a RunnerController to share (its child already started); else its own."""
        super().__init__()
        self.settings = settings or QSettings("MiniPyro", "MiniPyro Studio")
        self.session = Session()
        self.bridge = RunnerBridge(self, controller)
        self.debug = DebugController(self.session, self.bridge)
        self.svi_runs = SviRuns(self.session)
        self.model_path: Path | None = None
        self.run_entry = "trace"
        self.base_font_size = QApplication.instance().font().pointSizeF()
        self.setWindowTitle("MiniPyro Studio")

        self.source = SourcePanel(self.session, self.debug.breakpoints)
        self.stack = StackPanel(self.session)
        self.inspector = InspectorPanel(self.session)
        self.variables = VariablesPanel(self.session)
        self.call_stack = CallStackPanel(self.session)
        self.breakpoints = BreakpointsPanel(self.debug.breakpoints)
        self.timeline = TimelinePanel(self.session)
        self.console = ConsolePanel(self.session)
        self.graph = GraphPanel(self.session)
        self.svi = SviPanel(self.svi_runs)
        self.gallery = GalleryPanel()
        self.lesson = LessonPanel()
        self.setCentralWidget(self.source)
        self.docks = {}
        for name, widget, area in (("Handler stack", self.stack, RIGHT), ("Message inspector", self.inspector, RIGHT),
                                   ("Variables", self.variables, RIGHT), ("Call stack", self.call_stack, RIGHT),
                                   ("Timeline", self.timeline, BOTTOM), ("Console", self.console, BOTTOM),
                                   ("Breakpoints", self.breakpoints, BOTTOM),
                                   ("Model graph", self.graph, BOTTOM), ("SVI monitor", self.svi, BOTTOM),
                                   ("Examples", self.gallery, LEFT), ("Lesson", self.lesson, LEFT)):
            dock = self.docks[name] = QDockWidget(name, self)
            dock.setObjectName(name)
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
        self.tabifyDockWidget(self.docks["Examples"], self.docks["Lesson"])
        for name in ("Console", "Breakpoints", "Model graph", "SVI monitor"):
            self.tabifyDockWidget(self.docks["Timeline"], self.docks[name])
        for name in ("Variables", "Call stack"):
            self.tabifyDockWidget(self.docks["Message inspector"], self.docks[name])
        self.docks["Timeline"].raise_()
        self.docks["Message inspector"].raise_()

        self.step_label = QLabel("No run")
        self.step_label.setObjectName("stepLabel")
        self.actions_by_name = make_actions(self)
        self.recent = RecentFiles(self.settings, build_bars(self, self.actions_by_name, self.docks), self.open_path)
        self.statusBar().addPermanentWidget(self.step_label)

        self._follow_tail = self._timer(FOLLOW_TAIL_MS, self.debug.follow_newest, single_shot=True)
        self._follow_timer = self._timer(FOLLOW_INTERVAL_MS, self._poll_recording)
        self.bridge.sigEvents.connect(self._on_runner_events)
        self.bridge.sigControl.connect(self.debug.on_control)
        self.bridge.sigError.connect(self._note)
        self.debug.sig_note.connect(self._note)
        self.debug.sig_changed.connect(self._refresh)
        self.debug.sig_capture_shown.connect(self.docks["Handler stack"].raise_)
        self.debug.sig_error_selected.connect(self.docks["Console"].raise_)
        self.session.sig_step_changed.connect(lambda _: self._refresh())
        self.session.sig_events_added.connect(lambda *_: self._refresh())
        self.gallery.sigOpen.connect(self.open_model)
        self.debug.breakpoints.sig_changed.connect(lambda: self.timeline.set_breakpoints(self.debug.breakpoints))
        self.console.sigOpenLocation.connect(self.source.show_location)
        self.call_stack.sigOpenLocation.connect(self.source.show_location)
        self.graph.sigSiteClicked.connect(self.debug.travel_to_site)
        self.graph.sigOpenLesson.connect(self._show_lesson)
        self.svi.sigRun.connect(lambda settings: self.run("svi", svi_settings=settings))
        self.svi.sigCommand.connect(self._on_svi_command)

        self.presenting = False
        self.apply_theme(self.settings.value("theme") or None)
        self.docks["Examples"].raise_()
        self._default_state = self.saveState()  # for View > Reset layout
        self._restore_layout()
        self._refresh()

    def _timer(self, interval_ms: int, slot, single_shot: bool = False) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(single_shot)
        timer.setInterval(interval_ms)
        timer.timeout.connect(slot)
        return timer

    def _note(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_MS)

    def _refresh(self) -> None:
        """The step counter and which commands are possible, after anything changed."""
        self.step_label.setText(self.debug.status_text())
        for name, enabled in self.debug.enabled(self.model_path is not None).items():
            self.actions_by_name[name].setEnabled(enabled)
        self.svi.set_run_state(self.bridge.state)

    def _show_lesson(self, path) -> None:
        """A lesson's text beside the open model (the graph's plate hint links to one)."""
        self.lesson.show_file(path)
        self.docks["Lesson"].raise_()

    # Opening -------------------------------------------------------------------------
    def open_model(self, path) -> None:
        path = Path(path).resolve()
        self._follow_timer.stop()
        self.model_path = path
        self.debug.open_model(path)
        self.source.open_file(path)
        self.svi.load_settings(path)
        self.lesson.show_file(path)
        self.docks["Lesson"].raise_()
        self.setWindowTitle(f"{path.name} — MiniPyro Studio")
        self.recent.remember(path)
        self._refresh()

    def open_recording(self, path) -> bool:
        """Open a recording (following it if it is still being written). False with a dialog if unreadable."""
        path = Path(path).resolve()
        self._follow_timer.stop()
        try:
            self.debug.open_recording(path)
        except (RecordingError, OSError) as error:
            QMessageBox.critical(self, "Cannot open the recording", str(error))
            return False
        self.model_path = None
        self.setWindowTitle(f"{path.name} — MiniPyro Studio")
        self.recent.remember(path)
        if self.debug.follower.active:
            self._follow_timer.start()
        self._refresh()
        return True

    def _poll_recording(self):
        follower = self.debug.follower
        try:
            if follower is not None:
                follower.poll()
        except (RecordingError, OSError) as error:
            follower.active = False
            QMessageBox.critical(self, "Cannot follow the recording", str(error))
        if follower is None or not follower.active:
            self._follow_timer.stop()
            self._refresh()

    def open_path(self, path) -> None:
        (self.open_recording if str(path).endswith(".jsonl") else self.open_model)(path)

    def open_model_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open model", str(self.recent.folder()), "Python (*.py)")
        if path:
            self.open_model(path)

    def open_recording_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open recording", str(self.recent.folder()),
                                              "MiniPyro recordings (*.mpr.jsonl);;All files (*)")
        if path:
            self.open_recording(path)

    def save_recording(self, path) -> None:
        self.session.save(path)

    def save_recording_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self, "Save recording", str(self.recent.folder() / "run.mpr.jsonl"),
                                              "MiniPyro recordings (*.mpr.jsonl)")
        if path:
            try:
                self.save_recording(path)
            except OSError as error:
                QMessageBox.critical(self, "Cannot save the recording", str(error))

    def export_png_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self, "Export window", str(self.recent.folder() / "window.png"),
                                              "PNG images (*.png)")
        if path:
            self.grab().save(path, "PNG")

    # Running -------------------------------------------------------------------------
    def run(self, entry: str = "trace", start_paused: bool | None = None, svi_settings: dict | None = None) -> None:
        if self.model_path is None or self.debug.live:
            return
        self.run_entry = entry
        if entry == "svi":
            self.svi_runs.expect(svi_settings or self.svi.settings())
            self.docks["SVI monitor"].raise_()
            self.resizeDocks([self.docks["SVI monitor"]], [max(520, self.height() // 2)], Qt.Vertical)
        self.debug.run(self.model_path, entry, None, start_paused, svi_settings)

    def _on_runner_events(self, events: list):
        if self.debug.on_events(events) and not self._follow_tail.isActive():
            self._follow_tail.start()  # follow the newest step, at most ~10 times a second

    def _on_svi_command(self, name: str):
        if name == "capture":
            self.debug.capture()
        elif name == "stop":
            self.stop()
        else:  # the monitor's Pause and Resume
            self.bridge.command(name)
        self._refresh()

    def travel(self, step: int) -> None:
        self.debug.travel(step)

    def stop(self):
        self.debug.stop()

    def restart(self):
        self.stop()
        self.run(self.run_entry)

    # View ----------------------------------------------------------------------------
    def apply_theme(self, name: str | None, remember: bool = True):
        """A named theme, or None to follow the system's light or dark scheme. Presentation
        mode's theme is not remembered: the next launch starts in the user's own."""
        if remember:
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
            self.apply_theme("contrast", remember=False)
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

    def reset_layout(self):
        """View > Reset layout: every panel back where it was at the first launch."""
        self.settings.remove("window_state")
        self.settings.remove("geometry")
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state)
        self._default_sizes()

    def _default_sizes(self):
        self.resize(1600, 1000)
        self.resizeDocks([self.docks["Handler stack"]], [560], Qt.Horizontal)
        self.resizeDocks([self.docks["Handler stack"], self.docks["Message inspector"]], [420, 380], Qt.Vertical)
        self.resizeDocks([self.docks["Timeline"]], [300], Qt.Vertical)
        self.resizeDocks([self.docks["Examples"]], [300], Qt.Horizontal)

    def _restore_layout(self):
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self._default_sizes()
        state = self.settings.value("window_state")
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event):
        if self.presenting:
            self.toggle_presentation()  # so that the saved layout and text size are the user's own
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self._follow_timer.stop()
        self._follow_tail.stop()
        self.bridge.close()  # a run going on is stopped (and the window's own child ended)
        super().closeEvent(event)
