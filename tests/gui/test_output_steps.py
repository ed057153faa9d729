"""Output is not a stepping point: Step passes prints, unless a timeline filter brings them back."""

import json


def write_recording(path):
    header = {"format": "minipyro-recording", "version": 2, "detail": "sites"}
    kinds = ["handler_enter", "output", "output", "handler_exit"]
    events = []
    for seq, kind in enumerate(kinds):
        if kind == "output":
            events.append({"seq": seq, "kind": "output", "t": 0.0, "stream": "stdout", "text": f"print {seq}\n"})
        else:
            events.append({"seq": seq, "kind": kind, "t": 0.0, "handler_id": 0, "handler": "trace",
                           "label": "trace()", "depth": 0})
    path.write_text("\n".join(json.dumps(e) for e in [header] + events) + "\n")


def test_step_passes_output_unless_the_timeline_shows_it_as_steps(qtbot, window, tmp_path):
    path = tmp_path / "prints.mpr.jsonl"
    write_recording(path)
    assert window.open_recording(path)
    window.travel(0)
    window.debug.step()
    assert window.session.current == 3  # over both prints, to the handler's exit
    assert window.timeline.model.rowCount() == 4  # still listed
    window.timeline.kind.setCurrentText("all events, Step stops at output")
    window.travel(0)
    window.debug.step()
    assert window.session.current == 1
    window.debug.step()
    assert window.session.current == 2
    window.timeline.kind.setCurrentText("steps only (output hidden)")
    assert [window.session.events[k]["kind"] for k in window.timeline.model.rows] == ["handler_enter", "handler_exit"]
