"""Model graph panel: plate diagrams of the model and the guide, drawn from ``structure``
events, side by side, with a shapes table. Click a node to travel to its site; the current
step's site is highlighted; zoom with the wheel, pan by dragging, F to fit.

Repeated sites are drawn as one stack ("obs_i ×10 000", see ``gui.models.graph_groups``); a click
on a stack shows its next page of members, its context menu all of them or none. Big graphs are
planned (grouping, layout) off the GUI thread and drawn in slices of a few milliseconds, and far
from the camera nodes are drawn without their text, so the window never freezes."""

from __future__ import annotations

import gc
import math
import threading
import time

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QFont, QImage, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsItem, QGraphicsRectItem, QGraphicsScene,
                               QGraphicsView, QHeaderView, QLabel,
                               QMenu, QSplitter, QTableView, QVBoxLayout, QWidget)

from minipyro.observe.site_groups import CHAIN_LABEL, plate_hints
from resources import examples_dir

from ...models import text
from ...models.events import KIND_CODES
from ...models.graph_groups import PAGE_SIZE, members_of, plan
from ...models.graph_layout import NODE_HEIGHT, NODE_WIDTH
from ..palette import colors
from ..rows_model import RowsModel

STACK_OFFSET = 5.0  # how far each sheet of a stack sits behind the one in front
SYNC_LIMIT = 400  # graphs with more sites than this are planned off the GUI thread
SLICE_SECONDS = 0.012  # drawing work done per turn of the GUI loop
EDGES_PER_ITEM = 100  # edges share path items, in chunks the scene can still cull
TEXT_DETAIL = 0.35  # below this zoom, nodes are drawn without their text
READABLE_ZOOM = 0.75  # a small graph is shown no smaller than this: its names stay readable (F fits all)
OVERVIEW_CHUNK = 1000  # nodes per path of a big graph's overview
BIG_GRAPH = 2000  # programs with more nodes than this are drawn as an overview when zoomed out
PLATE_LESSON = "loop_vs_plate.py"


class NodeItem(QGraphicsEllipseItem):
    """A sample site (an ellipse), a param (plain text) or a group of sites (a stack), clickable."""

    def __init__(self, panel, which: str, name: str, data: dict, centre, palette=None):
        super().__init__(-NODE_WIDTH / 2, -NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT)
        self.panel, self.which, self.name, self.data = panel, which, name, data
        self.setPos(*centre)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.PointingHandCursor)
        self.highlighted = False
        self.restyle(palette)

    @property
    def kind(self) -> str:
        if self.data["type"] == "param":
            return "param"
        if self.data["type"] == "deterministic":
            return "deterministic"
        return "observed" if self.data["observed"] else "latent"

    @property
    def group(self):
        return self.data.get("group")

    @property
    def label(self) -> str:
        if self.group is None:
            return self.name
        count = f"{self.data['hidden']:,}".replace(",", " ")
        more = " more" if self.data["first_hidden"] else ""
        return f"{self.group.label} ×{count}{more}"

    @property
    def subtitle(self) -> str:
        if self.kind == "param":
            return constraint_name(self.data.get("constraint") or self.data.get("dist") or "")
        dist = self.data.get("dist") or ""
        return f"{dist}  {self.group.index_range()}" if self.group is not None else dist

    def restyle(self, palette=None) -> None:
        palette = palette or colors()
        pen = QPen(palette["accent"] if self.highlighted else palette["text"], 3 if self.highlighted else 1.2)
        if self.kind == "deterministic":
            pen.setStyle(Qt.DashLine)
        if self.kind == "param" and self.group is None:
            pen = QPen(Qt.NoPen) if not self.highlighted else pen
        self.setPen(pen)
        fill = {"observed": palette["observed"], "latent": palette["panel"], "deterministic": palette["panel"],
                "param": palette["window"]}[self.kind]
        self.setBrush(QBrush(fill))

    def paint(self, painter, option, widget=None):
        if self.group is not None:  # the sheets behind: this node stands for many
            painter.setPen(self.pen())
            painter.setBrush(self.brush())
            for k in (2, 1):
                painter.drawEllipse(self.rect().translated(k * STACK_OFFSET, -k * STACK_OFFSET))
        super().paint(painter, option, widget)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < TEXT_DETAIL:
            return  # too small to read: the shape alone, which keeps a big graph smooth to pan
        palette = colors()
        painter.setPen(palette["text"])
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        rect = self.rect()
        painter.drawText(rect.adjusted(4, 2, -4, -rect.height() / 2 + 2), Qt.AlignHCenter | Qt.AlignBottom,
                         painter.fontMetrics().elidedText(self.label, Qt.ElideRight, int(rect.width() - 8)))
        font.setBold(False)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        painter.setPen(palette["muted"])
        painter.drawText(rect.adjusted(4, rect.height() / 2, -4, -2), Qt.AlignHCenter | Qt.AlignTop,
                         painter.fontMetrics().elidedText(self.subtitle, Qt.ElideRight, int(rect.width() - 8)))

    def mousePressEvent(self, event):
        if event.button() != Qt.LeftButton:
            return super().mousePressEvent(event)
        self.activate()
        event.accept()

    def activate(self):
        """What a click does: a group shows its next page, a site travels to its events."""
        if self.group is not None:
            self.panel.expand(self.which, self.data["group_index"])
        else:
            self.panel.sigSiteClicked.emit(self.which, self.name)

    def contextMenuEvent(self, event):
        if self.group is None:
            return
        index, size = self.data["group_index"], self.group.size
        menu = QMenu()
        menu.addAction(f"Show the next {min(PAGE_SIZE, self.data['hidden'])}",
                       lambda: self.panel.expand(self.which, index))
        menu.addAction(f"Show all {size:,}".replace(",", " "), lambda: self.panel.expand(self.which, index, size))
        menu.addAction(f"Collapse {self.group.label}", lambda: self.panel.collapse(self.which, index))
        menu.addAction(f"Go to {self.group.members[0]}",
                       lambda: self.panel.sigSiteClicked.emit(self.which, self.group.members[0]))
        menu.exec(event.screenPos())

    def hoverEnterEvent(self, event):
        self.setToolTip(self.panel.node_summary(self))
        super().hoverEnterEvent(event)


