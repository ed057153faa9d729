"""The graph as drawn: groups of repeated sites collapsed into one node each (pure: no Qt).

``minipyro.observe.site_groups`` finds the groups; here a group becomes a node whose attributes
are its members' (type, distribution, plates) plus ``group`` and ``hidden`` (how many members
it stands for), and every edge of the full graph becomes an edge between the nodes that hold
its ends. An edge inside a group is a self-loop: "each depends on the previous". A group can
be expanded a page at a time: its first members are then drawn one by one, and the group's node
stands for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from minipyro.gcpause import collection_paused
from minipyro.observe.site_groups import CHAIN_LABEL, SiteGroup, group_sites

from .graph_layout import NODE_HEIGHT, NODE_WIDTH, Layout, Obstacles, graph_of_structure, layout

PAGE_SIZE = 25  # members shown by one click on a group
GAP_BETWEEN_PROGRAMS = 120.0
STRAIGHT_EDGES_ABOVE = 2000  # nodes: a graph this big is read zoomed out, where bends would not show


def group_node(index: int, group: SiteGroup) -> str:
    return f"{group.label} #{index}"


def groups_of_structure(event: dict) -> list:
    relations = event.get("deterministic_relations") or event["relations"]
    return group_sites(relations, event.get("site_plates"))


def collapsed(graph: nx.DiGraph, groups: list, shown: dict | None = None) -> nx.DiGraph:
    """``graph`` with each group's members beyond the first ``shown[index]`` merged into one node."""
    if not groups:
        return graph
    shown = shown or {}
    holder = {}
    result = nx.DiGraph(**graph.graph)
    for index, group in enumerate(groups):
        visible = min(shown.get(index, 0), group.size)
        if visible < group.size:
            node = group_node(index, group)
            for name in group.members[visible:]:
                holder[name] = node
    placed = set()
    for name, data in graph.nodes(data=True):
        node = holder.get(name, name)
        if node in placed:
            continue
        placed.add(node)
        if node == name:
            result.add_node(name, **data)
        else:
            index = int(node.rsplit("#", 1)[1])
            group = groups[index]
            visible = min(shown.get(index, 0), group.size)
            result.add_node(node, **data, group=group, group_index=index, hidden=group.size - visible,
                            first_hidden=visible)
    for source, target in graph.edges:
        a, b = holder.get(source, source), holder.get(target, target)
        if a == b:
            result.add_edge(a, b, label=CHAIN_LABEL)
        elif not result.has_edge(a, b):
            result.add_edge(a, b)
    return result


def members_of(node_data: dict) -> tuple:
    """The sites a node of :func:`collapsed` stands for."""
    group = node_data.get("group")
    return group.members[node_data["first_hidden"]:] if group else ()


@dataclass
class Program:
    """A model's or a guide's drawing: its layout at ``left``, its groups, and for each edge
    the node it must bend around (absent or None: straight)."""

    which: str
    placed: Layout
    groups: list
    left: float
    bends: dict
    holder: dict  # site -> the node drawn for it
    bounds: tuple  # (left, top, right, bottom) of what is drawn: nodes, plates, room for titles and links


def plan(structures: dict, shown: dict) -> list:
    """What the panel draws, side by side: a :class:`Program` for the model and for the guide.
    ``shown``: (which, group index) → members drawn one by one. Pure, so it can run off the GUI
    thread (with the garbage collector paused: a full pass over 10 000 sites' objects would hold
    the GIL, and so the GUI, for a third of a second)."""
    with collection_paused():
        return _plan(structures, shown)


def _plan(structures: dict, shown: dict) -> list:
    result, left = [], 0.0
    for which in ("model", "guide"):
        event = structures.get(which)
        if event is None:
            continue
        groups = groups_of_structure(event)
        graph = collapsed(graph_of_structure(event), groups,
                          {index: count for (w, index), count in shown.items() if w == which})
        relations = event["relations"]
        holder = {site: node for node, data in graph.nodes(data=True) for site in members_of(data)}
        sites = list(relations.get("param_constraint", {})) + list(relations["sample_dist"])
        placed = layout(graph, list(dict.fromkeys(holder.get(site, site) for site in sites)))
        bends = {}
        if len(placed.positions) <= STRAIGHT_EDGES_ABOVE:
            obstacles = Obstacles(placed.positions)
            bends = {(a, b): obstacles.in_the_way(a, b) for a, b in placed.graph.edges if a != b}
        holder.update((node, node) for node, data in graph.nodes(data=True) if "group" not in data)
        result.append(Program(which, placed, groups, left, bends, holder, _bounds(placed, left)))
        left += placed.width + GAP_BETWEEN_PROGRAMS
    return result


def _bounds(placed: Layout, left: float) -> tuple:
    lefts = [x - NODE_WIDTH / 2 for x, _ in placed.positions.values()] + [box.left for box in placed.plates]
    tops = [y - NODE_HEIGHT / 2 - 90 for _, y in placed.positions.values()] + [box.top for box in placed.plates]
    return (left + min(lefts, default=0.0), min(min(tops, default=0.0), -45.0),
            left + placed.width + NODE_WIDTH / 2 + 10, placed.height + NODE_HEIGHT / 2 + 90)
