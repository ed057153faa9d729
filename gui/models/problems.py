"""The Problems panel's model: the problems found in the session's run, as it goes (Qt-free).

A :class:`~minipyro.observe.problems.ProblemFinder` reads the session's events as they arrive
(only the kinds it looks at are decoded); views connect to ``sig_changed``.
"""

from __future__ import annotations

from minipyro.observe.problems import Problem, ProblemFinder
from minipyro.observe.shapes_at import partial_trace_rows

from .events import KIND_CODES
from .signal import Signal

_READ = frozenset(KIND_CODES[kind] for kind in ("run_start", "msg_start", "msg_end", "svi_step", "error",
                                                  "structure"))


class ProblemsModel:
    """Signals: ``sig_changed()`` (the list of problems changed)."""

    def __init__(self, session):
        self.session = session
        self.finder = ProblemFinder()
        self._read = 0  # events read so far
        self.sig_changed = Signal()
        session.sig_reset.connect(self._on_reset)
        session.sig_events_added.connect(self._on_events)

    @property
    def problems(self) -> list[Problem]:
        return self.finder.problems

    @property
    def counts(self) -> tuple:
        """(problems, hints)."""
        hints = sum(p.is_hint for p in self.problems)
        return len(self.problems) - hints, hints

    def shapes_for(self, problem: Problem) -> list:
        """The shapes of the sites of the problem's step up to its site, for a shape problem or an
        error about shapes (else [])."""
        if problem.kind == "shape" or (problem.kind == "error" and "shape" in problem.message.lower()):
            return partial_trace_rows(self.session.events, problem)
        return []

    def _on_reset(self) -> None:
        self.finder = ProblemFinder()
        self._read = 0
        self.sig_changed.emit()

    def _on_events(self, first: int, end: int) -> None:
        events, kinds = self.session.events, self.session.events.kinds
        before = len(self.problems)
        for k in range(max(first, self._read), end):
            if kinds[k] in _READ:
                self.finder.feed(events[k])
        self._read = end
        if len(self.problems) != before:
            self.sig_changed.emit()