class GroupItem(NodeItem):
    """A group of sites, drawn as a stack: its sheets reach beyond the ellipse."""

    def boundingRect(self):
        return super().boundingRect().adjusted(0, -2 * STACK_OFFSET, 2 * STACK_OFFSET, 0)


def node_item(panel, which: str, name: str, data: dict, centre, palette) -> NodeItem:
    return (GroupItem if data.get("group") is not None else NodeItem)(panel, which, name, data, centre, palette)


class GraphView(QGraphicsView):
    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.DontAdjustForAntialiasing)

    sigZoomed = Signal()
    sigBackgroundClicked = Signal(QPointF)  # a click on no item, in scene coordinates

    def wheelEvent(self, event):
        factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
        self.scale(factor, factor)
        self.sigZoomed.emit()

    def keyPressEvent(self, event):
        if event.key() == Qt.Key_F:
            self.fit()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event):
        if event.button() == Qt.LeftButton and self.itemAt(event.position().toPoint()) is None:
            self.sigBackgroundClicked.emit(self.mapToScene(event.position().toPoint()))
        super().mousePressEvent(event)

    def fit(self, readable: bool = False):
        """The whole graph in view; with ``readable``, no smaller than READABLE_ZOOM, from its top
        left (the model's first sites; the rest a scroll away), as a map opens on a place."""
        rect = self.sceneRect().adjusted(-20, -20, 20, 20)  # the panel's, not itemsBoundingRect: O(items)
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.KeepAspectRatio)
        if readable and self.transform().m11() < READABLE_ZOOM:
            self.resetTransform()
            self.scale(READABLE_ZOOM, READABLE_ZOOM)
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().minimum())
            self.verticalScrollBar().setValue(self.verticalScrollBar().minimum())
        self.sigZoomed.emit()


