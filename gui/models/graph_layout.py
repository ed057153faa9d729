"""Laying out a model's graph as a plate diagram (pure: no Qt).

structure event → ``networkx.DiGraph`` (``minipyro.graph``) → :func:`layout`
→ positions and plate boxes → the Qt renderer (``gui/views/panels/graph.py``).

Nodes go left to right by dependency layer (networkx's topological
generations). Vertically, every set of plates (a *signature*) gets a band of
its own, the same in every layer, and the bands are ordered so that each
plate's bands are adjacent: then a plate's box, the bounding box of its
members, holds exactly its members, nested and overlapping plates included.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass

import networkx as nx

from minipyro.graph import graph_from_relations

LAYER_WIDTH = 200.0
ROW_HEIGHT = 84.0
NODE_WIDTH, NODE_HEIGHT = 140.0, 50.0
LABEL_HEIGHT = 26.0  # room for a plate's name above what it holds
PLATE_PADDING = 14.0  # between a plate's box and what it holds, per level of nesting inside it
MAX_BAND_PERMUTATIONS = 8  # bands beyond this are ordered by name instead of searched


@dataclass
class PlateBox:
    name: str
    size: int
    left: float
    top: float
    right: float
    bottom: float
    depth: int  # how many plates enclose this one


@dataclass
class Layout:
    graph: nx.DiGraph
    positions: dict  # node -> (x, y), the centre
    plates: list  # PlateBox, outermost first

    @property
    def width(self) -> float:
        xs = [x for x, _ in self.positions.values()] + [p.right for p in self.plates]
        return max(xs, default=0.0)

    @property
    def height(self) -> float:
        ys = [y for _, y in self.positions.values()] + [p.bottom for p in self.plates]
        return max(ys, default=0.0)


def graph_of_structure(event: dict) -> nx.DiGraph:
    """The graph of a ``structure`` event (edges through deterministic sites kept)."""
    relations = event.get("deterministic_relations") or event["relations"]
    return graph_from_relations(relations, event.get("plates", {}), event.get("site_plates"))


def _layers(graph: nx.DiGraph) -> dict:
    loops = list(nx.selfloop_edges(graph))
    if loops:  # a chain drawn as one group: its self-loop says nothing about the order of nodes
        graph = graph.copy()
        graph.remove_edges_from(loops)
    if nx.is_directed_acyclic_graph(graph):
        return {node: layer for layer, nodes in enumerate(nx.topological_generations(graph)) for node in nodes}
    return {node: 0 for node in graph}


def _contiguity_breaks(order, members_of_plate) -> int:
    """How many plates have their bands split by another band."""
    breaks = 0
    for bands in members_of_plate.values():
        positions = [i for i, signature in enumerate(order) if signature in bands]
        breaks += positions[-1] - positions[0] + 1 != len(positions)
    return breaks


def _band_order(signatures: list) -> list:
    plates = {plate for signature in signatures for plate in signature}
    bands_of = {plate: {s for s in signatures if plate in s} for plate in plates}
    order = sorted(signatures)
    if len(order) > MAX_BAND_PERMUTATIONS or _contiguity_breaks(order, bands_of) == 0:
        return order
    return min(itertools.permutations(order), key=lambda o: _contiguity_breaks(o, bands_of))


def layout(graph: nx.DiGraph, order: list | None = None) -> Layout:
    """Positions for every node and a box for every plate. ``order``: the nodes in trace order."""
    order = order or list(graph.nodes)
    rank = {node: i for i, node in enumerate(order)}
    layers = _layers(graph)
    # plates outermost first, so that a nested plate's band follows its parent's
    signature = {node: tuple(graph.nodes[node].get("plates", [])) for node in graph}
    bands = _band_order(sorted(set(signature.values())))
    # A band is as tall as its largest group in any one layer.
    groups: dict = {}
    for node in sorted(graph, key=lambda n: rank.get(n, len(rank))):
        groups.setdefault((signature[node], layers[node]), []).append(node)
    height = {band: max(len(nodes) for (s, _), nodes in groups.items() if s == band) for band in bands}
    # Room above a band for the names of the plates that open there, below for those that close.
    top, band_top = 0.0, {}
    for i, band in enumerate(bands):
        previous = set(bands[i - 1]) if i else set()
        following = set(bands[i + 1]) if i + 1 < len(bands) else set()
        opening, closing = len(set(band) - previous), len(set(band) - following)
        band_top[band] = top + (LABEL_HEIGHT + PLATE_PADDING) * opening + PLATE_PADDING
        top = band_top[band] + height[band] * ROW_HEIGHT + PLATE_PADDING * closing
    positions = {}
    for (band, layer), nodes in groups.items():
        for index, node in enumerate(nodes):
            positions[node] = (LAYER_WIDTH * (layer + 0.5), band_top[band] + ROW_HEIGHT * (index + 0.5))
    return Layout(graph, positions, _plate_boxes(graph, positions))


def _plate_boxes(graph: nx.DiGraph, positions: dict) -> list:
    sizes = graph.graph.get("plates", {})
    members: dict = {}
    for node in graph:
        for plate in graph.nodes[node].get("plates", []):
            members.setdefault(plate, []).append(node)

    member_sets = {plate: set(nodes) for plate, nodes in members.items()}

    def depth(plate):  # plates that hold all of this plate's members enclose it
        return sum(1 for other in members if other != plate and member_sets[plate] < member_sets[other])

    boxes = []
    for plate, nodes in members.items():
        d = depth(plate)
        # one padding for itself, one more for each level of plates nested inside it
        inner = max((depth(p) for p in members if member_sets[p] < member_sets[plate]), default=d)
        margin = PLATE_PADDING * (1 + inner - d)
        xs = [positions[n][0] for n in nodes]
        ys = [positions[n][1] for n in nodes]
        boxes.append(PlateBox(plate, sizes.get(plate, 0),
                              min(xs) - NODE_WIDTH / 2 - margin, min(ys) - NODE_HEIGHT / 2 - margin - LABEL_HEIGHT,
                              max(xs) + NODE_WIDTH / 2 + margin, max(ys) + NODE_HEIGHT / 2 + margin, d))
    return sorted(boxes, key=lambda box: box.depth)


class Obstacles:
    """The nodes of a layout by column, to find the one a straight edge would cross without
    looking at every node (a graph of 10 000 nodes has as many edges)."""

    def __init__(self, positions: dict):
        self.positions = positions
        columns: dict = {}
        for node, (x, y) in positions.items():
            columns.setdefault(x, []).append((y, node))
        for column in columns.values():
            column.sort(key=lambda item: item[0])
        self.columns = columns
        self.column_ys = {x: [y for y, _ in column] for x, column in columns.items()}
        self.xs = sorted(columns)

    def in_the_way(self, source, target):
        """A node (other than the ends) that the straight edge would pass through, if any."""
        (x1, y1), (x2, y2) = self.positions[source], self.positions[target]
        dx, dy = x2 - x1, y2 - y1
        length2 = dx ** 2 + dy ** 2 or 1.0
        a, b = NODE_WIDTH / 2, NODE_HEIGHT / 2
        for x in self.xs[bisect.bisect_left(self.xs, min(x1, x2)):bisect.bisect_right(self.xs, max(x1, x2))]:
            low, high = min(y1, y2) - NODE_HEIGHT, max(y1, y2) + NODE_HEIGHT
            if dx:  # only nodes this close (vertically) to where the line crosses the column can be hit
                slope = dy / dx
                line_y = y1 + (x - x1) * slope
                reach = 1.35 * (1 + slope ** 2) / math.sqrt(slope ** 2 / a ** 2 + 1 / b ** 2) + 1.0
                low, high = max(low, line_y - reach), min(high, line_y + reach)
            column = self.columns[x]
            for y, node in column[bisect.bisect_left(self.column_ys[x], low):]:
                if y > high:
                    break
                if node in (source, target):
                    continue
                t = ((x - x1) * dx + (y - y1) * dy) / length2
                if 0.05 < t < 0.95:
                    px, py = x1 + t * dx, y1 + t * dy
                    if ((px - x) / a) ** 2 + ((py - y) / b) ** 2 < 1.8:
                        return node
        return None
