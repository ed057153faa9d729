"""The user's output during a run: Python's ``sys.stdout``/``sys.stderr`` and what C code
writes to file descriptors 1 and 2 become ``output`` events.

Output is batched: the lines printed since the last batch become one event per stream, sent at
the latest ``BATCH_SECONDS`` later, at once when ``BATCH_CHARS`` have gathered, and always before
the next event of another kind (so the order of prints and sites is kept). A print flood of a
million lines is then a few hundred events, not a million steps. No event carries more than
``EVENT_CHARS``: a 15 MB line goes as pieces (the next continues the line, as on a terminal),
so that no reader holds Python's lock for long decoding one event.
"""

from __future__ import annotations

import codecs
import itertools
import os
import threading
from operator import itemgetter

from .protocol import private_fd

BATCH_SECONDS = 1 / 30
BATCH_CHARS = 1 << 16
EVENT_CHARS = 1 << 18


def printable(text: str) -> str:
    """``text`` as valid UTF-8 can carry it: a lone surrogate (``print("\\udcff")``) is written
    as its escape, as ``errors="backslashreplace"`` does."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class CapturedOutput:
    """What the model prints during one run, gathered in order and sent in batches to ``emit``
    (``emit(stream, text)``). :meth:`stream` gives the file objects for ``sys.stdout``/``sys.stderr``."""

    def __init__(self, emit):
        self.emit = emit
        self._parts: list[tuple[str, str]] = []  # (stream, text), in the order written
        self._size = 0
        self._lock = threading.RLock()
        self._closed = threading.Event()
        self._sender = threading.Thread(target=self._send_periodically, name="output-batches", daemon=True)
        self._sender.start()

    def stream(self, name: str) -> "OutputStream":
        return OutputStream(name, self)

    def add(self, stream: str, text: str) -> None:
        with self._lock:
            self._parts.append((stream, text))
            self._size += len(text)
            if self._size >= BATCH_CHARS:
                self.send()

    def send(self) -> None:
        """Emit what has gathered: one event per run of the same stream."""
        if not self._parts:  # checked without the lock first: this runs before every event
            return
        with self._lock:  # held while emitting, so that no event overtakes the output before it
            parts, self._parts, self._size = self._parts, [], 0
            for stream, group in itertools.groupby(parts, key=itemgetter(0)):
                text = "".join(text for _, text in group)
                for start in range(0, len(text), EVENT_CHARS):
                    self.emit(stream, text[start:start + EVENT_CHARS])

    def _send_periodically(self) -> None:
        while not self._closed.wait(BATCH_SECONDS):
            self.send()

    def close(self) -> None:
        self._closed.set()
        self._sender.join()
        self.send()


class OutputStream:
    """``sys.stdout``/``sys.stderr`` during a run: complete lines go to the run's batches at once,
    a line still being written when the stream is flushed (or the run ends)."""

    def __init__(self, stream: str, output: CapturedOutput):
        self.stream = stream
        self.output = output
        self._pending = ""
        self.encoding = "utf-8"
        self.errors = "backslashreplace"

    def write(self, text) -> int:
        text = printable(str(text))
        self._pending += text
        if "\n" in text:
            complete, self._pending = self._pending.rsplit("\n", 1)
            self.output.add(self.stream, complete + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            text, self._pending = self._pending, ""
            self.output.add(self.stream, text)

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1 if self.stream == "stdout" else 2

    @property
    def buffer(self) -> "BytesAsText":
        """``sys.stdout.buffer``: bytes written there join the text in the order written."""
        if not hasattr(self, "_buffer"):
            self._buffer = BytesAsText(self.write, flush=self.flush, fileno=self.fileno)
        return self._buffer


class BytesAsText:
    """A binary stream (what ``sys.stdout.buffer`` is) whose bytes become text for ``write_text``:
    decoded as UTF-8, a character split across writes joined, bytes that are not UTF-8 written as
    their escapes (``\\xff``), as a recording's text must be valid UTF-8. ``raw``: a real binary
    stream that gets every byte unchanged first (the terminal, when the script runs as itself)."""

    def __init__(self, write_text, raw=None, flush=None, fileno=None):
        self._write_text = write_text
        self._raw = raw
        self._flush, self._fileno = flush, fileno
        self._decoder = codecs.getincrementaldecoder("utf-8")("backslashreplace")
        self.closed = False

    def write(self, data) -> int:
        data = bytes(data)  # bytes, bytearray, memoryview: as a binary stream takes them
        written = len(data) if self._raw is None else self._raw.write(data)
        text = self._decoder.decode(data)
        if text:
            self._write_text(text)
        return written

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._raw is not None:
            self._raw.flush()
        elif self._flush is not None:
            self._flush()

    def fileno(self) -> int:
        return self._raw.fileno() if self._raw is not None else self._fileno()

    def isatty(self) -> bool:
        return False if self._raw is None else self._raw.isatty()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False


class FdCapture:
    """Points file descriptor ``fd`` at a pipe whose text becomes output events: what C code
    (or ``os.write``) writes there. :meth:`drain` waits until all written so far is emitted.
    A model that closes or replaces ``fd`` breaks nothing: :meth:`restore` puts the pipe back."""

    MARKER = b"\x00minipyro-drain\x00"

    def __init__(self, fd: int, stream: str, emit):
        self.fd, self.stream, self.emit = fd, stream, emit
        read_end, write_end = os.pipe()
        self._write_end = private_fd(write_end)  # ours, whatever the model does to fd
        os.close(write_end)
        self.restore()
        self._drained = threading.Event()
        threading.Thread(target=self._pump, args=(read_end,), name=f"capture-{stream}", daemon=True).start()

    def restore(self) -> None:
        os.dup2(self._write_end, self.fd)

    def _pump(self, read_end: int) -> None:
        pending = b""
        with os.fdopen(read_end, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    return
                pending += chunk
                drained = self.MARKER in pending
                text, _, rest = pending.partition(self.MARKER)
                # keep a tail that could be the start of a marker or of a UTF-8 character
                keep = 0 if drained else min(len(text), len(self.MARKER) + 3)
                text, pending = text[: len(text) - keep], text[len(text) - keep:] + rest
                if text:
                    self.emit(self.stream, text.decode("utf-8", errors="replace"))
                if drained:
                    self._drained.set()

    def drain(self, timeout: float = 1.0) -> None:
        self._drained.clear()
        os.write(self._write_end, self.MARKER)
        self._drained.wait(timeout)
