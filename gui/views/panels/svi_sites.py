"""The SVI monitor's per-site ELBO: each site's share of the ELBO (model log p minus guide log q)
at every step, plotted, and a table of the sites by their variance across steps, the noisiest
first: the site that makes the loss noisy is the top row. Runs with "per-site ELBO" ticked send it."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QSplitter, QTableView, QVBoxLayout, QWidget

from ..rows_model import RowsModel
from .svi_plots import Legend, element_colour

COLUMNS = ("site", "mean", "variance")
MAX_CURVES = 12  # the noisiest sites plotted; every site is in the table


class SiteElboView(QWidget):
    DESCRIPTION = "Per-site ELBO: each site's log p − log q at every step; the table lists the noisiest site first"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_view = pg.PlotWidget()  # named by its tab
        self.plot = self.plot_view.getPlotItem()
        self.legend = Legend()
        self.rows = RowsModel(COLUMNS, self)
        self.table = QTableView()
        self.table.setModel(self.rows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.plot_view)
        split.addWidget(self.legend)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split, 1)
        self._curves: dict = {}
        self._run = None

    def show_run(self, run) -> bool:
        """Plot ``run``'s per-site ELBO; whether it has any."""
        has_terms = run is not None and bool(run.site_elbo)
        if not has_terms:
            return False
        spread = run.site_elbo_spread()
        self.rows.set_rows((name, f"{mean:.4g}", f"{variance:.4g}") for name, mean, variance in spread)
        plotted = [name for name, _, _ in spread[:MAX_CURVES]]
        if run is not self._run or list(self._curves) != plotted:
            self._run = run
            self.plot.clear()
            pens = [pg.mkPen(element_colour(k, len(plotted)), width=1.5) for k in range(len(plotted))]
            self._curves = {name: self.plot.plot(pen=pen) for name, pen in zip(plotted, pens)}
            self.legend.set_entries([(name, pen, None) for name, pen in zip(plotted, pens)])
        steps = run.steps.values
        for name, curve in self._curves.items():
            series = run.site_elbo[name]
            curve.setData(steps[len(steps) - series.size:], series.values)
        return True

    def table_view(self) -> list:
        """The table as shown: (site, mean, variance) per row, read from its cells."""
        return [tuple(self.rows.data(self.rows.index(r, c)) for c in range(len(COLUMNS)))
                for r in range(self.rows.rowCount())]
