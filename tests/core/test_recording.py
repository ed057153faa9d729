"""Recording files: round trips, streaming, and every kind of bad file refused with its line number."""

import json
import os
import pickle
import subprocess
import sys
import textwrap
import time

import pytest
import torch
from pyro.distributions import Normal

import minipyro
from minipyro.observe.recording import FORMAT, RecordingReader


def model(data):
    loc = minipyro.sample("loc", Normal(0.0, 10.0))
    with minipyro.plate("data", len(data)):
        minipyro.sample("obs", Normal(loc, 1.0), obs=data)


def guide(data):
    q = minipyro.param("q", torch.tensor(0.0))
    minipyro.sample("loc", Normal(q, 1.0))


def run_svi(steps=3):
    svi = minipyro.SVI(model, guide, minipyro.Adam({"lr": 0.1}), minipyro.Trace_ELBO())
    for _ in range(steps):
        svi.step(torch.arange(5.0))


def test_record_save_load_gives_equal_events(tmp_path):
    with minipyro.record(detail="steps") as rec:
        run_svi()
    path = tmp_path / "run.mpr.jsonl"
    rec.save(path)
    loaded = minipyro.load_recording(path)
    assert loaded.detail == "steps" and not loaded.truncated
    assert [e.to_dict() for e in loaded] == [e.to_dict() for e in rec]
    assert [p.name for p in tmp_path.iterdir()] == ["run.mpr.jsonl"]  # no temporary file left


def test_streaming_to_a_file_writes_the_same_events(tmp_path):
    path = tmp_path / "stream.mpr.jsonl"
    minipyro.set_rng_seed(0)
    with minipyro.record(path=path, detail="sites") as streamed:
        run_svi()
    minipyro.get_param_store().clear()
    minipyro.set_rng_seed(0)
    with minipyro.record(detail="sites") as kept:
        run_svi()
    loaded = minipyro.load_recording(path)
    strip = lambda events: [{k: v for k, v in e.to_dict().items() if k != "t"} for e in events]  # noqa: E731
    assert len(streamed) == 0 and strip(loaded) == strip(kept)


def test_a_quiet_run_has_its_events_on_disk_within_a_second(tmp_path):
    path = tmp_path / "live.mpr.jsonl"
    script = textwrap.dedent(f"""
        import time, torch, minipyro
        from pyro.distributions import Normal
        with minipyro.record(path={str(path)!r}, detail="sites"):
            with minipyro.trace():
                minipyro.sample("x", Normal(0.0, 1.0))
            print("sampled", flush=True)
            time.sleep(30)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "sampled"
        time.sleep(1.0)
        kinds = [e.kind for e in RecordingReader(path).read_new()]
        assert kinds == ["handler_enter", "msg_start", "msg_end", "handler_exit"]
    finally:
        child.kill()
        child.wait()


def write_lines(path, *lines, newline_at_end=True):
    text = "\n".join(lines) + ("\n" if newline_at_end else "")
    path.write_text(text, encoding="utf-8")
    return path


HEADER = json.dumps({"format": FORMAT, "version": 1, "detail": "sites"})
EVENT0 = json.dumps({"seq": 0, "kind": "output", "t": 0.0, "stream": "stdout", "text": "hi"})
EVENT1 = json.dumps({"seq": 1, "kind": "output", "t": 0.1, "stream": "stdout", "text": "there"})


def test_a_truncated_last_line_is_tolerated(tmp_path):
    path = write_lines(tmp_path / "cut.mpr.jsonl", HEADER, EVENT0, EVENT1[:20], newline_at_end=False)
    loaded = minipyro.load_recording(path)
    assert [e["text"] for e in loaded] == ["hi"] and loaded.truncated


@pytest.mark.parametrize("lines, line_number, reason", [
    ([HEADER, EVENT0[:20], EVENT1], 2, "not a JSON line"),
    ([json.dumps({"format": "something-else", "version": 1}), EVENT0], 1, "not a MiniPyro recording"),
    ([json.dumps({"format": FORMAT, "version": 3}), EVENT0], 1, "version 3 is newer"),
    ([HEADER, EVENT1], 2, "expected seq 0, found 1"),
    ([HEADER, json.dumps({"seq": 0, "kind": "exec", "t": 0})], 2, "unknown event kind 'exec'"),
    ([HEADER, json.dumps({"seq": 0, "kind": "msg_end", "t": 0})], 2, "lacks msg_id"),
    ([HEADER, '{"seq": 0, "kind": "output", "t": NaN, "stream": "x", "text": ""}'], 2, "not a JSON line"),
    ([HEADER, "[" * 100 + "]" * 100], 2, "nested deeper"),
    ([HEADER, "[" * 100000 + "]" * 100000], 2, "nested deeper"),
])
def test_malformed_files_are_refused_with_the_line_number(tmp_path, lines, line_number, reason):
    path = write_lines(tmp_path / "bad.mpr.jsonl", *lines)
    with pytest.raises(minipyro.RecordingError, match=f"line {line_number}: .*{reason}"):
        minipyro.load_recording(path)


def test_pickle_bytes_are_refused_and_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    class Exploit:
        def __reduce__(self):
            return (os.system, ("touch pwned",))

    path = tmp_path / "hostile.mpr.jsonl"
    path.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(ValueError, match="line 1"):
        minipyro.load_recording(path)
    assert not (tmp_path / "pwned").exists()


def test_a_huge_line_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("minipyro.observe.recording.MAX_LINE_BYTES", 1 << 20)
    path = tmp_path / "huge.mpr.jsonl"
    huge = json.dumps({"seq": 0, "kind": "output", "t": 0, "stream": "stdout", "text": "x" * (1 << 20)})
    write_lines(path, HEADER, huge)
    with pytest.raises(minipyro.RecordingError, match="line 2: line longer than"):
        minipyro.load_recording(path)


def test_reader_follows_a_file_being_written(tmp_path):
    path = write_lines(tmp_path / "growing.mpr.jsonl", HEADER, EVENT0[:25], newline_at_end=False)
    reader = RecordingReader(path)
    assert reader.read_new() == []
    with open(path, "a", encoding="utf-8") as f:
        f.write(EVENT0[25:] + "\n" + EVENT1 + "\n")
    assert [e["text"] for e in reader.read_new()] == ["hi", "there"]


def test_saving_replaces_the_old_file_whole(tmp_path):
    path = tmp_path / "run.mpr.jsonl"
    path.write_text("old contents\n")
    with minipyro.record(detail="sites") as rec:
        run_svi(1)
    rec.save(path)
    assert len(minipyro.load_recording(path)) == len(rec)
