"""Message inspector: the current message's fields; what the current step changed is
highlighted and shown as before → after."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QTableWidgetItem

from ...models import text
from ..palette import colors
from .tables import TitledTablePanel

FIELD_ORDER = ("type", "name", "fn", "value", "is_observed", "scale", "mask", "cond_indep_stack", "done",
               "stop", "infer", "args", "kwargs")


class InspectorPanel(TitledTablePanel):
    def __init__(self, session, parent=None):
        super().__init__(session, "No message at this step", "field", parent)
        self.table.setWordWrap(True)
        self.problem = None  # the problem travelled to from the Problems panel, shown at its step
        session.sig_reset.connect(lambda: setattr(self, "problem", None))

    def show_problem(self, problem) -> None:
        """Show ``problem`` at its step: its message first, the offending field highlighted."""
        self.problem = problem
        if self.session.current == problem.seq:
            self._on_step(problem.seq)

    def problem_rows(self) -> list:
        """The rows marked as the problem's (tests read this): field names."""
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())
                if self.table.item(r, 0).data(Qt.UserRole + 1)]

    def rows(self) -> dict:
        """field -> text shown (tests read this)."""
        return {self.table.item(r, 0).text(): self.table.item(r, 1).text() for r in range(self.table.rowCount())}

    def changed_fields(self) -> list:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())
                if self.table.item(r, 0).data(Qt.UserRole)]

    def view(self) -> dict:
        """What the panel shows, read from its widgets: the message and the changed fields
        (field -> [before, after] as shown)."""
        changed = {}
        for r in range(self.table.rowCount()):
            before_after = self.table.item(r, 0).data(Qt.UserRole)
            if before_after:
                changed[self.table.item(r, 0).text()] = list(before_after)
        return {"message": self.title.property("message"), "title": self.title.text(), "changed": changed}

    def _on_step(self, step: int) -> None:
        state = self.session.state_at(step) if step >= 0 else None
        message = state.message if state else None
        self.table.setRowCount(0)
        self.title.setProperty("message", None if message is None else message.name)
        if message is None:
            self.title.setText("No message at this step")
            if self.problem is not None and self.problem.seq == step:
                self._add_problem_rows(self.problem, colors())
            return
        handler = ""
        if message.phase in ("process", "postprocess") and message.position is not None:
            labels = {h.handler_id: h.label for h in state.stack}
            handler_id = message.stack[message.position] if message.position < len(message.stack) else None
            handler = f" in {labels.get(handler_id, '?')}"
        elif message.phase == "default" and message.action:
            handler = f": {message.action}"
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
                before, after = (text.value(v, long=True) for v in changed[key])
                shown = f"{before}  →  {after}"
                name.setData(Qt.UserRole, [before, after])
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
        if self.problem is not None and self.problem.seq == step:
            self._add_problem_rows(self.problem, palette)
        first_changed = next((r for r in range(self.table.rowCount()) if self.table.item(r, 0).data(Qt.UserRole)), None)
        if first_changed is not None:
            self.table.scrollToItem(self.table.item(first_changed, 0))

    def _add_problem_rows(self, problem, palette) -> None:
        """The problem's own row on top, and its offending field (added if the message has none)."""
        offending = problem.offending
        rows = {self.table.item(r, 0).text(): r for r in range(self.table.rowCount())}
        if offending and offending not in rows:
            self._insert_row(0, offending, _offending_value(self.session.events[problem.seq], offending))
        self._insert_row(0, f"problem: {problem.kind}", problem.message)
        for r in range(self.table.rowCount()):
            name = self.table.item(r, 0)
            if name.text() in (offending, f"problem: {problem.kind}"):
                name.setData(Qt.UserRole + 1, True)
                for cell in (name, self.table.item(r, 1)):  # the error colour, which passes on panels
                    cell.setForeground(QBrush(palette["error"]))
                    font = cell.font()
                    font.setBold(True)
                    cell.setFont(font)
        self.table.resizeRowsToContents()
        self.table.scrollToTop()

    def _insert_row(self, row: int, key: str, shown: str) -> None:
        self.table.insertRow(row)
        item = QTableWidgetItem(shown)
        item.setToolTip(shown)
        self.table.setItem(row, 0, QTableWidgetItem(key))
        self.table.setItem(row, 1, item)


def _offending_value(event: dict, field: str) -> str:
    """The offending field as the problem's event carries it (log_prob_sum for a log_prob)."""
    value = event.get("log_prob_sum" if field == "log_prob" and "log_prob_sum" in event else field)
    if field == "log_prob" and isinstance(event.get("log_prob"), dict) and "log_prob_sum" not in event:
        value = event["log_prob"]
    return text.value(value, long=True)
