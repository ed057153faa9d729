"""The SVI monitor under load: GUI responsiveness while SVI streams at full speed, the repaint
rate of a 100 000-point loss curve, and the runner's throughput next to headless.

    python benchmarks/bench_monitor.py [--seconds 8]

Goals (DESIGN section 9): event loop p99 latency <= 50 ms; >= 30 repaints a second with a
100 000-point curve; the runner at >= 0.9x its headless throughput. Qt runs offscreen.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_runner import SEED_MODEL  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    options = parser.parse_args()

    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from gui.views.mainwindow import MainWindow
    from gui.models.svi_runs import SviRun

    app = QApplication.instance() or QApplication([])
    settings = QSettings(str(Path(tempfile.gettempdir()) / "minipyro-bench-monitor.ini"), QSettings.IniFormat)
    settings.clear()
    window = MainWindow(settings)
    window.resize(1600, 1000)
    window.show()
    window.open_model(SEED_MODEL)
    window.docks["SVI monitor"].raise_()

    # 1. While SVI streams: how late does a 10 ms timer fire?
    window.bridge.controller.start()
    window.svi.steps.setValue(10_000_000)
    window.svi.run_button.click()
    while window.svi.current is None or len(window.svi.current) < 200:
        app.processEvents()
    delays, clock = [], QElapsedTimer()
    clock.start()
    expected = [clock.elapsed() + 10]

    def tick():
        now = clock.elapsed()
        delays.append(max(0, now - expected[0]))
        expected[0] = now + 10

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    first_step = len(window.svi.current)
    start = time.perf_counter()
    while time.perf_counter() - start < options.seconds:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    run = window.svi.current
    events = [e for e in (window.session.events[k] for k in range(len(window.session.events)))
              if e["kind"] == "svi_step" and e["step"] > first_step]
    child_speed = (events[-1]["step"] - events[0]["step"]) / (events[-1]["t"] - events[0]["t"])
    window.svi.stop_button.click()
    while window.bridge.state != "finished":
        app.processEvents()
    p99 = statistics.quantiles(delays, n=100)[98]
    print(f"GUI event loop while SVI streams ({len(run):,} steps shown): timer lateness p50 "
          f"{statistics.median(delays):.0f} ms, p99 {p99:.0f} ms (goal <= 50 ms: {'met' if p99 <= 50 else 'NOT met'})")

    # 2. Runner throughput next to headless (in a fresh process of its own, as a script would run).
    import subprocess

    headless = float(subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from bench_runner import "
         "headless_steps_per_second as h; h(500); print(h(3000))", str(ROOT / "benchmarks")],
        capture_output=True, text=True, cwd=ROOT, check=True).stdout.split()[-1])
    ratio = child_speed / headless
    print(f"runner with the app watching: {child_speed:,.0f} steps/s; headless in-process: {headless:,.0f} steps/s; "
          f"ratio {ratio:.2f}x (goal >= 0.9x: {'met' if ratio >= 0.9 else 'NOT met'})")

    # 3. Repaints of a 100 000-point curve.
    big = SviRun("100 000 steps")
    for step in range(1, 100_001):
        big.add({"step": step, "t": step * 1e-3, "loss": 100.0 / step ** 0.3 + (step % 7) * 0.01,
                 "params": {"q": 0.001 * step}, "grad_norms": {"q": 1.0 / step}})
    window.svi_runs.runs, window.svi_runs.current = [big], big
    window.svi.redraw()
    frames, start = 0, time.perf_counter()
    while time.perf_counter() - start < 3.0:
        window.svi.redraw()
        window.svi.plots.grab()
        frames += 1
    rate = frames / (time.perf_counter() - start)
    print(f"redraw + repaint with a 100 000-point curve: {rate:.0f} per second (goal >= 30: "
          f"{'met' if rate >= 30 else 'NOT met'})")
    window.close()


if __name__ == "__main__":
    main()
