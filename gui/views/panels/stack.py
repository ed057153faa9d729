"""Handler stack panel: the stack as boxes, top first, and the current message moving
down through ``process_message``, to the default behaviour, and back up."""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QPointF, QRectF, Qt, QVariantAnimation
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...models import text
from ..palette import colors

PHASE_WORDS = {"start": "arrives", "process": "process ↓", "stop": "stopped",
               "default": "default", "postprocess": "postprocess ↑", "end": "returns"}
DEFAULT_WORDS = {"sampled": "sampled from fn", "kept (observed)": "kept (observed): the data is the value",
                 "kept (replayed)": "kept (replayed): a handler set the value",
                 "computed": "param read from the store", None: "default behaviour",
                 # recordings made before the words above
                 "observed": "kept (observed): the data is the value", "kept": "kept (replayed): a handler set the value"}


class StackPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.state = None
        self.animation_ms = 160  # presentation mode slows it down
        self._token_y = None
        self.painted: dict = {}  # the view() of the last paint, read back by --panels-json
        self._animation = QVariantAnimation(self)
        self._animation.setEasingCurve(QEasingCurve.OutCubic)
        self._animation.valueChanged.connect(self._on_animation)
        self.setMinimumSize(220, 100)  # boxes shrink to fit: the monitor may take the height while training
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        session.sig_step_changed.connect(self._on_step)
        session.sig_reset.connect(lambda: self._on_step(-1))

    def _on_step(self, step: int) -> None:
        self.state = self.session.state_at(step) if step >= 0 else None
        self.update()  # the boxes change at once; only the message token glides
        target = self._token_target()
        if target is None or self._token_y is None or self.animation_ms <= 0 or target == self._token_y:
            self._animation.stop()
            self._token_y = target
            return
        self._animation.stop()
        self._animation.setDuration(self.animation_ms)
        self._animation.setStartValue(float(self._token_y))
        self._animation.setEndValue(float(target))
        self._animation.start()

    def _on_animation(self, value) -> None:
        self._token_y = value
        self.update()

    # Geometry ------------------------------------------------------------------
    def _layout(self):
        """Line height, top of the first box, box height, gap between boxes and whether boxes
        are one line (label and badge side by side). Boxes keep two lines while they fit, then
        go to one line, then the font shrinks: every handler and the default behaviour stay in
        view at any panel height (a 1024x768 projector leaves the panel ~200 px)."""
        font = self._fitted_font()
        line = QFontMetrics(font).height()
        top = line * 2 + 8
        rows = len(self.state.stack) + 1 if self.state else 1  # the handlers and the default behaviour
        available = self.height() - top - 6
        if rows * (line * 2 + 6 + 8) <= available:
            return line, top, max(line * 2 + 6, min(line * 3 + 10, available // rows - 8)), 8, False
        return line, top, line + 8, 4, True

    def _fitted_font(self) -> QFont:
        """The panel's font, made smaller (down to 6 pt) until one-line boxes fit the height."""
        font = QFont(self.font())
        rows = len(self.state.stack) + 1 if self.state else 1
        while font.pointSizeF() > 6:
            line = QFontMetrics(font).height()
            if line * 2 + 8 + rows * (line + 12) + 6 <= self.height():
                break
            font.setPointSizeF(font.pointSizeF() - 0.5)
        return font

    def _token_width(self) -> int:
        metrics = QFontMetrics(self._fitted_font())
        return max(metrics.horizontalAdvance(w) for w in PHASE_WORDS.values()) + 40

    def _box_rect(self, index: int) -> QRectF:
        line, top, box, gap, _ = self._layout()
        left = self._token_width() + 24
        return QRectF(left, top + index * (box + gap), max(120, self.width() - left - 16), box)

    def _token_target(self):
        state = self.state
        if state is None or state.message is None:
            return None
        message = state.message
        stack_ids = [h.handler_id for h in state.stack]
        if message.phase == "default":
            rect = self._box_rect(len(stack_ids))
        elif message.phase in ("start", "end") or message.position is None:
            line, top, *_ = self._layout()
            return top - line - 4
        else:
            handler_id = message.stack[message.position] if message.position < len(message.stack) else None
            index = stack_ids.index(handler_id) if handler_id in stack_ids else message.position
            rect = self._box_rect(index)
        return rect.center().y()

    # What is drawn ---------------------------------------------------------------
    def view(self) -> dict:
        """What the panel draws at this step: the message and its phase, and each handler box
        (top first) with its state: "current" (the message is at it), "skipped" (a handler
        above stopped the message) or "idle"."""
        state = self.state
        message = state.message if state else None
        handlers = []
        stopper_index = None
        if message is not None and message.stopped_by is not None:
            stopper_index = message.stack.index(message.stopped_by) if message.stopped_by in message.stack else None
        for handler in state.stack if state else []:
            index = message.stack.index(handler.handler_id) if message and handler.handler_id in message.stack \
                else None
            at = (message is not None and message.phase in ("process", "postprocess", "stop")
                  and message.position is not None and message.position < len(message.stack)
                  and message.stack[message.position] == handler.handler_id)
            skipped = stopper_index is not None and index is not None and index > stopper_index
            handlers.append({"label": handler.label, "class": handler.handler,
                             "state": "current" if at else "skipped" if skipped else "idle",
                             "badge": self._badge(message, handler.handler_id)})
        return {"message": message.name if message else None,
                "type": message.type if message else None,
                "phase": message.phase if message else None,
                "phase_words": PHASE_WORDS.get(message.phase, message.phase) if message else None,
                "handlers": handlers,
                "default": None if message is None else {
                    "label": DEFAULT_WORDS.get(message.action, "default behaviour"),
                    "state": "current" if message.phase == "default" else "idle",
                    "value": text.value(message.fields.get("value")) if message.action else ""}}

    # Painting ------------------------------------------------------------------
    def paintEvent(self, event):
        palette = colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.fillRect(self.rect(), palette["panel"])
        line, top, box, gap, compact = self._layout()
        font = self._fitted_font()
        painter.setFont(font)
        bold = QFont(font)
        bold.setBold(True)
        view = self.painted = self.view()
        painter.setPen(palette["muted"])
        left = self._box_rect(0).left()  # over the boxes: the message's pill may wait at the top left
        header = QRectF(left, 6, self.width() - left - 12, line)
        painter.drawText(header, Qt.AlignLeft, QFontMetrics(font).elidedText(
            "top is the innermost handler", Qt.ElideRight, int(header.width())))
        if not view["handlers"] and view["message"] is None:
            painter.drawText(self.rect(), Qt.AlignCenter, "No handlers on the stack at this step")
            return
        for index, box_view in enumerate(view["handlers"] + ([view["default"]] if view["default"] else [])):
            box_view["inside"] = self.rect().contains(self._box_rect(index).toAlignedRect())  # nothing cut
        for index, handler in enumerate(view["handlers"]):
            self._draw_box(painter, self._box_rect(index), handler["label"], handler["class"], palette,
                           handler["state"] == "current", handler["state"] == "skipped", handler["badge"], compact)
        default = view["default"]
        if default is not None:
            self._draw_box(painter, self._box_rect(len(view["handlers"])), default["label"], "apply_stack", palette,
                           default["state"] == "current", False, default["value"], compact, dashed=True)
            self._draw_token(painter, self.state.message, palette, bold)

    def _badge(self, message, handler_id) -> str:
        if message is None:
            return ""
        badges = message.badges.get(handler_id) or {}
        parts = []
        if badges.get("stop"):
            parts.append("stop: hides the message from handlers below")
        for phase in ("process", "postprocess"):
            if phase in badges:
                parts.append(text.changes(badges[phase]))
        return "; ".join(parts)

    def _draw_box(self, painter, rect, label, kind, palette, current, skipped, badge, compact, dashed=False):
        fill = palette["current"] if current else palette["box"]
        border = palette["accent"] if current else palette["border"]
        pen = QPen(border, 2 if current else 1)
        if dashed:
            pen.setStyle(Qt.DashLine)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.setOpacity(0.4 if skipped else 1.0)
        painter.drawRoundedRect(rect, 6, 6)
        metrics = QFontMetrics(painter.font())
        inner = rect.adjusted(10, 4, -10, -4)
        sub = kind + ("  (skipped: a handler above stopped the message)" if skipped else "")
        if badge:
            sub = badge
        label_width = inner.width()
        if compact:  # one line: the label, then the badge or class after it
            label_width = min(metrics.horizontalAdvance(label + "  "), inner.width() * 0.45)
        painter.setPen(palette["text"])
        painter.drawText(inner, Qt.AlignLeft | Qt.AlignTop, metrics.elidedText(label, Qt.ElideRight, int(label_width)))
        painter.setPen(palette["badge"] if badge else palette["muted"])
        sub_rect = inner.adjusted(label_width, 0, 0, 0) if compact else inner
        painter.drawText(sub_rect, Qt.AlignLeft | (Qt.AlignTop if compact else Qt.AlignBottom),
                         metrics.elidedText(sub, Qt.ElideRight, int(sub_rect.width())))
        painter.setOpacity(1.0)

    def _draw_token(self, painter, message, palette, bold):
        if self._token_y is None:
            return
        metrics = QFontMetrics(bold)
        label = f"{message.type} '{message.name}'"
        width = self._token_width()
        height = metrics.height() * 2 + 8
        rect = QRectF(8, self._token_y - height / 2, width, height)
        painter.setPen(QPen(palette["accent"], 1.5))
        painter.setBrush(palette["token"])
        painter.drawRoundedRect(rect, height / 2.5, height / 2.5)
        painter.setFont(bold)
        painter.setPen(palette["token_text"])
        painter.drawText(rect.adjusted(6, 2, -6, -height / 2), Qt.AlignCenter,
                         metrics.elidedText(label, Qt.ElideRight, int(width - 12)))
        painter.setFont(self._fitted_font())
        painter.drawText(rect.adjusted(6, height / 2 - 2, -6, -2), Qt.AlignCenter,
                         PHASE_WORDS.get(message.phase, message.phase))
        # an arrow from the token to the box it is at
        if message.phase in ("process", "postprocess", "stop", "default"):
            path = QPainterPath(QPointF(rect.right(), self._token_y))
            path.lineTo(QPointF(self._box_rect(0).left(), self._token_y))
            painter.setPen(QPen(palette["accent"], 1.5))
            painter.drawPath(path)
