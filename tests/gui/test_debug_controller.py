"""The debug controller without Qt: what the run commands and the runner's messages do to the
session, and what the step counter says. The runner is played by the test, with the events
of real recordings."""

import pytest

from gui.models.debug import DebugController
from gui.models.session import Session
from tests.gui.recordings import svi_events, trace_events

RESUMING = {"run", "step", "step_message", "step_out", "continue_"}


class Runner:
    """The runner port as the app's bridge offers it; it keeps the commands it was given."""

    def __init__(self, state="idle"):
        self.state = state
        self.commands = []

    def command(self, name, *args, **kwargs):
        self.commands.append((name, args, kwargs))
        if name in RESUMING:
            self.state = "running"
        return True

    def stop(self):
        self.commands.append(("stop", (), {}))
        self.state = "finished"

    @property
    def names(self):
        return [name for name, _, _ in self.commands]


def renumbered(events):
    return [dict(e, seq=k) for k, e in enumerate(events)]


def finished_run(events, connect=None):
    """A controller whose run has sent ``events`` and finished."""
    runner = Runner("running")
    debug = DebugController(Session(), runner)
    for slot_name, slot in (connect or {}).items():
        getattr(debug, slot_name).connect(slot)
    debug.on_events(list(events))
    runner.state = "finished"
    debug.on_control({"control": "finished", "status": "ok"})
    return debug, runner


def kind_at(debug, step=None):
    return debug.session.events[debug.session.current if step is None else step]["kind"]


def test_running_asks_for_a_paused_trace_or_a_streaming_svi():
    runner = Runner()
    debug = DebugController(Session(), runner)
    assert debug.status_text() == "No run"
    debug.run("/m/model.py", "trace", [{"site": "obs"}])
    name, args, kwargs = runner.commands[-1]
    assert (name, args) == ("run", ("/m/model.py",))
    assert kwargs == {"entry": "trace", "breakpoints": [{"site": "obs"}], "start_paused": True, "detail": "steps",
                      "svi": None, "seed": 0, "watch": True}  # a trace runs with the NaN watch
    assert not debug.run("/m/model.py", "svi")  # one run at a time
    runner.state = "finished"
    debug.run("/m/model.py", "svi", svi_settings={"steps": 5}, seed=7)
    assert runner.commands[-1][2]["start_paused"] is False and runner.commands[-1][2]["detail"] == "sites"
    assert runner.commands[-1][2]["seed"] == 7 and runner.commands[-1][2]["watch"] is False


def test_travelling_steps_stop_where_the_runner_would_without_commands():
    debug, runner = finished_run(trace_events("replay_block_plate"))
    events = debug.session.events
    noise = next(k for k in range(len(events)) if events[k]["kind"] == "msg_start" and events[k]["name"] == "noise")
    debug.travel(noise)
    debug.step_message()
    assert kind_at(debug) == "msg_end" and events[debug.session.current]["name"] == "noise"
    end = debug.session.current
    debug.step_out()  # the innermost handler at the msg_end: the plate
    assert kind_at(debug) == "handler_exit" and events[debug.session.current]["label"].startswith("plate")
    debug.travel(end)
    debug.step()
    assert debug.session.current == end + 1
    debug.back()
    assert debug.session.current == end
    debug.continue_()
    assert debug.session.current == debug.session.last
    assert runner.names == []  # time travel runs nothing


def test_step_out_with_no_handler_left_goes_to_the_end():
    debug, _ = finished_run(trace_events("normal_normal"))
    debug.travel(0)  # run_start: nothing on the stack yet
    debug.step_out()
    assert debug.session.current == debug.session.last


def test_at_the_newest_step_of_a_paused_run_commands_go_to_the_runner():
    events = list(trace_events("replay_block_plate"))
    runner = Runner("running")
    debug = DebugController(Session(), runner)
    debug.on_events(events[:5])
    runner.state = "paused"
    debug.on_control({"control": "paused", "seq": 4, "reason": "step"})
    # Steps are seq numbers, from 0, as in the timeline; the status says why the run is there.
    assert debug.session.current == 4 and debug.status_text() == "Step 4 of 4 — paused after a step"
    for command in ("step", "step_message", "step_out"):
        runner.state = "paused"
        getattr(debug, command)()
        assert runner.names[-1] == command and debug.session.current == 4
    assert debug.status_text() == "Step 4 of 4 — running"
    runner.state = "paused"
    debug.travel(1)  # looking back while paused: stepping is time travel again
    debug.step()
    assert debug.session.current == 2 and runner.names[-1] == "step_out"
    debug.continue_()  # to the newest step, and the run goes on
    assert debug.session.current == 4 and runner.names[-1] == "continue_"


