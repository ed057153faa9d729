"""What every panel shows at one step, and :func:`reduce`, which folds one event into it.

The state at step k is ``reduce`` applied to events 0..k in order, from ``State()``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional


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
    action: Optional[str] = None  # what the default behaviour did: sampled, computed, kept (observed|replayed)
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
    # The user's Python at this step (steps detail): "frames" (outermost first) and "locals" of the
    # innermost, from the newest msg_start or line event that carried them.
    python: Optional[dict] = None
    stopped_at: Optional[str] = None  # "file:line" where the user stopped the run

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
        state.run_file, state.python, state.stopped_at = event.get("file"), None, None
    elif kind == "handler_enter":
        state.stack.insert(0, Handler(event["handler_id"], event["handler"], event["label"]))
    elif kind == "handler_exit":
        state.stack = [h for h in state.stack if h.handler_id != event["handler_id"]]
    elif kind == "msg_start":
        state.messages.append(Message(event["msg_id"], event["type"], event["name"], event.get("source"),
                                      list(event["stack"]), dict(event.get("fields") or {})))
        state.source = event.get("source") or state.source
        if "frames" in event:
            state.python = {"frames": event["frames"], "locals": event.get("locals") or {}}
    elif kind == "line":  # paused in plain Python, between sites
        state.source = f"{event['file']}:{event['line']}"
        state.python = {"frames": event.get("frames") or [], "locals": event.get("locals") or {}}
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
        state.stopped_at = event.get("stopped_at")
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
        if "changes" in event:  # exact, from the recorder
            changes = event["changes"] or {}
        else:  # an older recording: only what differs
            changes = {}
            if message.fields.get("value") != event.get("value"):
                changes["value"] = [message.fields.get("value"), event.get("value")]
            if message.fields.get("done") is False:
                changes["done"] = [False, True]
        message.changes = changes
        _apply_changes(message.fields, changes)
        message.fields["value"] = event.get("value")
        message.fields["done"] = True
    elif kind == "msg_end":
        message.position = 0
        message.fields["value"] = event.get("value")
