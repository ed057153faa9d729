"""Model graph panel: plate diagrams of the model and the guide, drawn from ``structure``
events, side by side, with a shapes table. Click a node to travel to its site; the current
step's site is highlighted; zoom with the wheel, pan by dragging, F to fit."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QFont, QImage, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsScene, QGraphicsView, QHeaderView,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ...models import text
from ...models.events import KIND_CODES
from ...models.graph_layout import NODE_HEIGHT, NODE_WIDTH, graph_of_structure, layout
from ..palette import colors

GAP_BETWEEN_PROGRAMS = 120.0


class NodeItem(QGraphicsEllipseItem):
    """A sample site (an ellipse) or a param (plain text), clickable."""

    def __init__(self, panel, which: str, name: str, data: dict, centre):
        super().__init__(-NODE_WIDTH / 2, -NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT)
        self.panel, self.which, self.name, self.data = panel, which, name, data
        self.setPos(*centre)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.PointingHandCursor)
        self.highlighted = False
        self.restyle()

    @property
    def kind(self) -> str:
        if self.data["type"] == "param":
            return "param"
        if self.data["type"] == "deterministic":
            return "deterministic"
        return "observed" if self.data["observed"] else "latent"

    def restyle(self) -> None:
        palette = colors()
        pen = QPen(palette["accent"] if self.highlighted else palette["text"], 3 if self.highlighted else 1.2)
        if self.kind == "deterministic":
            pen.setStyle(Qt.DashLine)
        if self.kind == "param":
            pen = QPen(Qt.NoPen) if not self.highlighted else pen
        self.setPen(pen)
        fill = {"observed": palette["observed"], "latent": palette["panel"], "deterministic": palette["panel"],
                "param": palette["window"]}[self.kind]
        self.setBrush(QBrush(fill))

    def paint(self, painter, option, widget=None):
        super().paint(painter, option, widget)
        palette = colors()
        painter.setPen(palette["text"])
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        rect = self.rect()
        label = self.name
        sub = self.data.get("dist") or ""
        if self.kind == "param":
            sub = constraint_name(self.data.get("constraint") or "")
        painter.drawText(rect.adjusted(4, 2, -4, -rect.height() / 2 + 2), Qt.AlignHCenter | Qt.AlignBottom,
                         painter.fontMetrics().elidedText(label, Qt.ElideRight, int(rect.width() - 8)))
        font.setBold(False)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        painter.setPen(palette["muted"])
        painter.drawText(rect.adjusted(4, rect.height() / 2, -4, -2), Qt.AlignHCenter | Qt.AlignTop,
                         painter.fontMetrics().elidedText(sub, Qt.ElideRight, int(rect.width() - 8)))

    def mousePressEvent(self, event):
        self.panel.sigSiteClicked.emit(self.which, self.name)
        event.accept()

    def hoverEnterEvent(self, event):
        self.setToolTip(self.panel.site_summary(self.name))
        super().hoverEnterEvent(event)


class GraphView(QGraphicsView):
    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)

    def wheelEvent(self, event):
        factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
        self.scale(factor, factor)

    def keyPressEvent(self, event):
        if event.key() == Qt.Key_F:
            self.fit()
        else:
            super().keyPressEvent(event)

    def fit(self):
        rect = self.scene().itemsBoundingRect().adjusted(-20, -20, 20, 20)
        if not rect.isEmpty():
            self.fitInView(rect, Qt.KeepAspectRatio)


class GraphPanel(QWidget):
    sigSiteClicked = Signal(str, str)  # which ("model" or "guide"), site name

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.structures: dict = {}  # which -> structure event
        self._needs_fit = False
        self.nodes: dict = {}  # (which, name) -> NodeItem
        self.layouts: dict = {}
        self.scene = QGraphicsScene(self)
        self.view = GraphView(self.scene)
        self.shapes = QTableWidget(0, 6)
        self.shapes.setHorizontalHeaderLabels(["site", "type", "distribution", "batch | event", "value", "log_prob"])
        self.shapes.verticalHeader().hide()
        self.shapes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.shapes.setEditTriggers(QTableWidget.NoEditTriggers)
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(self.view)
        splitter.addWidget(self.shapes)
        splitter.setSizes([700, 200])
        layout_ = QVBoxLayout(self)
        layout_.setContentsMargins(0, 0, 0, 0)
        layout_.addWidget(splitter)
        session.sig_reset.connect(self._on_reset)
        session.sig_events_added.connect(self._on_events)
        session.sig_step_changed.connect(self._on_step)

    # Building --------------------------------------------------------------------
    def _on_reset(self):
        self.structures = {}
        self._rebuild()
        self.shapes.setRowCount(0)

    def _on_events(self, first: int, end: int):
        events = self.session.events
        changed = False
        code = KIND_CODES["structure"]
        for k in range(first, end):
            if events.kinds[k] == code:
                event = events[k]
                self.structures[event["which"]] = event
                changed = True
        if changed:
            self._rebuild()
        if events.kinds[end - 1] == KIND_CODES["run_end"] or changed:
            self._fill_shapes()

    def show_structures(self, structures: dict) -> None:
        """Draw these structure events (the command line's graph export uses it)."""
        self.structures = dict(structures)
        self._rebuild()

    def _rebuild(self):
        self.scene.clear()
        self.nodes, self.layouts = {}, {}
        palette = colors()
        left = 0.0
        for which in ("model", "guide"):
            event = self.structures.get(which)
            if event is None:
                continue
            graph = graph_of_structure(event)
            order = list(event["relations"].get("param_constraint", {})) + list(event["relations"]["sample_dist"])
            placed = layout(graph, order)
            self.layouts[which] = (placed, left)
            title = self.scene.addText(which)
            title.setDefaultTextColor(palette["muted"])
            font = title.font()
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 1.2)
            title.setFont(font)
            title.setPos(left, -40)
            self._draw_plates(placed, left, palette)
            self._draw_edges(placed, left, palette)
            for name, (x, y) in placed.positions.items():
                item = NodeItem(self, which, name, graph.nodes[name], (left + x, y))
                item.setZValue(2)
                self.scene.addItem(item)
                self.nodes[(which, name)] = item
            left += placed.width + GAP_BETWEEN_PROGRAMS
        self._link_guide_to_model(palette)
        self._needs_fit = True
        self._fit_if_shown()

    def _fit_if_shown(self):
        if self._needs_fit and self.view.isVisible() and self.view.viewport().width() > 50:
            self._needs_fit = False
            self.view.fit()

    def showEvent(self, event):
        super().showEvent(event)
        self._fit_if_shown()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._needs_fit = self._needs_fit or not self.nodes
        self._fit_if_shown()

    def refresh(self):
        """Draw again (after a theme change: the plates and edges keep the colours they were drawn with)."""
        if self.structures:
            self._rebuild()

    def _draw_plates(self, placed, left, palette):
        for box in placed.plates:
            rect = QRectF(left + box.left, box.top, box.right - box.left, box.bottom - box.top)
            item = self.scene.addRect(rect, QPen(palette["text"], 1.2), QBrush(Qt.NoBrush))
            item.setZValue(0)
            label = self.scene.addText(box.name)
            label.setDefaultTextColor(palette["text"])
            label.setPos(rect.left() + 4, rect.top())
            size = self.scene.addText(str(box.size))
            size.setDefaultTextColor(palette["text"])
            size.setPos(rect.right() - size.boundingRect().width() - 4, rect.bottom() - size.boundingRect().height())

    def _draw_edges(self, placed, left, palette):
        pen = QPen(palette["text"], 1.3)
        for source, target in placed.graph.edges:
            (x1, y1), (x2, y2) = placed.positions[source], placed.positions[target]
            start, end = _ellipse_edge(QPointF(left + x1, y1), QPointF(left + x2, y2))
            path = QPainterPath(start)
            blocker = _node_in_the_way(placed.positions, source, target)
            if blocker is None:
                path.lineTo(end)
            else:  # bend around a node the straight line would cross
                bx, by = placed.positions[blocker]
                side = -1 if by > (y1 + y2) / 2 else 1
                path.quadTo(QPointF(left + bx, by + side * NODE_HEIGHT * 1.6), end)
                start = path.pointAtPercent(0.97)
            item = self.scene.addPath(path, pen)
            item.setZValue(1)
            self.scene.addPolygon(_arrowhead(start, end), pen, QBrush(palette["text"])).setZValue(1)

    def _link_guide_to_model(self, palette):
        link = palette["accent"]
        link.setAlphaF(0.45)
        pen = QPen(link, 1, Qt.DotLine)
        for (which, name), guide_node in self.nodes.items():
            model_node = self.nodes.get(("model", name))
            if which == "guide" and model_node is not None and guide_node.kind != "param":
                path = QPainterPath(guide_node.pos() + QPointF(0, NODE_HEIGHT / 2))
                middle = (guide_node.pos() + model_node.pos()) / 2 + QPointF(0, 140)
                path.quadTo(middle, model_node.pos() + QPointF(0, NODE_HEIGHT / 2))
                self.scene.addPath(path, pen).setZValue(-1)

    def _fill_shapes(self):
        from minipyro.observe.sites import site_rows

        rows = site_rows([self.session.events[k] for k in range(len(self.session.events))
                          if self.session.events.kinds[k] in (KIND_CODES["msg_start"], KIND_CODES["msg_end"])])
        self.shapes.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                self.shapes.setItem(r, c, QTableWidgetItem(str(cell)))

    # Following the session -------------------------------------------------------
    def _on_step(self, step: int):
        state = self.session.state_at(step) if step >= 0 else None
        current = state.message.name if state and state.message else None
        for (_, name), item in self.nodes.items():
            highlighted = name == current
            if highlighted != item.highlighted:
                item.highlighted = highlighted
                item.restyle()
                item.update()

    def site_summary(self, name: str) -> str:
        events = self.session.events
        end = self.session.find(lambda e: e["kind"] == "msg_end" and e["name"] == name, max(0, len(events) - 1),
                                backwards=True) if len(events) else None
        if end is None:
            return name
        event = events[end]
        fn = event.get("fn") or {}
        lines = [f"<b>{name}</b> ({event['type']})"]
        if fn:
            lines.append(f"{fn['dist']}  batch {text.shape(fn['batch_shape'])}  event {text.shape(fn['event_shape'])}")
        lines.append(f"value: {text.value(event.get('value'), long=True)}")
        if event.get("log_prob"):
            lines.append(f"log_prob shape {text.shape(event['log_prob']['shape'])}")
        return "<br>".join(lines)

    # Export ----------------------------------------------------------------------
    def export(self, path: str) -> None:
        """Save the graph as SVG or PNG (by the file's extension)."""
        rect = self.scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
        if str(path).lower().endswith(".svg"):
            from PySide6.QtSvg import QSvgGenerator

            generator = QSvgGenerator()
            generator.setFileName(str(path))
            generator.setSize(QSize(int(rect.width()), int(rect.height())))
            generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
            generator.setTitle("MiniPyro Studio model graph")
            painter = QPainter(generator)
        else:
            image = QImage(int(rect.width() * 2), int(rect.height() * 2), QImage.Format_ARGB32)
            image.fill(colors()["panel"])
            painter = QPainter(image)
        painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.scene.render(painter, QRectF(), rect)
        painter.end()
        if not str(path).lower().endswith(".svg"):
            image.save(str(path))


