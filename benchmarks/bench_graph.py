"""Model graph: layout and drawing time, from 100 to 10 000 sites, and ``main.py graph`` at scale.

    python benchmarks/bench_graph.py [--rounds 3] [--skip-command]

- layout of chains of 100 and 1 000 sites (some inside two nested plates). Goal (DESIGN
  section 9): 1 000 sites laid out in <= 1 s.
- the app's graph panel drawing 10 000 sites, as a loop of repeated sites (drawn as one
  group) and as 10 000 distinct sites: from the structure arriving to the first paint, and the
  longest stall of the GUI loop meanwhile (a 1 ms timer's largest gap). Goals (issue 19):
  distinct sites drawn in <= 1 s, no stall over 50 ms.
- ``python main.py graph FILE --out x.svg`` on a 10 000-site loop model against the same command
  on a 3-site model, rounds interleaved. Goals: <= 1.5x the time, SVG < 1 MB.
"""

import argparse
import os
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pyro.distributions import Bernoulli, Beta, Normal  # noqa: E402

import minipyro  # noqa: E402
from goals import report  # noqa: E402
from minipyro.structure import structure_fields  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


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


def distinct_name(i: int) -> str:
    """A name with no number in it, so that no two sites group: 'sab', 'sac', ..."""
    letters = ""
    while True:
        i, digit = divmod(i, 26)
        letters = string.ascii_lowercase[digit] + letters
        if i == 0:
            return "s" + letters


def distinct(n):
    """A tree of n sites: each depends on the site at a tenth of its position."""
    def model():
        values = [minipyro.sample(distinct_name(0), Normal(0.0, 1.0))]
        for i in range(1, n):
            values.append(minipyro.sample(distinct_name(i), Normal(values[i // 10], 1.0)))
    return model


def coin_loop(n):
    import torch

    data = torch.ones(n)

    def model():
        f = minipyro.sample("latent_fairness", Beta(10.0, 10.0))
        for i in range(n):
            minipyro.sample(f"obs_{i}", Bernoulli(f), obs=data[i])
    return model


def layout_times(rounds):
    from gui.models.graph_layout import graph_of_structure, layout

    for n in (100, 1000):
        structure = {"kind": "structure", "which": "model", **structure_fields(chain(n))}
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            layout(graph_of_structure(structure))
            times.append(time.perf_counter() - start)
        print(f"{n:6d}-site chain: layout {statistics.median(times) * 1e3:7.1f} ms")
        if n == 1000:
            report("1 000-site graph laid out", statistics.median(times), "s", 1.0)


def draw_once(app, structure):
    """(seconds from the structure to every node and edge painted, seconds until every node is
    clickable, longest GUI stall in seconds over both, nodes)."""
    from PySide6.QtCore import QEvent, QEventLoop, QTimer

    from gui.models.session import Session
    from gui.views.panels.graph import GraphPanel

    panel = GraphPanel(Session())
    panel.resize(1200, 800)
    panel.show()
    app.processEvents()
    ticks = []
    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    drawn, built = QEventLoop(), QEventLoop()
    panel.sigDrawn.connect(drawn.quit)
    panel.sigBuilt.connect(built.quit)
    timer.start()
    start = time.perf_counter()
    ticks.append(start)
    panel.show_structures({"model": structure}, wait=False)
    if panel.building and not panel.nodes:
        drawn.exec()
    panel.view.viewport().repaint()  # the first paint, on the GUI thread like any other
    painted = time.perf_counter()
    ticks.append(painted)
    if panel.building:
        built.exec()
    ready = time.perf_counter()
    ticks.append(ready)
    app.processEvents()
    timer.stop()
    stall = max(b - a for a, b in zip(ticks, ticks[1:]))
    nodes = len(panel.nodes)
    panel.close()
    panel.deleteLater()
    app.sendPostedEvents(None, QEvent.DeferredDelete)  # not in the next round's measurement
    return painted - start, ready - start, stall, nodes


def panel_times(rounds):
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    for label, model in (("loop of 10 000 sites (grouped)", coin_loop(10_000)),
                         ("10 000 distinct sites", distinct(10_000))):
        structure = {"kind": "structure", "which": "model", **structure_fields(model)}
        results = [draw_once(app, structure) for _ in range(rounds)]
        painted = statistics.median(r[0] for r in results)
        ready = statistics.median(r[1] for r in results)
        stall = statistics.median(r[2] for r in results)
        print(f"{label}: {results[0][3]} nodes painted in {painted * 1e3:.0f} ms, all clickable in "
              f"{ready * 1e3:.0f} ms, longest GUI stall {stall * 1e3:.1f} ms (medians of {rounds})")
        if label.startswith("10 000 distinct"):
            report("10 000 distinct sites drawn", painted, "s", 1.0)
            report("GUI stall while drawing 10 000 distinct sites", stall * 1e3, "ms", 50)
        else:
            report("GUI stall while drawing a 10 000-site loop", stall * 1e3, "ms", 50)


LOOP_FILE = '''"""A coin observed {n} times, one site per flip (the SVI tutorial's loop)."""
import torch
import pyro
import pyro.distributions as dist
from torch.distributions import constraints

data = torch.cat([torch.ones({n} - {n} // 3), torch.zeros({n} // 3)])
args = (data,)


def model(data):
    f = pyro.sample("latent_fairness", dist.Beta(10.0, 10.0))
    for i in range(len(data)):
        pyro.sample(f"obs_{{i}}", dist.Bernoulli(f), obs=data[i])


def guide(data):
    a = pyro.param("alpha_q", torch.tensor(15.0), constraint=constraints.positive)
    b = pyro.param("beta_q", torch.tensor(15.0), constraint=constraints.positive)
    pyro.sample("latent_fairness", dist.Beta(a, b))
'''


def command_times(rounds):
    folder = Path(tempfile.mkdtemp(prefix="bench-graph-"))
    files = {n: folder / f"coin{n}.py" for n in (3, 10_000)}
    for n, path in files.items():
        path.write_text(LOOP_FILE.format(n=n))
    times = {n: [] for n in files}
    for _ in range(rounds):
        for n, path in files.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "main.py"), "graph", str(path), "--out", str(path) + ".svg"],
                           check=True, capture_output=True, cwd=ROOT)
            times[n].append(time.perf_counter() - start)
    small, big = statistics.median(times[3]), statistics.median(times[10_000])
    size = (folder / "coin10000.py.svg").stat().st_size
    print(f"main.py graph: 3 sites {small:.2f} s, 10 000 sites {big:.2f} s (median of {rounds}); "
          f"SVG {size / 1e3:.0f} kB")
    report("main.py graph, 10 000-site loop / 3-site model", big / small, "x", 1.5)
    report("SVG of the 10 000-site loop", size / 1e6, "MB", 1.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-command", action="store_true", help="leave out main.py graph (slowest part)")
    options = parser.parse_args()
    layout_times(options.rounds)
    panel_times(options.rounds)
    if not options.skip_command:
        command_times(options.rounds)


if __name__ == "__main__":
    main()
