"""Every theme readable on a projector: WCAG AA contrast (4.5:1) for every text colour on every
background the app draws it on, and for the model graph's nodes as the panel paints them."""

import pytest
import torch
from pyroapi import distributions as dist
from pyroapi import pyro, pyro_backend
from torch.distributions import constraints

from gui.views.palette import TEXT_ON, THEMES, WCAG_AA_TEXT, colors, contrast_ratio, set_theme, theme_name
from minipyro.structure import structure_fields


def test_contrast_ratio_is_wcags():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # WCAG's own example of a fail
    assert contrast_ratio("#ffffff", "#ffffff") == 1.0


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_every_text_colour_on_every_background_it_is_drawn_on(theme):
    palette = THEMES[theme]
    weak = {(text, background): round(contrast_ratio(palette[text], palette[background]), 2)
            for text, backgrounds in TEXT_ON.items() for background in backgrounds
            if contrast_ratio(palette[text], palette[background]) < WCAG_AA_TEXT}
    assert not weak, f"{theme}: below {WCAG_AA_TEXT}:1: {weak}"


def every_kind_of_site(data):
    weight = pyro.param("weight", torch.tensor(1.0), constraint=constraints.positive)
    loc = pyro.sample("loc", dist.Normal(0.0, 1.0))
    pyro.deterministic("double", 2 * loc)
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc * weight, 1.0), obs=data)


@pytest.fixture
def graph(qtbot):
    from gui.models.session import Session
    from gui.views.panels.graph import GraphPanel

    with pyro_backend("minipyro_studio"):
        structure = {"kind": "structure", "which": "model", **structure_fields(every_kind_of_site, (torch.zeros(3),))}
    panel = GraphPanel(Session())
    qtbot.addWidget(panel)
    before = theme_name()
    yield panel, structure
    set_theme(before)


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_graph_nodes_readable_in_every_theme(graph, theme):
    panel, structure = graph
    set_theme(theme)
    panel.show_structures({"model": structure})
    nodes = {item.kind: item for item in panel.nodes.values()}
    assert {"observed", "latent", "param", "deterministic"} <= set(nodes)
    palette = colors()
    for kind, node in nodes.items():
        fill = node.brush().color().name()
        for role in ("text", "muted"):  # the site's name, and its distribution or constraint under it
            ratio = contrast_ratio(palette[role].name(), fill)
            assert ratio >= WCAG_AA_TEXT, f"{theme}: {role} on a {kind} node ({fill}): {ratio:.2f}:1"
    observed = nodes["observed"].brush().color().name()
    assert observed != nodes["latent"].brush().color().name()  # observed nodes still stand out
