"""Opening a large recording in the app's session model: time, memory, and jumps.

    python benchmarks/bench_timeline.py [--events 1000000] [--jumps 200]

Generates (once, in the system's temporary folder) a recording of about N events
made by the recorder at "steps" detail, then measures in this process: the time
to read and index it (what File > Open recording does, without drawing), the
memory it adds, and the time to jump to random steps (the state every panel shows).
Goals (DESIGN section 9): <= 10 s, <= 1 GiB, <= 50 ms per jump.
"""

import argparse
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

CHAIN = 50


def generate(path: Path, events: int) -> None:
    import torch
    from pyro.distributions import Normal

    import minipyro

    def model():
        x = torch.tensor(0.0)
        with minipyro.plate("batch", 4):
            for i in range(CHAIN):
                x = minipyro.sample(f"z{i}", Normal(x, 1.0))

    with minipyro.record(path=path, detail="steps") as recording:
        while recording._recorder.seq < events:
            minipyro.trace(model).get_trace()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--jumps", type=int, default=200)
    options = parser.parse_args()
    path = Path(tempfile.gettempdir()) / f"minipyro-bench-{options.events}.mpr.jsonl"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        generate(path, options.events)

    from gui.models.session import Session

    before = peak_rss_mib()
    start = time.perf_counter()
    session = Session()
    session.load_recording(path)
    opened = time.perf_counter() - start
    memory = peak_rss_mib() - before
    print(f"opened {len(session):,} events ({path.stat().st_size / 2**20:.0f} MiB on disk) in {opened:.1f} s "
          f"(goal <= 10 s: {'met' if opened <= 10 else 'NOT met'})")
    print(f"memory added: {memory:.0f} MiB peak (goal <= 1024 MiB: {'met' if memory <= 1024 else 'NOT met'})")
    rng = random.Random(0)
    times = []
    for _ in range(options.jumps):
        step = rng.randrange(len(session))
        start = time.perf_counter()
        session.set_current(step)
        state = session.state_at(step)
        times.append(time.perf_counter() - start)
        assert state.step == step
    print(f"jump to a random step: median {statistics.median(times) * 1e3:.1f} ms, "
          f"max {max(times) * 1e3:.1f} ms over {len(times)} jumps "
          f"(goal <= 50 ms: {'met' if max(times) <= 0.05 else 'NOT met'})")


    window_open(path)


def window_open(path: Path) -> None:
    """The same file opened by the app's window (offscreen): panels, table and slider included."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui.views.mainwindow import MainWindow

    app = QApplication.instance() or QApplication([])
    settings = QSettings(str(Path(tempfile.gettempdir()) / "minipyro-bench.ini"), QSettings.IniFormat)
    window = MainWindow(settings)
    window.show()
    start = time.perf_counter()
    assert window.open_recording(path)
    app.processEvents()
    opened = time.perf_counter() - start
    times = []
    rng = random.Random(1)
    for _ in range(50):
        step = rng.randrange(len(window.session))
        start = time.perf_counter()
        window.timeline.slider.setValue(step)
        app.processEvents()
        times.append(time.perf_counter() - start)
    print(f"in the app window: opened in {opened:.1f} s; moving the slider to a random step redraws every "
          f"panel in median {statistics.median(times) * 1e3:.1f} ms, max {max(times) * 1e3:.1f} ms")
    window.close()


if __name__ == "__main__":
    main()
