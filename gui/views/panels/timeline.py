"""Timeline: every event in a virtualised table, with filters, a search box, and a slider
over the whole run (errors and breakpoint hits marked) to travel to any step."""

from __future__ import annotations

import bisect
import fnmatch
import re
import time
from array import array

import numpy
from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLineEdit, QSlider,
                               QStyle, QStyleOptionSlider, QTableView, QVBoxLayout, QWidget)

from ...models import text
from ...models.events import KIND_CODES
from ..palette import colors

COLUMNS = ("seq", "kind", "site", "handler", "summary")
PREPARE_SECONDS = 0.008  # per turn of the GUI loop, making the search's haystacks ahead of time
PREPARE_LIMIT = 300_000  # events; longer runs make them when searched (their memory is the cost)
KIND_FILTERS = {
    "all events": None,
    "all events, Step stops at output": None,
    "steps only (output hidden)": set(KIND_CODES) - {"output"},
    "messages (start and end)": {"msg_start", "msg_end"},
    "handler steps": {"process", "postprocess", "stop", "default"},
    "handlers entering and leaving": {"handler_enter", "handler_exit"},
    "SVI steps": {"svi_step"},
    "output and errors": {"output", "error"},
}
# Output is not a step (a print flood would make thousands): Step passes it, unless one of these
# filters is chosen.
OUTPUT_STEPS = {"all events, Step stops at output", "output and errors"}


class TimelineModel(QAbstractTableModel):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.rows = array("l")
        self.kinds = None  # None: every kind
        self.site_glob = ""
        self.handler_text = ""
        self.search = ""
        self.haystacks: list = []  # each event's searchable text, lowercased, made ahead of a search

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        step = self.rows[index.row()]
        if role == Qt.DisplayRole:
            return self.cell(step, index.column())
        if role == Qt.ForegroundRole and self.session.events.kinds[step] == KIND_CODES["error"]:
            return colors()["error"]
        return None

    def cell(self, step: int, column: int) -> str:
        events = self.session.events
        if column == 0:
            return str(step)
        event = events[step]
        if column == 1:
            return event["kind"]
        if column == 2:
            return events.names[step] or ""
        if column == 3:
            handler_id = event.get("handler_id")
            return events.handler_labels.get(handler_id, "") if handler_id is not None else ""
        return text.event_summary(event, events.handler_labels)

    def _accepts(self, step: int, kind_codes, glob, handler: str, search: str) -> bool:
        events = self.session.events
        if kind_codes is not None and events.kinds[step] not in kind_codes:
            return False
        if glob is not None and not glob(events.names[step] or ""):
            return False
        if handler:
            event = events[step]
            if handler not in events.handler_labels.get(event.get("handler_id"), ""):
                return False
        return not search or search in self.haystack(step)

    def haystack(self, step: int) -> str:
        """What the search looks in: kind, site, handler and summary, lowercased (kept: a search of
        a 10 000-site trace reads them all, and summarising 50 000 events takes a second)."""
        if len(self.haystacks) <= step:
            self.haystacks.extend([None] * (step + 1 - len(self.haystacks)))
        found = self.haystacks[step]
        if found is None:
            events = self.session.events
            event = events[step]
            found = self.haystacks[step] = (
                f"{event['kind']} {events.names[step] or ''} {events.handler_labels.get(event.get('handler_id'), '')} "
                f"{text.event_summary(event, events.handler_labels)}".lower())
        return found

    def prepare(self, seconds: float) -> bool:
        """Make the next haystacks for about ``seconds``; False once all are made."""
        events, deadline = self.session.events, time.perf_counter() + seconds
        step = len(self.haystacks)
        while step < len(events) and (step % 64 or time.perf_counter() < deadline):
            self.haystack(step)
            step += 1
        return step < len(events)

    def refilter(self) -> None:
        if not len(self.session.events):
            self.haystacks = []
        self.beginResetModel()
        self.rows = array("l", self._matching(0, len(self.session.events)))
        self.endResetModel()

    def _matching(self, first: int, end: int):
        if self.kinds is None and not self.site_glob and not self.handler_text and not self.search:
            return range(first, end)
        codes = None if self.kinds is None else {KIND_CODES[k] for k in self.kinds}
        if not self.site_glob and not self.handler_text and not self.search:  # by kind only: at C speed
            kinds = numpy.frombuffer(self.session.events.kinds, dtype=numpy.uint8)[first:end]
            return (numpy.flatnonzero(numpy.isin(kinds, list(codes))) + first).tolist()
        glob = re.compile(fnmatch.translate(self.site_glob)).match if self.site_glob else None
        search = self.search.lower()
        return [k for k in range(first, end) if self._accepts(k, codes, glob, self.handler_text, search)]

    def append(self, first: int, end: int) -> None:
        new = self._matching(first, end)
        if len(new):
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(new) - 1)
            self.rows.extend(new)
            self.endInsertRows()

    def row_of(self, step: int):
        """The row showing ``step``, or None if the filter hides it (rows are sorted)."""
        row = bisect.bisect_left(self.rows, step)
        return row if row < len(self.rows) and self.rows[row] == step else None


