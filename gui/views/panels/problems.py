"""Problems (VS Code's Problems panel): each problem found in the run, as it goes; activating
one (click, Enter) travels to its step and site."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from minipyro.observe.shapes_at import HEADER as SHAPE_COLUMNS

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
        # The fix is at the end of a problem's text: wrapped, as VS Code's Problems panel does, rows
        # as high as their text (a check finds a few problems, once per kind and site).
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 2)
        # The shapes of the partial trace up to a shape problem's site, its offending dim as [n].
        self.shapes_title = QLabel()
        self.shapes_rows = RowsModel(SHAPE_COLUMNS, self)
        self.shapes = QTableView()
        self.shapes.setModel(self.shapes_rows)
        self.shapes.verticalHeader().hide()
        self.shapes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        layout.addWidget(self.shapes_title)
        layout.addWidget(self.shapes, 1)
        self._show_shapes(None)
        self.table.activated.connect(self._on_activated)
        self.table.clicked.connect(self._on_activated)
        problems.sig_changed.connect(self._fill)
        self._fill()

    def _fill(self) -> None:
        shown = self.problems.problems
        if not shown:
            self._show_shapes(None)
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
            problem = self.problems.problems[index.row()]
            self._show_shapes(problem)
            self.sigActivated.emit(problem)

    def _show_shapes(self, problem) -> None:
        rows = self.problems.shapes_for(problem) if problem is not None else []
        self.shapes_rows.set_rows(rows)
        up_to = f"'{problem.site}'" if problem is not None and problem.site else "the error"
        self.shapes_title.setText(f"Shapes of step {problem.step}'s sites up to {up_to} (▶ the site, [n] the "
                                  "offending dim):" if rows else "")
        self.shapes_title.setVisible(bool(rows))
        self.shapes.setVisible(bool(rows))

    def shapes_view(self) -> list:
        """The shapes table as shown, read from its cells."""
        return [{column: self.shapes_rows.data(self.shapes_rows.index(row, c))
                 for c, column in enumerate(SHAPE_COLUMNS)} for row in range(self.shapes_rows.rowCount())]

    def view(self) -> list:
        """What the table shows, read from its cells: one dict per row."""
        return [{column: self.rows.data(self.rows.index(row, c)) for c, column in enumerate(COLUMNS)}
                for row in range(self.rows.rowCount())]


def _where(source) -> str:
    if not source:
        return ""
    file, _, line = str(source).rpartition(":")
    return f"{Path(file).name}:{line}"
