"""SVI monitor: live loss (raw and smoothed), parameter trajectories, gradient norms and the
param store, for the current run and the runs before it (TensorBoard's scalars, for one model)."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QListWidget, QListWidgetItem, QPushButton, QSlider, QSpinBox, QSplitter, QTableView,
                               QVBoxLayout, QWidget)

from minipyro.runner.modelfile import ELBOS, OPTIMIZERS, SVI_DEFAULTS, read_info

from ...models import text
from ...models.smoothing import robust_range
from ...models.svi_runs import SviRun, SviRuns
from ..palette import colors
from ..rows_model import RowsModel

REDRAW_INTERVAL_MS = 33  # at most ~30 redraws a second, however fast the steps arrive


class SviPanel(QWidget):
    sigRun = Signal(dict)  # SVI settings: steps, lr, optimizer, elbo, stop_on_nonfinite
    sigCommand = Signal(str)  # pause, continue_, stop, capture

    def __init__(self, model: SviRuns, parent=None):
        super().__init__(parent)
        self.model = model
        self._dirty = False
        self._layout = None  # what the curves were made for
        self._curves: dict = {}
        self._param_curves: dict = {}
        self._grad_curves: dict = {}
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self._redraw_if_dirty)
        self._timer.start()
        model.sig_run_added.connect(self._on_run_added)
        model.sig_changed.connect(self._mark_dirty)

    @property
    def runs(self) -> list:
        return self.model.runs

    @property
    def current(self) -> SviRun | None:
        return self.model.current

    # Widgets -----------------------------------------------------------------------
    def _build(self):
        self.steps = QSpinBox(minimum=1, maximum=10_000_000, value=SVI_DEFAULTS["steps"])
        self.lr = QDoubleSpinBox(decimals=5, minimum=1e-5, maximum=10.0, singleStep=0.001, value=SVI_DEFAULTS["lr"])
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.elbo = QComboBox()
        self.elbo.addItems(ELBOS)
        self.stop_on_nonfinite = QCheckBox("stop on NaN/inf", checked=True)
        self.run_button = QPushButton("Run SVI")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.capture_button = QPushButton("Capture next step")
        self.capture_button.setToolTip("Record the next SVI step in full and show its messages in the debugger")
        self.csv_button = QPushButton("Export CSV…")
        self.png_button = QPushButton("Export PNG…")
        settings = QHBoxLayout()
        for label, widget in (("steps", self.steps), ("lr", self.lr), ("optimizer", self.optimizer),
                              ("ELBO", self.elbo)):
            settings.addWidget(QLabel(label))
            settings.addWidget(widget)
        settings.addWidget(self.stop_on_nonfinite)
        for button in (self.run_button, self.pause_button, self.stop_button, self.capture_button):
            settings.addWidget(button)
        settings.addStretch(1)

        self.smoothing = QSlider(Qt.Horizontal, minimum=0, maximum=99, value=60)
        self.smoothing.setFixedWidth(160)
        self.log_y = QCheckBox("log y")
        self.x_axis = QComboBox()
        self.x_axis.addItems(["step", "wall time (s)"])
        self.ignore_outliers = QCheckBox("ignore outliers", checked=True)
        self.reset_button = QPushButton("Reset zoom")
        self.status = QLabel("No SVI run yet")
        view = QHBoxLayout()
        view.addWidget(QLabel("smoothing"))
        view.addWidget(self.smoothing)
        for widget in (self.log_y, QLabel("x axis"), self.x_axis, self.ignore_outliers, self.reset_button):
            view.addWidget(widget)
        view.addWidget(self.csv_button)
        view.addWidget(self.png_button)
        view.addStretch(1)
        view.addWidget(self.status)

        pg.setConfigOptions(antialias=False)  # antialiased lines of 100 000 points cost ~5x to draw
        self.plots = pg.GraphicsLayoutWidget()
        self.loss_plot = self.plots.addPlot(row=0, col=0, colspan=2, title="loss")
        self.param_plot = self.plots.addPlot(row=1, col=0, title="parameters")
        self.grad_plot = self.plots.addPlot(row=1, col=1, title="gradient norms")
        for plot in (self.loss_plot, self.param_plot, self.grad_plot):
            # no grid: pyqtgraph draws it with the axes, and replaying it dominated each frame
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.param_plot.addLegend(offset=(-10, 10))
        self.crosshair = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((128, 128, 128), style=Qt.DashLine))
        self.crosshair_label = pg.TextItem(anchor=(0, 1))
        self.loss_plot.addItem(self.crosshair, ignoreBounds=True)
        self.loss_plot.addItem(self.crosshair_label, ignoreBounds=True)
        self._mouse = pg.SignalProxy(self.loss_plot.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse)

        self.run_list = QListWidget()
        self.run_list.setMaximumWidth(260)
        self.param_rows = RowsModel(["param", "shape", "constraint", "value"], self)
        self.param_table = QTableView()
        self.param_table.setModel(self.param_rows)
        self.param_table.verticalHeader().hide()
        self.param_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.Stretch)
        side = QSplitter(Qt.Vertical)
        side.addWidget(self.run_list)
        side.addWidget(self.param_table)
        body = QSplitter(Qt.Horizontal)
        body.addWidget(self.plots)
        body.addWidget(side)
        body.setSizes([900, 380])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(settings)
        layout.addLayout(view)
        layout.addWidget(body)

        self.run_button.clicked.connect(self._on_run)
        self.pause_button.clicked.connect(self._on_pause)
        self.stop_button.clicked.connect(lambda: self.sigCommand.emit("stop"))
        self.capture_button.clicked.connect(lambda: self.sigCommand.emit("capture"))
        self.csv_button.clicked.connect(self._export_csv_dialog)
        self.png_button.clicked.connect(self._export_png_dialog)
        for signal in (self.smoothing.valueChanged, self.log_y.toggled, self.x_axis.currentIndexChanged,
                       self.ignore_outliers.toggled):
            signal.connect(self._mark_dirty)
        self.reset_button.clicked.connect(self.reset_zoom)
        self.run_list.itemChanged.connect(self._on_run_toggled)

    def apply_theme(self) -> None:
        palette = colors()
        self.plots.setBackground(palette["panel"])
        for plot in (self.loss_plot, self.param_plot, self.grad_plot):
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setPen(palette["muted"])
                plot.getAxis(axis).setTextPen(palette["text"])
            plot.setTitle(plot.titleLabel.text, color=palette["text"].name())
        self._layout = None  # make the curves again
        self._mark_dirty()

    # Settings ----------------------------------------------------------------------
    def load_settings(self, path) -> None:
        """Show the model file's ``svi`` settings (read as a literal, never executed)."""
        try:
            settings = read_info(path).svi
        except OSError:
            settings = SVI_DEFAULTS
        self.steps.setValue(_setting(settings, "steps", int))
        self.lr.setValue(_setting(settings, "lr", float))
        self.optimizer.setCurrentText(_setting(settings, "optimizer", str))
        self.elbo.setCurrentText(_setting(settings, "elbo", str))

    def settings(self) -> dict:
        return {"steps": self.steps.value(), "lr": self.lr.value(), "optimizer": self.optimizer.currentText(),
                "elbo": self.elbo.currentText(), "stop_on_nonfinite": self.stop_on_nonfinite.isChecked()}

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

    # Data ----------------------------------------------------------------------------
    def _on_run_added(self, run: SviRun):
        item = QListWidgetItem(run.label)
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        item.setCheckState(Qt.Checked)
        item.setForeground(pg.mkColor(self._colour(len(self.runs) - 1)))
        self.run_list.addItem(item)

    def _on_run_toggled(self, item):
        self.model.set_visible(self.run_list.row(item), item.checkState() == Qt.Checked)

    def _mark_dirty(self, *_):
        self._dirty = True

    @staticmethod
    def _colour(index: int):
        return pg.intColor(index, hues=8, values=1, maxValue=220)

    # Drawing -----------------------------------------------------------------------
    def _redraw_if_dirty(self):
        if self._dirty and self.isVisible():
            self._dirty = False
            started = time.perf_counter()
            self.redraw()
            # Leave the event loop at least twice the drawing time: a slow paint must not starve it.
            spent_ms = (time.perf_counter() - started) * 1000
            self._timer.setInterval(max(REDRAW_INTERVAL_MS, int(3 * spent_ms)))

    def redraw(self):
        """Update the curves. Curves are created once per run and given new data after that:
        re-creating them on every frame would cost more than drawing them."""
        weight = self.smoothing.value() / 100
        by_time = self.x_axis.currentIndex() == 1
        layout = (by_time, self.log_y.isChecked(), tuple(r.visible for r in self.runs), id(self.current),
                  tuple(sorted(self.current.params)) if self.current else ())
        if layout != self._layout:
            self._layout = layout
            self._make_curves(by_time)
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
        shown = self.model.shown
        if shown is not None and len(shown):
            x = shown.x(by_time)
            for key, item in self._param_curves.items():
                series = shown.params[key]
                item.setData(x[: series.size], series.values)
            for key, item in self._grad_curves.items():
                series = shown.grad_norms[key]
                item.setData(x[: series.size], series.values)
        if visible_losses and self.ignore_outliers.isChecked() and not self.log_y.isChecked():
            y_range = robust_range(np.concatenate(visible_losses))
            if y_range is not None and _moved(self.loss_plot.viewRange()[1], y_range):
                self.loss_plot.setYRange(*y_range, padding=0)
        self._update_status()
        self._fill_param_table()

    def _make_curves(self, by_time: bool):
        for plot in (self.loss_plot, self.param_plot, self.grad_plot):
            plot.clear()
            plot.setLogMode(y=self.log_y.isChecked() and plot is self.loss_plot)
            plot.setLabel("bottom", "wall time (s)" if by_time else "step")
        self.loss_plot.addItem(self.crosshair, ignoreBounds=True)
        self.loss_plot.addItem(self.crosshair_label, ignoreBounds=True)
        self._curves = {}
        error = colors()["error"]
        for index, run in enumerate(self.runs):
            if not run.visible:
                continue
            colour = self._colour(index)
            raw = pg.mkColor(colour)
            raw.setAlpha(70)
            self._curves[index] = {
                "raw": self.loss_plot.plot(pen=pg.mkPen(raw, width=1)),
                "smooth": self.loss_plot.plot(pen=pg.mkPen(colour, width=2), name=run.label),
                "nonfinite": self.loss_plot.plot(pen=None, symbol="x", symbolBrush=error, symbolPen=error,
                                                 symbolSize=12),
            }
        shown = self.model.shown
        self._param_curves = {key: self.param_plot.plot(pen=pg.intColor(i, hues=12), name=key)
                              for i, key in enumerate(sorted(shown.params)[:16])} if shown else {}
        self._grad_curves = {key: self.grad_plot.plot(pen=pg.intColor(i, hues=12), name=key)
                             for i, key in enumerate(sorted(shown.grad_norms))} if shown else {}

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
        self.status.setText(f"step {int(run.steps.values[-1])}   {speed:,.0f} steps/s   "
                            f"loss {text.number(float(run.losses.values[-1]))}   "
                            f"{run.decrease_percent(self.smoothing.value() / 100):+.1f}% below the first step"
                            .replace("+-", "−"))

    def _fill_param_table(self):
        run = self.model.shown
        if run is None:
            return
        constraints = self.model.constraints
        self.param_rows.set_rows(
            (name, text.shape(summary.get("shape", [])) if isinstance(summary, dict) else "",
             constraints.get(name, ""), text.value(summary, long=True))
            for name, summary in sorted(run.param_summaries.items()))

    def _on_mouse(self, event):
        position = event[0]
        if not self.loss_plot.sceneBoundingRect().contains(position):
            return
        point = self.loss_plot.vb.mapSceneToView(position)
        self.crosshair.setPos(point.x())
        lines = [f"x = {point.x():.6g}"]
        by_time = self.x_axis.currentIndex() == 1
        for run in self.runs:
            if not run.visible or len(run) == 0:
                continue
            x = run.x(by_time)
            i = int(np.clip(np.searchsorted(x, point.x()), 0, len(x) - 1))
            lines.append(f"{run.label.split(':')[0]}: loss {text.number(float(run.losses.values[i]))}")
        self.crosshair_label.setText("\n".join(lines))
        self.crosshair_label.setPos(point.x(), point.y())

    # Export ------------------------------------------------------------------------
    def export_csv(self, path, run: SviRun | None = None) -> None:
        (run or self.model.shown).write_csv(path)

    def export_png(self, path) -> None:
        ImageExporter(self.plots.scene()).export(str(path))

    def _export_csv_dialog(self):
        if not self.runs:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export run as CSV", "svi_run.csv", "CSV (*.csv)")
        if path:
            row = self.run_list.currentRow()
            self.export_csv(path, self.runs[row] if row >= 0 else None)

    def _export_png_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self, "Export plots as PNG", "svi_plots.png", "PNG (*.png)")
        if path:
            self.export_png(path)


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
