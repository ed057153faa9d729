"""The user's Python at the current step, as VS Code and Python Tutor show it: the Variables
of the innermost frame of the model's code, and its Call stack (innermost first)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QTableWidgetItem, QVBoxLayout, QWidget

from ...models import text
from .tables import TitledTablePanel

NO_FRAMES = "Python frames are recorded when a run is traced (steps detail)"


def _python(session, step):
    state = session.state_at(step) if step >= 0 else None
    return state.python if state is not None else None


class VariablesPanel(TitledTablePanel):
    def __init__(self, session, parent=None):
        super().__init__(session, NO_FRAMES, "name", parent)

    def _on_step(self, step: int) -> None:
        python = _python(self.session, step)
        self.table.setRowCount(0)
        if not python or not python.get("frames"):
            self.title.setText(NO_FRAMES)
            return
        frame = python["frames"][-1]
        self.title.setText(f"Locals of {frame['function']}()  —  {Path(frame['file']).name}:{frame['line']}")
        for name, summary in (python.get("locals") or {}).items():
            row = self.table.rowCount()
            self.table.insertRow(row)
            shown = text.value(summary, long=True)
            item = QTableWidgetItem(shown)
            item.setToolTip(shown)
            self.table.setItem(row, 0, QTableWidgetItem(name))
            self.table.setItem(row, 1, item)

    def view(self) -> dict:
        """name -> value as shown."""
        return {self.table.item(r, 0).text(): self.table.item(r, 1).text() for r in range(self.table.rowCount())}


class CallStackPanel(QWidget):
    sigOpenLocation = Signal(str, int)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.list = QListWidget()
        self.list.itemActivated.connect(self._on_activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        session.sig_step_changed.connect(self._on_step)
        session.sig_reset.connect(lambda: self._on_step(-1))

    def _on_step(self, step: int) -> None:
        python = _python(self.session, step)
        self.list.clear()
        frames = (python or {}).get("frames") or []
        if not frames:
            self.list.addItem(NO_FRAMES)
            return
        for frame in reversed(frames):  # innermost first, as debuggers list them
            item = QListWidgetItem(f"{frame['function']}   {Path(frame['file']).name}:{frame['line']}")
            item.setData(Qt.UserRole, (frame["file"], frame["line"]))
            item.setToolTip(f"{frame['file']}:{frame['line']}")
            self.list.addItem(item)
        self.list.setCurrentRow(0)

    def _on_activated(self, item) -> None:
        where = item.data(Qt.UserRole)
        if where:
            self.sigOpenLocation.emit(*where)

    def view(self) -> list:
        """The frames as listed, innermost first: [{"function", "where"}]."""
        rows = []
        for r in range(self.list.count()):
            where = self.list.item(r).data(Qt.UserRole)
            if where:
                rows.append({"function": self.list.item(r).text().split()[0], "where": f"{where[0]}:{where[1]}"})
        return rows
