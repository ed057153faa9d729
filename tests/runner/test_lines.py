"""The debugger at the user's lines, under the controller's commands: breakpoints on a line,
a pause that reaches a loop in plain Python, and a stop that says where it landed."""

import json
import time
from pathlib import Path

import pytest

from minipyro.runner.controller import RunnerController

MODELS = Path(__file__).parent / "models"


def line_of(name: str, text: str) -> str:
    """``FILE:LINE`` of the one line of model file ``name`` that contains ``text``."""
    path = MODELS / name
    numbers = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if text in line]
    assert len(numbers) == 1, text
    return f"{path}:{numbers[0]}"


@pytest.fixture(scope="module")
def controls():
    return []  # every control message, in order


@pytest.fixture(scope="module")
def controller(controls):
    controller = RunnerController(on_control=controls.append)
    controller.start()
    yield controller
    controller.close()


def pauses_until_the_end(controller) -> list:
    """Continue from every pause to the end of the run: each pause's (event, reason, breakpoint)."""
    pauses = []
    while controller.wait_until("paused", "finished", "dead", timeout=30) and controller.state == "paused":
        pauses.append((controller.events[-1], controller.paused_reason, controller.paused_breakpoint))
        controller.continue_()
    assert controller.status == "ok"
    return pauses


def at_site_in_the_loop(controller, name="busy_loop.py"):
    controller.run(MODELS / name)
    assert controller.wait_for_event(lambda e: e["kind"] == "msg_end" and e["name"] == "x", timeout=60)
    time.sleep(1.0)  # in the loop by now, far from any event


def test_a_breakpoint_on_a_with_line_stops_at_that_plates_site_enter_and_exit_only(controller):
    where = line_of("line_breakpoints.py", "the model's outer plate")
    controller.run(MODELS / "line_breakpoints.py", breakpoints=[{"id": 7, "line": where}])
    pauses = pauses_until_the_end(controller)
    assert [(e["kind"], e.get("name") or e["label"]) for e, _, _ in pauses] == [
        ("msg_start", "outer"),  # the plate's indices, a site of the trace
        ("handler_enter", "plate('outer', 2, dim=-1)"),
        ("handler_exit", "plate('outer', 2, dim=-1)"),
    ]  # not the guide's plate of the same name, nor the inner plate
    assert all(e["source"] == where for e, _, _ in pauses)
    assert [(reason, breakpoint) for _, reason, breakpoint in pauses] == [("breakpoint", 7)] * 3


def test_a_breakpoint_on_a_site_line_skips_the_site_of_the_same_name_elsewhere(controller):
    controller.run(MODELS / "line_breakpoints.py", breakpoints=[{"site": "z"}])
    assert len(pauses_until_the_end(controller)) == 2  # the model's z and the guide's
    where = line_of("line_breakpoints.py", "the model's z")
    controller.run(MODELS / "line_breakpoints.py", breakpoints=[{"site": "nothing"}, {"line": where}])
    [(event, reason, breakpoint)] = pauses_until_the_end(controller)
    assert (event["kind"], event["name"], event["source"]) == ("msg_start", "z", where)
    assert (reason, breakpoint) == ("breakpoint", 1)  # without an id: its index


def test_a_line_breakpoint_with_a_condition_stops_where_both_hold(controller):
    where = line_of("line_breakpoints.py", "the model's outer plate")
    controller.run(MODELS / "line_breakpoints.py",
                   breakpoints=[{"line": where, "condition": "kind == 'handler_exit'"}])
    assert [e["kind"] for e, _, _ in pauses_until_the_end(controller)] == ["handler_exit"]


def test_a_bad_line_breakpoint_is_refused_with_the_reason(controller, controls):
    controller.run(MODELS / "line_breakpoints.py", breakpoints=[{"line": "line_breakpoints.py"}])
    assert controller.wait_until("idle", timeout=5.0) and not controller.events  # it never started
    deadline = time.monotonic() + 1.0  # the callback follows the state
    while controls[-1]["control"] != "refused" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert controls[-1]["command"] == "run" and "FILE:LINE" in controls[-1]["reason"]


def test_pause_reaches_a_loop_in_plain_python_and_steps_line_by_line(controller):
    at_site_in_the_loop(controller)
    loop = line_of("busy_loop.py", "while True")
    asked = time.monotonic()
    controller.pause()
    assert controller.wait_until("paused", timeout=2.0) and time.monotonic() - asked < 2.0
    paused = controller.events[-1]
    assert paused["kind"] == "line" and f"{paused['file']}:{paused['line']}" == loop
    assert paused["function"] == "model" and paused["frames"][-1]["function"] == "model"
    assert controller.paused_reason == "pause" and paused["locals"]["n"] > 0

    controller.step()  # one more turn of the loop: the next line of plain Python
    assert controller.wait_until("paused", timeout=2.0)
    stepped = controller.events[-1]
    assert stepped["kind"] == "line" and stepped["locals"]["n"] == paused["locals"]["n"] + 1

    controller.continue_()  # the loop runs free again, seen by nothing
    time.sleep(0.5)
    assert controller.state == "running" and controller.events[-1]["seq"] == stepped["seq"]
    controller.stop()
    assert controller.wait_until("finished", "dead", timeout=2.0)
    assert controller.events[-1]["status"] == "stopped" and controller.events[-1]["stopped_at"] == loop


def no_crash_words(events, controls):
    text = json.dumps(events) + json.dumps(controls)
    return "ProcessDied" not in text and "crashed" not in text and "SIGTERM" not in text


def test_stop_in_plain_python_says_where_it_stopped(controller, controls):
    at_site_in_the_loop(controller)
    first_control = len(controls)
    controller.stop()
    assert controller.wait_until("finished", "dead", timeout=1.0)
    end = controller.events[-1]
    assert (end["kind"], end["status"], end["stopped_at"]) == ("run_end", "stopped", line_of("busy_loop.py",
                                                                                             "while True"))
    assert controller.status == "stopped" and no_crash_words(controller.events, controls[first_control:])


def test_a_run_stuck_in_c_code_is_killed_and_reported_as_stopped_where_it_was():
    controls = []
    controller = RunnerController(on_control=controls.append)
    try:
        at_site_in_the_loop(controller, "stuck_in_c.py")
        asked = time.monotonic()
        controller.stop()
        assert controller.wait_until("finished", "dead", timeout=1.0) and time.monotonic() - asked < 1.0
        end = controller.events[-1]
        assert (end["kind"], end["status"]) == ("run_end", "stopped")
        assert end["stopped_at"] == line_of("stuck_in_c.py", "the wait")
        assert controller.status == "stopped" and no_crash_words(controller.events, controls)
        assert [e["seq"] for e in controller.events] == list(range(len(controller.events)))
    finally:
        controller.close()
