"""The model graph: nodes styled by kind, the relations' edges, plates that hold exactly their members."""

import sys
from pathlib import Path

import pytest
from pyroapi import distributions as dist
from pyroapi import pyro, pyro_backend

from minipyro.structure import structure_fields
from resources import examples_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
import test_structure as models  # noqa: E402  (the structure tests' models)


def chain_1000(data):
    x = pyro.sample("x0", dist.Normal(0.0, 1.0))
    for i in range(1, 1000):
        x = pyro.sample(f"x{i}", dist.Normal(x, 1.0))


MODELS = models.MODELS + [chain_1000]


def draw(qtbot, model):
    from gui.views.panels.graph import GraphPanel
    from gui.models.session import Session

    with pyro_backend("minipyro_studio"):
        structure = {"kind": "structure", "which": "model", **structure_fields(model, (models.DATA,))}
    panel = GraphPanel(Session())
    qtbot.addWidget(panel)
    panel.show_structures({"model": structure})
    return panel, structure


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_graph_matches_the_relations(qtbot, model):
    panel, structure = draw(qtbot, model)
    for index, group in enumerate(panel.groups["model"]):  # every site drawn one by one
        panel.expand("model", index, group.size, wait=True)
    relations = structure["deterministic_relations"]
    placed, left = panel.layouts["model"]
    nodes = {name: item for (which, name), item in panel.nodes.items()}
    assert set(nodes) == set(relations["sample_dist"]) | set(relations["param_constraint"])
    for name, dist_name in relations["sample_dist"].items():
        expected = "deterministic" if dist_name == "Deterministic" else \
            "observed" if name in relations["observed"] else "latent"
        assert nodes[name].kind == expected, name
    for name in relations["param_constraint"]:
        assert nodes[name].kind == "param"
    edges = {(s, t) for t, sources in relations["sample_sample"].items() for s in sources} | \
            {(s, t) for t, sources in relations["sample_param"].items() for s in sources}
    assert set(placed.graph.edges) == edges
    # each plate's box holds exactly the sites in that plate (nested and overlapping plates too)
    for box in placed.plates:
        inside = {n for n, (x, y) in placed.positions.items()
                  if box.left < x < box.right and box.top < y < box.bottom}
        members = {n for n in placed.graph if box.name in placed.graph.nodes[n]["plates"]}
        assert inside == members, box.name
        assert box.size == structure["plates"][box.name]


def test_nested_plates_are_drawn_nested(qtbot):
    panel, _ = draw(qtbot, models.nested_plates)
    boxes = {b.name: b for b in panel.layouts["model"][0].plates}
    for outer, inner in (("outer", "inner"), ("inner", "data")):
        a, b = boxes[outer], boxes[inner]
        assert a.left < b.left and a.top < b.top and b.right < a.right and b.bottom < a.bottom


def test_overlapping_plates_share_only_their_common_site(qtbot):
    panel, _ = draw(qtbot, models.overlapping_plates)
    placed = panel.layouts["model"][0]
    boxes = {b.name: b for b in placed.plates}
    x, y = placed.positions["cell"]
    for box in boxes.values():
        assert box.left < x < box.right and box.top < y < box.bottom


def test_clicking_a_node_travels_to_its_site(qtbot, window):
    example = examples_dir() / "eight_schools.py"
    window.open_model(example)
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    qtbot.waitUntil(lambda: ("guide", "theta") in window.graph.nodes, timeout=5000)
    window.graph.nodes[("model", "tau")].mousePressEvent(FakeClick())
    event = window.session.events[window.session.current]
    assert event["kind"] == "msg_start" and event["name"] == "tau"
    assert window.graph.nodes[("model", "tau")].highlighted
    guide_theta = window.graph.nodes[("guide", "theta")]
    guide_theta.mousePressEvent(FakeClick())
    step = window.session.current
    model_done = window.session.find(lambda e: e["kind"] == "structure" and e["which"] == "model", 0)
    assert step > model_done and window.session.events[step]["name"] == "theta"
    assert "Normal" in window.graph.site_summary("theta")
    assert window.graph.shapes.model().rowCount() >= 4


class FakeClick:
    def button(self):
        from PySide6.QtCore import Qt

        return Qt.LeftButton

    def accept(self):
        pass


def test_export_svg_and_png(qtbot, tmp_path):
    panel, _ = draw(qtbot, models.eight_schools)
    panel.export(tmp_path / "g.svg")
    panel.export(tmp_path / "g.png")
    svg = (tmp_path / "g.svg").read_text()
    assert "<svg" in svg and "theta" in svg and "schools" in svg
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_command_line(tmp_path):
    import subprocess

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "model.svg"
    result = subprocess.run([sys.executable, str(root / "main.py"), "graph",
                             str(examples_dir() / "nested_plates.py"), "--out", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "class_effect" in text and "students" in text


def test_a_small_graph_in_a_low_panel_opens_readable_and_f_shows_it_whole(qtbot):
    """At 1280x720 the graph panel is about 250 px high: fitting all of eight schools' model and
    guide there drew nodes too small for their names. It opens readable, from the top left;
    F fits the whole graph."""
    from PySide6.QtCore import Qt

    from gui.views.panels.graph import READABLE_ZOOM, TEXT_DETAIL

    panel, _ = draw(qtbot, models.nested_plates)
    panel.resize(1200, 250)
    panel.show()
    qtbot.waitUntil(lambda: panel.view.transform().m11() > 0 and not panel._needs_fit)
    panel.fit()
    view = panel.view
    assert view.transform().m11() == pytest.approx(READABLE_ZOOM)
    assert view.verticalScrollBar().value() == view.verticalScrollBar().minimum()
    top_left = view.mapToScene(view.viewport().rect().topLeft())
    assert top_left.y() <= view.sceneRect().top() + 1
    qtbot.keyClick(view, Qt.Key_F)
    assert view.transform().m11() < READABLE_ZOOM
    whole = view.mapToScene(view.viewport().rect()).boundingRect()
    assert whole.contains(view.sceneRect())
    assert TEXT_DETAIL < READABLE_ZOOM
