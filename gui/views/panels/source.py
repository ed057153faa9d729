"""Source panel: the model file with line numbers, the current site's line highlighted,
a dot on each line that calls a primitive, and a gutter click to toggle a breakpoint there."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QFontDatabase, QPainter, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from ...models.site_lines import site_lines
from ..palette import colors


class _Gutter(QWidget):
    def __init__(self, editor):
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self):
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event):
        self.editor.paint_gutter(event)

    def mousePressEvent(self, event):
        block = self.editor.cursorForPosition(event.position().toPoint()).block()
        self.editor.toggle_breakpoint(block.blockNumber() + 1)


class SourcePanel(QPlainTextEdit):
    sigBreakpointsChanged = Signal(list)  # breakpoint specs for the runner

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.setPlaceholderText("Open a model (Ctrl+O) or a recording (Ctrl+Shift+O), or pick a lesson from "
                                "Examples on the left.\n\nThen Ctrl+R runs it, paused at the first step.")
        self.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.path = None
        self.sites: dict = {}
        self.breakpoint_lines: set = set()
        self.current_line = None
        self._gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda _: self.setViewportMargins(self.gutter_width(), 0, 0, 0))
        self.updateRequest.connect(self._on_update_request)
        session.sig_step_changed.connect(self._on_step)
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    # File and breakpoints ----------------------------------------------------------
    def load(self, path) -> None:
        path = Path(path)
        if self.path == path:
            return
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            source = f"# cannot show {path}: {error}"
        self.path = path
        self.setPlainText(source)
        self.sites = site_lines(source)
        self.breakpoint_lines &= set(self.sites)
        self.current_line = None
        self._highlight()

    def set_text_size(self, points: float) -> None:
        """Change the code's size (the document keeps its old layout unless it is laid out again)."""
        font = self.font()
        font.setPointSizeF(points)
        self.setFont(font)
        # the app's style sheet would win over setFont for the text itself
        self.setStyleSheet(f"QPlainTextEdit {{ font-family: '{font.family()}'; font-size: {points:.1f}pt; }}")
        self.setPlainText(self.toPlainText())
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)
        self._highlight()

    def breakpoints(self) -> list:
        return [self.sites[line] for line in sorted(self.breakpoint_lines)]

    def toggle_breakpoint(self, line: int) -> None:
        if line not in self.sites:
            return
        self.breakpoint_lines ^= {line}
        self._gutter.update()
        self.sigBreakpointsChanged.emit(self.breakpoints())

    def show_location(self, file: str, line: int) -> None:
        self.load(file)
        self.current_line = line
        self._highlight()

    # Following the session ---------------------------------------------------------
    def _on_step(self, step: int) -> None:
        state = self.session.state_at(step) if step >= 0 else None
        source = state.source if state else None
        if not source:
            return
        file, _, line = source.rpartition(":")
        if file and line.isdigit():
            self.show_location(file, int(line))

    def _highlight(self) -> None:
        selections = []
        if self.current_line is not None:
            block = self.document().findBlockByNumber(self.current_line - 1)
            if block.isValid():
                selection = QTextEdit.ExtraSelection()
                selection.format.setBackground(colors()["highlight_line"])
                selection.format.setProperty(QTextFormat.FullWidthSelection, True)
                selection.cursor = QTextCursor(block)
                selections.append(selection)
                cursor = QTextCursor(block)
                self.setTextCursor(cursor)
                self.centerCursor()
        self.setExtraSelections(selections)
        self._gutter.update()

    # The gutter --------------------------------------------------------------------
    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 28 + self.fontMetrics().horizontalAdvance("9") * max(3, digits)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        rect = self.contentsRect()
        self._gutter.setGeometry(QRect(rect.left(), rect.top(), self.gutter_width(), rect.height()))

    def _on_update_request(self, rect, dy):
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def paint_gutter(self, event):
        palette = colors()
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), palette["box"])
        painter.setRenderHint(QPainter.Antialiasing)
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        width = self._gutter.width()
        while block.isValid() and top <= event.rect().bottom():
            line = block.blockNumber() + 1
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                painter.setPen(palette["accent"] if line == self.current_line else palette["muted"])
                painter.drawText(0, top, width - 18, height, Qt.AlignRight, str(line))
                centre_y = top + height / 2
                if line in self.breakpoint_lines:
                    painter.setBrush(palette["breakpoint"])
                    painter.setPen(Qt.NoPen)
                    painter.drawEllipse(width - 14, centre_y - 5, 10, 10)
                elif line in self.sites:
                    painter.setBrush(palette["border"])
                    painter.setPen(Qt.NoPen)
                    painter.drawEllipse(width - 11, centre_y - 2.5, 5, 5)
            block = block.next()
            top = bottom
