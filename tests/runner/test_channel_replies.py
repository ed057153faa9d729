"""A reply to a command (paused, finished, refused) leaves the child at once, with the events
before it: a debugger step must not wait for the next batch of events (DESIGN section 6)."""

import json
import os
import select

import pytest

from minipyro.runner import capture, protocol


@pytest.fixture
def channel_and_reader(monkeypatch):
    # Batches that would never be sent by time: only a reply can have flushed what is read.
    monkeypatch.setattr(protocol, "SEND_INTERVAL", 1e9)
    monkeypatch.setattr(capture, "BATCH_SECONDS", 1e9)
    read_end, write_end = os.pipe()
    channel = protocol.Channel(write_end)
    yield channel, os.fdopen(read_end, "rb", buffering=0)


def lines_waiting(reader) -> list:
    """The lines already in the pipe, without waiting for more."""
    data = b""
    while select.select([reader], [], [], 0)[0]:
        chunk = reader.read(65536)
        if not chunk:
            break
        data += chunk
    return [json.loads(line) for line in data.splitlines()]


def test_events_wait_for_their_batch_but_a_reply_flushes_them_first(channel_and_reader):
    channel, reader = channel_and_reader
    channel.event({"seq": 1, "kind": "msg_start"})
    channel.event({"seq": 2, "kind": "process"})
    assert lines_waiting(reader) == []  # batched: nothing sent yet
    channel.control("paused", seq=2, reason="step")
    lines = lines_waiting(reader)
    assert [line.get("control") for line in lines] == [None, "paused"]
    assert [event["seq"] for event in lines[0]["events"]] == [1, 2]


def test_output_printed_before_a_pause_arrives_before_the_reply(channel_and_reader):
    channel, reader = channel_and_reader
    output = capture.CapturedOutput(lambda stream, text: channel.event({"kind": "output", "text": text}))
    try:
        output.stream("stdout").write("hello\n")
        output.send()  # what the recorder does before the next event of another kind
        channel.event({"seq": 5, "kind": "msg_end"})
        channel.control("paused", seq=5, reason="step")
        lines = lines_waiting(reader)
    finally:
        output.close()
    assert [e.get("text") for e in lines[0]["events"]] == ["hello\n", None]
    assert lines[1]["control"] == "paused"
