"""The SVI monitor's data (Qt-free): each run's loss, parameters and gradient norms as arrays,
and the list of runs compared side by side, built from a session's ``svi_step`` events."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from minipyro.observe.history import SviHistory

from .events import KIND_CODES
from .signal import Signal


class SviRun(SviHistory):
    """One SVI run of the monitor: its history, a label, the settings it ran with, shown or not."""

    def __init__(self, label: str, settings: dict | None = None, seed=None, started_at: float | None = None):
        super().__init__()
        self.label = label
        self.settings = dict(settings or {})
        self.seed = seed
        self.started_at = started_at  # the wall clock (epoch seconds) at the run's t = 0, when known
        self.visible = True

    def about(self) -> dict:
        return {"run": self.label, "settings": self.settings, "seed": self.seed}


class SviRuns:
    """The runs of this window, oldest first; ``current`` is the session's run, if it trains.

    Signals: ``sig_run_added(run)``, ``sig_changed()`` (new steps, or a run shown or hidden).
    """

    def __init__(self, session):
        self.session = session
        self.runs: list[SviRun] = []
        self.current: Optional[SviRun] = None
        self.constraints: dict = {}  # param -> constraint, from structure events
        self._settings: Optional[dict] = None  # those of the SVI run asked for, until it starts
        self._seed = None  # the seed of the run that started last
        self._started_at: Optional[float] = None  # when the run asked for started, on the wall clock
        self.sig_run_added = Signal()
        self.sig_changed = Signal()
        session.sig_reset.connect(self._on_reset)
        session.sig_events_added.connect(self._on_events)

    @property
    def shown(self) -> Optional[SviRun]:
        """The run whose parameters and status are shown: the current one, else the latest."""
        return self.current or (self.runs[-1] if self.runs else None)

    def expect(self, settings: dict) -> None:
        """The settings of the SVI run about to start now (its label names them)."""
        self._settings = dict(settings)
        self._started_at = time.time()

    def set_visible(self, index: int, visible: bool) -> None:
        self.runs[index].visible = visible
        self.sig_changed.emit()

    def _on_reset(self) -> None:
        self.current = None
        self._seed = None
        self.constraints = {}

    def _on_events(self, first: int, end: int) -> None:
        events = self.session.events
        code, structure, start = KIND_CODES["svi_step"], KIND_CODES["structure"], KIND_CODES["run_start"]
        added = False
        for k in range(first, end):
            if events.kinds[k] == start:
                self._on_run_start(events[k])
            elif events.kinds[k] == structure:
                self.constraints.update(events[k]["relations"].get("param_constraint", {}))
            if events.kinds[k] != code:
                continue
            if self.current is None:
                self._start_run()
            self.current.add(events[k])
            added = True
        if added:
            self.sig_changed.emit()

    def _on_run_start(self, event: dict) -> None:
        """What ran is what the run says it ran with (a recording's own settings, not the panel's)."""
        settings = event.get("svi")
        if isinstance(settings, dict):
            self._settings = settings
        self._seed = event.get("seed")

    def _start_run(self) -> None:
        name = Path(self.session.file).name if self.session.file else "run"
        settings, self._settings = self._settings or {}, None
        started_at, self._started_at = self._started_at, None
        self.current = SviRun(run_label(len(self.runs) + 1, name, settings, self._seed), settings, self._seed,
                              started_at)
        self.runs.append(self.current)
        self.sig_run_added.emit(self.current)


def run_label(number: int, name: str, settings: dict, seed) -> str:
    """``run 2: normal_normal.py (lr 0.03, Adam, Trace_ELBO, seed 1)``: what tells runs apart."""
    words = []
    if isinstance(settings.get("lr"), (int, float)):
        words.append(f"lr {settings['lr']:g}")
    words += [str(settings[key]) for key in ("optimizer", "elbo") if settings.get(key)]
    if isinstance(seed, int):
        words.append(f"seed {seed}")
    return f"run {number}: {name}" + (f" ({', '.join(words)})" if words else "")