class MarkedSlider(QSlider):
    """A slider over the steps with ticks: errors in red, breakpoint hits in the breakpoint colour."""

    def __init__(self, parent=None):
        super().__init__(Qt.Horizontal, parent)
        self.marks: list = []  # (step, colour key)

    def paintEvent(self, event):
        super().paintEvent(event)
        if not self.marks or self.maximum() <= self.minimum():
            return
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        groove = self.style().subControlRect(QStyle.CC_Slider, option, QStyle.SC_SliderGroove, self)
        painter = QPainter(self)
        palette = colors()
        span = self.maximum() - self.minimum()
        for step, key in self.marks:
            x = groove.left() + (groove.width() - 1) * (step - self.minimum()) / span
            painter.setPen(QPen(palette[key], 2))
            painter.drawLine(int(x), groove.top() - 3, int(x), groove.bottom() + 3)


class TimelinePanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.breakpoints = None
        self._following = False
        self.model = TimelineModel(session, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.Interactive)
        header.setStretchLastSection(True)
        self.view.setColumnWidth(0, 64)
        self.view.setColumnWidth(1, 110)
        self.view.setColumnWidth(2, 90)
        self.view.setColumnWidth(3, 190)
        self.kind = QComboBox()
        self.kind.addItems(list(KIND_FILTERS))
        self.site = QLineEdit(placeholderText="site (glob)")
        self.handler = QLineEdit(placeholderText="handler")
        self.search = QLineEdit(placeholderText="search…")
        self.slider = MarkedSlider()
        self.slider.setRange(0, 0)
        filters = QHBoxLayout()
        for widget, stretch in ((self.kind, 2), (self.site, 1), (self.handler, 1), (self.search, 2)):
            filters.addWidget(widget, stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addWidget(self.slider)
        layout.addWidget(self.view)

        self.kind.currentTextChanged.connect(self._on_filter)
        for box in (self.site, self.handler, self.search):
            box.textChanged.connect(self._on_filter)
        self.slider.valueChanged.connect(self._on_slider)
        self.view.selectionModel().currentRowChanged.connect(self._on_row)
        self._preparing = QTimer(self)  # the search's haystacks, a few ms at a time while idle
        self._preparing.timeout.connect(self._prepare_search)
        session.sig_reset.connect(self._on_reset)
        session.sig_events_added.connect(self._on_events)
        session.sig_dropped.connect(self._on_dropped)
        session.sig_step_changed.connect(self._on_step)

    def _on_filter(self, *_):
        self.model.kinds = KIND_FILTERS[self.kind.currentText()]
        self.session.output_steps = self.kind.currentText() in OUTPUT_STEPS
        self.model.site_glob = self.site.text().strip()
        self.model.handler_text = self.handler.text().strip()
        self.model.search = self.search.text().strip()
        self.model.refilter()
        self._on_step(self.session.current)

    def _on_reset(self):
        self.model.refilter()
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self.slider.marks = []

    def _on_dropped(self, _count: int):
        self.model.haystacks = []
        self._on_reset()
        self._on_events(0, len(self.session.events))

    def _prepare_search(self):
        # A run that has grown past the limit (a big file arrives in chunks) is searched lazily.
        if len(self.session.events) > PREPARE_LIMIT or not self.model.prepare(PREPARE_SECONDS):
            self._preparing.stop()

    def _on_events(self, first: int, end: int):
        self.model.append(first, end)
        if end <= PREPARE_LIMIT and not self._preparing.isActive():
            self._preparing.start(0)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, end - 1))
        self.slider.blockSignals(False)
        errors = KIND_CODES["error"]
        self.slider.marks += [(k, "error") for k in range(first, end) if self.session.events.kinds[k] == errors]
        self._mark_breakpoints(first, end)
        self.slider.update()

    def set_breakpoints(self, breakpoints) -> None:
        """Mark the steps where ``breakpoints`` (gui.models.breakpoints.Breakpoints) pause."""
        self.breakpoints = breakpoints
        self.slider.marks = [m for m in self.slider.marks if m[1] != "breakpoint"]
        self._mark_breakpoints(0, len(self.session.events))
        self.slider.update()

    def _mark_breakpoints(self, first: int, end: int):
        if self.breakpoints is not None:
            self.slider.marks += [(k, "breakpoint") for k, _ in self.breakpoints.hits(self.session.events, first, end)]

    def _on_slider(self, value: int):
        self.session.set_current(value)

    def _on_row(self, current, previous):
        if current.isValid() and not self._following:
            self.session.set_current(self.model.rows[current.row()])

    def _on_step(self, step: int):
        self.slider.blockSignals(True)
        self.slider.setValue(max(0, step))
        self.slider.blockSignals(False)
        # The selection model's signals stay on (the view repaints from them); the flag keeps
        # this move from coming back to the session as a click.
        self._following = True
        try:
            row = self.model.row_of(step)
            selection = self.view.selectionModel()
            if row is None:
                selection.clear()
            else:
                index = self.model.index(row, 0)
                selection.setCurrentIndex(index, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
                self.view.scrollTo(index, QAbstractItemView.PositionAtCenter)
        finally:
            self._following = False

    def showEvent(self, event):
        super().showEvent(event)
        self._on_step(self.session.current)  # a hidden view cannot scroll: do it when it is shown

    def view_state(self) -> dict:
        """What the table shows, read from its widgets (``--panels-json``): the slider's step, the
        selected rows' seq numbers, and whether the current row is inside the visible area."""
        selected = sorted({int(self.model.cell(self.model.rows[index.row()], 0))
                           for index in self.view.selectionModel().selectedRows()})
        current = self.view.selectionModel().currentIndex()
        visible = False
        if current.isValid() and selected:
            rect = self.view.visualRect(current)
            visible = rect.isValid() and self.view.viewport().rect().intersects(rect)
        return {"current_seq": self.slider.value(), "selected": selected, "row_visible": visible}
