"""The SVI monitor as a person uses it: run, watch, pause, resume, capture, compare, export, follow."""

import csv
import json
import time
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
    assert run.decrease_percent() > 20
    model = window.svi.param_table.model()
    table = {model.index(r, 0).data(): model.index(r, 3).data() for r in range(model.rowCount())}
    q_loc = float(table["q_loc"].split()[0].rstrip("∇").strip())
    sys.path.insert(0, str(SEED.parent))
    import normal_normal  # the exact posterior, computed here for the check only

    mean, _ = normal_normal.exact_posterior(*normal_normal.args)
    assert abs(q_loc - mean) < 0.1
    assert "steps/s" in window.svi.status.text() and "below the start" in window.svi.status.text()


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
    assert rows[0][:5] == ["step", "wall_time", "relative_time", "loss", "loss_smoothed"] and "q_loc" in rows[0]
    assert len(rows) == 101
    assert [float(r[3]) for r in rows[1:]] == pytest.approx(list(first.losses.values))
    smoothed = first.smoothed_losses(window.svi.smoothing_weight())
    assert [float(r[4]) for r in rows[1:]] == pytest.approx(list(smoothed))
    window.svi.export_json(tmp_path / "run.json", second)
    document = json.loads((tmp_path / "run.json").read_text())
    assert document["run"] == second.label and document["settings"]["lr"] == pytest.approx(0.01)
    assert document["columns"]["loss"] == pytest.approx(list(second.losses.values))
    assert len(document["columns"]["loss_smoothed"]) == 150
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
    qtbot.waitUntil(lambda: "going on" in window.console.toPlainText())  # drawn at the next frame


def write_lines(path, events, header=True, mode="a"):
    from minipyro.observe.recording import header as recording_header

    with open(path, mode, encoding="utf-8") as f:
        if header:
            f.write(json.dumps(recording_header("sites")) + "\n")
        for event in events:
            f.write(json.dumps(event) + "\n")


def training_events(first_seq, steps, lr=None, start=True, end=False):
    events = []
    if start:
        events.append({"seq": 0, "kind": "run_start", "t": 0.0, "file": "train.py", "entry": "svi", "seed": 1,
                       "status": "running", "svi": {"steps": 100, "lr": lr, "optimizer": "Adam",
                                                    "elbo": "Trace_ELBO"}})
    for step in steps:
        events.append({"seq": len(events) + first_seq, "kind": "svi_step", "t": 0.01 * step, "step": step,
                       "loss": 100.0 / step, "params": {"w": {"shape": [2], "preview": [step, -step]}},
                       "grad_norms": {"w": 1.0}})
    if end:
        events.append({"seq": len(events) + first_seq, "kind": "run_end", "t": 1.0, "file": "train.py",
                       "entry": "svi", "seed": 1, "status": "ok"})
    return events


