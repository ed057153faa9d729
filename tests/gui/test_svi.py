"""The SVI monitor as a person uses it: run, watch, pause, resume, capture, compare, export, follow."""

import csv
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from resources import examples_dir

ROOT = Path(__file__).resolve().parents[2]
SEED = examples_dir() / "normal_normal.py"


def run_svi(qtbot, window, steps, lr=None):
    window.svi.steps.setValue(steps)
    if lr is not None:
        window.svi.lr.setValue(lr)
    window.svi.run_button.click()
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=120000)
    qtbot.waitUntil(lambda: window.svi.current is not None and len(window.svi.current) == steps, timeout=5000)
    window.svi.redraw()
    return window.svi.current


def test_svi_from_the_panel_learns_the_posterior(qtbot, window):
    window.open_model(SEED)
    assert window.svi.lr.value() == pytest.approx(0.05)  # read from the file's svi dict, not executed
    run = run_svi(qtbot, window, 1000)
    assert list(run.steps.values[:3]) == [1, 2, 3] and len(run) == 1000
    assert run.decrease_percent(0.6) > 20
    model = window.svi.param_table.model()
    table = {model.index(r, 0).data(): model.index(r, 3).data() for r in range(model.rowCount())}
    q_loc = float(table["q_loc"].split()[0].rstrip("∇").strip())
    sys.path.insert(0, str(SEED.parent))
    import normal_normal  # the exact posterior, computed here for the check only

    mean, _ = normal_normal.exact_posterior(*normal_normal.args)
    assert abs(q_loc - mean) < 0.1
    assert "steps/s" in window.svi.status.text() and "below the first step" in window.svi.status.text()


def test_the_loss_curve_grows_pause_resume_stop(qtbot, window):
    window.open_model(SEED)
    window.svi.steps.setValue(1_000_000)
    window.svi.run_button.click()
    qtbot.waitUntil(lambda: window.svi.current is not None and len(window.svi.current) > 200, timeout=60000)
    grown = len(window.svi.current)
    qtbot.waitUntil(lambda: len(window.svi.current) > grown, timeout=10000)  # it grows while running
    window.svi.pause_button.click()
    qtbot.waitUntil(lambda: window.bridge.state == "paused", timeout=10000)
    assert window.svi.pause_button.text() == "Resume" and window.step_label.text().endswith("— paused by you")
    paused_at = len(window.svi.current)
    assert window.session.events[window.session.current]["step"] == window.svi.current.steps.values[-1]
    # A reply from the paused runner: all it sent before has arrived, and the curve has not grown.
    window.debug.set_breakpoints([{"condition": "__import__('os')"}])
    qtbot.waitUntil(lambda: "refused set_breakpoints" in window.statusBar().currentMessage(), timeout=10000)
    assert len(window.svi.current) == paused_at
    window.svi.pause_button.click()
    qtbot.waitUntil(lambda: len(window.svi.current) > paused_at + 50, timeout=30000)
    window.svi.stop_button.click()
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=10000)
    assert window.session.events[len(window.session) - 1]["status"] == "stopped"


def test_capture_shows_the_messages_of_a_late_step(qtbot, window):
    window.open_model(SEED)
    window.svi.steps.setValue(1_000_000)
    window.svi.run_button.click()
    qtbot.waitUntil(lambda: window.svi.current is not None and len(window.svi.current) > 300, timeout=60000)
    window.svi.capture_button.click()
    qtbot.waitUntil(lambda: window.session.events[window.session.current]["kind"] == "msg_start"
                    and window.session.current < len(window.session) - 1, timeout=30000)
    step = window.session.current
    assert window.stack.state.message.phase == "start" and window.inspector.rows()["name"]
    window.svi.stop_button.click()
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=10000)
    assert window.session.current == step  # stopping does not take the captured step away
    events = window.session.events
    note = window.session.find(lambda e: e["kind"] == "output" and e["stream"] == "runner", 0)
    captured = int(events[note]["text"].split()[-1])
    assert captured > 300 and step > note
    window.travel(step + 1)
    assert window.stack.state.message is not None and events[step + 1]["kind"] == "process"


def test_two_runs_side_by_side_exported_as_csv_and_png(qtbot, window, tmp_path):
    window.open_model(SEED)
    first = run_svi(qtbot, window, 100, lr=0.05)
    second = run_svi(qtbot, window, 150, lr=0.01)
    assert window.svi.runs == [first, second] and window.svi.run_list.count() == 2
    assert "lr 0.01" in second.label
    window.svi.run_list.item(0).setCheckState(window.svi.run_list.item(0).checkState().__class__.Unchecked)
    assert not first.visible
    path = tmp_path / "run.csv"
    window.svi.export_csv(path, first)
    with open(path) as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["step", "wall_time", "loss"] and "q_loc" in rows[0]
    assert len(rows) == 101
    assert [float(r[2]) for r in rows[1:]] == pytest.approx(list(first.losses.values))
    png = tmp_path / "plots.png"
    window.svi.export_png(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_follows_a_recording_written_by_another_process(qtbot, window, tmp_path):
    path = tmp_path / "training.mpr.jsonl"
    go_on = tmp_path / "go_on"
    script = textwrap.dedent(f"""
        import pathlib, sys, time
        sys.path.insert(0, {str(SEED.parent)!r})
        import minipyro, normal_normal as m
        svi = minipyro.SVI(m.model, m.guide, minipyro.Adam({{"lr": 0.05}}), minipyro.Trace_ELBO())
        with minipyro.record(path={str(path)!r}, detail="sites") as rec:
            for step in range(400):
                svi.step(*m.args)
                while step == 199 and not pathlib.Path({str(go_on)!r}).exists():
                    time.sleep(0.01)  # half way: wait until the app has seen the first half
            rec.emit("run_end", file="training", entry="svi", seed=0, status="ok")
    """)
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        qtbot.waitUntil(lambda: path.exists() and path.stat().st_size > 0, timeout=60000)
        assert window.open_recording(path)
        qtbot.waitUntil(lambda: window.svi.current is not None and len(window.svi.current) == 200, timeout=60000)
        assert window.step_label.text().endswith("— following the file")
        go_on.touch()
        qtbot.waitUntil(lambda: len(window.svi.current) == 400, timeout=60000)
        qtbot.waitUntil(lambda: not window._follow_timer.isActive(), timeout=10000)  # the run ended
        assert not window.step_label.text().endswith("— following the file")
    finally:
        go_on.touch()
        child.wait(60)


def test_a_nonfinite_loss_is_marked_and_optionally_tolerated(qtbot, window):
    window.open_model(ROOT / "tests" / "runner" / "models" / "nan_loss.py")
    window.svi.stop_on_nonfinite.setChecked(False)
    run = run_svi(qtbot, window, 50)
    assert run.nonfinite_steps and window.session.events[len(window.session) - 1]["status"] == "ok"
    assert "going on" in window.console.toPlainText()
