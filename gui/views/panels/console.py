"""Console: the model's output and errors; ``file:line`` in a traceback is a link.

Built to take any amount of output: a ``QPlainTextEdit`` holding the last ``MAX_BLOCKS`` lines,
appended once per frame, a line longer than ``MAX_LINE_CHARS`` cut for display (the session
keeps every event's full text: "Save all output…" in the context menu writes it to a file).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QFileDialog, QPlainTextEdit

from ...models.events import KIND_CODES
from ..palette import colors

SHOWN = {KIND_CODES["output"], KIND_CODES["error"], KIND_CODES["run_end"]}
MAX_BLOCKS = 5000  # lines kept on screen; older ones scroll away (the session keeps them)
MAX_LINE_CHARS = 1000  # a longer line is cut for display
# Drawn per frame at most (laying out lines is what costs): the rest of a flood is counted, not drawn.
MAX_FRAME_LINES = 400
FRAME_MS = 16


def cut(line: str) -> str:
    """A line as displayed: whole, or its start and how much more there is."""
    if len(line) <= MAX_LINE_CHARS:
        return line
    return line[:MAX_LINE_CHARS] + more_characters(len(line) - MAX_LINE_CHARS)


def more_characters(count: int) -> str:
    return f" … [{count:,} more characters: Save all output… has them]"


def display_lines(text: str, limit: int = MAX_BLOCKS) -> list:
    """The last ``limit`` lines of ``text``, each cut: the work of showing is bounded by what
    can be shown, however long the text (a 15 MB line, a million-line print flood)."""
    lines = []
    end = len(text) - 1 if text.endswith("\n") else len(text)  # (no copy of a 15 MB text)
    while end >= 0 and len(lines) < limit:
        start = text.rfind("\n", 0, end) + 1
        lines.append(cut(text[start:end]) if end - start > MAX_LINE_CHARS else text[start:end])
        end = start - 1
    lines.reverse()
    return lines


def line_count(event: dict) -> int:
    """How many lines an event shows (an error: its message and frames)."""
    if event["kind"] == "output":
        text = event["text"]
        return text.count("\n") + (0 if text.endswith("\n") else 1)
    if event["kind"] == "error":
        return event["message"].count("\n") + 1 + len(event.get("frames") or []) + bool(event.get("folded"))
    return 1


def full_text(event: dict) -> str:
    """What an output, error or run_end event says, in full (what "Save all output…" writes)."""
    kind = event["kind"]
    if kind == "output":
        return event["text"]
    if kind == "error":
        frames = "".join(f"  {f['file']}:{f['line']} in {f['function']}\n" for f in event.get("frames") or [])
        return f"{event['type']}: {event['message']}\n{frames}"
    return f"— run ended: {event.get('status')} —\n"


class ConsolePanel(QPlainTextEdit):
    sigOpenLocation = Signal(str, int)  # file, line
    anchorClicked = Signal(QUrl)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_BLOCKS)
        self.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self._pending: list[int] = []  # steps to show at the next frame
        # The last line drawn when the output has not ended it yet (the next output of its stream
        # continues it, as a terminal would): (stream, its length in full), else None.
        self._open_line: tuple[str, int] | None = None
        self._frame = QTimer(self)
        self._frame.setSingleShot(True)
        self._frame.setInterval(FRAME_MS)
        self._frame.timeout.connect(self.flush)
        self.anchorClicked.connect(self._on_anchor)
        session.sig_reset.connect(self._on_reset)
        session.sig_events_added.connect(self._on_events)
        session.sig_dropped.connect(self._on_dropped)

    def _on_reset(self) -> None:
        self._pending = []
        self._open_line = None
        self.clear()

    def _on_dropped(self, count: int) -> None:
        self._pending = [k - count for k in self._pending if k >= count]

    def _on_events(self, first: int, end: int) -> None:
        kinds = self.session.events.kinds
        self._pending.extend(k for k in range(first, end) if kinds[k] in SHOWN)
        if self._pending and not self._frame.isActive():
            self._frame.start()

    def flush(self) -> None:
        """Show what arrived since the last frame, in one edit: its newest ``MAX_FRAME_LINES`` lines
        at most; how many lines a flood left undrawn is said."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        events = self.session.events
        shown, counts = [], []
        for position in range(len(pending) - 1, -1, -1):
            shown.append(events[pending[position]])
            counts.append(line_count(shown[-1]))
            if sum(counts) >= MAX_FRAME_LINES:
                break
        undrawn = max(0, sum(counts) - MAX_FRAME_LINES) + sum(line_count(events[k]) for k in pending[:-len(shown)])
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.End)
        cursor.beginEditBlock()
        if undrawn:
            self._open_line = None
            note = QTextCharFormat()
            note.setForeground(colors()["muted"])
            self._lines(cursor, [f"[… {undrawn:,} lines printed too fast to draw: Save all output… (right-click) "
                                 "has every line]"], note)
        shown.reverse()  # oldest first: only the oldest may be drawn in part
        self._insert(cursor, shown[0], MAX_FRAME_LINES - sum(counts[:-1]))
        for event in shown[1:]:
            self._insert(cursor, event, MAX_FRAME_LINES)
        cursor.endEditBlock()
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def _insert(self, cursor: QTextCursor, event: dict, limit: int) -> None:
        """Append ``event`` (its last ``limit`` lines, for output)."""
        palette = colors()
        kind = event["kind"]
        plain = QTextCharFormat()
        if kind == "output":
            plain.setForeground(palette["error"] if event["stream"] == "stderr" else
                                palette["muted"] if event["stream"] == "runner" else palette["text"])
            self._insert_output(cursor, event["stream"], event["text"], limit, plain)
            return
        self._open_line = None
        if kind == "error":
            headline = QTextCharFormat()
            headline.setForeground(palette["error"])
            headline.setFontWeight(700)
            self._lines(cursor, display_lines(f"{event['type']}: {event['message']}", MAX_FRAME_LINES), headline)
            for frame in event.get("frames") or []:
                target = QUrl.fromLocalFile(frame["file"])
                target.setFragment(str(frame["line"]))
                link = QTextCharFormat()
                link.setAnchor(True)
                link.setAnchorHref(target.toString())
                link.setForeground(palette["accent"])
                link.setFontUnderline(True)
                self._new_block(cursor)
                cursor.insertText("  ", plain)
                cursor.insertText(cut(f"{frame['file']}:{frame['line']}"), link)
                cursor.insertText(f" in {cut(frame['function'])}", plain)
            if event.get("folded"):
                muted = QTextCharFormat()
                muted.setForeground(palette["muted"])
                self._lines(cursor, [f"  ({event['folded']} frames inside minipyro folded away)"], muted)
        else:
            muted = QTextCharFormat()
            muted.setForeground(palette["muted"])
            self._lines(cursor, [cut(f"— run ended: {event.get('status')} —")], muted)

    def _insert_output(self, cursor: QTextCursor, stream: str, text: str, limit: int,
                       char_format: QTextCharFormat) -> None:
        if self._open_line is not None and self._open_line[0] == stream:
            head, newline, text = text.partition("\n")
            self._continue_line(cursor, head, char_format)
            if not newline or not text:
                self._open_line = None if newline else self._open_line
                return
        if text:
            self._lines(cursor, display_lines(text, max(1, limit)), char_format)
        last = text.rfind("\n") + 1
        self._open_line = None if last == len(text) else (stream, len(text) - last)

    def _continue_line(self, cursor: QTextCursor, text: str, char_format: QTextCharFormat) -> None:
        """Append ``text`` to the open line (the last block): whole while it fits, else the
        count of characters not shown is brought up to date."""
        stream, length = self._open_line
        self._open_line = (stream, length + len(text))
        if length + len(text) <= MAX_LINE_CHARS:
            cursor.insertText(text, char_format)
            return
        shown = min(length, MAX_LINE_CHARS)
        cursor.movePosition(QTextCursor.StartOfBlock)
        cursor.movePosition(QTextCursor.Right, QTextCursor.MoveAnchor, shown)
        cursor.movePosition(QTextCursor.EndOfBlock, QTextCursor.KeepAnchor)
        cursor.insertText(text[:MAX_LINE_CHARS - shown] + more_characters(length + len(text) - MAX_LINE_CHARS),
                          char_format)

    def _new_block(self, cursor: QTextCursor) -> None:
        if not self.document().isEmpty():
            cursor.insertBlock()

    def _lines(self, cursor: QTextCursor, lines: list, char_format: QTextCharFormat) -> None:
        self._new_block(cursor)
        cursor.insertText("\n".join(lines), char_format)

    # Links and the full text ---------------------------------------------------------
    def mouseReleaseEvent(self, event):
        href = self.cursorForPosition(event.position().toPoint()).charFormat().anchorHref()
        super().mouseReleaseEvent(event)
        if href:
            self.anchorClicked.emit(QUrl(href))

    def _on_anchor(self, url: QUrl) -> None:
        line = int(url.fragment() or 0)
        self.sigOpenLocation.emit(url.toLocalFile(), line)

    def contextMenuEvent(self, event):
        menu = self.createStandardContextMenu()
        menu.addSeparator()
        menu.addAction("Save all output…", self.save_all_dialog)
        menu.exec(event.globalPos())

    def save_all_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save all output", "output.txt", "Text (*.txt)")
        if path:
            self.save_all(path)

    def save_all(self, path) -> None:
        """Every output and error of the run, in full (long lines whole, nothing scrolled away)."""
        events, kinds = self.session.events, self.session.events.kinds
        with open(path, "w", encoding="utf-8", errors="backslashreplace") as f:
            for step in range(len(events)):
                if kinds[step] in SHOWN:
                    f.write(full_text(events[step]))