CONSTRAINT_NAMES = {"Real()": "real", "GreaterThan(lower_bound=0.0)": "positive", "Simplex()": "simplex",
                    "Interval(lower_bound=0.0, upper_bound=1.0)": "unit interval",
                    "LowerCholesky()": "lower Cholesky", "PositiveDefinite()": "positive definite"}


def constraint_name(constraint: str) -> str:
    """Pyro's constraint text (what ``render_params`` shows), shortened where a name is known."""
    return CONSTRAINT_NAMES.get(constraint, constraint)


def _node_in_the_way(positions: dict, source, target):
    """A node (other than the ends) that the straight edge would pass through, if any."""
    (x1, y1), (x2, y2) = positions[source], positions[target]
    length2 = (x2 - x1) ** 2 + (y2 - y1) ** 2 or 1.0
    for node, (x, y) in positions.items():
        if node in (source, target):
            continue
        t = ((x - x1) * (x2 - x1) + (y - y1) * (y2 - y1)) / length2
        if 0.05 < t < 0.95:
            px, py = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
            if ((px - x) / (NODE_WIDTH / 2)) ** 2 + ((py - y) / (NODE_HEIGHT / 2)) ** 2 < 1.8:
                return node
    return None


def _ellipse_edge(a: QPointF, b: QPointF):
    """The segment from a to b, clipped at both ellipses."""
    def clip(centre, towards):
        dx, dy = towards.x() - centre.x(), towards.y() - centre.y()
        if dx == 0 and dy == 0:
            return centre
        rx, ry = NODE_WIDTH / 2, NODE_HEIGHT / 2
        t = 1 / math.sqrt((dx / rx) ** 2 + (dy / ry) ** 2)
        return QPointF(centre.x() + dx * t, centre.y() + dy * t)
    return clip(a, b), clip(b, a)


def _arrowhead(start: QPointF, end: QPointF) -> QPolygonF:
    angle = math.atan2(end.y() - start.y(), end.x() - start.x())
    size = 9
    left = QPointF(end.x() - size * math.cos(angle - 0.4), end.y() - size * math.sin(angle - 0.4))
    right = QPointF(end.x() - size * math.cos(angle + 0.4), end.y() - size * math.sin(angle + 0.4))
    return QPolygonF([end, left, right])
