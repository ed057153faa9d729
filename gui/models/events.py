"""The events of a session, kept compactly: JSON text per event (or, for a recording, where
its line is in the file), parsed when asked for."""

from __future__ import annotations

import itertools
import os
import sys
from array import array
from typing import Optional

import orjson

KIND_CODES = {kind: code for code, kind in enumerate(
    ["run_start", "run_end", "handler_enter", "handler_exit", "msg_start", "process", "stop", "default",
     "postprocess", "msg_end", "svi_step", "structure", "output", "error", "line", "loss"])}


CACHED = 8192  # events kept parsed
KEPT_MESSAGE_NAMES = 4096  # when old events are dropped: more than any run has messages in flight


class EventStore:
    """The events of a session, each kept as its JSON text and parsed when asked for.

    A million events as dicts would take gigabytes; as compact JSON lines they
    take a few hundred megabytes, and the few that are on screen are parsed
    again in microseconds. Events read from a recording file (:meth:`read_from`) are not even
    kept as text: only where each line starts, and the line is read again from the file.
    """

    def __init__(self):
        self._lines: list[bytes] = []  # a run's events as they arrived
        self._file = None  # or a recording file's, read again when asked for
        self._starts = array("q")  # where each event's line starts in it
        self._end = 0  # where the last one ends
        self._cache: dict[int, dict] = {}
        self.kinds: bytearray = bytearray()  # a code per event, for fast filtering
        self.names: list[Optional[str]] = []  # the site name of each event (None if none)
        self.handler_labels: dict[int, str] = {}
        self.message_names: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.kinds)

    def read_from(self, file) -> None:
        """Keep the events appended with an ``offset`` as places in ``file`` (an open binary
        file, the recording they are read from; closed by :meth:`clear`)."""
        self._file = file

    def append(self, event: dict, line: Optional[bytes] = None, offset: Optional[int] = None) -> None:
        if self._file is not None and offset is not None:
            self._starts.append(offset)
            self._end = offset + len(line) + 1
        else:
            self._lines.append(orjson.dumps(event) if line is None else line)
        kind = event["kind"]
        self.kinds.append(KIND_CODES.get(kind, 255))
        name = event.get("name")
        if kind == "handler_enter":
            self.handler_labels[event["handler_id"]] = event["label"]
        elif kind == "msg_start":
            self.message_names[event["msg_id"]] = name
        elif name is None and "msg_id" in event:
            name = self.message_names.get(event["msg_id"])
        self.names.append(name if name is None else sys.intern(name))
        # Kept parsed: the views that read each new event as it arrives (problems, monitor)
        # then need not parse it again from the file.
        self._remember(len(self.kinds) - 1, event)

    def __getitem__(self, index: int) -> dict:
        if index < 0:
            index += len(self)
        event = self._cache.get(index)
        if event is None:
            event = orjson.loads(self.line(index))
            self._remember(index, event)
        return event

    def _remember(self, index: int, event: dict) -> None:
        """Cache ``event``; past ``CACHED`` events the older half goes (dicts keep insertion order)."""
        cache = self._cache
        cache[index] = event
        if len(cache) > CACHED:
            for old in list(itertools.islice(cache, CACHED // 2)):
                del cache[old]

    def line(self, index: int) -> bytes:
        """The event's JSON text, as stored."""
        if self._file is None:
            return self._lines[index]
        if index < 0:
            index += len(self)
        start = self._starts[index]
        end = self._starts[index + 1] - 1 if index + 1 < len(self._starts) else self._end - 1
        return os.pread(self._file.fileno(), end - start, start)

    def drop_first(self, count: int) -> None:
        """Forget the oldest ``count`` events (event k becomes k - count)."""
        del self.kinds[:count], self.names[:count]
        if self._file is None:
            del self._lines[:count]
        else:
            del self._starts[:count]
        self._cache = {}
        # Names of messages started long ago: only those still in flight label later events.
        self.message_names = dict(list(self.message_names.items())[-KEPT_MESSAGE_NAMES:])

    def clear(self) -> None:
        if self._file is not None:
            self._file.close()
        self.__init__()
