"""Source panel: the model file with line numbers, the current site's line highlighted,
a dot on each line that calls a primitive, and a gutter click to toggle a breakpoint there.

It reads only files the user opened as models: a recording may come from anyone, and the
paths in it are never opened. Its own text of a file (run_start's ``source_text``, an error's
``sources``) is shown instead, or, without one, where the step is."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFontDatabase, QPainter, QPen, QTextCursor, QTextFormat
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
        block = self.editor.cursorForPosition(QPoint(0, int(event.position().y()))).block()
        self.editor.toggle_breakpoint(block.blockNumber() + 1)


class SourcePanel(QPlainTextEdit):
    def __init__(self, session, breakpoints, parent=None):
        super().__init__(parent)
        self.session = session
        self.breakpoint_list = breakpoints
        self.allowed: set = set()  # the files the user opened: the only ones read
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.setPlaceholderText("Open a model (Ctrl+O) or a recording (Ctrl+Shift+O), or pick a lesson from "
                                "Examples on the left.\n\nThen Ctrl+R runs it, paused at the first step.")
        self.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.path = None
        self.sites: dict = {}
        self.current_line = None
        self.location = None  # (file, line) of the current step, shown or not
        self._gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda _: self.setViewportMargins(self.gutter_width(), 0, 0, 0))
        self.updateRequest.connect(self._on_update_request)
        session.sig_step_changed.connect(self._on_step)
        breakpoints.sig_changed.connect(self._gutter.update)
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    # File and breakpoints ----------------------------------------------------------
    def open_file(self, path) -> None:
        """Show a file the user chose (a model opened): from now on it may be read."""
        self.allowed.add(str(Path(path)))
        self.load(path)

    def load(self, path) -> None:
        path = Path(path)
        if self.path == path or str(path) not in self.allowed:
            return
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            source = f"# cannot show {path}: {error}"
        self._show_text(path, source)

    def _show_text(self, path: Path, source: str) -> None:
        self.path = path
        self.setPlainText(source)
        self.sites = site_lines(source)
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

    def toggle_breakpoint(self, line: int) -> None:
        """A gutter click: a breakpoint on a line that calls a primitive (or enters a plate)."""
        if self.path is None or line not in self.sites:
            return
        self.breakpoint_list.toggle(self.path, line)

    def show_location(self, file: str, line: int) -> None:
        self.location = (file, line)
        recorded = self.session.sources.get(file)
        if str(Path(file)) in self.allowed:
            self.load(file)
        elif recorded is not None:  # the recording's own copy of the file
            if self.path != Path(file):
                self._show_text(Path(file), recorded)
        else:
            # Never read a path a recording names: say where the step is instead.
            notice = (f"# {file}\n#\n# The source is not shown: this file was named by a recording, and a "
                      "recording may come from anyone.\n# Open the model file (Ctrl+O) to see its lines here.")
            if self.path is not None or self.toPlainText() != notice:
                self.path, self.sites, self.current_line = None, {}, None
                self.setPlainText(notice)
                self._highlight()
            return
        self.current_line = line
        self._highlight()

    def current_text(self):
        """The highlighted line as shown, or None (read back by ``--panels-json``)."""
        if self.current_line is None or self.path is None:
            return None
        block = self.document().findBlockByNumber(self.current_line - 1)
        return block.text() if block.isValid() else None

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
                breakpoint = self.breakpoint_list.at(self.path, line) if self.path else None
                if breakpoint is not None:
                    painter.setBrush(palette["breakpoint"] if breakpoint.enabled else Qt.NoBrush)
                    painter.setPen(Qt.NoPen if breakpoint.enabled else QPen(palette["breakpoint"], 1.5))
                    painter.drawEllipse(width - 14, centre_y - 5, 10, 10)
                elif line in self.sites:
                    painter.setBrush(palette["border"])
                    painter.setPen(Qt.NoPen)
                    painter.drawEllipse(width - 11, centre_y - 2.5, 5, 5)
            block = block.next()
            top = bottom