def test_a_run_that_ends_in_an_error_selects_it():
    events = list(trace_events("normal_normal"))
    error = {"seq": 0, "kind": "error", "t": 0.0, "type": "ValueError", "message": "scale < 0",
             "frames": [{"file": events[0]["file"], "line": 7, "function": "model"}]}
    shown = []
    debug, _ = finished_run(renumbered(events[:-1] + [error, events[-1]]),
                            {"sig_error_selected": lambda: shown.append(True)})
    assert kind_at(debug) == "error" and shown == [True]
    assert debug.session.state_at(debug.session.current).source == f"{events[0]['file']}:7"


def test_a_refusal_is_a_note_for_the_status_bar():
    notes = []
    debug = DebugController(Session(), Runner("paused"))
    debug.sig_note.connect(notes.append)
    debug.on_control({"control": "refused", "command": "step", "reason": "not while paused"})
    assert notes == ["The runner refused step: not while paused"]


def test_the_newest_step_is_followed_until_the_user_looks_back():
    events = list(trace_events("eight_schools"))
    runner = Runner("running")
    debug = DebugController(Session(), runner)
    assert debug.on_events(events[:10])  # following: the view should move on
    debug.follow_newest()
    assert debug.session.current == 9
    assert debug.on_events(events[10:20])
    debug.travel(3)  # the user looks back: the run streams on, the view stays
    assert not debug.on_events(events[20:30])
    debug.follow_newest()
    assert debug.session.current == 3
    debug.travel(debug.session.last)  # back at the newest: followed again
    assert debug.on_events(events[30:40])


def svi_with_capture(captured_at):
    """An SVI run as the runner sends it: step 1 in full, steps reported only as svi_step, then
    a captured step in full (its note first), then more steps."""
    run = svi_events("normal_normal", 2)
    first_step_ends = next(k for k, e in enumerate(run) if e["kind"] == "svi_step") + 1
    quiet = [dict(run[first_step_ends - 1], step=s) for s in range(2, captured_at)]
    note = {"seq": 0, "kind": "output", "t": 0.0, "stream": "runner", "text": f"capturing SVI step {captured_at}\n"}
    user = {"seq": 0, "kind": "output", "t": 0.0, "stream": "stdout", "text": "the model prints\n"}
    captured = [dict(e, step=captured_at) if e["kind"] == "svi_step" else e for e in run[first_step_ends:-1]]
    later = [dict(run[first_step_ends - 1], step=s) for s in range(captured_at + 1, captured_at + 20)]
    return renumbered(list(run[:first_step_ends]) + quiet + [user, note] + captured + later)


@pytest.mark.parametrize("cut", ["before the note", "between the note and its step", "inside its step",
                                 "right after its first message"])
def test_a_capture_shows_the_captured_steps_first_message_however_the_batches_fall(cut):
    events = svi_with_capture(300)
    note = next(k for k, e in enumerate(events) if e["kind"] == "output" and e["stream"] == "runner")
    first = next(k for k in range(note, len(events)) if events[k]["kind"] == "msg_start")
    split = {"before the note": note - 1, "between the note and its step": note + 1,
             "inside its step": first + 3, "right after its first message": first + 1}[cut]
    runner = Runner("running")
    debug = DebugController(Session(), runner)
    shown = []
    debug.sig_capture_shown.connect(lambda: shown.append(debug.session.current))
    debug.on_events(events[:note - 5])
    debug.follow_newest()
    debug.capture()
    assert runner.names[-1] == "capture"
    for start, end in ((note - 5, split), (split, split + 1), (split + 1, len(events))):
        if debug.on_events(events[start:end]):
            debug.follow_newest()  # as the window's follow timer does
    assert shown == [first] and debug.session.current == first
    debug.follow_newest()  # a follow that was already due must not take the step away
    assert debug.session.current == first and kind_at(debug) == "msg_start"


