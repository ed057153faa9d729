"""Message inspector: the current message's fields; what the current step changed is
highlighted and shown as before → after."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ...models import text
from ..palette import colors

FIELD_ORDER = ("type", "name", "fn", "value", "is_observed", "scale", "mask", "cond_indep_stack", "done",
               "stop", "infer", "args", "kwargs")


class InspectorPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.title = QLabel("No message at this step")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["field", "value"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        session.sig_step_changed.connect(self._on_step)
        session.sig_reset.connect(lambda: self._on_step(-1))

    def rows(self) -> dict:
        """field -> text shown (tests read this)."""
        return {self.table.item(r, 0).text(): self.table.item(r, 1).text() for r in range(self.table.rowCount())}

    def changed_fields(self) -> list:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())
                if self.table.item(r, 0).data(Qt.UserRole)]

    def _on_step(self, step: int) -> None:
        state = self.session.state_at(step) if step >= 0 else None
        message = state.message if state else None
        self.table.setRowCount(0)
        if message is None:
            self.title.setText("No message at this step")
            return
        handler = ""
        if message.phase in ("process", "postprocess") and message.position is not None:
            labels = {h.handler_id: h.label for h in state.stack}
            handler_id = message.stack[message.position] if message.position < len(message.stack) else None
            handler = f" in {labels.get(handler_id, '?')}"
        self.title.setText(f"{message.type} '{message.name}' — {message.phase}{handler}")
        keys = [k for k in FIELD_ORDER if k in message.fields] + \
               [k for k in message.fields if k not in FIELD_ORDER]
        changed = {k.split(".")[0]: v for k, v in message.changes.items()}
        palette = colors()
        for key in keys:
            row = self.table.rowCount()
            self.table.insertRow(row)
            name = QTableWidgetItem(key)
            if key in changed:
                before, after = changed[key]
                shown = f"{text.value(before, long=True)}  →  {text.value(after, long=True)}"
                name.setData(Qt.UserRole, True)
            else:
                shown = text.value(message.fields[key], long=True)
            item = QTableWidgetItem(shown)
            item.setToolTip(shown)
            if key in changed:
                for cell in (name, item):
                    cell.setBackground(QBrush(palette["changed"]))
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, item)
        self.table.resizeRowsToContents()
