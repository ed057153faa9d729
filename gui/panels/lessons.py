"""The examples gallery and the lesson text. Example files are read, never run, here:
their title and docstring come from the syntax tree."""

from __future__ import annotations

import ast
import html
import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QTextBrowser

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@dataclass
class Lesson:
    path: Path
    title: str
    summary: str  # the docstring's first line
    text: str  # the whole docstring


def read_lesson(path) -> Lesson:
    path = Path(path)
    try:
        module = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return Lesson(path, path.stem, "", "")
    doc = ast.get_docstring(module) or ""
    title = path.stem.replace("_", " ")
    for node in module.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "title" for t in node.targets) \
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            title = node.value.value
    summary = doc.splitlines()[0].replace("``", "") if doc else ""
    return Lesson(path, title, summary, doc)


def lessons(folder=EXAMPLES) -> list[Lesson]:
    return [read_lesson(path) for path in sorted(Path(folder).glob("*.py"))]


def lesson_html(lesson: Lesson) -> str:
    """The docstring as light HTML: ``code`` in monospace, numbered steps as a list."""
    paragraphs = []

    def inline(text):
        return re.sub(r"``(.+?)``", r"<code>\1</code>", html.escape(text))

    for block in lesson.text.split("\n\n"):
        prose, items = [], []
        for line in block.strip().splitlines():
            numbered = re.match(r"\d+\.\s+(.*)", line)
            if numbered:
                items.append(numbered.group(1))
            elif items:
                items[-1] += " " + line.strip()
            else:
                prose.append(line.strip())
        if prose:
            paragraphs.append(f"<p>{inline(' '.join(prose))}</p>")
        if items:
            paragraphs.append("<ol>" + "".join(f"<li>{inline(item)}</li>" for item in items) + "</ol>")
    return f"<h2>{html.escape(lesson.title)}</h2>" + "".join(paragraphs)


def _icon(title: str, index: int) -> QIcon:
    pixmap = QPixmap(40, 40)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setBrush(QColor.fromHsv((index * 47) % 360, 120, 210))
    painter.setPen(Qt.NoPen)
    painter.drawRoundedRect(2, 2, 36, 36, 8, 8)
    painter.setPen(QColor("white"))
    font = QFont()
    font.setBold(True)
    font.setPointSize(14)
    painter.setFont(font)
    painter.drawText(pixmap.rect(), Qt.AlignCenter, title[:1].upper())
    painter.end()
    return QIcon(pixmap)


class GalleryPanel(QListWidget):
    """The lessons, one per row: icon, title, one line. Activate one to open it."""

    sigOpen = Signal(str)

    def __init__(self, folder=EXAMPLES, parent=None):
        super().__init__(parent)
        self.setIconSize(QSize(40, 40))
        self.setSpacing(2)
        self.setWordWrap(True)
        for index, lesson in enumerate(lessons(folder)):
            item = QListWidgetItem(_icon(lesson.title, index), f"{lesson.title}\n{lesson.summary}")
            item.setData(Qt.UserRole, str(lesson.path))
            item.setToolTip(lesson.text)
            self.addItem(item)
        self.itemActivated.connect(lambda item: self.sigOpen.emit(item.data(Qt.UserRole)))


class LessonPanel(QTextBrowser):
    """The open model's docstring, shown as the lesson to follow."""

    def show_file(self, path) -> None:
        lesson = read_lesson(path)
        self.setHtml(lesson_html(lesson) if lesson.text else f"<h2>{html.escape(lesson.title)}</h2>"
                     "<p>This file has no docstring to show as a lesson.</p>")
