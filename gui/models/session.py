"""The session model: a run's events and what the app shows at any step of it.

The state at step k (the handler stack, the message in flight, the source
line) is a pure function of events 0..k (:func:`gui.models.state.reduce`).
Snapshots every ``checkpoint_every`` events make any jump cheap: the state at
k is the nearest snapshot at or before k, plus at most that many events folded
in. Where a step command stops while travelling is decided by the runner's own
functions (``minipyro.runner.debugger``), so it is where a live run would stop.
"""

from __future__ import annotations

import gc
import re
from typing import Callable, Optional

from minipyro.runner.debugger import reached, step_target

from .events import KIND_CODES, EventStore
from .signal import Signal
from .state import State, reduce

CHECKPOINT_EVERY = 256
# The only kinds each step mode can stop at: the search skips the others without parsing them.
_STOPS = {"step_message": KIND_CODES["msg_end"], "step_out": KIND_CODES["handler_exit"]}
_NOT_OUTPUT = re.compile(b"[^" + re.escape(bytes([KIND_CODES["output"]])) + b"]")


class Session:
    """A run's events and the current step. Views read it and connect to its signals.

    Signals: ``sig_reset()`` (a new run or recording), ``sig_events_added(first, end)``,
    ``sig_step_changed(step)``, ``sig_dropped(count)`` (the oldest events were forgotten: event k
    is now k - count; see :meth:`drop_oldest`).
    """

    def __init__(self, checkpoint_every: int = CHECKPOINT_EVERY):
        self.checkpoint_every = checkpoint_every
        self.events = EventStore()
        self.current = -1
        self.file: Optional[str] = None
        self.truncated = False  # the recording's last line was cut off
        # file -> text, as the events carry it (run_start's source_text, an error's sources):
        # what the source panel shows of a recording, whose paths are never opened.
        self.sources: dict = {}
        # Whether Step stops at output events (a print is not a step unless the timeline shows them).
        self.output_steps = False
        self.dropped = 0  # events forgotten at the start (drop_oldest): event k has seq k + dropped
        self._checkpoints: list[State] = []  # the state after events k*checkpoint_every - 1
        self._tail = State()  # the state after the last event
        self._last_state: Optional[State] = None  # the newest state_at below the tail
        self.sig_reset = Signal()
        self.sig_events_added = Signal()
        self.sig_step_changed = Signal()
        self.sig_dropped = Signal()

    def reset(self, file: Optional[str] = None) -> None:
        self.events.clear()
        self.current = -1
        self.file = file
        self.truncated = False
        self.sources = {}
        self.dropped = 0
        self._checkpoints = []
        self._tail = State()
        self._last_state = None
        self.sig_reset.emit()

    def add_events(self, events: list, lines: Optional[list] = None, offsets: Optional[list] = None) -> None:
        """Append events (dicts; optionally their JSON lines and where those start in the
        recording file being read, see :meth:`load_recording`)."""
        if not events:
            return
        if events[0]["kind"] == "run_start" and len(self.events) > 0:
            self.reset(self.file)  # a session holds one run
        first = len(self.events)
        for i, event in enumerate(events):
            if len(self.events) % self.checkpoint_every == 0:
                self._checkpoints.append(self._tail.copy())
            self.events.append(event, None if lines is None else lines[i], None if offsets is None else offsets[i])
            reduce(self._tail, event)
            kind = event["kind"]
            if kind == "run_start" and event.get("source_text") is not None and event.get("file"):
                self.sources[event["file"]] = event["source_text"]
            elif kind == "error" and event.get("sources"):
                self.sources.update(event["sources"])
        self.sig_events_added.emit(first, len(self.events))

    def add_read(self, triples: list) -> None:
        """Append what a RecordingReader read: (event, line, offset) triples."""
        if triples:
            events, lines, offsets = zip(*triples)
            self.add_events(events, lines, offsets)

    def __len__(self) -> int:
        return len(self.events)

    def drop_oldest(self, keep: int) -> int:
        """Forget the oldest events, keeping at least the newest ``keep`` (whole checkpoint
        intervals go, so the states of those kept stay exact): memory stays flat while a fast
        writer is followed, if the user asked for it. Returns how many were dropped."""
        count = (len(self.events) - keep) // self.checkpoint_every * self.checkpoint_every
        if count <= 0:
            return 0
        self.events.drop_first(count)
        del self._checkpoints[: count // self.checkpoint_every]
        self._last_state = None
        self.dropped += count
        if self.current >= 0:  # a step that was dropped: the oldest kept
            self.current = max(0, self.current - count)
        self.sig_dropped.emit(count)
        return count

    @property
    def last(self) -> int:
        """The newest step (-1 with no events)."""
        return len(self.events) - 1

    def load_recording(self, path, chunk_bytes: int = 1 << 20):
        """Read a recording file into this session, a piece at a time (a million events never
        exist as dicts at once), up to its size when opened: a file still being written is then
        followed with the returned reader (``gui.models.follow``), a bounded piece per GUI tick.
        Raises RecordingError naming the line for a bad file."""
        from minipyro.observe.recording import RecordingError, RecordingReader, open_regular

        reader = RecordingReader(path)
        self.reset(str(path))
        self.events.read_from(open_regular(path))  # the events' lines stay there, read again when shown
        size = reader.size()
        # Reading creates millions of short-lived dicts: with the cyclic collector on, it would
        # rescan everything the session has kept so far, again and again (it doubles the time).
        # They are freed by reference counting; collect once at the end instead.
        collecting = gc.isenabled()
        gc.disable()
        try:
            while reader.offset < size:
                offset = reader.offset
                self.add_read(reader.read_new_raw(min(chunk_bytes, size - reader.offset)))
                if reader.offset == offset:
                    break
            if reader.pending and self.ended:  # the run is over: a last line with no newline is whole or cut
                last, self.truncated = reader.finish_raw()
                self.add_read(last)
        finally:
            if collecting:
                gc.enable()
        if reader.header is None:
            raise RecordingError(f"{path}: line 1: not a MiniPyro recording (no header line)")
        # What was read lives as long as the session: keep the collector from scanning it again
        # (each full collection would pause the app for tens of milliseconds).
        gc.collect()
        gc.freeze()
        return reader

    def save(self, path) -> None:
        """Write the events as a recording file, as they were received."""
        from minipyro.observe.recording import save_lines

        save_lines(path, (self.events.line(k) for k in range(len(self.events))), "steps")

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
        if self._last_state is not None and self._last_state.step == step:
            return self._last_state.copy()  # every panel asks for the same step in turn
        index = step // self.checkpoint_every
        state = self._checkpoints[index].copy()
        for k in range(index * self.checkpoint_every, step + 1):
            reduce(state, self.events[k])
        self._last_state = state.copy()
        return state

    def set_current(self, step: int) -> None:
        step = max(-1, min(step, len(self.events) - 1))
        if step != self.current:
            self.current = step
            self.sig_step_changed.emit(step)

    # Searching the recorded events (no re-running) ----------------------------------
    def find(self, predicate: Callable[[dict], bool], start: int, backwards: bool = False) -> Optional[int]:
        indices = range(start, -1, -1) if backwards else range(start, len(self.events))
        for k in indices:
            if predicate(self.events[k]):
                return k
        return None

    def stop_of(self, command: str, step: int) -> Optional[int]:
        """Where ``command`` (``step``, ``step_message``, ``step_out``, ``continue``), given at
        ``step``, would pause a live run: the runner's rule applied to the recorded events.
        None if it runs to the end (no breakpoints are consulted here)."""
        if step < 0:
            return 0 if len(self.events) else None
        mode, target = step_target(command, self.events[step], len(self.state_at(step).stack))
        if mode == "continue":
            return None
        if mode == "step":
            if self.output_steps:
                return step + 1 if step + 1 < len(self.events) else None
            found = _NOT_OUTPUT.search(self.events.kinds, step + 1)
            return found.start() if found else None
        kinds, code, k = self.events.kinds, _STOPS[mode], step
        while True:
            k = kinds.find(code, k + 1)
            if k < 0:
                return None
            if reached(mode, target, self.events[k]):
                return k
