"""The SVI monitor's plot pieces: run colours, a log axis whose labels do not collide,
legends beside the plots, and a TensorBoard-style readout of the point under the mouse."""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from ...models import text

# Eight hues that stay apart from each other on white and on dark grey (Tableau's 10, less grey and olive).
LEGEND_SAMPLE_WIDTH = 24
LEGEND_CHARACTERS = 26  # wider names are elided (assignment_probs[0,0] fits)
RUN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def run_colour(index: int):
    return pg.mkColor(RUN_COLOURS[index % len(RUN_COLOURS)])


def element_colour(index: int, count: int):
    return pg.intColor(index, hues=max(count, 6), values=1, maxValue=210, minValue=150)


class ReadableLogAxis(pg.AxisItem):
    """In log mode, labels only at powers of ten (or 1-2-5 steps when the range spans less than
    two decades), written as numbers: pyqtgraph's own log ticks label every minor tick and
    the labels pile up."""

    def tickValues(self, minVal, maxVal, size):
        if not self.logMode:
            return super().tickValues(minVal, maxVal, size)
        low, high = math.floor(minVal), math.ceil(maxVal)
        if high - low > 60 or not math.isfinite(minVal) or not math.isfinite(maxVal):
            return super().tickValues(minVal, maxVal, size)
        decades = list(range(low, high + 1))
        majors = [d for d in decades if minVal <= d <= maxVal]
        steps = (1, 2, 5) if len(majors) < 2 else (1,)
        labelled = [math.log10(m) + d for d in decades for m in steps if minVal <= math.log10(m) + d <= maxVal]
        minor = [math.log10(m) + d for d in decades for m in range(2, 10)
                 if minVal <= math.log10(m) + d <= maxVal and math.log10(m) + d not in labelled]
        return [(1.0, labelled), (0.1, minor)]

    def tickStrings(self, values, scale, spacing):
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        if spacing < 1.0:  # the minor ticks: marks without labels
            return [""] * len(values)
        return [f"{10 ** v:.3g}" for v in values]


class Legend(QListWidget):
    """A plot's legend beside it, outside the data: a line sample and a name per curve, scrolling
    when there are many; its text follows the app's text size as every widget's does."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QListWidget.NoFrame)
        self.setSelectionMode(QListWidget.NoSelection)
        self.setFocusPolicy(Qt.NoFocus)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setMinimumWidth(60)
        self.setIconSize(QSize(LEGEND_SAMPLE_WIDTH, 12))
        self._entries: list = []

    def set_entries(self, entries: list) -> None:
        """``entries``: (name, pen, tooltip) per curve. A long name is elided in the middle (its
        index stays in view), the whole of it in the tooltip."""
        self._entries = list(entries)
        self.clear()
        metrics = self.fontMetrics()
        widest = metrics.averageCharWidth() * LEGEND_CHARACTERS
        for name, pen, tooltip in entries:
            item = QListWidgetItem(self._sample(pen), metrics.elidedText(name, Qt.ElideMiddle, widest))
            item.setToolTip(tooltip or name)
            self.addItem(item)
        width = max((metrics.horizontalAdvance(self.item(i).text()) for i in range(self.count())), default=0)
        self.setMaximumWidth(width + LEGEND_SAMPLE_WIDTH + 30 + self.verticalScrollBar().sizeHint().width())

    def changeEvent(self, event):
        super().changeEvent(event)
        if event.type() == QEvent.FontChange:  # presentation mode's larger text: elide and size again
            self.set_entries(self._entries)

    @staticmethod
    def _sample(pen) -> QIcon:
        picture = QPixmap(LEGEND_SAMPLE_WIDTH, 12)
        picture.fill(Qt.transparent)
        painter = QPainter(picture)
        line = QPen(pen)
        line.setWidthF(max(2.0, pen.widthF()))
        painter.setPen(line)
        painter.drawLine(0, 6, LEGEND_SAMPLE_WIDTH, 6)
        painter.end()
        return QIcon(picture)


def readout_html(rows: list, colour_of, text_colour: str) -> str:
    """The tooltip's table: run, step, value, smoothed, wall and relative time (TensorBoard's columns)."""
    head = "".join(f"<th align='left'>{h}</th>" for h in ("run", "step", "value", "smoothed", "time", "relative"))
    body = []
    for index, run, i, smoothed in rows:
        wall = time.strftime("%H:%M:%S", time.localtime(run.started_at + run.times.values[i])) \
            if run.started_at is not None else "—"
        relative = run.times.values[i] - run.times.values[0]
        cells = (f"<span style='color:{colour_of(index).name()}'>■</span> {run.label.split(':')[0]}",
                 str(int(run.steps.values[i])), text.number(float(run.losses.values[i])),
                 text.number(float(smoothed[i])), wall, f"{relative:.3g} s")
        body.append("<tr>" + "".join(f"<td>{c}&nbsp;</td>" for c in cells) + "</tr>")
    return f"<table style='color:{text_colour}'><tr>{head}</tr>{''.join(body)}</table>"


def nearest(x: np.ndarray, value: float) -> int:
    """The index of the point of ``x`` (sorted) nearest to ``value``."""
    i = int(np.clip(np.searchsorted(x, value), 0, len(x) - 1))
    if i > 0 and abs(x[i - 1] - value) < abs(x[i] - value):
        i -= 1
    return i
