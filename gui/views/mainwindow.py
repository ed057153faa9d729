"""The main window: dockable panels around one session, a toolbar and menus.

The window renders; what the commands do to the session (stepping live or through the
recorded events, following a run, a capture, the errors) is ``gui.models.debug``'s.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QInputDialog, QLabel, QMainWindow,
                               QMessageBox, QStyle, QToolBar)

from minipyro.observe.recording import RecordingError
from minipyro.runner.controller import parse_size
from minipyro.runner.limits import format_size
from minipyro.runner.script_files import is_script

from ..models.debug import DebugController
from ..models.problems import ProblemsModel
from ..models.run_folder import RunFolder
from ..models.session import Session
from ..models.svi_runs import SviRuns
from .actions import FOLLOW_KEEP, build_bars, make_actions
from .palette import set_theme, stylesheet, system_theme
from .panels.breakpoints import BreakpointsPanel
from .panels.console import ConsolePanel
from .panels.problems import ProblemsPanel
from .panels.graph import GraphPanel
from .panels.inspector import InspectorPanel
from .panels.lessons import GalleryPanel, LessonPanel
from .panels.python import CallStackPanel, VariablesPanel
from .panels.source import SourcePanel
from .panels.stack import StackPanel
from .panels.svi import SviPanel
from .panels.timeline import TimelinePanel
from . import script_args as script_args_settings
from .recent import RecentFiles
from .runner_bridge import RunnerBridge

FOLLOW_INTERVAL_MS = 250  # how often a recording being written is read again
FOLLOW_BEHIND_MS = 0  # ...and when it is behind: at once after the app's own work (each read is bounded)
FOLLOW_TAIL_MS = 100  # while a run streams, how often the panels move to the newest step
FOLDER_INTERVAL_MS = 1000  # how often a watched folder is looked at (new files, growing ones)
STATUS_MS = 5000
PRESENTATION_ZOOM = 1.5
PRESENTATION_ANIMATION_MS = 600
NORMAL_ANIMATION_MS = 160
# What presentation mode shows: the current view, large.
PRESENTED = {"stepping": ("Handler stack", "Message inspector"), "training": ("SVI monitor",)}
FULL_SCREEN_UP_TO = (1600, 1000)  # a projector's or a laptop's screen: all of it
RIGHT, BOTTOM, LEFT = Qt.RightDockWidgetArea, Qt.BottomDockWidgetArea, Qt.LeftDockWidgetArea


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, controller=None):
        """``controller``: a RunnerController to share (its child already started); else its own."""
        super().__init__()
        self.settings = settings or QSettings("MiniPyro", "MiniPyro Studio")
        self.session = Session()
        self.bridge = RunnerBridge(self, controller)
        try:  # the memory limit chosen in Run > Memory limit for runs…
            self.bridge.controller.memory_limit = parse_size(self.settings.value("runner/memory_limit"))
        except ValueError:
            pass  # none saved (or unreadable): the default
        self.debug = DebugController(self.session, self.bridge)
        self.debug.breakpoints.pause_on_nonfinite = self.settings.value("debugger/pause_on_nonfinite", True,
                                                                        type=bool)
        self.problems = ProblemsModel(self.session)
        self.svi_runs = SviRuns(self.session)
        self.model_path: Path | None = None
        self.run_entry = "trace"
        self.script_args: list = []  # the open script's arguments, as its last run got them
        self.is_script = False  # the open file defines no model: Run runs it as `python FILE ARGS`
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
        self.problems_panel = ProblemsPanel(self.problems)
        self.graph = GraphPanel(self.session)
        self.svi = SviPanel(self.svi_runs)
        self.gallery = GalleryPanel()
        self.lesson = LessonPanel()
        self.setCentralWidget(self.source)
        self.docks = {}
        for name, widget, area in (("Handler stack", self.stack, RIGHT), ("Message inspector", self.inspector, RIGHT),
                                   ("Variables", self.variables, RIGHT), ("Call stack", self.call_stack, RIGHT),
                                   ("Timeline", self.timeline, BOTTOM), ("Console", self.console, BOTTOM),
                                   ("Problems", self.problems_panel, BOTTOM),
                                   ("Breakpoints", self.breakpoints, BOTTOM),
                                   ("Model graph", self.graph, BOTTOM), ("SVI monitor", self.svi, BOTTOM),
                                   ("Examples", self.gallery, LEFT), ("Lesson", self.lesson, LEFT)):
            dock = self.docks[name] = QDockWidget(name, self)
            dock.setObjectName(name)
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
        self.tabifyDockWidget(self.docks["Examples"], self.docks["Lesson"])
        for name in ("Console", "Problems", "Breakpoints", "Model graph", "SVI monitor"):
            self.tabifyDockWidget(self.docks["Timeline"], self.docks[name])
        for name in ("Variables", "Call stack"):
            self.tabifyDockWidget(self.docks["Message inspector"], self.docks[name])
        self.docks["Timeline"].raise_()
        self.docks["Message inspector"].raise_()

        self.step_label = QLabel("No run")
        self.follow_banner = QLabel()  # how far behind a recording being written the app is
        self.follow_banner.setVisible(False)
        self.statusBar().addPermanentWidget(self.follow_banner)
        self.step_label.setObjectName("stepLabel")
        self.actions_by_name = make_actions(self)
        self.recent = RecentFiles(self.settings, build_bars(self, self.actions_by_name, self.docks), self.open_path)
        self.statusBar().addPermanentWidget(self.step_label)
        dropping = self.settings.value("follow/drop_old_events", False, type=bool)
        self.actions_by_name["drop_old_events"].setChecked(dropping)
        self.set_drop_old_events(dropping)

        self._follow_tail = self._timer(FOLLOW_TAIL_MS, self.debug.follow_newest, single_shot=True)
        self._follow_timer = self._timer(FOLLOW_INTERVAL_MS, self._poll_recording)
        self.run_folder: RunFolder | None = None
        self._folder_timer = self._timer(FOLDER_INTERVAL_MS, self._poll_folder)
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
        self.problems_panel.sigActivated.connect(self.show_problem)
        self.problems.sig_changed.connect(self._on_problems_changed)
        self.graph.sigOpenLesson.connect(self._show_lesson)
        self.svi.sigRun.connect(lambda settings: self.run("svi", svi_settings=settings))
        self.svi.sigCommand.connect(self._on_svi_command)

        self.presenting = False
        self.keep_on_screen = True  # off where no one looks at a screen (--panels-json)
        self._shown_once = False
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
        self.step_label.setText(self.debug.status_text() if len(self.session) else self._start_hint())
        for name, enabled in self.debug.enabled(self.model_path is not None).items():
            self.actions_by_name[name].setEnabled(enabled)
        self.svi.set_run_state(self.bridge.state)

    def _start_hint(self) -> str:
        """What to do where nothing has run yet, with the keys as this platform writes them."""
        if self.model_path is None:
            return f"Pick a lesson in Examples, or open a model ({self._keys('open_model')})"
        return f"Press {self._keys('run')} to run (then {self._keys('step')} to step), " \
               f"{self._keys('run_svi')} to train"

    def _keys(self, action: str) -> str:
        return self.actions_by_name[action].shortcut().toString(QKeySequence.NativeText)

    def _show_lesson(self, path) -> None:
        """A lesson's text beside the open model (the graph's plate hint links to one)."""
        self.lesson.show_file(path)
        self.docks["Lesson"].raise_()

    # Opening -------------------------------------------------------------------------
    def open_model(self, path, script_args: list | None = None, as_script: bool = False) -> None:
        """Open a model file, or a script (``as_script``, or a file without a model): its
        arguments are ``script_args`` if given (then remembered), else the ones last used."""
        path = Path(path).resolve()
        self._follow_timer.stop()
        self.model_path = path
        self.is_script = as_script or is_script(path)
        if self.is_script and script_args is not None:
            script_args_settings.remember(self.settings, path, script_args_settings.join(script_args))
        self.actions_by_name["run"].setText("Run script" if self.is_script else "Run trace")
        self.debug.open_model(path)
        self.source.open_file(path)
        self.svi.load_settings(path)
        self.svi.show_script(self.is_script, script_args_settings.remembered(self.settings, path))
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
        self._show_recorded_settings()
        self.setWindowTitle(f"{path.name} — MiniPyro Studio")
        self.recent.remember(path)
        if self.debug.follower.active:
            self._follow_timer.start()
        self._refresh()
        return True

    def _show_recorded_settings(self) -> None:
        """The monitor's settings as the recording's (first) run trained with, not the last file's."""
        events = self.session.events
        start = next((events[k] for k in range(min(len(events), 8)) if events[k]["kind"] == "run_start"), None)
        if start is not None and isinstance(start.get("svi"), dict):
            self.svi.show_settings(start["svi"], start.get("seed"))

    def set_drop_old_events(self, dropping: bool) -> None:
        """The user's choice while following a recording: keep every event (the default: nothing
        is lost, a banner says how far behind), or only the newest FOLLOW_KEEP (memory stays flat)."""
        self.settings.setValue("follow/drop_old_events", bool(dropping))
        self.debug.follow_keep = FOLLOW_KEEP if dropping else None
        if self.debug.follower is not None:
            self.debug.follower.keep = self.debug.follow_keep

    def _poll_recording(self):
        follower = self.debug.follower
        try:
            if follower is not None:
                follower.poll()
        except (RecordingError, OSError) as error:
            follower.active = False
            QMessageBox.critical(self, "Cannot follow the recording", str(error))
        behind = follower.behind if follower is not None and follower.active else 0
        self._follow_timer.setInterval(FOLLOW_BEHIND_MS if behind else FOLLOW_INTERVAL_MS)
        self.follow_banner.setVisible(bool(behind))
        if behind:
            self.follow_banner.setText(f"Following the recording: {behind / 1e6:.1f} MB behind the writer "
                                       "(nothing is skipped; it catches up when the writer slows)")
        if follower is None or not follower.active:
            self._follow_timer.stop()
            self._refresh()

    def memory_limit_dialog(self):
        limit = self.bridge.controller.memory_limit
        text, ok = QInputDialog.getText(self, "Memory limit for runs",
                                        "Memory a run may take, e.g. 512M, 4G (0: no limit):",
                                        text=format_size(limit) if limit else "0")
        if ok:
            self.set_memory_limit(text)

    def set_memory_limit(self, text: str) -> bool:
        """Set (and remember) the memory limit from a size such as ``4G``; False with a dialog if unreadable."""
        try:
            limit = parse_size(text)
        except ValueError as error:
            QMessageBox.warning(self, "Memory limit", str(error))
            return False
        self.settings.setValue("runner/memory_limit", str(limit))
        self.bridge.controller.memory_limit = limit  # from the next run on
        self._note(f"Memory limit for runs: {format_size(limit) if limit else 'none'}")
        return True

    def open_folder(self, path) -> None:
        """Watch a folder of recordings as TensorBoard watches a logdir: each one a run in the
        SVI monitor, new ones picked up and growing ones followed until the window closes."""
        self.run_folder = RunFolder(Path(path).resolve(), self.svi_runs)
        self._poll_folder()
        self._folder_timer.start()
        self.docks["SVI monitor"].show()
        self.docks["SVI monitor"].raise_()
        self.setWindowTitle(f"{self.run_folder.folder.name}/ — MiniPyro Studio")
        self._note(f"Watching {self.run_folder.folder} for recordings ({len(self.run_folder.files)} so far)")

    def _poll_folder(self) -> None:
        for problem in self.run_folder.poll():
            self._note(problem)

    def open_folder_dialog(self):
        path = QFileDialog.getExistingDirectory(self, "Open a folder of runs", str(self.recent.folder()))
        if path:
            self.open_folder(path)

    def open_path(self, path, script_args: list | None = None) -> None:
        if Path(path).is_dir():
            self.open_folder(path)
        elif str(path).endswith(".jsonl"):
            self.open_recording(path)
        else:
            self.open_model(path, script_args)

    def run_script_dialog(self):
        """File > Run script...: open a Python file as a script (whatever it defines) and run it."""
        path, _ = QFileDialog.getOpenFileName(self, "Run script", str(self.recent.folder()), "Python (*.py)")
        if path:
            self.open_model(path, as_script=True)
            self.run()

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
        if self.is_script:  # a script runs as itself, its SVI steps and losses filling the monitor
            entry, start_paused = "script", bool(start_paused)
            line = self.svi.script_args.text()
            try:
                self.script_args = script_args_settings.split(line)
            except ValueError as error:
                QMessageBox.warning(self, "Script arguments", f"Cannot read the arguments {line!r}: {error}")
                return
            script_args_settings.remember(self.settings, self.model_path, line)
        self.run_entry = entry
        settings = dict(svi_settings or self.svi.settings()) if entry == "svi" else None
        seed = settings.pop("seed", 0) if settings else self.svi.seed.value()
        if self.presenting:
            self.present("training" if entry == "svi" else "stepping")
        if entry == "svi":
            self.svi_runs.expect(settings)
        if entry in ("svi", "script"):
            self.docks["SVI monitor"].raise_()
            if not self.presenting:
                self.resizeDocks([self.docks["SVI monitor"]], [int(self.height() * 0.6)], Qt.Vertical)
        self.debug.run(self.model_path, entry, None, start_paused, settings, seed=seed, args=self.script_args)

    def _on_runner_events(self, events: list, lines: list):
        if self.debug.on_events(events, lines) and not self._follow_tail.isActive():
            self._follow_tail.start()  # follow the newest step, at most ~10 times a second

    def _on_svi_command(self, name: str):
        if name == "capture":
            self.debug.capture()
        elif name == "stop":
            self.stop()
        else:  # the monitor's Pause and Resume
            self.bridge.command(name)
        self._refresh()

    def show_problem(self, problem) -> None:
        """Travel to a problem's step and site: the inspector shows it, the graph marks the site."""
        self.inspector.show_problem(problem)
        self.debug.travel(problem.seq)
        self.docks["Message inspector"].raise_()
        if problem.site:
            self.graph.mark_site(problem.site)

    def _on_problems_changed(self) -> None:
        found, _ = self.problems.counts
        self.docks["Problems"].setWindowTitle(f"Problems ({found})" if found else "Problems")

    def set_pause_on_nonfinite(self, on: bool) -> None:
        self.debug.breakpoints.set_pause_on_nonfinite(on)
        self.settings.setValue("debugger/pause_on_nonfinite", bool(on))

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
        """For a class: text half as large again, the high-contrast theme, a slower message, and
        the window given to what is being shown (the stack and the inspector while stepping,
        the plots while training) rather than grown past the projector's screen."""
        self.presenting = not self.presenting
        self.actions_by_name["presentation"].setChecked(self.presenting)
        if self.presenting:
            self._theme_before = self.settings.value("theme") or None
            self._state_before = self.saveState()
            self.zoom(PRESENTATION_ZOOM)
            self.apply_theme("contrast", remember=False)
            self.stack.animation_ms = PRESENTATION_ANIMATION_MS
            self.svi.set_presenting(True)
            training = self.run_entry == "svi" and not self.docks["SVI monitor"].visibleRegion().isEmpty()
            self.present("training" if training else "stepping")
        else:
            self.zoom(None)
            self.apply_theme(self._theme_before)
            self.stack.animation_ms = NORMAL_ANIMATION_MS
            self.svi.set_presenting(False)
            self.centralWidget().show()
            self.restoreState(self._state_before)
        self._keep_on_screen()
        self._fit_toolbar()  # after the theme's style sheet, which sets the buttons' fonts anew

    def present(self, focus: str) -> None:
        """In presentation mode, only the panels of ``focus`` ("stepping" or "training"), large."""
        for name, dock in self.docks.items():
            dock.setVisible(name in PRESENTED[focus])
        self.centralWidget().setVisible(focus == "stepping")  # the source, beside the stack
        if focus == "stepping":
            self.resizeDocks([self.docks["Handler stack"]], [self.width() // 2], Qt.Horizontal)
            self.resizeDocks([self.docks["Handler stack"], self.docks["Message inspector"]], [55, 45], Qt.Vertical)
        else:
            self.docks["SVI monitor"].raise_()
            self.resizeDocks([self.docks["SVI monitor"]], [self.height()], Qt.Vertical)

    def _keep_on_screen(self) -> None:
        """The whole window, its frame included, inside the screen's free area: after the
        window manager has framed it, and after larger text made it outgrow the screen."""
        QApplication.processEvents()
        available = (self.screen() or QApplication.primaryScreen()).availableGeometry()
        frame, inner = self.frameGeometry(), self.geometry()
        if not self.keep_on_screen or available.contains(frame):
            return
        left, top = inner.x() - frame.x(), inner.y() - frame.y()
        extra = QSize(frame.width() - inner.width(), frame.height() - inner.height())
        size = inner.size().boundedTo(available.size() - extra)
        placed = QStyle.alignedRect(Qt.LeftToRight, Qt.AlignCenter, size + extra, available)
        self.setGeometry(QRect(placed.x() + left, placed.y() + top, size.width(), size.height()))

    def showEvent(self, event):
        super().showEvent(event)
        if not self._shown_once:  # the frame exists now: make sure it fits too
            self._shown_once = True
            QTimer.singleShot(0, self._keep_on_screen)

    def zoom(self, factor):
        """Multiply the text size by ``factor``; None goes back to the size the app started with."""
        app = QApplication.instance()
        font = app.font()
        size = self.base_font_size if factor is None else max(6.0, min(48.0, font.pointSizeF() * factor))
        font.setPointSizeF(size)
        app.setFont(font)
        self.source.set_text_size(size)
        self.svi.set_text_size(size)
        self.timeline.view.verticalHeader().setDefaultSectionSize(QFontMetrics(font).height() + 6)
        self.stack.update()
        self._fit_toolbar()

    def _fit_toolbar(self) -> None:
        """The toolbar's text as large as the zoom asks, but no larger than lets every button
        show in the window's width (Qt would hide the last ones behind an overflow arrow)."""
        toolbar = self.findChild(QToolBar, "RunToolbar")
        font = QFont(QApplication.font())
        while True:
            toolbar.setFont(font)
            for action in toolbar.actions():  # the buttons' size hints follow the font only once told
                toolbar.widgetForAction(action).setFont(font)
            toolbar.layout().invalidate()
            if font.pointSizeF() <= self.base_font_size or toolbar.sizeHint().width() <= self.width():
                return
            font.setPointSizeF(max(self.base_font_size, font.pointSizeF() - 0.5))

    def reset_layout(self):
        """View > Reset layout: every panel back where it was at the first launch."""
        self.settings.remove("window_state")
        self.settings.remove("geometry")
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state)
        self.fit_to_screen()

    def fit_to_screen(self, available: QRect | None = None) -> None:
        """The window on the screen's free area (all of it up to FULL_SCREEN_UP_TO wide, most of
        a larger one), the panels in proportion to it."""
        if available is None:
            screen = self.screen() or QApplication.primaryScreen()
            available = screen.availableGeometry()
        width, height = available.width(), available.height()
        if width > FULL_SCREEN_UP_TO[0] or height > FULL_SCREEN_UP_TO[1]:
            width, height = min(width, int(width * 0.85)), min(height, int(height * 0.85))
        self.setGeometry(QStyle.alignedRect(Qt.LeftToRight, Qt.AlignCenter, QSize(width, height), available))
        self.resizeDocks([self.docks["Handler stack"]], [int(width * 0.34)], Qt.Horizontal)
        self.resizeDocks([self.docks["Examples"]], [int(width * 0.18)], Qt.Horizontal)
        self.resizeDocks([self.docks["Handler stack"], self.docks["Message inspector"]], [55, 45], Qt.Vertical)
        self.resizeDocks([self.docks["Timeline"]], [int(height * 0.36)], Qt.Vertical)

    def _restore_layout(self):
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray) and self.restoreGeometry(geometry) and self._on_screen():
            state = self.settings.value("window_state")
            if isinstance(state, QByteArray):
                self.restoreState(state)
        else:  # the first launch, or a layout saved on a larger screen than this one
            self.fit_to_screen()

    def _on_screen(self) -> bool:
        screen = self.screen() or QApplication.primaryScreen()
        return screen.availableGeometry().contains(self.frameGeometry())

    def closeEvent(self, event):
        if self.presenting:
            self.toggle_presentation()  # so that the saved layout and text size are the user's own
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self._follow_timer.stop()
        self._follow_tail.stop()
        self._folder_timer.stop()
        self.bridge.close()  # a run going on is stopped (and the window's own child ended)
        super().closeEvent(event)
