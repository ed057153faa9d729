"""The session's state at step k is a pure function of events 0..k: jumping to k, in any order
and with any checkpoint spacing, gives what folding events 0..k from scratch gives."""

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gui.models.session import Session
from gui.models.state import State, reduce
from tests.gui.recordings import svi_events, trace_events


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """name -> (events, the same run saved as a recording file)."""
    from minipyro.observe.recording import save_lines

    import orjson

    runs = {"replay_block_plate trace": trace_events("replay_block_plate"),
            "eight_schools trace": trace_events("eight_schools"),
            "normal_normal 12 SVI steps": svi_events("normal_normal", 12)}
    folder = tmp_path_factory.mktemp("recordings")
    saved = {}
    for name, events in runs.items():
        path = folder / (name.replace(" ", "_") + ".mpr.jsonl")
        save_lines(path, (orjson.dumps(e) for e in events), "steps")
        saved[name] = (list(events), path)
    return saved


def fold(events) -> State:
    return functools.reduce(reduce, events, State())


def test_the_recordings_reach_the_cases_that_matter(recordings):
    kinds = {e["kind"] for events, _ in recordings.values() for e in events}
    assert {"stop", "svi_step", "structure", "process", "postprocess", "default"} <= kinds
    assert max(len(events) for events, _ in recordings.values()) > 256  # past a default checkpoint


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_jumping_to_k_equals_folding_events_up_to_k(recordings, data):
    name = data.draw(st.sampled_from(sorted(recordings)), label="recording")
    events, path = recordings[name]
    every = data.draw(st.sampled_from([1, 2, 7, 64, 256]), label="checkpoint every")
    session = Session(every)
    if data.draw(st.booleans(), label="from the file"):
        session.load_recording(path)
    else:  # as a runner delivers them: in batches of any size
        cuts = sorted(data.draw(st.lists(st.integers(1, len(events) - 1), max_size=6), label="batches"))
        for start, end in zip([0] + cuts, cuts + [len(events)]):
            session.add_events(events[start:end])
    assert len(session) == len(events)
    jumps = data.draw(st.lists(st.integers(0, len(events) - 1), min_size=1, max_size=12), label="jumps")
    for k in jumps:
        session.set_current(k)
        jumped = session.state_at(k)
        prefix = Session(every)
        prefix.add_events(events[: k + 1])
        assert jumped == fold(events[: k + 1]) == prefix.state_at(k)
        assert jumped.step == k
        # A view may keep (and so change) what it was given: the session must not share it.
        jumped.stack.clear()
        if jumped.messages:
            jumped.messages[-1].fields["value"] = "changed by a view"
            jumped.messages[-1].badges.clear()
        assert session.state_at(k) == prefix.state_at(k)
