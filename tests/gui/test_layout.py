"""The plate diagram's layout, without Qt: dependency layers left to right, and each plate's
box holding exactly its members (nested and overlapping plates too)."""

import networkx as nx
import pytest

from gui.models.graph_layout import LAYER_WIDTH, NODE_HEIGHT, NODE_WIDTH, graph_of_structure, layout


def structure(sites: dict, plates: dict, observed=(), params=None) -> dict:
    """A structure event for sites given as name -> (parents, plates outermost first)."""
    return {"kind": "structure", "which": "model", "plates": plates,
            "site_plates": {name: list(p) for name, (_, p) in sites.items()},
            "relations": {"sample_dist": {name: "Normal" for name in sites}, "observed": list(observed),
                          "param_constraint": params or {},
                          "sample_sample": {name: list(parents) for name, (parents, _) in sites.items()},
                          "sample_param": {}, "plate_sample": {}}}


def inside(box, point) -> bool:
    x, y = point
    return box.left < x < box.right and box.top < y < box.bottom


def assert_boxes_hold_exactly_their_members(placed):
    for box in placed.plates:
        held = {n for n, p in placed.positions.items() if inside(box, p)}
        assert held == {n for n in placed.graph if box.name in placed.graph.nodes[n]["plates"]}, box.name
        for name in held:  # the whole node, not only its centre
            x, y = placed.positions[name]
            assert box.left <= x - NODE_WIDTH / 2 and x + NODE_WIDTH / 2 <= box.right
            assert box.top <= y - NODE_HEIGHT / 2 and y + NODE_HEIGHT / 2 <= box.bottom


def test_layers_follow_the_dependencies():
    event = structure({"mu": ([], []), "tau": ([], []), "theta": (["mu", "tau"], ["schools"]),
                       "obs": (["theta"], ["schools"])}, {"schools": 8}, observed=["obs"])
    placed = layout(graph_of_structure(event))
    x = {name: position[0] for name, position in placed.positions.items()}
    assert x["mu"] == x["tau"] == LAYER_WIDTH / 2
    assert x["mu"] < x["theta"] < x["obs"]
    assert placed.graph.nodes["obs"]["observed"]
    assert_boxes_hold_exactly_their_members(placed)
    (box,) = placed.plates
    assert (box.name, box.size, box.depth) == ("schools", 8, 0)


def test_nested_plates_are_boxes_inside_boxes():
    event = structure({"school": ([], ["schools"]), "class": (["school"], ["schools", "classes"]),
                       "student": (["class"], ["schools", "classes", "students"]), "global": ([], [])},
                      {"schools": 3, "classes": 4, "students": 20})
    placed = layout(graph_of_structure(event))
    boxes = {b.name: b for b in placed.plates}
    assert [b.name for b in placed.plates] == ["schools", "classes", "students"]  # outermost first
    assert [boxes[n].depth for n in ("schools", "classes", "students")] == [0, 1, 2]
    for outer, inner in (("schools", "classes"), ("classes", "students")):
        a, b = boxes[outer], boxes[inner]
        assert a.left < b.left and a.top < b.top and b.right < a.right and b.bottom < a.bottom
    assert_boxes_hold_exactly_their_members(placed)


def test_overlapping_plates_share_only_their_common_site():
    event = structure({"row_effect": ([], ["rows"]), "col_effect": ([], ["cols"]),
                       "cell": (["row_effect", "col_effect"], ["rows", "cols"]), "free": ([], [])},
                      {"rows": 3, "cols": 4})
    placed = layout(graph_of_structure(event))
    assert_boxes_hold_exactly_their_members(placed)
    boxes = {b.name: b for b in placed.plates}
    assert inside(boxes["rows"], placed.positions["cell"]) and inside(boxes["cols"], placed.positions["cell"])


def test_no_two_nodes_overlap_and_params_are_nodes():
    sites = {f"x{i}": ([f"x{i - 1}"] if i else [], ["p"] if i % 3 == 0 else []) for i in range(12)}
    event = structure(sites, {"p": 5}, params={"w": "Real()"})
    placed = layout(graph_of_structure(event))
    assert placed.graph.nodes["w"]["type"] == "param"
    points = list(placed.positions.values())
    for i, (x1, y1) in enumerate(points):
        for x2, y2 in points[i + 1:]:
            assert abs(x1 - x2) >= NODE_WIDTH or abs(y1 - y2) >= NODE_HEIGHT
    assert_boxes_hold_exactly_their_members(placed)
    assert placed.width > 0 and placed.height > 0


def test_a_cycle_is_drawn_in_one_layer_rather_than_refused():
    graph = nx.DiGraph(plates={})
    for name in "ab":
        graph.add_node(name, plates=[])
    graph.add_edges_from([("a", "b"), ("b", "a")])
    placed = layout(graph)
    assert placed.positions["a"][0] == placed.positions["b"][0]


@pytest.mark.parametrize("size", [1, 1000])
def test_a_chain_lays_out_one_layer_per_site(size):
    sites = {f"x{i}": ([f"x{i - 1}"] if i else [], []) for i in range(size)}
    placed = layout(graph_of_structure(structure(sites, {})))
    assert sorted(x for x, _ in placed.positions.values()) == [LAYER_WIDTH * (i + 0.5) for i in range(size)]
