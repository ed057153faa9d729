"""A million-event recording: ``minipyro.load_recording`` and the app opening it (time, memory),
and jumping to any step.

    python benchmarks/bench_timeline.py [--events 1000000] [--jumps 200]

Generates (once, in the system's temporary folder) a recording of about N events made by the
recorder at "steps" detail. Each measure runs in a fresh process, so its peak memory (the
process's peak resident set) is its own: ``load_recording`` (the API), and the app's window
opening the file offscreen (time from the click to the window drawn; memory the opening added).
Goals (DESIGN section 9, issue 16): each <= 5 s and <= 600 MB; a jump <= 50 ms.
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from goals import report

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


def rss_mib() -> float:
    """The resident set now (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure_api(path: Path) -> dict:
    import minipyro

    start = time.perf_counter()
    recording = minipyro.load_recording(path)
    seconds = time.perf_counter() - start
    assert recording[len(recording) - 1].seq == len(recording) - 1
    return {"seconds": seconds, "peak_mib": peak_rss_mib(), "events": len(recording)}


def measure_app(path: Path, jumps: int) -> dict:
    """The window opening the file offscreen, then the slider moved to random steps."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui.views.mainwindow import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        window = MainWindow(QSettings(str(Path(folder) / "bench.ini"), QSettings.IniFormat))
        window.show()
        app.processEvents()
        before = rss_mib()
        start = time.perf_counter()
        assert window.open_recording(path)
        app.processEvents()
        seconds = time.perf_counter() - start
        added = peak_rss_mib() - before
        times, rng = [], random.Random(1)
        for _ in range(jumps):
            step = rng.randrange(len(window.session))
            start = time.perf_counter()
            window.timeline.slider.setValue(step)
            app.processEvents()
            times.append(time.perf_counter() - start)
        window.close()
    return {"seconds": seconds, "added_mib": added, "peak_mib": peak_rss_mib(), "events": len(window.session),
            "jump_median": statistics.median(times), "jump_max": max(times)}


def in_child(what: str, path: Path, jumps: int) -> dict:
    """``measure_<what>`` in a fresh process (its own peak memory)."""
    result = subprocess.run([sys.executable, __file__, "--child", what, "--path", str(path), "--jumps", str(jumps)],
                            capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--jumps", type=int, default=200)
    parser.add_argument("--child", choices=("api", "app"), help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        measure = measure_api(Path(options.path)) if options.child == "api" else \
            measure_app(Path(options.path), options.jumps)
        print(json.dumps(measure))
        return
    path = Path(tempfile.gettempdir()) / f"minipyro-bench-{options.events}.mpr.jsonl"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        generate(path, options.events)
    size = f"{path.stat().st_size / 2**20:.0f} MiB on disk"
    api = in_child("api", path, options.jumps)
    print(f"load_recording: {api['events']:,} events ({size}) in {api['seconds']:.2f} s, "
          f"peak {api['peak_mib']:.0f} MiB (the whole process)")
    report(f"load_recording of {api['events']:,} events: time", api["seconds"], "s", 5)
    report(f"load_recording of {api['events']:,} events: peak memory", api["peak_mib"], "MiB", 600)
    app = in_child("app", path, options.jumps)
    print(f"the app: opened in {app['seconds']:.2f} s, adding {app['added_mib']:.0f} MiB "
          f"(peak {app['peak_mib']:.0f} MiB with Qt); a jump by the slider redraws every panel in median "
          f"{app['jump_median'] * 1e3:.1f} ms, max {app['jump_max'] * 1e3:.1f} ms over {options.jumps}")
    report(f"app opening {app['events']:,} events: time", app["seconds"], "s", 5)
    report(f"app opening {app['events']:,} events: memory added", app["added_mib"], "MiB", 600)
    report("app: jump to a random step, slowest", app["jump_max"] * 1e3, "ms", 50)


if __name__ == "__main__":
    main()
