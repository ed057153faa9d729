"""The Problems panel and the first-non-finite pause, as a person uses them."""

from pathlib import Path

import pytest

from PySide6.QtCore import Qt

from minipyro.runner.breakpoints import makes_non_finite

MODELS = Path(__file__).parent / "models"
CHECK_MODELS = Path(__file__).resolve().parents[1] / "runner" / "models" / "problems"


def run_until_paused_or_finished(qtbot, window, path):
    window.open_model(path)
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state in ("paused", "finished") and window.session.current >= 0
                    and window.session.current == window.session.last, timeout=30000)


def test_the_debugger_pauses_at_the_step_that_made_the_first_nan(qtbot, window):
    run_until_paused_or_finished(qtbot, window, MODELS / "sampled_nan.py")
    assert window.bridge.state == "paused"
    assert "first non-finite value" in window.step_label.text()
    events = [window.session.events[k] for k in range(len(window.session))]
    first = next(k for k, event in enumerate(events) if makes_non_finite(event))
    paused = events[window.session.current]
    assert window.session.current == first == len(events) - 1
    # The draw: the default behaviour sampled the NaN at site 'x'.
    assert paused["kind"] == "default" and window.inspector.view()["message"] == "x"
    window.stop()
    qtbot.waitUntil(lambda: window.bridge.state in ("finished", "dead", "idle"), timeout=10000)


def test_the_pause_is_a_setting(qtbot, window):
    window.actions_by_name["pause_on_nonfinite"].trigger()  # off
    assert window.settings.value("debugger/pause_on_nonfinite", type=bool) is False
    run_until_paused_or_finished(qtbot, window, MODELS / "sampled_nan.py")
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    window.actions_by_name["pause_on_nonfinite"].trigger()  # on again, for the other tests' settings
    assert window.debug.breakpoints.pause_on_nonfinite


def test_a_problem_row_travels_to_its_step_and_site(qtbot, window):
    window.set_pause_on_nonfinite(False)
    run_until_paused_or_finished(qtbot, window, MODELS / "sampled_nan.py")
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    rows = window.problems_panel.view()
    assert [(row["kind"], row["site"]) for row in rows] == [("nan", "x")]
    assert "Normal loc = nan" in rows[0]["problem"] and "from param 'shape'" in rows[0]["problem"]
    assert window.docks["Problems"].windowTitle() == "Problems (1)"
    window.travel(0)
    table = window.problems_panel.table
    # The whole text, fix included, is in the row: wrapped to the column's width, never cut.
    table.resize(600, 300)
    table.resizeRowsToContents()
    cell = table.visualRect(table.model().index(0, 4))
    needed = table.fontMetrics().boundingRect(cell.adjusted(0, 0, -8, 0), Qt.TextWordWrap, rows[0]["problem"])
    assert cell.height() >= needed.height() > 2 * table.fontMetrics().height()
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=table.visualRect(table.model().index(0, 4)).center())
    problem = window.problems.problems[0]
    assert window.session.current == problem.seq
    assert window.inspector.view()["message"] == "x"
    assert window.inspector.problem_rows() == ["problem: nan", "value"]
    marked = [item.name for item in window.graph._highlighted]
    assert marked and set(marked) == {"x"}
    window.set_pause_on_nonfinite(True)


def test_a_shape_problem_from_a_recording_too(qtbot, window, tmp_path):
    source = (CHECK_MODELS / "column_obs.py").read_text().replace("import ENGINE as pyro", "import minipyro as pyro")
    path = tmp_path / "column_obs.py"
    path.write_text(source)
    run_until_paused_or_finished(qtbot, window, path)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=30000)
    window.session.save(tmp_path / "run.mpr.jsonl")
    window.debug.open_recording(tmp_path / "run.mpr.jsonl")
    rows = window.problems_panel.view()
    assert [(row["kind"], row["site"]) for row in rows] == [("shape", "obs")]
    assert "dim -2 (size 6)" in rows[0]["problem"]
    assert not window.problems_panel.shapes.isVisible()
    table = window.problems_panel.table
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=table.visualRect(table.model().index(0, 0)).center())
    assert window.problems_panel.shapes.isVisible()
    shapes = window.problems_panel.shapes_view()
    assert [row["site"] for row in shapes] == ["loc", "▶ obs"]
    assert shapes[-1]["log_prob"] == "[6] 6" and shapes[-1]["value"] == "6 1"
    assert shapes[-1]["plates (dim: size)"] == "data (-1: 6)"


def test_the_nan_lesson_pauses_svi_where_its_text_says(qtbot, window):
    from resources import examples_dir

    window.open_model(examples_dir() / "debugging_a_nan.py")
    assert window.svi.per_site_elbo.isChecked()  # the lesson's svi dict asks for it
    window.run("svi", svi_settings=window.svi.settings())
    qtbot.waitUntil(lambda: window.bridge.state in ("paused", "finished"), timeout=60000)
    window.bridge.flush()
    assert window.bridge.state == "paused" and "first non-finite value" in window.debug.reason
    paused = window.session.events[window.session.current]
    assert (paused["kind"], paused["name"], paused["log_prob_sum"]) == ("msg_end", "obs", "nan")
    assert [(row["kind"], row["site"], row["step"]) for row in window.problems_panel.view()] == [("nan", "obs", "11")]
    window.stop()
    qtbot.waitUntil(lambda: window.bridge.state in ("finished", "dead", "idle"), timeout=10000)


@pytest.mark.timeout(120)  # waiting for an end that a paused run never reaches would take 600 s
def test_the_pictures_of_an_svi_run_show_its_pause_at_the_first_nan(qtbot, window):
    """``main.py LESSON --svi-steps N --show problems|svi --screenshot``: SVI, not a trace, and the
    picture is taken at the pause, with the problem shown as a click shows it."""
    from gui.views.app import run_svi_for_picture, run_to_first_problem
    from resources import examples_dir

    for take in (run_to_first_problem, run_svi_for_picture):
        window.open_model(examples_dir() / "debugging_a_nan.py")
        take(window, 40)
        assert window.bridge.state == "paused" and "first non-finite value" in window.step_label.text()
        assert [(row["kind"], row["site"], row["step"]) for row in window.problems_panel.view()] == [("nan", "obs", "11")]
        window.stop()
        qtbot.waitUntil(lambda: window.bridge.state in ("finished", "dead", "idle"), timeout=10000)
