"""A loaded recording keeps where each event's line is, not the events: they are read again from
the file when asked for (a million events in megabytes), and they are the events that were checked."""

import json

import pytest

import minipyro
from minipyro.observe.recording import FORMAT, RecordedEvents, RecordingError

HEADER = json.dumps({"format": FORMAT, "version": 2, "detail": "sites"})


def output(seq, text):
    return json.dumps({"seq": seq, "kind": "output", "t": seq / 10, "stream": "stdout", "text": text})


def write(path, lines, newline_at_end=True):
    path.write_text("\n".join(lines) + ("\n" if newline_at_end else ""), encoding="utf-8")
    return path


def test_events_are_read_from_the_file_on_access(tmp_path):
    path = write(tmp_path / "run.mpr.jsonl", [HEADER] + [output(k, f"line {k} ünïcode") for k in range(5)])
    loaded = minipyro.load_recording(path)
    assert isinstance(loaded.events, RecordedEvents) and len(loaded) == 5
    assert [event["text"] for event in loaded] == [f"line {k} ünïcode" for k in range(5)]
    assert loaded[-1].seq == 4 and [e.seq for e in loaded[1:3]] == [1, 2]
    with pytest.raises(IndexError):
        loaded[5]


def test_a_last_line_without_newline_is_an_event_and_a_cut_one_is_not(tmp_path):
    whole = minipyro.load_recording(write(tmp_path / "whole.mpr.jsonl", [HEADER, output(0, "a"), output(1, "b")],
                                          newline_at_end=False))
    assert [e["text"] for e in whole] == ["a", "b"] and not whole.truncated
    cut = minipyro.load_recording(write(tmp_path / "cut.mpr.jsonl", [HEADER, output(0, "a"), output(1, "b")[:15]],
                                        newline_at_end=False))
    assert [e["text"] for e in cut] == ["a"] and cut.truncated


def test_a_file_changed_after_loading_is_refused_with_its_line_not_misread(tmp_path):
    path = write(tmp_path / "run.mpr.jsonl", [HEADER, output(0, "a"), output(1, "b")])
    loaded = minipyro.load_recording(path)
    with open(path, "r+b") as f:  # another program rewrites the file in place
        f.seek(len(HEADER) + 1)
        f.write(b"#" * 10)
    with pytest.raises(RecordingError, match="line 2: the file has changed since it was loaded"):
        loaded[0]
    assert loaded[1]["text"] == "b"


def test_a_loaded_recording_saves_the_same_events(tmp_path):
    path = write(tmp_path / "run.mpr.jsonl", [HEADER] + [output(k, str(k)) for k in range(3)])
    again = tmp_path / "again.mpr.jsonl"
    minipyro.load_recording(path).save(again)
    assert [e.to_dict() for e in minipyro.load_recording(again)] == [json.loads(output(k, str(k))) for k in range(3)]
