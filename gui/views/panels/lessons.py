"""The examples gallery and the lesson text (the lessons are read, never run: ``gui.models.lessons``)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (QListWidget, QListWidgetItem, QStyle, QStyledItemDelegate, QStyleOptionViewItem,
                               QTextBrowser)

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


def _title_and_summary(text: str) -> tuple:
    # Item views show a "\n" as Unicode's line separator.
    title, _, summary = text.replace("\u2028", "\n").partition("\n")
    return title, summary


def _weighted(font: QFont, bold: bool) -> QFont:
    font = QFont(font)
    font.setBold(bold)
    return font


class LessonDelegate(QStyledItemDelegate):
    """A gallery row: the number's icon, the title in bold, the summary under it (wrapped)."""

    PADDING = 4

    def paint(self, painter, option, index):
        view = QStyleOptionViewItem(option)
        self.initStyleOption(view, index)
        title, summary = _title_and_summary(view.text)
        view.text = ""
        style = view.widget.style()
        style.drawControl(QStyle.CE_ItemViewItem, view, painter, view.widget)  # background, icon
        rect = style.subElementRect(QStyle.SE_ItemViewItemText, view, view.widget)
        rect = rect.adjusted(self.PADDING, self.PADDING, -self.PADDING, 0)
        painter.save()
        painter.setPen(view.palette.color(QPalette.HighlightedText if view.state & QStyle.State_Selected
                                          else QPalette.Text))
        bold, regular = _weighted(view.font, True), _weighted(view.font, False)
        painter.setFont(bold)
        used = painter.boundingRect(rect, Qt.TextWordWrap, title)
        painter.drawText(rect, Qt.TextWordWrap, title)
        painter.setFont(regular)
        painter.drawText(rect.adjusted(0, used.height() + 2, 0, 0), Qt.TextWordWrap, summary)
        painter.restore()

    def sizeHint(self, option, index):
        view = QStyleOptionViewItem(option)
        self.initStyleOption(view, index)
        title, summary = _title_and_summary(view.text)
        widget = view.widget
        width = max(80, widget.viewport().width() - widget.iconSize().width() - 6 * self.PADDING)
        height = sum(QFontMetrics(font).boundingRect(0, 0, width, 10_000, Qt.TextWordWrap, text).height()
                     for font, text in ((_weighted(view.font, True), title), (_weighted(view.font, False), summary)))
        return QSize(width, max(widget.iconSize().height(), height + 2) + 3 * self.PADDING)


class GalleryPanel(QListWidget):
    """The lessons in teaching order, one per row: number, title, one line. A click (or Enter) opens one."""

    sigOpen = Signal(str)

    def __init__(self, folder=None, parent=None):
        super().__init__(parent)
        self.setIconSize(QSize(40, 40))
        self.setSpacing(2)
        self.setWordWrap(True)
        self.setItemDelegate(LessonDelegate(self))
        self.setResizeMode(QListWidget.Adjust)  # rows re-wrapped when the panel is resized
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
