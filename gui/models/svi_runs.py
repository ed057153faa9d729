"""The SVI monitor's data (Qt-free): each run's loss, parameters and gradient norms as arrays,
and the list of runs compared side by side, built from a session's ``svi_step`` events (and
``loss`` events: a training loop with a torch optimiser is monitored alike)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from minipyro.observe.history import SviHistory

from .events import KIND_CODES
from .signal import Signal


def loss_as_step(event) -> dict:
    """A ``loss`` event (an ELBO evaluated outside SVI.step, as a loop with a torch optimiser
    does) as the monitor plots a step: its number and value."""
    return {"step": event["n"], "t": event["t"], "loss": event["value"]}


class SviRun(SviHistory):
    """One SVI run of the monitor: its history, a label, the settings it ran with, shown or not."""

    def __init__(self, label: str, settings: dict | None = None, seed=None, started_at: float | None = None):
        super().__init__()
        self.label = label
        self.settings = dict(settings or {})
        self.seed = seed
        self.started_at = started_at  # the wall clock (epoch seconds) at the run's t = 0, when known
        self.visible = True
        self.live = True  # until its run_end

    def about(self) -> dict:
        return {"run": self.label, "settings": self.settings, "seed": self.seed}


class RunFeed:
    """One source of runs (the window's session, or a recording in a watched folder): its
    ``run_start`` says the settings and seed a run trains with, its first ``svi_step`` makes the
    run, its ``run_end`` ends it."""

    def __init__(self, runs: "SviRuns", name: str):
        self.runs, self.name = runs, name
        self.current: Optional[SviRun] = None
        self.settings: Optional[dict] = None  # of the run about to start
        self.seed = None
        self.started_at: Optional[float] = None  # the wall clock at the run's t = 0

    def add(self, event) -> bool:
        """Take one run_start, svi_step, loss or run_end event; True when a step was added."""
        kind = event["kind"]
        if kind == "svi_step" or kind == "loss":
            if self.current is None:
                self._start_run(event)
            self.current.add(event if kind == "svi_step" else loss_as_step(event))
            return True
        if kind == "run_start":
            settings = event.get("svi")
            if isinstance(settings, dict):  # what ran is what the run says, not the panel's settings
                self.settings = settings
            self.seed = event.get("seed")
            self.current = None
        elif kind == "run_end" and self.current is not None:
            self.current.live = False
        return False

    def _start_run(self, event) -> None:
        settings, self.settings = self.settings or {}, None
        label = run_label(len(self.runs.runs) + 1, self.name, settings, self.seed)
        self.current = SviRun(label, settings, self.seed, self.started_at)
        self.runs.add_run(self.current)


class SviRuns:
    """The runs of this window, oldest first: the session's (``current``, the one training now)
    and those of any recordings watched in a folder (``feed``).

    Signals: ``sig_run_added(run)``, ``sig_changed()`` (new steps, or a run shown or hidden).
    """

    def __init__(self, session):
        self.session = session
        self.runs: list[SviRun] = []
        self.constraints: dict = {}  # param -> constraint, from structure events
        self._session_feed = RunFeed(self, "run")
        self._expected = None  # (settings, wall clock) of the SVI run about to start
        self.sig_run_added = Signal()
        self.sig_changed = Signal()
        session.sig_reset.connect(self._on_reset)
        session.sig_events_added.connect(self._on_events)

    @property
    def current(self) -> Optional[SviRun]:
        """The session's run, if it trains."""
        return self._session_feed.current

    @property
    def shown(self) -> Optional[SviRun]:
        """The run whose parameters and status are shown: the current one, else the latest."""
        return self.current or (self.runs[-1] if self.runs else None)

    def expect(self, settings: dict) -> None:
        """The settings of the SVI run about to start now in the session (its label names them,
        unless its run_start says otherwise); they hold across the session's reset for that run."""
        self._expected = (dict(settings), time.time())
        self._apply_expected()

    def _apply_expected(self) -> None:
        if self._expected is not None:
            self._session_feed.settings, self._session_feed.started_at = self._expected

    def feed(self, name: str, started_at: Optional[float] = None) -> RunFeed:
        """A new source of runs besides the session (a recording in a watched folder)."""
        feed = RunFeed(self, name)
        feed.started_at = started_at
        return feed

    def add_run(self, run: SviRun) -> None:
        self.runs.append(run)
        self.sig_run_added.emit(run)

    def set_visible(self, index: int, visible: bool) -> None:
        self.runs[index].visible = visible
        self.sig_changed.emit()

    def _on_reset(self) -> None:
        self._session_feed = RunFeed(self, Path(self.session.file).name if self.session.file else "run")
        self._apply_expected()
        self._expected = None  # for this run only
        self.constraints = {}

    def _on_events(self, first: int, end: int) -> None:
        events, kinds = self.session.events, self.session.events.kinds
        feed, structure = self._session_feed, KIND_CODES["structure"]
        fed = {KIND_CODES[kind] for kind in ("svi_step", "loss", "run_start", "run_end")}
        added = False
        for k in range(first, end):
            if kinds[k] == structure:
                self.constraints.update(events[k]["relations"].get("param_constraint", {}))
            elif kinds[k] in fed:
                added = feed.add(events[k]) or added
        if added:
            self.sig_changed.emit()


def run_label(number: int, name: str, settings: dict, seed) -> str:
    """``run 2: normal_normal.py (lr 0.03, Adam, Trace_ELBO, seed 1)``: what tells runs apart."""
    words = []
    if isinstance(settings.get("lr"), (int, float)):
        words.append(f"lr {settings['lr']:g}")
    words += [str(settings[key]) for key in ("optimizer", "elbo") if settings.get(key)]
    if isinstance(seed, int):
        words.append(f"seed {seed}")
    return f"run {number}: {name}" + (f" ({', '.join(words)})" if words else "")