def test_the_step_counter_and_the_commands_that_make_sense():
    debug, runner = finished_run(trace_events("normal_normal"))
    total = len(debug.session)
    assert debug.status_text() == f"Step {total - 1} of {total - 1} — finished"
    enabled = debug.enabled(has_model=True)
    assert enabled["run"] and enabled["back"] and enabled["save_recording"]
    assert not any(enabled[name] for name in ("step", "step_message", "step_out", "continue", "pause", "stop"))
    debug.travel(2)
    assert debug.status_text() == f"Step 2 of {total - 1} — finished" and debug.enabled(True)["step"]
    runner.state = "running"
    enabled = debug.enabled(has_model=True)
    assert enabled["pause"] and enabled["stop"] and not enabled["run"]
    assert not DebugController(Session(), Runner()).enabled(has_model=False)["run"]


def test_a_site_of_the_model_or_of_the_guide():
    trace, _ = finished_run(trace_events("eight_schools"))  # the model runs first, then the guide
    svi, _ = finished_run(svi_events("eight_schools", 2))  # the ELBO runs the guide first
    for debug, first in ((trace, "model"), (svi, "guide")):
        events = debug.session.events
        starts = [k for k in range(len(events)) if events[k]["kind"] == "msg_start" and events[k]["name"] == "theta"]
        second = "guide" if first == "model" else "model"
        assert debug.site_step(first, "theta") == starts[0] and debug.site_step(second, "theta") == starts[1]
    observed = trace.site_step("model", "obs")
    assert trace.session.events[observed]["name"] == "obs"
    assert trace.site_step("guide", "obs") == observed  # only the model has it
    notes = []
    trace.sig_note.connect(notes.append)
    trace.travel_to_site("model", "nowhere")
    assert notes == ["model site 'nowhere': not in this run"]


def test_a_recording_being_written_is_followed_and_a_bad_one_leaves_the_session_empty(tmp_path):
    from minipyro.observe.recording import RecordingError

    import orjson

    events = list(trace_events("normal_normal"))
    path = tmp_path / "live.mpr.jsonl"
    header = {"format": "minipyro-recording", "version": 1, "detail": "steps"}
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in [header] + events[:10]))
    debug = DebugController(Session(), Runner())
    debug.open_recording(path)
    assert debug.follower.active and debug.status_text() == "Step 0 of 9 — following the file"
    debug.travel(9)
    with open(path, "ab") as f:
        f.write(b"".join(orjson.dumps(e) + b"\n" for e in events[10:]))
    debug.follower.poll()
    assert debug.session.current == debug.session.last == len(events) - 1  # the newest stays the newest
    assert not debug.follower.active and debug.status_text() == f"Step {len(events) - 1} of {len(events) - 1} — recording"
    bad = tmp_path / "bad.mpr.jsonl"
    bad.write_text('{"format": "minipyro-recording", "version": 1}\n{not json\n')
    with pytest.raises(RecordingError):
        debug.open_recording(bad)
    assert len(debug.session) == 0 and debug.status_text() == "No run"


def test_a_run_that_ends_while_the_user_looks_back_leaves_them_there():
    events = list(trace_events("normal_normal"))
    runner = Runner("running")
    debug = DebugController(Session(), runner)
    debug.on_events(events[:-1])
    debug.travel(5)
    debug.on_events(events[-1:])
    runner.state = "finished"
    debug.on_control({"control": "finished", "status": "ok"})
    assert debug.session.current == 5 and debug.status_text() == f"Step 5 of {len(events) - 1} — finished"


def test_the_step_counter_says_when_full_pyro_ran():
    events = renumbered(trace_events("normal_normal"))
    events[0] = dict(events[0], engine="pyro")
    debug, _ = finished_run(events)
    assert debug.status_text() == f"Step {len(events) - 1} of {len(events) - 1} — finished · on full Pyro"
    minipyro_run, _ = finished_run(renumbered(trace_events("normal_normal")))
    assert "Pyro" not in minipyro_run.status_text()
