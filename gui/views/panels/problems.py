"""Problems (VS Code's Problems panel): each problem found in the run, as it goes; activating
one (click, Enter) travels to its step and site."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from ..rows_model import RowsModel

COLUMNS = ("kind", "site", "step", "where", "problem")
NONE_YET = "No problems found in this run."


class ProblemsPanel(QWidget):
    sigActivated = Signal(object)  # the Problem

    def __init__(self, problems, parent=None):
        super().__init__(parent)
        self.problems = problems
        self.summary = QLabel(NONE_YET)
        self.summary.setObjectName("problemsSummary")
        self.rows = RowsModel(COLUMNS, self)
        self.table = QTableView()
        self.table.setModel(self.rows)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setWordWrap(False)  # one line a problem, the whole text in its tooltip and the inspector
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self.table.activated.connect(self._on_activated)
        self.table.clicked.connect(self._on_activated)
        problems.sig_changed.connect(self._fill)
        self._fill()

    def _fill(self) -> None:
        shown = self.problems.problems
        self.rows.set_rows((("hint" if p.is_hint else p.kind), p.site or "", p.step,
                            _where(p.source), p.message) for p in shown)
        found, hints = self.problems.counts
        if not found and not hints:
            self.summary.setText(NONE_YET)
        else:
            words = [f"{found} problem{'' if found == 1 else 's'}"] + \
                ([f"{hints} hint{'' if hints == 1 else 's'}"] if hints else [])
            self.summary.setText(", ".join(words) + " — click one to travel to its step and site.")

    def _on_activated(self, index) -> None:
        if index.isValid():
            self.sigActivated.emit(self.problems.problems[index.row()])

    def view(self) -> list:
        """What the table shows, read from its cells: one dict per row."""
        return [{column: self.rows.data(self.rows.index(row, c)) for c, column in enumerate(COLUMNS)}
                for row in range(self.rows.rowCount())]


def _where(source) -> str:
    if not source:
        return ""
    file, _, line = str(source).rpartition(":")
    return f"{Path(file).name}:{line}"
