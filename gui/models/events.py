"""The events of a session, kept compactly: JSON text per event, parsed when asked for."""

from __future__ import annotations

import sys
from typing import Optional

import orjson

KIND_CODES = {kind: code for code, kind in enumerate(
    ["run_start", "run_end", "handler_enter", "handler_exit", "msg_start", "process", "stop", "default",
     "postprocess", "msg_end", "svi_step", "structure", "output", "error", "line", "loss"])}


class EventStore:
    """The events of a session, each kept as its JSON text and parsed when asked for.

    A million events as dicts would take gigabytes; as compact JSON lines they
    take a few hundred megabytes, and the few that are on screen are parsed
    again in microseconds.
    """

    def __init__(self):
        self._lines: list[bytes] = []
        self._cache: dict[int, dict] = {}
        self.kinds: bytearray = bytearray()  # a code per event, for fast filtering
        self.names: list[Optional[str]] = []  # the site name of each event (None if none)
        self.handler_labels: dict[int, str] = {}
        self.message_names: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._lines)

    def append(self, event: dict, line: Optional[bytes] = None) -> None:
        if line is None:
            line = orjson.dumps(event)
        self._lines.append(line)
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
        if len(self._cache) < 4096:
            self._cache[len(self._lines) - 1] = event

    def __getitem__(self, index: int) -> dict:
        event = self._cache.get(index)
        if event is None:
            event = orjson.loads(self._lines[index])
            if len(self._cache) > 8192:
                self._cache.clear()
            self._cache[index] = event
        return event

    def line(self, index: int) -> bytes:
        """The event's JSON text, as stored."""
        return self._lines[index]

    def clear(self) -> None:
        self.__init__()
