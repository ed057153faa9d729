"""Recordings are untrusted input: every hostile file is refused quickly, naming the line, and
nothing else than a RecordingError ever comes out of the reader (DESIGN section 4).

``hostile_recordings/`` is the corpus: ``NAME.L<line>.mpr.jsonl`` is refused at that line.
It holds, for every event kind, a file lacking each required field and one with each field of
the wrong type, duplicate keys, a list where an id belongs, pickle bytes, invalid UTF-8, ...
"""

import json
import os
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minipyro
from minipyro.observe import recording
from minipyro.observe.recording import FORMAT, RecordingError
from minipyro.observe.schema import REQUIRED

HERE = Path(__file__).parent
CORPUS = sorted((HERE / "hostile_recordings").glob("*.mpr.jsonl"))
VALID = HERE / "all_kinds.mpr.jsonl"


def load_within(path, seconds=1.0):
    """load_recording's outcome (a Recording or the exception), or a failure if it takes longer."""
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(_outcome(path)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"load_recording({path}) still running after {seconds} s"
    return outcome[0]


def _outcome(path):
    try:
        return minipyro.load_recording(path)
    except Exception as error:  # noqa: BLE001 (the test looks at which)
        return error


def test_the_valid_file_of_every_kind_loads():
    loaded = minipyro.load_recording(VALID)
    assert {event.kind for event in loaded} == set(REQUIRED)


def test_the_corpus_covers_a_missing_and_a_wrong_field_of_every_kind():
    names = {path.name for path in CORPUS}
    for kind, fields in REQUIRED.items():
        for field in fields:
            assert f"missing-{kind}-{field}.L2.mpr.jsonl" in names


@pytest.mark.parametrize("path", CORPUS, ids=[p.name.split(".")[0] for p in CORPUS])
def test_each_hostile_file_is_refused_with_its_line(path):
    line = path.name.split(".")[-3][1:]
    error = load_within(path)
    assert isinstance(error, RecordingError), error
    assert f"line {line}: " in str(error)


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "fifo.mpr.jsonl"
    os.mkfifo(fifo)
    error = load_within(fifo)
    assert isinstance(error, RecordingError) and "line 1: not a regular file (a FIFO)" in str(error)


def test_a_link_to_dev_zero_is_refused_at_once(tmp_path):
    link = tmp_path / "zero.mpr.jsonl"
    link.symlink_to("/dev/zero")
    error = load_within(link)
    assert isinstance(error, RecordingError) and "line 1: not a regular file (a device)" in str(error)


def test_a_huge_line_is_refused_without_reading_it_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(recording, "MAX_LINE_BYTES", 1 << 20)
    path = tmp_path / "huge.mpr.jsonl"
    with open(path, "wb") as f:
        f.write(json.dumps({"format": FORMAT, "version": 2}).encode() + b"\n")
        f.write(b'{"seq": 0, "kind": "output", "t": 0, "stream": "stdout", "text": "')
        f.write(b"x" * (20 << 20))
    reader = recording.RecordingReader(path)
    with pytest.raises(RecordingError, match="line 2: line longer than 1048576 bytes"):
        reader.read_new()
    assert reader.offset <= (1 << 20) + 2 * recording.CHUNK_BYTES  # stopped early, not at 20 MB


def test_version_1_is_still_read(tmp_path):
    path = tmp_path / "v1.mpr.jsonl"
    lines = VALID.read_text().splitlines()
    lines[0] = json.dumps({"format": FORMAT, "version": 1, "detail": "sites"})
    path.write_text("\n".join(lines) + "\n")
    assert len(minipyro.load_recording(path)) == len(lines) - 1


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                    max_leaves=12)


def _event_lines():
    """Valid events with fields dropped, replaced by random JSON, or added."""
    valid = [json.loads(line) for line in VALID.read_text().splitlines()[1:]]

    @st.composite
    def events(draw):
        event = dict(draw(st.sampled_from(valid)))
        for key in draw(st.lists(st.sampled_from(sorted(event)), max_size=2, unique=True)):
            if draw(st.booleans()):
                del event[key]
            else:
                event[key] = draw(JSON)
        event.update(draw(st.dictionaries(st.text(max_size=6), JSON, max_size=2)))
        return json.dumps(event)

    return st.lists(events() | st.binary(max_size=40).map(lambda b: b.decode("latin-1")), max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=_event_lines(), cut=st.booleans())
def test_the_reader_only_ever_loads_or_refuses(tmp_path, lines, cut):
    path = tmp_path / "fuzz.mpr.jsonl"
    text = "\n".join([json.dumps({"format": FORMAT, "version": 2})] + lines) + ("" if cut else "\n")
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    outcome = _outcome(path)
    assert isinstance(outcome, (recording.Recording, RecordingError)), repr(outcome)
    if isinstance(outcome, recording.Recording):
        assert [event.seq for event in outcome] == list(range(len(outcome)))
        for event in outcome:
            assert recording.problem(event.kind, event.to_dict()) is None
