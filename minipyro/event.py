"""Events: the plain-data record of every step of a run (DESIGN section 3).

An :class:`Event` is frozen and holds only str, int, float, bool, None, lists
and dicts, so the same event can be shown, sent to another process, saved and
replayed. This module imports nothing heavy: the app reads events without torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

DETAILS = ("sites", "steps")

# Every kind of event, and the fields it carries besides seq, kind and t.
KINDS = {
    "run_start": ("file", "entry", "seed", "status"),
    "run_end": ("file", "entry", "seed", "status"),
    "handler_enter": ("handler_id", "handler", "label", "depth"),
    "handler_exit": ("handler_id", "handler", "label", "depth"),
    "msg_start": ("msg_id", "type", "name", "stack", "fields", "source"),
    "process": ("msg_id", "handler_id", "position", "changes"),
    "stop": ("msg_id", "handler_id"),
    "default": ("msg_id", "value"),
    "postprocess": ("msg_id", "handler_id", "position", "changes"),
    "msg_end": ("msg_id", "type", "name", "value", "log_prob"),
    "svi_step": ("step", "loss", "params", "grad_norms"),
    "structure": ("which", "relations", "plates"),
    "output": ("stream", "text"),
    "error": ("type", "message", "frames"),
}
MESSAGE_FIELDS = ("type", "name", "fn", "is_observed", "args", "kwargs", "value", "scale", "mask",
                  "cond_indep_stack", "done", "stop", "infer")
# At "sites" detail msg_start carries only the fields that are cheap to summarise
# (not args, kwargs, value, infer); the value is in msg_end.


@dataclass(frozen=True, slots=True)
class Event:
    """One step of a run. ``fields`` holds the kind's own fields (plain data only)."""

    seq: int
    kind: str
    t: float
    fields: dict = field(default_factory=dict)

    def __getitem__(self, key):
        return self.to_dict()[key] if key in ("seq", "kind", "t") else self.fields[key]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def to_dict(self) -> dict:
        return {"seq": self.seq, "kind": self.kind, "t": self.t, **self.fields}

    @classmethod
    def from_dict(cls, data: dict) -> "Event":
        fields = {k: v for k, v in data.items() if k not in ("seq", "kind", "t")}
        return cls(data["seq"], data["kind"], data["t"], fields)


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
        from .recording import save_events

        save_events(path, self.events, self.detail)
