"""The examples gallery and the lesson text (the lessons are read, never run: ``gui.models.lessons``)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QTextBrowser

from ...models.lessons import lesson_or_placeholder_html, lessons, read_lesson


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

    def __init__(self, folder=None, parent=None):
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
        self.setHtml(lesson_or_placeholder_html(read_lesson(path)))
