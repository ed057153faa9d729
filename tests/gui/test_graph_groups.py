"""Repeated sites in the graph panel: drawn as one stack, expanded by a click, a chain's
self-loop, the plate hint and its lesson, and the export of the collapsed graph."""

import subprocess
import sys
from pathlib import Path

import torch
from pyro.distributions import Bernoulli, Beta, Normal

import minipyro
from minipyro.observe.site_groups import CHAIN_LABEL
from minipyro.structure import structure_fields

N = 300


def coin_loop(data):
    f = minipyro.sample("latent_fairness", Beta(10.0, 10.0))
    for i in range(len(data)):
        minipyro.sample(f"obs_{i}", Bernoulli(f), obs=data[i])


def coin_guide(data):
    a = minipyro.param("alpha_q", torch.tensor(15.0))
    minipyro.sample("latent_fairness", Beta(a, 1.0))


def chain(data):
    x = minipyro.sample("x_0", Normal(0.0, 1.0))
    for i in range(1, 12):
        x = minipyro.sample(f"x_{i}", Normal(x, 1.0))


def panel_for(qtbot, model, guide=None):
    from gui.models.session import Session
    from gui.views.panels.graph import GraphPanel

    data = torch.ones(N)
    structures = {"model": {"kind": "structure", "which": "model", **structure_fields(model, (data,))}}
    if guide is not None:
        structures["guide"] = {"kind": "structure", "which": "guide", **structure_fields(guide, (data,))}
    panel = GraphPanel(Session())
    qtbot.addWidget(panel)
    panel.show_structures(structures)
    return panel


def model_nodes(panel):
    return {name: item for (which, name), item in panel.nodes.items() if which == "model"}


def test_a_loop_is_drawn_as_one_stack_with_its_range(qtbot):
    panel = panel_for(qtbot, coin_loop, coin_guide)
    nodes = model_nodes(panel)
    assert len(nodes) == 2
    stack = next(item for item in nodes.values() if item.group is not None)
    assert stack.label == "obs_i ×300" and "i = 0 … 299" in stack.subtitle and stack.kind == "observed"
    placed = panel.layouts["model"][0]
    assert set(placed.graph.edges) == {("latent_fairness", stack.name)}
    assert "obs_0 … obs_299" in panel.node_summary(stack)
    # the guide's latent links to the model's, by name; nothing in the guide stands for the group
    assert panel.holder["model"]["obs_123"] == stack.name and "obs_0" not in panel.holder["guide"]


def test_a_click_shows_a_page_and_the_menu_all_of_them(qtbot):
    from gui.models.graph_groups import PAGE_SIZE

    panel = panel_for(qtbot, coin_loop)
    stack = next(item for item in model_nodes(panel).values() if item.group is not None)
    stack.activate()  # what a click does
    qtbot.waitUntil(lambda: not panel.building)
    nodes = model_nodes(panel)
    assert {f"obs_{i}" for i in range(PAGE_SIZE)} <= set(nodes) and "obs_25" not in nodes
    rest = next(item for item in nodes.values() if item.group is not None)
    assert rest.label == f"obs_i ×{N - PAGE_SIZE} more" and "obs_25 … obs_299" in panel.node_summary(rest)
    placed = panel.layouts["model"][0]
    assert ("latent_fairness", "obs_3") in placed.graph.edges and ("latent_fairness", rest.name) in placed.graph.edges
    panel.expand("model", rest.data["group_index"], N, wait=True)
    assert set(model_nodes(panel)) == {"latent_fairness", *(f"obs_{i}" for i in range(N))}
    panel.collapse("model", 0, wait=True)
    assert len(model_nodes(panel)) == 2


def test_a_chain_is_one_group_with_a_self_loop_that_says_so(qtbot):
    panel = panel_for(qtbot, chain)
    (stack,) = model_nodes(panel).values()
    placed = panel.layouts["model"][0]
    assert list(placed.graph.edges(data="label")) == [(stack.name, stack.name, CHAIN_LABEL)]
    texts = [item.toPlainText() for item in panel.scene.items() if hasattr(item, "toPlainText")]
    assert CHAIN_LABEL in texts
    assert not panel.hint.isVisibleTo(panel)  # a chain is no plate


def test_the_plate_hint_names_the_sites_and_links_to_the_lesson(qtbot):
    panel = panel_for(qtbot, coin_loop)
    assert panel.hint.isVisibleTo(panel)
    assert "300 sites obs_0 … obs_299 have the same distribution and no dependence on each other" in panel.hint.text()
    with qtbot.waitSignal(panel.sigOpenLesson) as opened:
        panel.hint.linkActivated.emit("lesson")
    assert Path(opened.args[0]).name == "loop_vs_plate.py" and Path(opened.args[0]).is_file()


def test_the_export_draws_the_collapsed_graph(qtbot, tmp_path):
    panel = panel_for(qtbot, coin_loop)
    panel.export(tmp_path / "g.svg")
    svg = (tmp_path / "g.svg").read_text()
    assert "obs_i ×300" in svg and "obs_150" not in svg and len(svg) < 100_000


def test_the_graph_command_draws_a_big_loop_collapsed(tmp_path):
    model = tmp_path / "coin2000.py"
    model.write_text('import torch\nimport pyro\nimport pyro.distributions as dist\n\nargs = (torch.ones(2000),)\n\n\n'
                     'def model(data):\n    f = pyro.sample("f", dist.Beta(1.0, 1.0))\n'
                     '    for i in range(len(data)):\n        pyro.sample(f"obs_{i}", dist.Bernoulli(f), obs=data[i])\n')
    out = tmp_path / "g.svg"
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, str(root / "main.py"), "graph", str(model), "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    svg = out.read_text()
    assert "obs_i ×2 000" in svg and "0 … 1999" in svg and out.stat().st_size < 1_000_000


def test_a_big_graph_zoomed_out_is_an_overview_that_still_answers_clicks(qtbot):
    from PySide6.QtCore import QPointF

    from gui.views.panels.graph import BIG_GRAPH

    def distinct(data):  # names without numbers: nothing groups
        x = minipyro.sample("root", Normal(0.0, 1.0))
        for i in range(BIG_GRAPH + 100):
            minipyro.sample("s" + "".join(chr(97 + int(d)) for d in str(i)), Normal(x, 1.0))

    panel = panel_for(qtbot, distinct)
    panel.resize(800, 600)
    panel.show()
    panel.view.fit()
    assert len(panel.nodes) == BIG_GRAPH + 101 and not panel.detailed
    assert all(item.isVisible() for item in panel._overview)
    assert not any(item.isVisible() for item in panel.nodes.values())  # under their hidden parent
    placed, left = panel.layouts["model"]
    x, y = placed.positions["sbc"]
    with qtbot.waitSignal(panel.sigSiteClicked) as clicked:
        panel.view.sigBackgroundClicked.emit(QPointF(left + x, y))
    assert clicked.args == ["model", "sbc"]
    panel.view.resetTransform()
    panel.view.sigZoomed.emit()
    assert panel.detailed and panel.nodes[("model", "sbc")].isVisible()
    assert not any(item.isVisible() for item in panel._overview)
