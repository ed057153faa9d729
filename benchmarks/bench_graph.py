"""Model graph: layout and render time for models of 100 and 1 000 sites.

    python benchmarks/bench_graph.py

The models are chains with some of their sites inside two nested plates, so that the
layout has plates to keep together. Goal (DESIGN section 9): 1 000 sites laid out in <= 1 s.
"""

import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pyro.distributions import Normal  # noqa: E402

import minipyro  # noqa: E402
from minipyro.structure import structure_fields  # noqa: E402


def chain(n):
    def model():
        x = minipyro.sample("x0", Normal(0.0, 1.0))
        with minipyro.plate("outer", 3):
            for i in range(1, n // 2):
                x = minipyro.sample(f"x{i}", Normal(x, 1.0))
            with minipyro.plate("inner", 2, dim=-2):
                for i in range(n // 2, n):
                    x = minipyro.sample(f"x{i}", Normal(x, 1.0))
    return model


def main():
    from PySide6.QtWidgets import QApplication

    from gui.models.graph_layout import graph_of_structure, layout
    from gui.views.panels.graph import GraphPanel
    from gui.models.session import Session

    app = QApplication.instance() or QApplication([])
    for n in (100, 1000):
        structure = {"kind": "structure", "which": "model", **structure_fields(chain(n))}
        layouts, renders = [], []
        for _ in range(5):
            start = time.perf_counter()
            layout(graph_of_structure(structure))
            layouts.append(time.perf_counter() - start)
            panel = GraphPanel(Session())
            start = time.perf_counter()
            panel.show_structures({"model": structure})
            panel.view.viewport().grab()  # draw it once
            renders.append(time.perf_counter() - start)
        lay, ren = statistics.median(layouts), statistics.median(renders)
        goal = f"   goal <= 1 s: {'met' if lay <= 1 else 'NOT met'}" if n == 1000 else ""
        print(f"{n:5d} sites: layout {lay * 1e3:7.1f} ms, layout + scene + first draw {ren * 1e3:7.1f} ms{goal}")
    del app


if __name__ == "__main__":
    main()
