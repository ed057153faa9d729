"""A panel of one title line over a read-only (name, value) table, redrawn at every step: the
message inspector and the Variables panel."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QVBoxLayout, QWidget


class TitledTablePanel(QWidget):
    """Subclasses fill ``self.table`` in ``_on_step(step)`` (-1: nothing to show)."""

    def __init__(self, session, title: str, name_header: str, parent=None):
        super().__init__(parent)
        self.session = session
        self.title = QLabel(title)
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([name_header, "value"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        session.sig_step_changed.connect(self._on_step)
        session.sig_reset.connect(lambda: self._on_step(-1))

    def _on_step(self, step: int) -> None:
        raise NotImplementedError