class GraphPanel(QWidget):
    sigSiteClicked = Signal(str, str)  # which ("model" or "guide"), site name
    sigOpenLesson = Signal(str)  # a lesson's path (the plate hint's link)
    sigDrawn = Signal()  # every node and edge is on screen (a big graph's nodes as an overview)
    sigBuilt = Signal()  # the scene holds the whole graph, every node clickable
    _sigPlanned = Signal(int, object)  # from the planning thread: generation, plan

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.structures: dict = {}  # which -> structure event
        self.shown: dict = {}  # (which, group index) -> members drawn one by one
        self._needs_fit = False
        self.nodes: dict = {}  # (which, node) -> NodeItem
        self.holder: dict = {}  # which -> {site: the node drawn for it}
        self.layouts: dict = {}
        self.groups: dict = {}  # which -> [SiteGroup]
        self.building = False
        self._generation = 0
        self._slices = None
        self._highlighted: list = []
        self._site_shapes: dict | None = None
        self._gc_was_enabled = False
        self._arrowheads: list = []
        self._containers: list = []
        self._overview: list = []
        self.detailed = True  # zoomed in enough to read nodes (a big graph hides them otherwise)
        self.scene = QGraphicsScene(self)
        # No BSP index: building one for 10 000 nodes stalls the first paint, and painting walks
        # the items' tree, where the hidden nodes of a zoomed-out big graph are one item.
        self.scene.setItemIndexMethod(QGraphicsScene.NoIndex)
        self.view = GraphView(self.scene)
        self.view.sigZoomed.connect(self._on_zoom)
        self.view.sigBackgroundClicked.connect(self._on_background_click)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.RichText)
        self.hint.hide()
        self.hint.linkActivated.connect(lambda _: self.sigOpenLesson.emit(str(examples_dir() / PLATE_LESSON)))
        self.shapes_model = RowsModel(["site", "type", "distribution", "batch | event", "value", "log_prob"], self)
        self.shapes = QTableView()
        self.shapes.setModel(self.shapes_model)
        self.shapes.verticalHeader().hide()
        self.shapes.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.shapes.horizontalHeader().setStretchLastSection(True)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.hint)
        top_layout.addWidget(self.view)
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.shapes)
        splitter.setSizes([700, 200])
        layout_ = QVBoxLayout(self)
        layout_.setContentsMargins(0, 0, 0, 0)
        layout_.addWidget(splitter)
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._draw_slice)
        self._sigPlanned.connect(self._on_planned)
        session.sig_reset.connect(self._on_reset)
        session.sig_events_added.connect(self._on_events)
        session.sig_step_changed.connect(self._on_step)

    # Building --------------------------------------------------------------------
    def _on_reset(self):
        self.structures, self.shown, self._site_shapes = {}, {}, None
        self._rebuild()
        self.shapes_model.set_rows([])

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
            self._rebuild(wait=False)
        if events.kinds[end - 1] == KIND_CODES["run_end"] or changed:
            self._fill_shapes()

    def show_structures(self, structures: dict, wait: bool = True) -> None:
        """Draw these structure events (the command line's graph export uses it). ``wait``:
        return once drawn; else plan and draw in the background (``sigBuilt`` when done)."""
        self.structures = dict(structures)
        self._rebuild(wait=wait)

    def expand(self, which: str, index: int, count: int = PAGE_SIZE, wait: bool = False) -> None:
        """Draw ``count`` more members of a group one by one."""
        self.shown[(which, index)] = self.shown.get((which, index), 0) + count
        self._rebuild(wait=wait)

    def collapse(self, which: str, index: int, wait: bool = False) -> None:
        self.shown.pop((which, index), None)
        self._rebuild(wait=wait)

    def _resume_collection(self) -> None:
        if self._gc_was_enabled:
            self._gc_was_enabled = False
            if len(self.nodes) > BIG_GRAPH:
                # The items of a big graph live as long as it is shown: out of the collector's
                # way (gc.freeze), so that no full pass over them ever stalls the GUI (0.4 s).
                gc.freeze()
            gc.enable()

    def _rebuild(self, wait: bool = True):
        self._generation += 1
        self._timer.stop()
        self._slices = None
        self._resume_collection()
        structures = dict(self.structures)
        shown = dict(self.shown)
        sites = sum(len(e["relations"]["sample_dist"]) for e in structures.values())
        if wait or sites <= SYNC_LIMIT:
            self._start_drawing(plan(structures, shown))
            self._drain()
        else:
            self.building = True
            generation = self._generation
            threading.Thread(target=lambda: self._sigPlanned.emit(generation, plan(structures, shown)),
                             daemon=True).start()

    def _on_planned(self, generation: int, plan) -> None:
        if generation == self._generation:
            self._start_drawing(plan)
            self._timer.start()

    def _drain(self) -> None:
        for _ in self._slices:
            pass
        self._finish()

    def _draw_slice(self) -> None:
        deadline = time.perf_counter() + SLICE_SECONDS
        for _ in self._slices:
            if time.perf_counter() > deadline:
                return
        self._timer.stop()
        self._finish()

    def _start_drawing(self, plan) -> None:
        self.building = True
        # No garbage collection while the items are made: a full pass over their wrappers would
        # stall the GUI for a third of a second, and there is nothing to collect meanwhile.
        self._gc_was_enabled = self._gc_was_enabled or gc.isenabled()
        gc.disable()
        self.scene.clear()
        self.nodes, self.layouts, self.holder, self._highlighted = {}, {}, {}, []
        self._arrowheads, self._containers, self._overview = [], [], []
        self.view.viewport().setUpdatesEnabled(False)  # one paint when all is there, not one per slice
        self.groups = {program.which: program.groups for program in plan}
        self._show_hints()
        self._slices = self._draw(plan)

    def _finish(self) -> None:
        self._slices = None
        self.building = False
        self._resume_collection()
        self._fit_if_shown()
        self._show_detail()
        self._on_step(self.session.current if len(self.session.events) else -1)
        self.sigBuilt.emit()

    def _draw(self, plan):
        """The scene, built a little at a time: a generator that yields between pieces of work."""
        palette = colors()
        self.scene.setSceneRect(_scene_rect(plan))
        self._needs_fit = True
        self._fit_if_shown()  # now, so that a big graph's nodes are made hidden if they will be
        for program in plan:
            placed, left = program.placed, program.left
            self.layouts[program.which] = (placed, left)
            self.holder[program.which] = program.holder
            self._draw_title(program.which, left, palette)
            self._draw_plates(placed, left, palette)
            yield
            yield from self._draw_edges(placed, left, program.bends, palette)
            if _is_big(program):
                yield from self._draw_overview(program, palette)
            else:
                yield from self._draw_nodes(program, palette)
        self.view.viewport().setUpdatesEnabled(True)
        self.sigDrawn.emit()
        for program in plan:
            if _is_big(program):
                yield from self._draw_nodes(program, palette)
        yield from self._link_guide_to_model(palette)

    def _draw_nodes(self, program, palette):
        container = None
        if _is_big(program):  # its nodes under one item, hidden when zoomed out: painting skips them all
            container = QGraphicsRectItem()
            container.setFlag(QGraphicsItem.ItemHasNoContents)
            container.setZValue(2)
            container.setVisible(self.detailed)
            self.scene.addItem(container)
            self._containers.append(container)
        for count, (name, (x, y)) in enumerate(program.placed.positions.items()):
            item = node_item(self, program.which, name, program.placed.graph.nodes[name],
                             (program.left + x, y), palette)
            item.setZValue(2)
            if container is None:
                self.scene.addItem(item)
            else:
                item.setParentItem(container)
            self.nodes[(program.which, name)] = item
            if count % 16 == 15:
                yield

    def _draw_overview(self, program, palette):
        """A big graph's nodes as one path per kind: what shows when zoomed out (the nodes'
        own items, 10 000 of them, are hidden then: painting them would make panning jerky)."""
        paths = {}
        for count, (name, (x, y)) in enumerate(program.placed.positions.items()):
            if count % OVERVIEW_CHUNK == OVERVIEW_CHUNK - 1:
                yield from self._add_overview_paths(paths, palette)
                paths = {}
            data = program.placed.graph.nodes[name]
            kind = data["type"] if data["type"] != "sample" else ("observed" if data["observed"] else "latent")
            paths.setdefault(kind, QPainterPath()).addRect(  # boxes: far cheaper to fill than ellipses
                QRectF(program.left + x - NODE_WIDTH / 2, y - NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT))
        yield from self._add_overview_paths(paths, palette)

    def _add_overview_paths(self, paths, palette):
        # solid blocks, no outlines: thousands of them fill in a few milliseconds
        fills = {"observed": palette["text"], "latent": palette["border"], "deterministic": palette["border"],
                 "param": palette["muted"]}
        for kind, path in paths.items():
            item = self.scene.addPath(path, QPen(Qt.NoPen), QBrush(fills[kind]))
            item.setZValue(1.5)
            self._overview.append(item)
            yield

    def _on_zoom(self):
        detailed = self.view.transform().m11() >= TEXT_DETAIL
        if detailed != self.detailed:
            self.detailed = detailed
            self.view.setRenderHint(QPainter.Antialiasing, detailed)  # thousands of edges paint in time
            self._show_detail()

    def _show_detail(self):
        """Zoomed in: nodes and arrowheads; zoomed out, or while the nodes are being made: the overview."""
        for item in self._arrowheads + self._containers:
            item.setVisible(self.detailed)
        for item in self._overview:
            item.setVisible(not self.detailed or self.building)

    def _on_background_click(self, point: QPointF):
        """A click on a big graph's overview: the node under it, as if its item were there."""
        for which, (placed, left) in self.layouts.items():
            for name, (x, y) in placed.positions.items():
                if ((point.x() - left - x) / (NODE_WIDTH / 2)) ** 2 + ((point.y() - y) / (NODE_HEIGHT / 2)) ** 2 <= 1:
                    item = self.nodes.get((which, name))
                    if item is not None:
                        item.activate()
                    return

    def _draw_title(self, which, left, palette):
        title = self.scene.addText(which)
        title.setDefaultTextColor(palette["muted"])
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        title.setPos(left, -40)

    def _fit_if_shown(self):
        if self._needs_fit and self.view.isVisible() and self.view.viewport().width() > 50:
            self._needs_fit = False
            self.fit()

    def fit(self):
        """Fit the view to the graph: a small one readable, a big one whole (its overview)."""
        self.view.fit(readable=len(self.nodes) <= SYNC_LIMIT)

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

    def _draw_edges(self, placed, left, bends, palette):
        """Edges in chunks: one path for the lines and one for the arrowheads per chunk."""
        pen = QPen(palette["text"], 1.3)
        pen.setCosmetic(len(placed.positions) > BIG_GRAPH)  # the same width at any zoom: far cheaper zoomed out
        lines, heads, count = QPainterPath(), QPainterPath(), 0
        for source, target, data in placed.graph.edges(data=True):
            if source == target:
                self._draw_self_loop(placed.positions[source], left, data.get("label", ""), pen, palette)
                continue
            (x1, y1), (x2, y2) = placed.positions[source], placed.positions[target]
            start, end = _ellipse_edge(QPointF(left + x1, y1), QPointF(left + x2, y2))
            lines.moveTo(start)
            blocker = bends.get((source, target))
            if blocker is None:
                lines.lineTo(end)
            else:  # bend around a node the straight line would cross
                bx, by = placed.positions[blocker]
                side = -1 if by > (y1 + y2) / 2 else 1
                curve = QPainterPath(start)
                curve.quadTo(QPointF(left + bx, by + side * NODE_HEIGHT * 1.6), end)
                lines.addPath(curve)
                start = curve.pointAtPercent(0.97)
            heads.addPolygon(_arrowhead(start, end))
            heads.closeSubpath()
            count += 1
            if count % EDGES_PER_ITEM == 0:
                self._add_edge_paths(lines, heads, pen, palette)
                lines, heads = QPainterPath(), QPainterPath()
                yield
        self._add_edge_paths(lines, heads, pen, palette)

    def _add_edge_paths(self, lines, heads, pen, palette):
        if not lines.isEmpty():
            self.scene.addPath(lines, pen).setZValue(1)
            item = self.scene.addPath(heads, pen, QBrush(palette["text"]))
            item.setZValue(1)
            item.setVisible(self.detailed)  # too small to see when zoomed out
            self._arrowheads.append(item)

    def _draw_self_loop(self, centre, left, label, pen, palette):
        """An arc from a group's top back into it, marked with what it means."""
        x, y = left + centre[0], centre[1] - NODE_HEIGHT / 2 - 2 * STACK_OFFSET
        path = QPainterPath(QPointF(x + 22, y))
        path.cubicTo(QPointF(x + 40, y - 42), QPointF(x - 40, y - 42), QPointF(x - 22, y))
        self.scene.addPath(path, pen).setZValue(1)
        self.scene.addPolygon(_arrowhead(path.pointAtPercent(0.95), QPointF(x - 22, y)), pen,
                              QBrush(palette["text"])).setZValue(1)
        item = self.scene.addText(label)
        item.setDefaultTextColor(palette["muted"])
        font = item.font()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        item.setFont(font)
        item.setPos(x - item.boundingRect().width() / 2, y - 42 - item.boundingRect().height())

    def _link_guide_to_model(self, palette):
        """A dotted curve from each guide node to the model node of the same sites (by group)."""
        link = palette["accent"]
        link.setAlphaF(0.45)
        pen = QPen(link, 1, Qt.DotLine)
        path, linked = QPainterPath(), set()
        for (which, name), guide_node in list(self.nodes.items()):
            if which != "guide" or guide_node.kind == "param":
                continue
            for site in (members_of(guide_node.data) or (name,)):
                model_name = self.holder.get("model", {}).get(site)
                if model_name is None or (name, model_name) in linked:
                    continue
                linked.add((name, model_name))
                model_node = self.nodes[("model", model_name)]
                path.moveTo(guide_node.pos() + QPointF(0, NODE_HEIGHT / 2))
                middle = (guide_node.pos() + model_node.pos()) / 2 + QPointF(0, 140)
                path.quadTo(middle, model_node.pos() + QPointF(0, NODE_HEIGHT / 2))
            if len(linked) % EDGES_PER_ITEM == 0:
                yield
        if not path.isEmpty():
            self.scene.addPath(path, pen).setZValue(-1)

    def _show_hints(self):
        hints = plate_hints(self.groups.get("model", []), self._site_shapes)
        if hints:
            lines = [message.replace("`plate`", "<code>plate</code>") for _, message in hints]
            self.hint.setText("<br>".join(lines) + f' — <a href="lesson">see the lesson “A loop or a plate”</a>')
        self.hint.setVisible(bool(hints))

    def _fill_shapes(self):
        from minipyro.observe.sites import site_rows

        rows = site_rows([self.session.events[k] for k in range(len(self.session.events))
                          if self.session.events.kinds[k] in (KIND_CODES["msg_start"], KIND_CODES["msg_end"])])
        self.shapes_model.set_rows(rows)
        if len(rows) < 200:  # sizing to contents reads every cell
            self.shapes.resizeColumnsToContents()
        self._site_shapes = {row[0]: row[4] for row in rows if row[1] == "sample"} or None
        self._show_hints()

    # Following the session -------------------------------------------------------
    def _on_step(self, step: int):
        state = self.session.state_at(step) if step >= 0 else None
        self.mark_site(state.message.name if state and state.message else None)

    def mark_site(self, current) -> None:
        """Highlight the site named ``current`` (model and guide), as the current step's is."""
        held = {which: self.holder.get(which, {}).get(current) for which in ("model", "guide")}
        now = [self.nodes[(which, node)] for which, node in held.items() if (which, node) in self.nodes]
        for item in self._highlighted:
            if item not in now:
                item.highlighted = False
                item.restyle()
                item.update()
        for item in now:
            if not item.highlighted:
                item.highlighted = True
                item.restyle()
                item.update()
        self._highlighted = now

    def node_summary(self, item: NodeItem) -> str:
        if item.group is None:
            return self.site_summary(item.name)
        group = item.group
        members = members_of(item.data)
        count = f"{len(members):,}".replace(",", " ")
        return (f"<b>{group.label}</b>: {count} sites {members[0]} … {members[-1]}<br>"
                f"{group.dist}, {group.index_range()}" + (f"<br>{CHAIN_LABEL}" if group.chain else "") +
                "<br>click: show the next page; right-click: all, or collapse")

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
        rect = self.scene.sceneRect().adjusted(-20, -20, 20, 20)
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


def _is_big(program) -> bool:
    return len(program.placed.positions) > BIG_GRAPH


def _scene_rect(plan) -> QRectF:
    """What the programs cover (from their bounds: asking the scene would visit every item)."""
    rect = QRectF()
    for program in plan:
        left, top, right, bottom = program.bounds
        rect = rect.united(QRectF(QPointF(left, top), QPointF(right, bottom)))
    return rect


CONSTRAINT_NAMES = {"Real()": "real", "GreaterThan(lower_bound=0.0)": "positive", "Simplex()": "simplex",
                    "Interval(lower_bound=0.0, upper_bound=1.0)": "unit interval",
                    "LowerCholesky()": "lower Cholesky", "PositiveDefinite()": "positive definite"}


def constraint_name(constraint: str) -> str:
    """Pyro's constraint text (what ``render_params`` shows), shortened where a name is known."""
    return CONSTRAINT_NAMES.get(constraint, constraint)


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
