"""The app's session keeps a recording's events as places in its file: what it shows and saves
are the file's own lines."""

import json

from gui.models.session import Session
from minipyro.observe.recording import FORMAT


def test_a_session_reads_and_saves_a_recordings_own_lines(tmp_path):
    lines = [json.dumps({"seq": k, "kind": "output", "t": k / 10, "stream": "stdout", "text": f"é{k}"},
                        ensure_ascii=False) for k in range(600)]
    path = tmp_path / "run.mpr.jsonl"
    path.write_text("\n".join([json.dumps({"format": FORMAT, "version": 2})] + lines) + "\n", encoding="utf-8")
    session = Session(checkpoint_every=64)
    session.load_recording(path)
    assert len(session) == 600
    assert [session.events.line(k).decode() for k in (0, 299, 599)] == [lines[0], lines[299], lines[599]]
    assert session.events[599]["text"] == "é599" and session.events[-1]["seq"] == 599
    saved = tmp_path / "saved.mpr.jsonl"
    session.save(saved)
    assert saved.read_text(encoding="utf-8").splitlines()[1:] == lines
    dropped = session.drop_oldest(keep=100)  # whole checkpoint intervals go
    assert dropped == 448 and len(session) == 152 and session.events[0]["seq"] == 448
    assert session.state_at(10).step == 458
