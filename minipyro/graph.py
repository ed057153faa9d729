"""A model's graph from its relations: plain data in, a ``networkx.DiGraph`` out.

Torch-free, so the app builds the graph from ``structure`` events without the core.
"""

from __future__ import annotations


def graph_from_relations(relations: dict, plates: dict, plates_of: dict | None = None):
    """A ``networkx.DiGraph``: a node per sample site and param, an edge per dependency.

    Node attributes: ``type`` ("sample", "deterministic" or "param"),
    ``observed``, ``dist`` (or the param's ``constraint``) and ``plates`` (the
    names of the plates around the site, outermost first: ``plates_of``, or
    else read from the relations). ``graph.graph["plates"]`` maps each plate to its size.
    """
    import networkx as nx

    graph = nx.DiGraph(plates=dict(plates))
    if plates_of is None:
        plates_of = {}
        for plate, sites in relations["plate_sample"].items():
            for site in sites:
                plates_of.setdefault(site, []).append(plate)
    observed = set(relations["observed"])
    for name, dist in relations["sample_dist"].items():
        graph.add_node(name, type="deterministic" if dist == "Deterministic" else "sample",
                       observed=name in observed, dist=dist, plates=plates_of.get(name, []))
    for name, constraint in relations["param_constraint"].items():
        graph.add_node(name, type="param", observed=False, dist=None, constraint=constraint, plates=[])
    graph.add_edges_from((source, target) for kind in ("sample_sample", "sample_param")
                         for target, sources in relations[kind].items() for source in sources)
    return graph
