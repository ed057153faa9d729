"""The SVI monitor's data (Qt-free): each run's loss, parameters and gradient norms as arrays,
and the list of runs compared side by side, built from a session's ``svi_step`` events (and
``loss`` events: a training loop with a torch optimiser is monitored alike)."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Optional

import numpy as np

from .events import KIND_CODES
from .signal import Signal
from .smoothing import smooth

MAX_ELEMENTS_PLOTTED = 8  # of a parameter with more elements, the first few are plotted


def _as_float(x) -> float:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    if isinstance(x, str):  # summaries carry non-finite numbers as "nan", "inf", "-inf"
        try:
            return float(x)
        except ValueError:
            return math.nan
    return math.nan


def loss_as_step(event: dict) -> dict:
    """A ``loss`` event (an ELBO evaluated outside SVI.step, as a loop with a torch optimiser
    does) as the monitor plots a step: its number and value."""
    return {"step": event["n"], "t": event["t"], "loss": event["value"]}


class GrowingArray:
    """A float array that grows by appending, in amortised constant time."""

    def __init__(self):
        self._data = np.empty(1024)
        self.size = 0

    def append(self, value: float) -> None:
        if self.size == len(self._data):
            self._data = np.concatenate([self._data, np.empty(len(self._data))])
        self._data[self.size] = value
        self.size += 1

    @property
    def values(self) -> np.ndarray:
        return self._data[: self.size]


class SviRun:
    """One SVI run: loss, parameter values and gradient norms per step."""

    def __init__(self, label: str, settings: dict | None = None):
        self.label = label
        self.settings = dict(settings or {})
        self.steps = GrowingArray()
        self.times = GrowingArray()
        self.losses = GrowingArray()
        self.params: dict = {}  # "name" or "name[i]" -> GrowingArray
        self.grad_norms: dict = {}
        self.param_summaries: dict = {}  # name -> the latest summary
        self.nonfinite_steps: list = []
        self.visible = True
        self._smoothed = (None, np.empty(0), 0.0, 0)  # weight, values, smoothing state

    def smoothed_losses(self, weight: float) -> np.ndarray:
        """The losses smoothed as TensorBoard does, extended incrementally as steps arrive."""
        cached_weight, values, last, count = self._smoothed
        losses = self.losses.values
        if cached_weight != weight:
            values, last, count = np.empty(0), 0.0, 0
        if len(values) < len(losses):
            new, last, count = smooth(losses[len(values):], weight, last, count)
            values = np.concatenate([values, new])
        self._smoothed = (weight, values, last, count)
        return values

    def __len__(self) -> int:
        return self.steps.size

    def add(self, event: dict) -> None:
        step = event["step"]
        self.steps.append(step)
        self.times.append(event["t"])
        loss = _as_float(event["loss"])
        self.losses.append(loss)
        if not math.isfinite(loss):
            self.nonfinite_steps.append(step)
        for name, summary in event.get("params", {}).items():
            self.param_summaries[name] = summary
            for key, value in _elements(name, summary):
                if key not in self.params:
                    self.params[key] = _padded(len(self) - 1)
                self.params[key].append(value)
        for name, norm in event.get("grad_norms", {}).items():
            if name not in self.grad_norms:
                self.grad_norms[name] = _padded(len(self) - 1)
            self.grad_norms[name].append(_as_float(norm))

    def x(self, by_time: bool) -> np.ndarray:
        """The x values: the step, or the seconds since the first step."""
        return self.times.values - self.times.values[0] if by_time else self.steps.values

    def initial_loss(self) -> float:
        finite = self.losses.values[np.isfinite(self.losses.values)]
        return float(finite[0]) if len(finite) else math.nan

    def decrease_percent(self, smoothing: float = 0.0) -> float:
        """How much lower the (smoothed) loss is now than at the first step, in percent."""
        if len(self) == 0:
            return math.nan
        first = self.initial_loss()
        last = self.smoothed_losses(smoothing)[-1]
        return 100.0 * (first - last) / abs(first) if first and math.isfinite(first) else math.nan

    def steps_per_second(self) -> float:
        if len(self) < 2:
            return math.nan
        steps, times = self.steps.values, self.times.values
        elapsed = times[-1] - times[0]
        return (steps[-1] - steps[0]) / elapsed if elapsed > 0 else math.nan

    def write_csv(self, path) -> None:
        """step, wall time, loss, then a column per plotted parameter element and gradient norm."""
        params = sorted(self.params)
        grads = sorted(self.grad_norms)
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["step", "wall_time", "loss"] + params + [f"grad_norm:{g}" for g in grads])
            columns = [self.steps.values, self.times.values, self.losses.values] + \
                      [self.params[p].values for p in params] + [self.grad_norms[g].values for g in grads]
            for row in zip(*columns):
                writer.writerow([int(row[0])] + [repr(float(x)) for x in row[1:]])


def _padded(count: int) -> GrowingArray:
    """A new series for a parameter first seen after ``count`` steps (NaN before)."""
    array = GrowingArray()
    for _ in range(count):
        array.append(math.nan)
    return array


def _elements(name: str, summary) -> list:
    if not isinstance(summary, dict) or "shape" not in summary:
        return [(name, _as_float(summary))]
    preview = summary.get("preview")
    if not summary["shape"]:
        return [(name, _as_float(preview))]
    values = preview if isinstance(preview, list) else [preview]
    return [(f"{name}[{i}]", _as_float(v)) for i, v in enumerate(values[:MAX_ELEMENTS_PLOTTED])]


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
        self.sig_run_added = Signal()
        self.sig_changed = Signal()
        session.sig_reset.connect(self._on_reset)
        session.sig_events_added.connect(self._on_events)

    @property
    def shown(self) -> Optional[SviRun]:
        """The run whose parameters and status are shown: the current one, else the latest."""
        return self.current or (self.runs[-1] if self.runs else None)

    def expect(self, settings: dict) -> None:
        """The settings of the SVI run about to start (its label names them)."""
        self._settings = dict(settings)

    def set_visible(self, index: int, visible: bool) -> None:
        self.runs[index].visible = visible
        self.sig_changed.emit()

    def _on_reset(self) -> None:
        self.current = None
        self.constraints = {}

    def _on_events(self, first: int, end: int) -> None:
        events = self.session.events
        code, loss, structure = KIND_CODES["svi_step"], KIND_CODES["loss"], KIND_CODES["structure"]
        added = False
        for k in range(first, end):
            kind = events.kinds[k]
            if kind == structure:
                self.constraints.update(events[k]["relations"].get("param_constraint", {}))
            if kind != code and kind != loss:
                continue
            if self.current is None:
                self._start_run()
            self.current.add(events[k] if kind == code else loss_as_step(events[k]))
            added = True
        if added:
            self.sig_changed.emit()

    def _start_run(self) -> None:
        name = Path(self.session.file).name if self.session.file else "run"
        label = f"run {len(self.runs) + 1}: {name}"
        settings, self._settings = self._settings or {}, None
        if settings:
            label += f" (lr {settings['lr']:g}, {settings['optimizer']}, {settings['elbo']})"
        self.current = SviRun(label, settings)
        self.runs.append(self.current)
        self.sig_run_added.emit(self.current)
