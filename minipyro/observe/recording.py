"""Recording files (``.mpr.jsonl``): JSON Lines, a header line, then one event per line.

Reading never executes anything: lines are parsed as JSON and checked
against the event schema; anything else is refused with the line number. A
cut-off last line (a run still being written, or killed) is tolerated.
"""

from __future__ import annotations

import gc
import json
import os
import stat
import tempfile
import threading
import time
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Iterator, Optional

import orjson

from .event import DETAILS, Event, json_line
from .schema import REQUIRED, problem

FORMAT = "minipyro-recording"
VERSION = 2  # 2: run_start carries the model file's text (source_text); version 1 is still read
SUFFIX = ".mpr.jsonl"
MAX_LINE_BYTES = 64 * 1024 * 1024  # a 15 MB print is a line; a gigabyte is not
CHUNK_BYTES = 1 << 20
MAX_DEPTH = 32
FLUSH_SECONDS = 0.5  # no event waits in a buffer longer than this (DESIGN: at most a second)


class RecordingError(ValueError):
    """A recording file that cannot be read; the message names the file and line."""


def header(detail: str) -> dict:
    return {"format": FORMAT, "version": VERSION, "detail": detail,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


class Recording:
    """The events of one recording: in memory, or streamed to a file."""

    def __init__(self, detail: str, events: Optional[list] = None, header: Optional[dict] = None,
                 truncated: bool = False):
        self.detail = detail
        self.events: list[Event] = [] if events is None else events
        self.header = header or {}
        self.truncated = truncated  # the file's last line was cut off (a crash, or still being written)
        self._recorder = None  # the Recorder while recording

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __getitem__(self, index):
        return self.events[index]

    def emit(self, kind: str, **fields) -> Event:
        """Add an event of your own (a run's start or end, the program's output) while recording."""
        if self._recorder is None:
            raise RuntimeError("this recording is not active: emit() works inside `with record(...)`")
        return self._recorder.emit(kind, **fields)

    def save(self, path) -> None:
        """Write the events as a recording file, atomically (temporary file, then rename)."""
        save_events(path, self.events, self.detail)


class RecordingWriter:
    """Streams events to a file; a background timer flushes so that a quiet run is on disk within a second."""

    def __init__(self, path, detail: str):
        self.path = Path(path)
        self._file = open(self.path, "w", encoding="utf-8")
        self._file.write(json_line(header(detail)))
        self._file.flush()
        self._lock = threading.Lock()
        self._dirty = False
        self._closed = threading.Event()
        self._flusher = threading.Thread(target=self._flush_periodically, name="recording-flush", daemon=True)
        self._flusher.start()

    def write(self, event: Event) -> None:
        self.write_dict(event.to_dict())

    def write_dict(self, event: dict) -> None:
        text = json_line(event)
        with self._lock:
            self._file.write(text)
            self._dirty = True

    def _flush_periodically(self) -> None:
        while not self._closed.wait(FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            if self._dirty and not self._file.closed:
                self._file.flush()
                self._dirty = False

    def close(self) -> None:
        self._closed.set()
        self._flusher.join()
        with self._lock:
            self._file.close()


def save_events(path, events, detail: str) -> None:
    """Write a whole recording atomically: a temporary file beside ``path``, then a rename.
    ``events`` are Events or event dicts."""
    save_lines(path, (json_line(e if isinstance(e, dict) else e.to_dict()).encode("utf-8") for e in events), detail)


def save_lines(path, lines, detail: str) -> None:
    """Like :func:`save_events`, for events already encoded as JSON lines (bytes, newline optional)."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(json_line(header(detail)).encode("utf-8"))
            for line in lines:
                f.write(line if line.endswith(b"\n") else line + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def _depth(value) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            return depth
        level = [child for item in level if isinstance(item, (dict, list))
                 for child in (item.values() if isinstance(item, dict) else item)]
    return depth


def _refuse_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        duplicated = sorted({key for key in keys if keys.count(key) > 1})
        raise ValueError(f"duplicate key {duplicated[0]!r}")
    return dict(pairs)


def open_regular(path):
    """``path`` opened for reading in binary, if it is a regular file: never a FIFO (which would
    block), a device such as ``/dev/zero`` (endless), a directory or a socket. Symbolic links
    are followed, and what they lead to is what is checked."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError:
        raise RecordingError(f"{path}: line 1: a folder, not a recording file") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = ("a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                    else "a socket" if stat.S_ISSOCK(mode) else "a folder" if stat.S_ISDIR(mode) else "special")
            raise RecordingError(f"{path}: line 1: not a regular file ({what}); a recording is a .mpr.jsonl file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


class RecordingReader:
    """Reads a recording file incrementally: :meth:`read_new` returns the events
    appended since the last call (so the app can follow a file being written).

    It reads in chunks of ``CHUNK_BYTES``, so a line longer than ``MAX_LINE_BYTES`` is refused
    without being read into memory whole."""

    def __init__(self, path):
        self.path = Path(path)
        self.header: dict | None = None
        self.detail = "steps"
        self._offset = 0
        self._line_number = 0
        self._next_seq = 0
        self.pending = b""  # a last line without its newline yet
        self._pending_offset = 0  # where it starts in the file

    @property
    def offset(self) -> int:
        """How far into the file the reader has read (bytes)."""
        return self._offset

    @property
    def end_of_events(self) -> int:
        """Where the last whole line read ends (bytes): what follows is a line still being written."""
        return self._pending_offset

    def size(self) -> int:
        """The file's size now (bytes): with :attr:`offset`, how far behind a follower is."""
        return os.stat(self.path).st_size

    def _fail(self, line_number: int, reason: str):
        raise RecordingError(f"{self.path}: line {line_number}: {reason}")

    def read_new(self) -> list[Event]:
        return [Event.from_dict(data) for data, _, _ in self.read_new_raw()]

    def read_new_raw(self, max_bytes: int = -1) -> list[tuple[dict, bytes, int]]:
        """Like :meth:`read_new`, as (event dict, its JSON line, the line's offset in the file)
        triples: what the app keeps. ``max_bytes`` reads a large file in pieces (call again until
        it returns nothing new)."""
        events: list = []
        self.scan(lambda *line: events.append(line), max_bytes)
        return events

    def scan(self, take, max_bytes: int = -1) -> None:
        """Read on as :meth:`read_new_raw` does, calling ``take(event dict, line, offset)`` for each
        event instead of gathering them: what a million-event file is read with."""
        with open_regular(self.path) as f:
            f.seek(self._offset)
            left = max_bytes if max_bytes >= 0 else float("inf")
            while left > 0:
                chunk = f.read(int(min(CHUNK_BYTES, left)))
                if not chunk:
                    break
                left -= len(chunk)
                self._offset += len(chunk)
                self._take(chunk, take)

    def _take(self, chunk: bytes, take) -> None:
        lines = (self.pending + chunk).split(b"\n")
        self.pending = lines.pop()  # b"" when the data ends with a newline
        if len(self.pending) > MAX_LINE_BYTES:
            self._fail(self._line_number + len(lines) + 1, f"line longer than {MAX_LINE_BYTES} bytes")
        offset, parse, line_number = self._pending_offset, self._parse, self._line_number
        try:
            for raw in lines:
                line_number += 1
                event = parse(raw, line_number)
                if event is not None:
                    take(event, raw, offset)
                offset += len(raw) + 1
        finally:
            self._line_number, self._pending_offset = line_number, offset

    def finish(self) -> tuple[list[Event], bool]:
        """At the end of a file: parse a last line with no newline if it is whole; say if one was cut."""
        triples, truncated = self.finish_raw()
        return [Event.from_dict(data) for data, _, _ in triples], truncated

    def finish_raw(self) -> tuple[list[tuple[dict, bytes, int]], bool]:
        if not self.pending:
            return [], False
        raw, self.pending = self.pending, b""
        try:
            event = self._parse(raw, self._line_number + 1)
        except RecordingError:
            if self.header is None:
                raise  # a file that is not a recording at all, not one cut short
            return [], True  # cut off mid-line: tolerated
        self._line_number += 1
        offset, self._pending_offset = self._pending_offset, self._pending_offset + len(raw)
        return ([] if event is None else [(event, raw, offset)]), False

    def _parse(self, raw: bytes, line_number: int):
        if len(raw) > MAX_LINE_BYTES:
            self._fail(line_number, f"line longer than {MAX_LINE_BYTES} bytes")
        try:
            # orjson: strict UTF-8 and JSON (NaN refused), and several times faster than json,
            # which matters for a million-event recording.
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            deep = "depth" in str(error) or "recursion" in str(error)
            reason = "nested deeper than the parser allows" if deep else f"not a JSON line ({error})"
            self._fail(line_number, reason)
        # Counting brackets is cheap; only a line with many of them needs walking.
        if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth(data) > MAX_DEPTH:
            self._fail(line_number, f"nested deeper than {MAX_DEPTH} levels")
        # orjson keeps the last of duplicate keys silently. What we write comes back byte for
        # byte when encoded again. Another encoder's line has lost a key to a duplicate only if
        # it has more colons (one per key, plus those in strings, maybe escaped) than its
        # encoding again (which writes every colon as is): only then is it parsed key by key.
        again = orjson.dumps(data)
        if again != raw and (raw.count(b":") + raw.count(b"\\u003a") + raw.count(b"\\u003A")
                             > again.count(b":")):
            try:
                json.loads(raw, object_pairs_hook=_refuse_duplicate_keys)
            except ValueError as error:
                self._fail(line_number, str(error))
        if self.header is None:
            self._check_header(data, line_number)
            return None
        return self._event(data, line_number)

    def _check_header(self, data, line_number: int) -> None:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            self._fail(line_number, f"not a MiniPyro recording (the first line must be a '{FORMAT}' header)")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            self._fail(line_number, "the header has no integer version")
        if version > VERSION:
            self._fail(line_number, f"recording format version {version} is newer than this "
                                    f"MiniPyro Studio reads ({VERSION}); please upgrade")
        if version < 1:
            self._fail(line_number, f"unknown recording format version {version}")
        self.header = data
        self.detail = data.get("detail") if data.get("detail") in DETAILS else "steps"

    def _event(self, data, line_number: int) -> dict:
        if type(data) is not dict:
            self._fail(line_number, "an event must be a JSON object")
        seq, kind, t = data.get("seq"), data.get("kind"), data.get("t")
        if type(seq) is not int:
            self._fail(line_number, "an event needs an integer 'seq'")
        if type(kind) is not str or kind not in REQUIRED:
            self._fail(line_number, f"unknown event kind {_short(kind)}")
        if type(t) is not float and type(t) is not int:
            self._fail(line_number, "an event needs a number 't'")
        if seq != self._next_seq:
            self._fail(line_number, f"events are missing: expected seq {self._next_seq}, found {seq}")
        wrong = problem(kind, data)
        if wrong is not None:
            self._fail(line_number, wrong)
        self._next_seq += 1
        return data


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


class RecordedEvents(Sequence):
    """The events of a recording file, each parsed from the file when asked for: only where each
    line starts is kept (8 bytes an event), so a million events take megabytes, not gigabytes.

    The file was checked whole when it was loaded; a line that no longer reads as the event
    it was (the file was changed since) raises RecordingError."""

    def __init__(self, path, starts: array):
        self.path = Path(path)
        self._starts = starts  # where each line starts, and one more: where the next would
        self._file = open_regular(path)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def line(self, index: int) -> bytes:
        """The event's JSON line as it is in the file (without its newline)."""
        start, end = self._starts[index], self._starts[index + 1]
        return os.pread(self._file.fileno(), end - start, start).rstrip(b"\n")

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("event index out of range")
        try:
            data = orjson.loads(self.line(index))
        except orjson.JSONDecodeError:
            data = None
        if type(data) is not dict or data.get("seq") != index:
            raise RecordingError(f"{self.path}: line {index + 2}: the file has changed since it was loaded")
        return Event.from_dict(data)

    def __iter__(self) -> Iterator[Event]:
        for index in range(len(self)):
            yield self[index]

    def close(self) -> None:
        self._file.close()


def load_recording(path) -> Recording:
    """Read a whole recording file, checking every line; the events are parsed again from the
    file when read (a million-event file loads in seconds and a few megabytes). Raises
    :class:`RecordingError` (a ValueError) naming the line."""
    reader = RecordingReader(path)
    starts = array("q")
    # Reading makes millions of short-lived dicts: the cyclic collector would only slow it down.
    collecting = gc.isenabled()
    gc.disable()
    try:
        reader.scan(lambda event, line, offset: starts.append(offset))
        last, truncated = reader.finish_raw()
    finally:
        if collecting:
            gc.enable()
    starts.extend(offset for _, _, offset in last)
    if reader.header is None:
        raise RecordingError(f"{path}: empty file: not a MiniPyro recording")
    starts.append(reader.end_of_events)
    return Recording(reader.detail, RecordedEvents(path, starts), header=reader.header, truncated=truncated)