def test_a_folder_of_runs_shows_each_recording_and_follows_the_growing_one(qtbot, window, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    for name, lr in (("adam_lr0.1", 0.1), ("adam_lr0.01", 0.01)):
        write_lines(runs / f"{name}.mpr.jsonl", training_events(0, range(1, 21), lr=lr, end=True))
    growing = runs / "still_training.mpr.jsonl"
    write_lines(growing, training_events(0, range(1, 6), lr=0.05))
    (runs / "notes.txt").write_text("not a recording")
    window.open_folder(runs)
    qtbot.waitUntil(lambda: window.svi.run_list.count() == 3, timeout=5000)
    names = [window.svi.run_list.item(i).text() for i in range(3)]
    assert [n.split(": ")[1].split(" (")[0] for n in names] == ["adam_lr0.01", "adam_lr0.1", "still_training"]
    assert "lr 0.01" in names[0] and "lr 0.1," in names[1]  # labelled with what each run ran with
    assert [n.endswith("● live") for n in names] == [False, False, True]
    live = window.svi.runs[2]
    assert len(live) == 5 and [len(r) for r in window.svi.runs[:2]] == [20, 20]
    write_lines(growing, training_events(6, range(6, 11), start=False), header=False)
    qtbot.waitUntil(lambda: len(live) == 10, timeout=5000)  # followed as it grows
    assert list(live.steps.values) == list(range(1, 11))
    write_lines(runs / "late.mpr.jsonl", training_events(0, range(1, 4), lr=0.2, end=True))
    qtbot.waitUntil(lambda: window.svi.run_list.count() == 4, timeout=5000)  # a new file: a new run
    write_lines(growing, training_events(11, [], start=False, end=True), header=False)
    qtbot.waitUntil(lambda: not live.live, timeout=5000)
    qtbot.waitUntil(lambda: not window.svi.run_list.item(2).text().endswith("● live"), timeout=5000)


def test_every_element_can_be_picked_and_the_readout_says_run_step_value_smoothed_and_time(qtbot, window):
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    window.open_model(examples_dir() / "gaussian_mixture.py")
    window.svi.seed.setValue(3)
    run = run_svi(qtbot, window, 30)
    assert run.seed == 3 and run.label.endswith("seed 3)")  # the panel's seed reached the runner
    assert window.session.events[0]["seed"] == 3
    picker = window.svi.element_list
    names = [picker.item(i).text() for i in range(picker.count())]
    assert {f"assignment_probs[{i},{j}]" for i in range(20) for j in range(2)} <= set(names)
    assert len(window.svi.plotted_elements()) == 8  # a few by default, of every parameter
    assert {key.split("[")[0] for key in window.svi.plotted_elements()} == {"assignment_probs", "locs", "weights"}
    item = picker.item(names.index("assignment_probs[3,1]"))
    item.setCheckState(item.checkState().__class__.Checked)  # ticked in the Params tab
    window.svi.redraw()
    curve = window.svi._param_curves[(0, "assignment_probs[3,1]")]
    assert list(curve.getData()[1]) == pytest.approx(list(run.params["assignment_probs[3,1]"].values))
    legend = window.svi.param_legend
    assert any(legend.item(i).toolTip().endswith("assignment_probs[3,1]") for i in range(legend.count()))

    window.docks["SVI monitor"].raise_()
    view = window.svi.loss_view
    qtbot.waitUntil(lambda: view.isVisible() and view.height() > 50, timeout=5000)
    box = window.svi.loss_plot.vb
    at = box.sceneBoundingRect().center()
    view.scene().sigMouseMoved.emit(at)
    qtbot.waitUntil(lambda: window.svi.readout.isVisible(), timeout=5000)
    step = window.svi.crosshair.value()
    assert step == int(step) and abs(step - box.mapSceneToView(at).x()) <= 0.5  # on the nearest step
    readout = window.svi.readout.textItem.toPlainText()
    i = list(run.steps.values).index(step)
    smoothed = run.smoothed_losses(window.svi.smoothing_weight())[i]
    assert "run 1" in readout and str(int(step)) in readout.split() and "smoothed" in readout
    assert f"{smoothed:.4g}" in readout and f"{run.losses.values[i]:.4g}" in readout
    relative = run.times.values[i] - run.times.values[0]
    wall = time.strftime("%H:%M:%S", time.localtime(run.started_at + run.times.values[i]))
    assert f"{relative:.3g} s" in readout and wall in readout
    QApplication.sendEvent(view.viewport(), QEvent(QEvent.Leave))
    assert not window.svi.readout.isVisible()
    assert window.svi.smoothing_value.text() == f"{window.svi.smoothing_weight():.2f}"


def test_log_axis_labels_powers_of_ten_only():
    from gui.views.panels.svi_plots import ReadableLogAxis

    axis = ReadableLogAxis("left")
    axis.setLogMode(False, True)
    (major, labelled), (minor, marks) = axis.tickValues(0.0, 4.0, 300)
    assert labelled == [0, 1, 2, 3, 4] and len(marks) == 4 * 8
    assert axis.tickStrings(labelled, 1, 1.0) == ["1", "10", "100", "1e+03", "1e+04"]
    assert set(axis.tickStrings(marks, 1, 0.1)) == {""}  # minor ticks: marks without labels
    (_, narrow), _ = axis.tickValues(1.2, 1.9, 300)  # less than a decade: 1-2-5 steps
    assert [round(10 ** v) for v in narrow] == [20, 50]


def test_the_plots_are_redrawn_one_per_tick_and_all_catch_up(qtbot, window):
    """Live data is drawn a plot at a time (the three in one frame would hold the event loop
    three times as long), and every plot shows the newest step within a few ticks."""
    from gui.models.svi_runs import SviRun

    run = SviRun("run 1")
    for step in range(1, 51):
        run.add({"step": step, "t": step * 0.01, "loss": 10.0 / step, "params": {"q": 0.1 * step},
                 "grad_norms": {"q": 1.0 / step}})
    window.svi_runs.runs = [run]
    window.docks["SVI monitor"].raise_()
    qtbot.waitUntil(window.svi.isVisible)
    panel = window.svi

    def points():
        loss = panel._curves[0]["raw"].getData()[0]
        params = next(iter(panel._param_curves.values())).getData()[0]
        grads = next(iter(panel._grad_curves.values())).getData()[0]
        return [0 if x is None else len(x) for x in (loss, params, grads)]

    panel._timer.stop()  # ticks by hand
    panel._mark_dirty()
    drawn = []
    for _ in range(4):
        panel._redraw_if_dirty()
        drawn.append(points())
    assert drawn[0].count(50) == 1  # one plot at the first tick
    assert drawn[-1] == [50, 50, 50]  # all of them within a round
    run.add({"step": 51, "t": 0.51, "loss": 0.2, "params": {"q": 5.1}, "grad_norms": {"q": 0.02}})
    panel._mark_dirty()
    panel._redraw_if_dirty()
    assert sorted(points()) == [50, 50, 51]
