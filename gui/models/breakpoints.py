"""The breakpoints list: line breakpoints set from the source gutter, each with an on/off switch,
an optional condition and a hit count, as a debugger's breakpoints view keeps them. Qt-free.

A breakpoint on a line pauses at the events whose ``source`` is that line: the sites called
there, and the enter and exit of a handler (a plate) entered there. The runner decides live
runs; :meth:`Breakpoints.next_hit` applies the same rule (``minipyro.runner.breakpoints``) to
the recorded events, so Continue on a finished run travels to the next hit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from minipyro.runner.breakpoints import BreakpointError, compile_breakpoints

from .events import KIND_CODES
from .signal import Signal

# The events a line breakpoint can match: the ones that carry a source line.
_LINE_KINDS = {KIND_CODES[kind] for kind in ("msg_start", "handler_enter", "handler_exit")}


@dataclass
class Breakpoint:
    id: int
    file: str
    line: int
    enabled: bool = True
    condition: str = ""
    hits: int = 0

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def spec(self) -> dict:
        spec = {"id": self.id, "line": self.where}
        if self.condition.strip():
            spec["condition"] = self.condition.strip()
        return spec


NONFINITE_ID = 0  # the "first non-finite value" breakpoint's id (line breakpoints count from 1)


class Breakpoints:
    """Signals: ``sig_changed()`` (the list, a switch, a condition or a hit count changed).
    Besides line breakpoints, one kind: pause at the first non-finite value (``pause_on_nonfinite``)."""

    def __init__(self):
        self.items: list[Breakpoint] = []
        self.pause_on_nonfinite = True
        self._next_id = 1
        self.sig_changed = Signal()

    def toggle(self, file, line: int) -> None:
        existing = self.at(file, line)
        if existing is not None:
            self.items.remove(existing)
        else:
            self.items.append(Breakpoint(self._next_id, str(file), line))
            self._next_id += 1
            self.items.sort(key=lambda b: (b.file, b.line))
        self.sig_changed.emit()

    def at(self, file, line: int) -> Optional[Breakpoint]:
        return next((b for b in self.items if b.file == str(file) and b.line == line), None)

    def by_id(self, breakpoint_id) -> Optional[Breakpoint]:
        return next((b for b in self.items if b.id == breakpoint_id), None)

    def set_enabled(self, breakpoint: Breakpoint, enabled: bool) -> None:
        breakpoint.enabled = enabled
        self.sig_changed.emit()

    def set_condition(self, breakpoint: Breakpoint, condition: str) -> None:
        """Raises BreakpointError (and keeps the old condition) for one that cannot be used."""
        compile_breakpoints([{**breakpoint.spec(), "condition": condition}] if condition.strip() else [])
        breakpoint.condition = condition.strip()
        self.sig_changed.emit()

    def remove(self, breakpoint: Breakpoint) -> None:
        self.items.remove(breakpoint)
        self.sig_changed.emit()

    def set_pause_on_nonfinite(self, on: bool) -> None:
        self.pause_on_nonfinite = bool(on)
        self.sig_changed.emit()

    def specs(self) -> list:
        """What the runner is sent: the breakpoints that are on."""
        nonfinite = [{"id": NONFINITE_ID, "nonfinite": True}] if self.pause_on_nonfinite else []
        return [b.spec() for b in self.items if b.enabled] + nonfinite

    # The recorded events --------------------------------------------------------
    def hits(self, events, first: int = 0, end: Optional[int] = None, enabled_only: bool = True):
        """(step, breakpoint) for each event in ``first..end`` where a breakpoint pauses."""
        compiled = [(b, compile_breakpoints([b.spec()])[0]) for b in self.items if b.enabled or not enabled_only]
        if not compiled:
            return
        for k in range(first, len(events) if end is None else end):
            if events.kinds[k] not in _LINE_KINDS:
                continue
            event = events[k]
            for breakpoint, rule in compiled:
                if rule.matches(event, None, event):
                    yield k, breakpoint

    def count_hits(self, events) -> None:
        """Each breakpoint's hit count over ``events`` (all of them, on or off)."""
        for breakpoint in self.items:
            breakpoint.hits = 0
        for _, breakpoint in self.hits(events, enabled_only=False):
            breakpoint.hits += 1
        self.sig_changed.emit()

    def next_hit(self, events, after: int) -> Optional[tuple[int, Breakpoint]]:
        """The first event after step ``after`` where a breakpoint that is on pauses, and which."""
        return next(self.hits(events, after + 1), None)


__all__ = ["Breakpoint", "BreakpointError", "Breakpoints"]
