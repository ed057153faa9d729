"""The runner under the controller's commands: stepping, breakpoints, pause, stop, and bad models."""

import time
from pathlib import Path

import pytest

from minipyro.runner.controller import RunnerController

MODELS = Path(__file__).parent / "models"


@pytest.fixture(scope="module")
def controller():
    controller = RunnerController()
    controller.start()
    yield controller
    controller.close()


def run(controller, name, **options):
    controller.run(MODELS / name, **options)
    return controller


def finish(controller, timeout=30):
    assert controller.wait_until("finished", "dead", timeout=timeout), controller.state
    return controller.events


def kinds(events):
    return [e["kind"] for e in events]


def test_step_by_step_across_a_three_handler_model(controller):
    run(controller, "three_handlers.py", start_paused=True)
    seen = []
    while controller.wait_until("paused", "finished", timeout=30) and controller.state == "paused":
        seen.append(controller.events[-1])
        assert controller.paused_seq == seen[-1]["seq"]
        controller.step()
    events = finish(controller)
    assert [e["seq"] for e in events] == list(range(len(events)))
    # One event per step, none skipped but output (a print is not a step).
    steps = [e for e in events if e["kind"] != "output"]
    assert seen == steps[: len(seen)] and kinds(events)[-1] == "run_end"
    x = [e for e in events if e.get("msg_id") == next(e["msg_id"] for e in events
                                                      if e["kind"] == "msg_start" and e["name"] == "x")]
    assert kinds(x) == ["msg_start"] + ["process"] * 3 + ["default"] + ["postprocess"] * 3 + ["msg_end"]
    assert [e["position"] for e in x if e["kind"] == "process"] == [0, 1, 2]
    assert {e["text"] for e in events if e["kind"] == "output"} == {"inside the plate\n"}


def test_step_message_runs_to_the_end_of_the_message(controller):
    run(controller, "three_handlers.py", breakpoints=[{"site": "x"}])
    assert controller.wait_until("paused")
    start = controller.events[-1]
    assert start["kind"] == "msg_start" and start["name"] == "x"
    controller.step_message()
    assert controller.wait_until("paused")
    end = controller.events[-1]
    assert end["kind"] == "msg_end" and end["msg_id"] == start["msg_id"]
    controller.continue_()
    finish(controller)


def test_step_out_runs_to_the_exit_of_the_innermost_handler(controller):
    run(controller, "three_handlers.py", breakpoints=[{"site": "x"}])
    assert controller.wait_until("paused")
    controller.step_out()
    assert controller.wait_until("paused")
    exit_event = controller.events[-1]
    assert exit_event["kind"] == "handler_exit" and exit_event["label"].startswith("plate('data'")
    controller.step_out()
    assert controller.wait_until("paused")
    assert controller.events[-1]["label"] == "scale(2.0)"
    controller.continue_()
    finish(controller)


@pytest.mark.parametrize("breakpoint, expected", [
    ({"site": "x*"}, ("msg_start", "x")),
    ({"type": "param"}, ("msg_start", "w")),
    ({"handler": "plate"}, ("handler_enter", None)),
    ({"handler": "scale", "site": "x"}, ("process", "x")),
    ({"condition": "fields.is_observed == False and name == 'w'"}, ("msg_start", "w")),
    ({"site": "x", "condition": "fields.scale > 100"}, None),
])
def test_breakpoints_of_every_kind(controller, breakpoint, expected):
    run(controller, "three_handlers.py", breakpoints=[breakpoint])
    assert controller.wait_until("paused", "finished")
    if expected is None:
        assert controller.state == "finished" and controller.status == "ok"
        return
    assert controller.state == "paused"
    event = controller.events[-1]
    starts = {e["msg_id"]: e["name"] for e in controller.events if e["kind"] == "msg_start"}
    assert (event["kind"], event.get("name", starts.get(event.get("msg_id")))) == expected
    while controller.state == "paused":  # a breakpoint may hit again later
        controller.continue_()
        controller.wait_until("paused", "finished")
    assert finish(controller)[-1]["status"] == "ok"


def test_error_breakpoint_pauses_at_the_error(controller):
    run(controller, "negative_scale.py", breakpoints=[{"error": True}])
    assert controller.wait_until("paused")
    assert controller.events[-1]["kind"] == "error"
    controller.continue_()
    assert finish(controller)[-1]["status"] == "error"


def test_breakpoints_can_change_while_paused(controller):
    run(controller, "three_handlers.py", start_paused=True)
    assert controller.wait_until("paused")
    controller.set_breakpoints([{"type": "param"}])
    controller.continue_()
    assert controller.wait_until("paused")
    assert controller.events[-1]["name"] == "w"
    controller.continue_()
    finish(controller)


def test_pause_and_continue_during_svi(controller):
    run(controller, "seed_svi.py", entry="svi")
    assert controller.wait_for_event(lambda e: e["kind"] == "svi_step" and e["step"] >= 50)
    controller.pause()
    assert controller.wait_until("paused")
    paused_at = controller.events[-1]["seq"]
    time.sleep(0.3)
    assert controller.events[-1]["seq"] == paused_at  # nothing runs while paused
    controller.continue_()
    assert controller.wait_for_event(lambda e: e["seq"] > paused_at + 20)
    controller.stop()
    assert finish(controller)[-1]["status"] == "stopped"


