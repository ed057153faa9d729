"""SVI monitor: live loss (raw and smoothed), parameter trajectories, gradient norms and the
param store, for the current run and the runs before it (TensorBoard's scalars, for one model)."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QPushButton, QSlider, QSpinBox, QSplitter, QTableView,
                               QTabWidget, QVBoxLayout, QWidget)

from minipyro.runner.modelfile import ELBOS, OPTIMIZERS, SVI_DEFAULTS, read_info

from ...models import text
from ...models.smoothing import robust_range
from ...models.svi_runs import SviRun, SviRuns
from ..palette import colors
from .svi_sites import SiteElboView
from .svi_plots import Legend, ReadableLogAxis, element_colour, nearest, readout_html, run_colour
from ..rows_model import RowsModel

REDRAW_INTERVAL_MS = 50  # a plot redrawn a tick: the loss ten times a second, the others five
PLOT_PARTS = ("loss", "params", "grads")
REDRAW_TURNS = ("loss", "params", "loss", "grads")  # one plot redrawn a tick
DEFAULT_CURVES = 8  # parameter elements plotted until the user picks others
SIDE_CHARACTERS = 44  # the settings and runs beside the plots: enough for a run's label, no wider
MAX_SEED = 2 ** 31 - 1  # a spin box's range; the runner takes any seed numpy takes


class SviPanel(QWidget):
    sigRun = Signal(dict)  # SVI settings: steps, lr, optimizer, elbo, stop_on_nonfinite, seed
    sigCommand = Signal(str)  # pause, continue_, stop, capture

    def __init__(self, model: SviRuns, parent=None):
        super().__init__(parent)
        self.model = model
        self._dirty_parts: set = set()  # the plots to redraw: their data changed since they were drawn
        self._turn = 0
        self._layout = None  # what the curves were made for
        self._curves: dict = {}
        self._param_curves: dict = {}
        self._grad_curves: dict = {}
        self._picked: set | None = None  # parameter elements the user picked; None: the default ones
        self.text_size = QFont().pointSizeF()
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self._redraw_if_dirty)
        self._timer.start()
        model.sig_run_added.connect(self._on_run_added)
        model.sig_changed.connect(self._mark_dirty)
        model.sig_changed.connect(self._label_runs)

    @property
    def runs(self) -> list:
        return self.model.runs

    @property
    def current(self) -> SviRun | None:
        return self.model.current

    # Widgets -----------------------------------------------------------------------
    def _build(self):
        self.run_button = QPushButton("Run SVI")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.capture_button = QPushButton("Capture next step")
        self.capture_button.setToolTip("Record the next SVI step in full and show its messages in the debugger")
        self.status = QLabel("No SVI run yet")
        self.status.setMinimumWidth(10)  # a long status is cut on a narrow screen, never the buttons
        commands = QHBoxLayout()
        for button in (self.run_button, self.pause_button, self.stop_button, self.capture_button):
            commands.addWidget(button)
        commands.addWidget(self.status, 1)

        pg.setConfigOptions(antialias=False)  # antialiased lines of 100 000 points cost ~5x to draw
        # Named on its axis, not in a title row: on a 720-line screen every row of height counts.
        self.loss_view = pg.PlotWidget(axisItems={"left": ReadableLogAxis("left")})
        self.param_view = pg.PlotWidget()  # named by their tabs: a title would take a low screen's height
        self.grad_view = pg.PlotWidget()
        self.loss_plot, self.param_plot, self.grad_plot = (view.getPlotItem() for view in
                                                           (self.loss_view, self.param_view, self.grad_view))
        self._titles: dict = {}  # plot -> its title as last set (None: no title row)
        self.loss_plot.setLabel("left", "loss")
        self.loss_legend, self.param_legend, self.grad_legend = Legend(), Legend(), Legend()
        for plot in (self.loss_plot, self.param_plot, self.grad_plot):
            # no grid: pyqtgraph draws it with the axes, and replaying it dominated each frame
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
        self.crosshair = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((128, 128, 128), style=Qt.DashLine))
        self.readout = pg.TextItem(anchor=(0, 0))
        self.readout.setZValue(10)
        self._show_readout(False)
        self._mouse = pg.SignalProxy(self.loss_view.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse)
        self.loss_view.viewport().installEventFilter(self)
        # The loss above; below it tabs without title rows (stacked under titles, at 1280x720 these
        # plots were left 20 px of data each): parameters and gradient norms, and per-site ELBO.
        self.plots = QSplitter(Qt.Vertical)
        self.plots.addWidget(_beside(self.loss_view, self.loss_legend))
        self.details = QTabWidget()
        self.details.setDocumentMode(True)
        # Side by side, as before the tabs: each at full width drew twice the points a tick (measured:
        # p99 lateness 17 -> 40 ms while eight schools streams).
        both = QSplitter(Qt.Horizontal)
        both.addWidget(_beside(self.param_view, self.param_legend))
        both.addWidget(_beside(self.grad_view, self.grad_legend))
        self.details.addTab(both, "parameters and gradient norms")
        self.param_plot.setLabel("left", "value")
        self.grad_plot.setLabel("left", "gradient norm")
        self.site_elbo = SiteElboView()  # its tab is there for a run that sends per-site ELBO terms
        self._site_elbo_tab = self.details.addTab(self.site_elbo, "per-site ELBO")
        self.details.setTabVisible(self._site_elbo_tab, False)
        self.details.setTabToolTip(self._site_elbo_tab, SiteElboView.DESCRIPTION)
        self.plots.addWidget(self.details)
        self.plots.setStretchFactor(0, 1)
        self.plots.setStretchFactor(1, 1)

        self.side = QTabWidget()
        self.side.addTab(self._settings_tab(), "Settings")
        self.side.addTab(self._view_tab(), "View")
        self.side.addTab(self._runs_tab(), "Runs")
        self.side.addTab(self._params_tab(), "Params")
        self.side.setMaximumWidth(self.fontMetrics().averageCharWidth() * SIDE_CHARACTERS)
        body = QHBoxLayout()
        body.addWidget(self.plots, 1)
        body.addWidget(self.side)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(commands)
        column.addLayout(body, 1)

        self.run_button.clicked.connect(self._on_run)
        self.pause_button.clicked.connect(self._on_pause)
        self.stop_button.clicked.connect(lambda: self.sigCommand.emit("stop"))
        self.capture_button.clicked.connect(lambda: self.sigCommand.emit("capture"))
        for signal in (self.smoothing.valueChanged, self.log_y.toggled, self.x_axis.currentIndexChanged,
                       self.ignore_outliers.toggled):
            signal.connect(self._mark_dirty)
        self.smoothing.valueChanged.connect(self._show_smoothing)
        self._show_smoothing()

    def _settings_tab(self) -> QWidget:
        self.steps = QSpinBox(minimum=1, maximum=10_000_000, value=SVI_DEFAULTS["steps"])
        self.lr = QDoubleSpinBox(decimals=5, minimum=1e-5, maximum=10.0, singleStep=0.001, value=SVI_DEFAULTS["lr"])
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.elbo = QComboBox()
        self.elbo.addItems(ELBOS)
        self.seed = QSpinBox(minimum=0, maximum=MAX_SEED, value=0)
        self.seed.setToolTip("The run's random seed: the same seed gives the same losses")
        self.stop_on_nonfinite = QCheckBox("stop on NaN/inf", checked=True)
        self.script_args = QLineEdit()
        self.script_args.setPlaceholderText("e.g. --num-steps 100 --lr 0.01")
        self.script_args.setToolTip("The script's command line (as after `python SCRIPT.py`), remembered for this file")
        self.script_args.returnPressed.connect(self._on_run)
        self.per_site_elbo = QCheckBox("per-site ELBO")
        self.per_site_elbo.setToolTip("Send each site's log p - log q at every step (watches every step's "
                                      "sites: slower), plotted with its variance across steps")
        tab = QWidget()
        form = self.settings_form = QFormLayout(tab)
        form.addRow("arguments", self.script_args)
        for label, widget in (("steps", self.steps), ("lr", self.lr), ("optimizer", self.optimizer),
                              ("ELBO", self.elbo), ("seed", self.seed)):
            form.addRow(label, widget)
        form.addRow(self.stop_on_nonfinite)
        form.addRow(self.per_site_elbo)
        self.show_script(False)
        return tab

    def show_script(self, is_script: bool, args: str = "") -> None:
        """A script's settings are its arguments (it sets its own steps, optimiser and ELBO); a
        model file's are the SVI settings the Studio runs it with."""
        self.script_args.setText(args)
        self.settings_form.setRowVisible(self.script_args, is_script)
        for widget in (self.steps, self.lr, self.optimizer, self.elbo, self.stop_on_nonfinite, self.per_site_elbo):
            self.settings_form.setRowVisible(widget, not is_script)
        self.run_button.setText("Run script" if is_script else "Run SVI")

    def _view_tab(self) -> QWidget:
        self.smoothing = QSlider(Qt.Horizontal, minimum=0, maximum=99, value=60)
        self.smoothing_value = QLabel()
        self.log_y = QCheckBox("log y")
        self.x_axis = QComboBox()
        self.x_axis.addItems(["step", "wall time (s)"])
        self.ignore_outliers = QCheckBox("ignore outliers", checked=True)
        self.reset_button = QPushButton("Reset zoom")
        self.csv_button = QPushButton("CSV…")
        self.json_button = QPushButton("JSON…")
        self.png_button = QPushButton("PNG…")
        smoothing = QHBoxLayout()
        smoothing.addWidget(self.smoothing, 1)
        smoothing.addWidget(self.smoothing_value)
        exports = QGridLayout()
        for column, button in enumerate((self.csv_button, self.json_button, self.png_button)):
            exports.addWidget(button, 0, column)
        tab = QWidget()
        form = QFormLayout(tab)
        form.addRow("smoothing", smoothing)
        form.addRow("x axis", self.x_axis)
        form.addRow(self.log_y)
        form.addRow(self.ignore_outliers)
        form.addRow(self.reset_button)
        form.addRow("export", exports)
        self.reset_button.clicked.connect(self.reset_zoom)
        self.csv_button.clicked.connect(lambda: self._export_dialog("CSV", "csv", self.export_csv))
        self.json_button.clicked.connect(lambda: self._export_dialog("JSON", "json", self.export_json))
        self.png_button.clicked.connect(self._export_png_dialog)
        return tab

    def _runs_tab(self) -> QWidget:
        self.run_list = QListWidget()
        self.run_list.setToolTip("Tick the runs to compare; the selected run is the one exported")
        self.run_list.itemChanged.connect(self._on_run_toggled)
        return self.run_list

    def _params_tab(self) -> QWidget:
        self.element_filter = QLineEdit(placeholderText="filter, e.g. assignment_probs[3")
        self.element_list = QListWidget()
        self.element_list.setToolTip("Tick the parameter elements to plot")
        self.param_rows = RowsModel(["param", "shape", "constraint", "value"], self)
        self.param_table = QTableView()
        self.param_table.setModel(self.param_rows)
        self.param_table.verticalHeader().hide()
        header = self.param_table.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.Stretch)
        self.param_table.setWordWrap(True)
        split = QSplitter(Qt.Vertical)
        picker = QWidget()
        column = QVBoxLayout(picker)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.element_filter)
        column.addWidget(self.element_list)
        split.addWidget(picker)
        split.addWidget(self.param_table)
        self.element_filter.textChanged.connect(self._filter_elements)
        self.element_list.itemChanged.connect(self._on_element_toggled)
        return split

    def eventFilter(self, watched, event):
        if watched is self.loss_view.viewport() and event.type() == QEvent.Leave:
            self._show_readout(False)
        return False

    def apply_theme(self) -> None:
        palette = colors()
        for view in (self.loss_view, self.param_view, self.grad_view, self.site_elbo.plot_view):
            view.setBackground(palette["panel"])
        self._style_plots()
        self._layout = None  # make the curves again
        self._mark_dirty()

    def set_presenting(self, presenting: bool) -> None:
        """Presentation mode shows the plots alone: the settings column comes back afterwards."""
        self.side.setVisible(not presenting)
        # The class reads the loss from across the room: it takes more of the height then.
        total = sum(self.plots.sizes())
        if total:
            self.plots.setSizes([total * 2 // 3, total // 3] if presenting else [total // 2, total // 2])

    def set_text_size(self, points: float) -> None:
        """Plot titles, ticks, axis labels, legends and the readout follow the app's text size."""
        self.text_size = points
        font = QFont(self.font())
        font.setPointSizeF(points)
        self.side.setMaximumWidth(QFontMetrics(font).averageCharWidth() * SIDE_CHARACTERS)
        self._style_plots()
        self._layout = None
        self._mark_dirty()

    def _style_plots(self) -> None:
        palette = colors()
        font = QFont()
        font.setPointSizeF(self.text_size)
        for plot in (self.loss_plot, self.param_plot, self.grad_plot, self.site_elbo.plot):
            for axis in ("left", "bottom"):
                item = plot.getAxis(axis)
                item.setPen(palette["muted"])
                item.setTextPen(palette["text"])
                item.setStyle(tickFont=font, tickTextOffset=max(3, int(self.text_size / 2)))
                item.label.setFont(font)
            self._set_title(plot, self._titles.get(plot))
        self.readout.setFont(font)
        self.readout.fill = pg.mkBrush(palette["panel"])
        self.readout.border = pg.mkPen(palette["border"])

    def _set_title(self, plot, title) -> None:
        self._titles[plot] = title
        if not title:
            plot.setTitle(None)  # no row kept for it
            return
        plot.setTitle(title, color=colors()["text"].name(), size=f"{self.text_size * 1.15:.1f}pt")

    # Settings ----------------------------------------------------------------------
    def load_settings(self, path) -> None:
        """Show the model file's ``svi`` settings (read as a literal, never executed)."""
        try:
            settings = read_info(path).svi
        except OSError:
            settings = SVI_DEFAULTS
        self.show_settings(settings)

    def show_settings(self, settings: dict, seed=None) -> None:
        """Show ``settings`` (a file's ``svi`` dict, or what a recorded run trained with), each
        one missing or of the wrong type as its default."""
        if isinstance(seed, int) and not isinstance(seed, bool):
            self.seed.setValue(seed)
        self.steps.setValue(_setting(settings, "steps", int))
        self.lr.setValue(_setting(settings, "lr", float))
        self.optimizer.setCurrentText(_setting(settings, "optimizer", str))
        self.elbo.setCurrentText(_setting(settings, "elbo", str))
        self.per_site_elbo.setChecked(settings.get("site_elbo") is True)

    def settings(self) -> dict:
        return {"steps": self.steps.value(), "lr": self.lr.value(), "optimizer": self.optimizer.currentText(),
                "elbo": self.elbo.currentText(), "stop_on_nonfinite": self.stop_on_nonfinite.isChecked(),
                "seed": self.seed.value(), **({"site_elbo": True} if self.per_site_elbo.isChecked() else {})}

    def _on_run(self):
        self.sigRun.emit(self.settings())

    def _on_pause(self):
        self.sigCommand.emit("pause" if self.pause_button.text() == "Pause" else "continue_")

    def set_run_state(self, state: str) -> None:
        running = state in ("running", "paused")
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.capture_button.setEnabled(state == "running")
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if state == "paused" else "Pause")

    def _show_smoothing(self, *_):
        self.smoothing_value.setText(f"{self.smoothing.value() / 100:.2f}")

    def smoothing_weight(self) -> float:
        return self.smoothing.value() / 100

    # Data ----------------------------------------------------------------------------
    def _on_run_added(self, run: SviRun):
        item = QListWidgetItem(_run_name(run))
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        item.setCheckState(Qt.Checked)
        item.setForeground(run_colour(len(self.runs) - 1))
        item.setToolTip(run.label)
        self.run_list.addItem(item)

    def _on_run_toggled(self, item):
        self.model.set_visible(self.run_list.row(item), item.checkState() == Qt.Checked)

    def plotted_elements(self) -> list:
        """The parameter elements plotted: those picked, else the first of each parameter in
        turn (so every parameter is seen) up to DEFAULT_CURVES."""
        keys = self._element_keys()
        if self._picked is not None:
            return [key for key in keys if key in self._picked]
        by_param: dict = {}
        for key in keys:
            by_param.setdefault(key.split("[")[0], []).append(key)
        chosen, depth = [], 0
        while len(chosen) < min(DEFAULT_CURVES, len(keys)):
            chosen += [elements[depth] for elements in by_param.values() if depth < len(elements)]
            depth += 1
        return [key for key in keys if key in set(chosen[:DEFAULT_CURVES])]

    def pick_elements(self, keys) -> None:
        """Plot these parameter elements (as ticking them in the Parameters tab does)."""
        self._picked = set(keys)
        self._fill_element_list()
        self._layout = None
        self._mark_dirty()

    def _element_keys(self) -> list:
        keys: dict = {}
        for run in self.runs:
            if run.visible:
                keys.update(dict.fromkeys(run.params))
        return list(keys)

    def _fill_element_list(self) -> None:
        keys, plotted = self._element_keys(), set(self.plotted_elements())
        self.element_list.blockSignals(True)
        if [self.element_list.item(i).text() for i in range(self.element_list.count())] != keys:
            self.element_list.clear()
            for key in keys:
                item = QListWidgetItem(key)
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                self.element_list.addItem(item)
        for i in range(self.element_list.count()):
            item = self.element_list.item(i)
            item.setCheckState(Qt.Checked if item.text() in plotted else Qt.Unchecked)
        self.element_list.blockSignals(False)
        self._filter_elements(self.element_filter.text())

    def _filter_elements(self, words: str) -> None:
        for i in range(self.element_list.count()):
            item = self.element_list.item(i)
            item.setHidden(words.strip() not in item.text())

    def _on_element_toggled(self, _item) -> None:
        self.pick_elements(self.element_list.item(i).text() for i in range(self.element_list.count())
                           if self.element_list.item(i).checkState() == Qt.Checked)

    # Drawing -----------------------------------------------------------------------
    def _redraw_if_dirty(self):
        """One plot per tick, in turn (the loss every other tick): Qt paints what changed in a
        frame together, and the three plots in one frame would hold the event loop three times
        as long."""
        if not (self._dirty_parts and self.isVisible()):
            return
        started = time.perf_counter()
        if self._check_layout():
            self._dirty_parts = set(PLOT_PARTS)
        shown = {"loss": True, "params": self.param_view.isVisible(), "grads": self.grad_view.isVisible()}
        for _ in range(len(REDRAW_TURNS)):
            part = REDRAW_TURNS[self._turn % len(REDRAW_TURNS)]
            self._turn += 1
            if part in self._dirty_parts and shown[part]:
                break
        else:
            return  # what changed is in a tab not shown: drawn when its tab is
        self._dirty_parts.discard(part)
        self.redraw_part(part)
        # Leave the event loop at least twice the drawing time: a slow paint must not starve it.
        spent_ms = (time.perf_counter() - started) * 1000
        self._timer.setInterval(max(REDRAW_INTERVAL_MS, int(3 * spent_ms)))

    def _mark_dirty(self, *_):
        self._dirty_parts = set(PLOT_PARTS)

    def redraw(self):
        """Update every curve now. Curves are created once per run and given new data after
        that: re-creating them on every frame would cost more than drawing them."""
        self._check_layout()
        for part in PLOT_PARTS:
            self.redraw_part(part)

    def _check_layout(self) -> bool:
        """Make the curves again if what is plotted changed; say if it did."""
        by_time = self.x_axis.currentIndex() == 1
        layout = (by_time, self.log_y.isChecked(), tuple(r.visible for r in self.runs), len(self.runs),
                  tuple(self.plotted_elements()), tuple(tuple(r.grad_norms) for r in self.runs if r.visible))
        if layout == self._layout:
            return False
        self._layout = layout
        self._make_curves(by_time)
        self._fill_element_list()
        return True

    def redraw_part(self, part: str) -> None:
        """Give one plot's curves their data: ``loss`` (with the status line and the param table),
        ``params`` or ``grads``."""
        by_time = self.x_axis.currentIndex() == 1
        if part == "loss":
            self._redraw_losses(by_time)
            self._update_status()
            self._fill_param_table()
            self._show_site_elbo()
            return
        table, series_of = ((self._param_curves, lambda run, key: run.params.get(key)) if part == "params" else
                            (self._grad_curves, lambda run, key: run.grad_norms.get(key)))
        for (index, key), item in table.items():
            run = self.runs[index]
            series = series_of(run, key)
            if series is not None and len(run):
                item.setData(run.x(by_time)[: series.size], series.values)

    def _show_site_elbo(self) -> None:
        shown_before = self.details.isTabVisible(self._site_elbo_tab)
        has_terms = self.site_elbo.show_run(self.model.shown)
        if has_terms != shown_before:  # only then: setting it lays the tabs out, and repaints them, again
            self.details.setTabVisible(self._site_elbo_tab, has_terms)
        if has_terms and not shown_before:  # asked for: shown, once, when it first appears
            self.details.setCurrentIndex(self._site_elbo_tab)

    def _redraw_losses(self, by_time: bool) -> None:
        weight = self.smoothing_weight()
        visible_losses = []
        for index, run in enumerate(self.runs):
            curves = self._curves.get(index)
            if curves is None or len(run) == 0:
                continue
            x = run.x(by_time)
            losses = run.losses.values
            curves["raw"].setData(x, losses)
            curves["smooth"].setData(x, run.smoothed_losses(weight))
            visible_losses.append(losses)
            if run.nonfinite_steps:
                marks = np.isin(run.steps.values, run.nonfinite_steps)
                finite = losses[np.isfinite(losses)]
                top = float(finite.max()) if len(finite) else 0.0
                curves["nonfinite"].setData(x[marks], np.full(int(marks.sum()), top))
        if visible_losses and self.ignore_outliers.isChecked() and not self.log_y.isChecked():
            y_range = robust_range(np.concatenate(visible_losses))
            if y_range is not None and _moved(self.loss_plot.viewRange()[1], y_range):
                self.loss_plot.setYRange(*y_range, padding=0)

    def _label_runs(self) -> None:
        """The run list's names, a run still being written marked live (TensorBoard's logdir)."""
        self.run_list.blockSignals(True)  # a new name is not a run ticked or unticked
        for row, run in enumerate(self.runs):
            item = self.run_list.item(row)
            name = _run_name(run)
            if item is not None and item.text() != name:
                item.setText(name)
        self.run_list.blockSignals(False)

    def _make_curves(self, by_time: bool):
        for plot in (self.loss_plot, self.param_plot, self.grad_plot):
            plot.clear()
            plot.setLogMode(y=self.log_y.isChecked() and plot is self.loss_plot)
            if plot is self.loss_plot:  # the plots below share its x axis: their rows go to the curves
                plot.setLabel("bottom", "wall time (s)" if by_time else "step")
        self.loss_plot.addItem(self.crosshair, ignoreBounds=True)
        self.loss_plot.addItem(self.readout, ignoreBounds=True)
        self._curves, self._param_curves, self._grad_curves = {}, {}, {}
        error = colors()["error"]
        visible = [(index, run) for index, run in enumerate(self.runs) if run.visible]
        several = len(visible) > 1
        elements = self.plotted_elements()
        styles = (Qt.SolidLine, Qt.DashLine, Qt.DotLine, Qt.DashDotLine)
        entries = {"loss": [], "param": [], "grad": []}
        names = [run.label.split(" (")[0] for _, run in visible]  # "run 2: ddp.rank1"
        named = len({name.partition(": ")[2] for name in names}) == len(names) > 1  # runs of different files
        for order, (index, run) in enumerate(visible):
            colour = run_colour(index)
            raw = pg.mkColor(colour)
            raw.setAlpha(70)
            pen = pg.mkPen(colour, width=2)
            entries["loss"].append((names[order] if named else run.label.split(":")[0], pen, run.label))
            self._curves[index] = {
                "raw": self.loss_plot.plot(pen=pg.mkPen(raw, width=1)),
                "smooth": self.loss_plot.plot(pen=pen),
                "nonfinite": self.loss_plot.plot(pen=None, symbol="x", symbolBrush=error, symbolPen=error,
                                                 symbolSize=12),
            }
            prefix = f"{run.label.split(':')[0]} · " if several else ""
            style = styles[order % len(styles)]  # runs apart by line style, elements by colour
            for j, key in enumerate(key for key in elements if key in run.params):
                pen = pg.mkPen(element_colour(j, len(elements)), width=1.5, style=style)
                entries["param"].append((prefix + key, pen, f"{run.label}: {key}"))
                self._param_curves[(index, key)] = self.param_plot.plot(pen=pen)
            for j, key in enumerate(run.grad_norms):
                pen = pg.mkPen(element_colour(j, len(run.grad_norms)), width=1.5, style=style)
                entries["grad"].append((prefix + key, pen, f"{run.label}: gradient norm of {key}"))
                self._grad_curves[(index, key)] = self.grad_plot.plot(pen=pen)
        for legend, name in ((self.loss_legend, "loss"), (self.param_legend, "param"), (self.grad_legend, "grad")):
            legend.set_entries(entries[name])
        # Runs that report losses only (loss events, no SVI.step): the loss takes the whole height.
        self.details.setVisible(not visible or bool(entries["param"] or entries["grad"])
                                or self.details.isTabVisible(self._site_elbo_tab))
        for plot, name, title in ((self.param_plot, "param", "parameters"), (self.grad_plot, "grad", "gradient norms")):
            empty = bool(visible) and not entries[name]
            for axis in ("left", "bottom"):
                plot.showAxis(axis, not empty)
            self._set_title(plot, f"{title}: none recorded in these runs" if empty else None)

    def reset_zoom(self):
        for plot in (self.loss_plot, self.param_plot, self.grad_plot):
            plot.enableAutoRange()
        self._mark_dirty()

    def _update_status(self):
        run = self.model.shown
        if run is None or len(run) == 0:
            self.status.setText("No SVI run yet")
            return
        speed = run.steps_per_second()
        change = run.decrease_percent()
        words = "below" if change >= 0 else "above"
        self.status.setText(f"step {int(run.steps.values[-1])}   {speed:,.0f} steps/s   "
                            f"loss {text.number(float(run.losses.values[-1]))}   "
                            f"{abs(change):.1f}% {words} the start")
        self.status.setToolTip(f"{run.label}\nThe loss now and at the start: each the mean of "
                               f"{run.ends_window()} steps")

    def _fill_param_table(self):
        run = self.model.shown
        if run is None:
            return
        constraints = self.model.constraints
        self.param_rows.set_rows(
            (name, text.shape(summary.get("shape", [])) if isinstance(summary, dict) else "",
             constraints.get(name, ""), text.value(summary, long=True))
            for name, summary in sorted(run.param_summaries.items()))

    def _show_readout(self, shown: bool) -> None:
        self.readout.setVisible(shown)
        self.crosshair.setVisible(shown)

    def _on_mouse(self, event):
        position = event[0]
        if not self.loss_plot.vb.sceneBoundingRect().contains(position):
            self._show_readout(False)
            return
        point = self.loss_plot.vb.mapSceneToView(position)
        by_time = self.x_axis.currentIndex() == 1
        weight = self.smoothing_weight()
        rows = []
        for index, run in enumerate(self.runs):
            if run.visible and len(run):
                rows.append((index, run, nearest(run.x(by_time), point.x()), run.smoothed_losses(weight)))
        if not rows:
            self._show_readout(False)
            return
        index, run, i, _ = rows[0]
        self.crosshair.setPos(run.x(by_time)[i])  # on a step, not between two
        self.readout.setHtml(readout_html(rows, run_colour, colors()["text"].name()))
        (left, right), (bottom, top) = self.loss_plot.vb.viewRange()
        # The readout on the side of the cursor with more room, at the top of the plot.
        self.readout.setAnchor((0, 0) if point.x() < (left + right) / 2 else (1, 0))
        self.readout.setPos(point.x(), top)
        self._show_readout(True)

    # Export ------------------------------------------------------------------------
    def export_csv(self, path, run: SviRun | None = None) -> None:
        (run or self.model.shown).write_csv(path, self.smoothing_weight())

    def export_json(self, path, run: SviRun | None = None) -> None:
        run = run or self.model.shown
        run.write_json(path, self.smoothing_weight(), about=run.about())

    def export_png(self, path) -> None:
        """The three plots and their legends, as on screen."""
        if not self.plots.grab().save(str(path), "PNG"):
            raise OSError(f"cannot write {path}")

    def _export_dialog(self, words: str, suffix: str, export):
        if not self.runs:
            return
        path, _ = QFileDialog.getSaveFileName(self, f"Export run as {words}", f"svi_run.{suffix}",
                                              f"{words} (*.{suffix})")
        if path:
            row = self.run_list.currentRow()
            export(path, self.runs[row] if row >= 0 else None)

    def _export_png_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self, "Export plots as PNG", "svi_plots.png", "PNG (*.png)")
        if path:
            self.export_png(path)


def _run_name(run: SviRun) -> str:
    return f"{run.label}   ● live" if run.live else run.label


def _beside(plot: QWidget, legend: Legend) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(plot, 1)
    layout.addWidget(legend)
    return row


def _setting(settings: dict, key: str, kind):
    """The file's setting as ``kind``; the default if the file's value is not one (the runner says why)."""
    try:
        return kind(settings[key])
    except (KeyError, TypeError, ValueError):
        return kind(SVI_DEFAULTS[key])


def _moved(current, target, tolerance=0.02) -> bool:
    """Whether a range changed by more than a small part of its span (a new range redraws the axes)."""
    span = max(abs(target[1] - target[0]), 1e-12)
    return abs(current[0] - target[0]) > tolerance * span or abs(current[1] - target[1]) > tolerance * span
