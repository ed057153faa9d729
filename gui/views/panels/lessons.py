"""The examples gallery and the lesson text (the lessons are read, never run: ``gui.models.lessons``)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QTextBrowser

from ...models.lessons import lesson_or_placeholder_html, lessons, read_lesson


def _icon(number: int) -> QIcon:
    """The lesson's number in teaching order, on a colour of its own."""
    index = number - 1
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
    painter.drawText(pixmap.rect(), Qt.AlignCenter, str(number))
    painter.end()
    return QIcon(pixmap)


class GalleryPanel(QListWidget):
    """The lessons in teaching order, one per row: number, title, one line. A click (or Enter) opens one."""

    sigOpen = Signal(str)

    def __init__(self, folder=None, parent=None):
        super().__init__(parent)
        self.setIconSize(QSize(40, 40))
        self.setSpacing(2)
        self.setWordWrap(True)
        for number, lesson in enumerate(lessons(folder), start=1):
            item = QListWidgetItem(_icon(number), f"{lesson.title}\n{lesson.summary}")
            item.setData(Qt.UserRole, str(lesson.path))
            item.setToolTip(lesson.text)
            self.addItem(item)
        self.itemClicked.connect(self._open)

    def _open(self, item) -> None:
        self.sigOpen.emit(item.data(Qt.UserRole))

    def keyPressEvent(self, event):
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and self.currentItem() is not None:
            self._open(self.currentItem())
        else:
            super().keyPressEvent(event)


class LessonPanel(QTextBrowser):
    """The open model's docstring, shown as the lesson to follow."""

    def show_file(self, path) -> None:
        self.setHtml(lesson_or_placeholder_html(read_lesson(path)))