def test_capture_records_one_svi_step_in_full(controller):
    run(controller, "seed_svi.py", entry="svi")
    assert controller.wait_for_event(lambda e: e["kind"] == "svi_step" and e["step"] >= 20)
    controller.capture()
    note = controller.wait_for_event(lambda e: e["kind"] == "output" and e["stream"] == "runner")
    controller.stop()
    events = finish(controller)
    after = events[events.index(note):]
    captured_step = next(e for e in after if e["kind"] == "svi_step")
    inside = after[: after.index(captured_step)]
    assert {"process", "postprocess", "default"} <= set(kinds(inside))
    assert int(note["text"].split()[-1]) == captured_step["step"]
    assert [e["seq"] for e in events] == list(range(len(events)))


def test_stop_ends_an_endless_loop_within_a_second(controller):
    run(controller, "endless_loop.py")
    time.sleep(0.5)
    started = time.monotonic()
    controller.stop()
    assert time.monotonic() - started < 1.0
    assert controller.wait_until("finished", "dead", timeout=1.0)
    assert controller.events[-1]["status"] == "stopped"


def error_of(events):
    errors = [e for e in events if e["kind"] == "error"]
    assert len(errors) == 1, kinds(events)
    return errors[0]


@pytest.mark.parametrize("name, error_type, line, words", [
    ("syntax_error.py", "SyntaxError", 3, "invalid syntax"),
    ("no_model.py", "ModelFileError", None, "defines no function named 'model'"),
    ("negative_scale.py", "ValueError", 7, "scale"),
    ("duplicate_sites.py", "SiteError", 8, "site 'x'"),
    ("plate_mismatch.py", "SiteError", 9, "does not fit plate('data')"),
])
def test_bad_models_are_reported_at_the_users_line(controller, name, error_type, line, words):
    run(controller, name)
    events = finish(controller)
    error = error_of(events)
    assert error["type"] == error_type and words in error["message"]
    if line is not None:
        assert error["frames"][0]["file"] == str(MODELS / name)
        assert (MODELS / name).name in error["frames"][-1]["file"] or any(
            f["line"] == line for f in error["frames"] if f["file"] == str(MODELS / name))
        assert all("minipyro" + "/" not in f["file"] for f in error["frames"])
    assert events[-1]["status"] == "error"
    # the controller is still usable
    run(controller, "three_handlers.py")
    assert finish(controller)[-1]["status"] == "ok"


def test_a_nan_loss_stops_svi_with_the_step_number(controller):
    run(controller, "nan_loss.py", entry="svi")
    events = finish(controller)
    error = error_of(events)
    steps = [e["step"] for e in events if e["kind"] == "svi_step"]
    assert error["type"] == "NonFiniteLoss" and error["step"] == steps[-1]
    assert f"step {steps[-1]}" in error["message"]


@pytest.mark.parametrize("name, signal_name, line", [("aborts.py", "SIGABRT", 10), ("segfault.py", "SIGSEGV", 5)])
def test_a_dying_interpreter_is_reported_and_the_controller_recovers(name, signal_name, line):
    controller = RunnerController()
    try:
        run(controller, name)
        events = finish(controller)
        error = error_of(events)
        assert error["type"] == "ProcessDied" and signal_name in error["message"]
        assert {"file": str(MODELS / name), "line": line, "function": "model"} in error["frames"]
        assert events[-1]["kind"] == "run_end" and events[-1]["status"] == "crashed"
        assert [e["seq"] for e in events] == list(range(len(events)))
        run(controller, "three_handlers.py")
        assert finish(controller)[-1]["status"] == "ok"
    finally:
        controller.close()


def test_every_printed_line_arrives_in_order(controller):
    run(controller, "chatty.py")
    events = finish(controller)
    text = "".join(e["text"] for e in events if e["kind"] == "output" and e["stream"] == "stdout")
    lines = text.splitlines()
    assert lines[:20000] == [f"line {i}" for i in range(20000)]
    assert "from C" in lines


def test_a_model_file_imports_its_neighbours(controller):
    run(controller, "imports_neighbour.py")
    events = finish(controller)
    assert events[-1]["status"] == "ok"
    start = next(e for e in events if e["kind"] == "msg_start")
    assert start["fields"]["fn"]["dist"] == "Normal"


def test_a_pyroapi_model_runs_on_this_core(controller):
    run(controller, "pyroapi_model.py", entry="svi", svi={"steps": 5})
    events = finish(controller)
    assert events[-1]["status"] == "ok"
    labels = {e["label"] for e in events if e["kind"] == "handler_enter"}
    assert "plate('data', 3, dim=-1)" in labels and "seed(1)" in labels  # pyroapi's backend seeds
    assert [e["step"] for e in events if e["kind"] == "svi_step"] == [1, 2, 3, 4, 5]
