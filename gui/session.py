"""The session model: a run's events and what the app shows at any step of it.

The state at step k (the handler stack, the message in flight, the source
line) is a pure function of events 0..k: :func:`reduce` folds one event into
a state. Snapshots every ``CHECKPOINT_EVERY`` events make any jump cheap:
the state at k is the nearest snapshot at or before k, plus at most that many
events folded in. Like napari's components, this module never imports Qt;
views connect to its signals.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
from dataclasses import dataclass, field
from typing import Callable, Optional

import orjson

CHECKPOINT_EVERY = 256


class Signal:
    """A minimal event emitter: ``connect(slot)``, ``emit(*args)``."""

    def __init__(self):
        self._slots: list[Callable] = []

    def connect(self, slot: Callable) -> None:
        self._slots.append(slot)

    def emit(self, *args) -> None:
        for slot in list(self._slots):
            slot(*args)


@dataclass
class Handler:
    handler_id: int
    handler: str  # class name
    label: str


@dataclass
class Message:
    """A message in flight, as the handlers have changed it so far."""

    msg_id: int
    type: str
    name: str
    source: Optional[str]
    stack: list  # handler ids, top first, when the message started
    fields: dict
    phase: str = "start"  # start, process, stop, default, postprocess, end
    position: Optional[int] = None  # the handler it is at, counted from the top
    stopped_by: Optional[int] = None
    action: Optional[str] = None  # what the default behaviour did: sampled, observed, kept, computed
    badges: dict = field(default_factory=dict)  # handler id -> {"process"|"postprocess": changes}
    changes: dict = field(default_factory=dict)  # what the current event changed: field -> [before, after]

    def copy(self) -> "Message":
        # reduce() replaces field values and badge entries, never mutates them: shallow copies suffice.
        return dataclasses.replace(self, stack=list(self.stack), fields=dict(self.fields),
                                   badges={k: dict(v) for k, v in self.badges.items()}, changes=dict(self.changes))


@dataclass
class State:
    """What every panel shows at one step."""

    step: int = -1
    stack: list = field(default_factory=list)  # Handler, top first
    messages: list = field(default_factory=list)  # Message in flight, innermost last
    source: Optional[str] = None  # "file:line" of the current site
    error: Optional[dict] = None
    svi_step: Optional[dict] = None
    status: Optional[str] = None
    run_file: Optional[str] = None

    @property
    def message(self) -> Optional[Message]:
        return self.messages[-1] if self.messages else None

    def copy(self) -> "State":
        """An independent copy (Handlers are never changed once made, so they are shared)."""
        return dataclasses.replace(self, stack=list(self.stack), messages=[m.copy() for m in self.messages])


def _apply_changes(fields: dict, changes: dict) -> None:
    for key, (_, after) in changes.items():
        if key.startswith("infer."):
            infer = dict(fields.get("infer") or {})
            infer[key[len("infer."):]] = after
            fields["infer"] = infer
        else:
            fields[key] = after


def reduce(state: State, event: dict) -> State:
    """Fold one event into ``state`` (in place) and return it."""
    state.step = event["seq"]
    kind = event["kind"]
    # A message ended at the previous step leaves now; the step that ends it still shows it.
    while state.messages and state.messages[-1].phase == "end":
        state.messages.pop()
    if state.messages:
        state.messages[-1].changes = {}
    if kind == "run_start":
        state.stack, state.messages, state.error, state.status = [], [], None, "running"
        state.run_file = event.get("file")
    elif kind == "handler_enter":
        state.stack.insert(0, Handler(event["handler_id"], event["handler"], event["label"]))
    elif kind == "handler_exit":
        state.stack = [h for h in state.stack if h.handler_id != event["handler_id"]]
    elif kind == "msg_start":
        state.messages.append(Message(event["msg_id"], event["type"], event["name"], event.get("source"),
                                      list(event["stack"]), dict(event.get("fields") or {})))
        state.source = event.get("source") or state.source
    elif kind in ("process", "postprocess", "stop", "default", "msg_end"):
        message = next((m for m in reversed(state.messages) if m.msg_id == event["msg_id"]), None)
        if message is not None:
            _advance(message, event, kind)
    elif kind == "error":
        state.error = event
        # The line to show: the innermost frame in the model file, else the outermost frame kept.
        frames = event.get("frames") or []
        in_model = [f for f in frames if f["file"] == state.run_file]
        frame = in_model[-1] if in_model else (frames[0] if frames else None)
        if frame is not None:
            state.source = f"{frame['file']}:{frame['line']}"
    elif kind == "svi_step":
        state.svi_step = event
    elif kind == "run_end":
        state.status = event.get("status")
    return state


def _advance(message: Message, event: dict, kind: str) -> None:
    message.phase = "end" if kind == "msg_end" else kind
    if kind in ("process", "postprocess"):
        message.position = event["position"]
        changes = event.get("changes") or {}
        message.changes = changes
        _apply_changes(message.fields, changes)
        if changes:
            message.badges.setdefault(event["handler_id"], {})[kind] = changes
    elif kind == "stop":
        message.stopped_by = event["handler_id"]
        message.badges.setdefault(event["handler_id"], {})["stop"] = True
        message.fields["stop"] = True
    elif kind == "default":
        message.position = None
        message.action = event.get("action")
        message.changes = {"value": [message.fields.get("value"), event.get("value")]}
        message.fields["value"] = event.get("value")
        message.fields["done"] = True
    elif kind == "msg_end":
        message.position = 0
        message.fields["value"] = event.get("value")


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


KIND_CODES = {kind: code for code, kind in enumerate(
    ["run_start", "run_end", "handler_enter", "handler_exit", "msg_start", "process", "stop", "default",
     "postprocess", "msg_end", "svi_step", "structure", "output", "error"])}


class Session:
    """A run's events and the current step. Views read it and connect to its signals.

    Signals: ``sig_reset()`` (a new run or recording), ``sig_events_added(first, end)``,
    ``sig_step_changed(step)``.
    """

    def __init__(self):
        self.events = EventStore()
        self.current = -1
        self.file: Optional[str] = None
        self.truncated = False  # the recording's last line was cut off
        self._checkpoints: list[State] = []  # the state after events k*CHECKPOINT_EVERY - 1
        self._tail = State()  # the state after the last event
        self.sig_reset = Signal()
        self.sig_events_added = Signal()
        self.sig_step_changed = Signal()

    def reset(self, file: Optional[str] = None) -> None:
        self.events.clear()
        self.current = -1
        self.file = file
        self._checkpoints = []
        self._tail = State()
        self.sig_reset.emit()

    def add_events(self, events: list, lines: Optional[list] = None) -> None:
        """Append events (dicts; optionally their JSON lines, as read from a file)."""
        if not events:
            return
        if events[0]["kind"] == "run_start" and len(self.events) > 0:
            self.reset(self.file)  # a session holds one run
        first = len(self.events)
        for i, event in enumerate(events):
            if len(self.events) % CHECKPOINT_EVERY == 0:
                self._checkpoints.append(self._tail.copy())
            self.events.append(event, None if lines is None else lines[i])
            reduce(self._tail, event)
        self.sig_events_added.emit(first, len(self.events))

    def __len__(self) -> int:
        return len(self.events)

    def load_recording(self, path, chunk_bytes: int = 1 << 20):
        """Read a recording file into this session, a piece at a time (a million events never
        exist as dicts at once). Returns the reader, to follow the file if it is still being
        written; raises RecordingError naming the line for a bad file."""
        from minipyro.observe.recording import RecordingError, RecordingReader

        reader = RecordingReader(path)
        self.reset(str(path))
        # Reading creates millions of short-lived dicts: with the cyclic collector on, it would
        # rescan everything the session has kept so far, again and again (it doubles the time).
        # They are freed by reference counting; collect once at the end instead.
        collecting = gc.isenabled()
        gc.disable()
        try:
            while True:
                offset = reader.offset
                pairs = reader.read_new_raw(chunk_bytes)
                self.add_events([p[0] for p in pairs], [p[1] for p in pairs])
                if reader.offset == offset:
                    break
            if reader.pending and self.ended:  # the run is over: a last line with no newline is whole or cut
                last, self.truncated = reader.finish_raw()
                self.add_events([p[0] for p in last], [p[1] for p in last])
        finally:
            if collecting:
                gc.enable()
        if reader.header is None:
            raise RecordingError(f"{path}: not a MiniPyro recording")
        # What was read lives as long as the session: keep the collector from scanning it again
        # (each full collection would pause the app for tens of milliseconds).
        gc.collect()
        gc.freeze()
        return reader

    @property
    def ended(self) -> bool:
        return len(self.events) > 0 and self.events.kinds[-1] == KIND_CODES["run_end"]

    def state_at(self, step: int) -> State:
        """The state after events 0..step (a fresh object: views may keep it)."""
        if step < 0 or len(self.events) == 0:
            return State()
        step = min(step, len(self.events) - 1)
        if step == len(self.events) - 1:
            return self._tail.copy()
        index = step // CHECKPOINT_EVERY
        state = self._checkpoints[index].copy()
        for k in range(index * CHECKPOINT_EVERY, step + 1):
            reduce(state, self.events[k])
        return state

    def set_current(self, step: int) -> None:
        step = max(-1, min(step, len(self.events) - 1))
        if step != self.current:
            self.current = step
            self.sig_step_changed.emit(step)

    # Travel through the recorded events (no re-running) -------------------------
    def find(self, predicate: Callable[[dict], bool], start: int, backwards: bool = False) -> Optional[int]:
        indices = range(start, -1, -1) if backwards else range(start, len(self.events))
        for k in indices:
            if predicate(self.events[k]):
                return k
        return None

    def end_of_message(self, step: int) -> Optional[int]:
        """The msg_end of the message in flight at ``step`` (or of the next message)."""
        state = self.state_at(step)
        message = state.message
        if message is None or message.phase == "end":
            return self.find(lambda e: e["kind"] == "msg_end", step + 1)
        return self.find(lambda e: e["kind"] == "msg_end" and e["msg_id"] == message.msg_id, step + 1)

    def exit_of_handler(self, step: int) -> Optional[int]:
        """The handler_exit of the innermost handler at ``step``."""
        state = self.state_at(step)
        event = self.events[step] if step >= 0 else None
        stack = state.stack
        if event is not None and event["kind"] == "handler_exit":
            target_depth = event["depth"] - 1
        else:
            target_depth = len(stack) - 1
        if target_depth < 0:
            return None
        return self.find(lambda e: e["kind"] == "handler_exit" and e["depth"] == target_depth, step + 1)
