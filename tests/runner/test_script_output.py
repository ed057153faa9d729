"""A script's bytes on ``sys.stdout.buffer`` under the runner: output events in the order written,
each byte kept (as Python's terminal would show them), a character split across writes whole."""

from minipyro.runner.capture import BytesAsText
from minipyro.runner.controller import RunnerController

SCRIPT = '''import sys
print("text first")
sys.stdout.buffer.write("bytes: h\\u00e9llo ".encode())
sys.stdout.buffer.write("\\u20ac".encode()[:2])  # a character cut in two writes
sys.stdout.buffer.write("\\u20ac".encode()[2:] + b"\\n")
sys.stdout.buffer.writelines([b"not UTF-8: \\xff\\n", memoryview(b"a view\\n")])
sys.stdout.buffer.flush()
print("text last", sys.stdout.buffer.fileno())
'''


def test_bytes_written_to_stdout_buffer_become_output_in_order(tmp_path):
    script = tmp_path / "writes_bytes.py"
    script.write_text(SCRIPT)
    controller = RunnerController()
    try:
        controller.run(script, entry="script")
        assert controller.wait_until("finished", timeout=60)
        events = controller.events
    finally:
        controller.close()
    assert events[-1]["status"] == "ok", [e for e in events if e["kind"] == "error"]
    stdout = "".join(e["text"] for e in events if e["kind"] == "output" and e["stream"] == "stdout")
    assert stdout == "text first\nbytes: h\u00e9llo \u20ac\nnot UTF-8: \\xff\na view\ntext last 1\n"


def test_a_binary_stream_over_a_real_one_passes_every_byte_and_records_the_text():
    class Raw:
        def __init__(self):
            self.data = b""

        def write(self, data):
            self.data += data
            return len(data)

    raw, text = Raw(), []
    stream = BytesAsText(text.append, raw=raw)
    written = b"\xe2\x82\xac and \xff\n"
    assert stream.write(written[:1]) + stream.write(written[1:]) == len(written)
    assert raw.data == written and "".join(text) == "\u20ac and \\xff\n"
