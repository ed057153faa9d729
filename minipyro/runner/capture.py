"""The user's output during a run: Python's ``sys.stdout``/``sys.stderr`` and what C code
writes to file descriptors 1 and 2 become ``output`` events."""

from __future__ import annotations

import os
import threading


class OutputStream:
    """``sys.stdout``/``sys.stderr`` during a run: each complete line becomes an ``output`` event."""

    def __init__(self, stream: str, emit):
        self.stream = stream
        self.emit = emit
        self._pending = ""
        self.encoding = "utf-8"

    def write(self, text) -> int:
        text = str(text)
        self._pending += text
        if "\n" in self._pending:
            complete, self._pending = self._pending.rsplit("\n", 1)
            self.emit(self.stream, complete + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            text, self._pending = self._pending, ""
            self.emit(self.stream, text)

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1 if self.stream == "stdout" else 2


class FdCapture:
    """Points file descriptor ``fd`` at a pipe whose text becomes output events: what C code
    (or ``os.write``) writes there. :meth:`drain` waits until all written so far is emitted."""

    MARKER = b"\x00minipyro-drain\x00"

    def __init__(self, fd: int, stream: str, emit):
        self.fd, self.stream, self.emit = fd, stream, emit
        read_end, write_end = os.pipe()
        os.dup2(write_end, fd)
        os.close(write_end)
        self._drained = threading.Event()
        threading.Thread(target=self._pump, args=(read_end,), name=f"capture-{stream}", daemon=True).start()

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
        os.write(self.fd, self.MARKER)
        self._drained.wait(timeout)
