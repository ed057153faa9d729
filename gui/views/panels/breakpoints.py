"""The breakpoints list: each line breakpoint with its switch, condition and hit count, and a
button to remove it (a debugger's breakpoints view)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem, \
    QVBoxLayout, QWidget

from ...models.breakpoints import BreakpointError

COLUMNS = ("on", "line", "condition", "hits")


class BreakpointsPanel(QWidget):
    def __init__(self, breakpoints, parent=None):
        super().__init__(parent)
        self.breakpoints = breakpoints
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeToContents)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._remove_selected)
        self.message = QLabel("Click a line's gutter in the source to set a breakpoint there.")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._filling = False
        self.table.itemChanged.connect(self._on_item_changed)
        breakpoints.sig_changed.connect(self._fill)
        self._fill()

    def _fill(self) -> None:
        self._filling = True
        try:
            self.table.setRowCount(0)
            for breakpoint in self.breakpoints.items:
                row = self.table.rowCount()
                self.table.insertRow(row)
                switch = QTableWidgetItem()
                switch.setFlags(Qt.ItemIsUserCheckable | Qt.ItemIsEnabled | Qt.ItemIsSelectable)
                switch.setCheckState(Qt.Checked if breakpoint.enabled else Qt.Unchecked)
                switch.setData(Qt.UserRole, breakpoint.id)
                line = QTableWidgetItem(f"{Path(breakpoint.file).name}:{breakpoint.line}")
                line.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable)
                line.setToolTip(breakpoint.where)
                condition = QTableWidgetItem(breakpoint.condition)
                condition.setToolTip("An expression on the event, e.g. value.shape[0] == 100 (double-click to edit)")
                hits = QTableWidgetItem(str(breakpoint.hits))
                hits.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable)
                for column, item in enumerate((switch, line, condition, hits)):
                    self.table.setItem(row, column, item)
            self.remove_button.setEnabled(bool(self.breakpoints.items))
        finally:
            self._filling = False

    def _breakpoint(self, row: int):
        return self.breakpoints.by_id(self.table.item(row, 0).data(Qt.UserRole))

    def _on_item_changed(self, item) -> None:
        if self._filling:
            return
        breakpoint = self._breakpoint(item.row())
        if item.column() == 0:
            self.breakpoints.set_enabled(breakpoint, item.checkState() == Qt.Checked)
        elif item.column() == 2:
            try:
                self.breakpoints.set_condition(breakpoint, item.text())
                self.message.setText(f"Condition set on line {breakpoint.line}.")
            except BreakpointError as error:
                self.message.setText(f"Not a usable condition: {error}")
                self._fill()

    def _remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}) or [self.table.rowCount() - 1]
        for breakpoint in [self._breakpoint(r) for r in rows if r >= 0]:
            self.breakpoints.remove(breakpoint)

    def view(self) -> list:
        return [{"line": self.table.item(r, 1).toolTip(), "on": self.table.item(r, 0).checkState() == Qt.Checked,
                 "condition": self.table.item(r, 2).text(), "hits": int(self.table.item(r, 3).text())}
                for r in range(self.table.rowCount())]
