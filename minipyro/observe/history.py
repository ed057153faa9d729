"""An SVI run's history, read from its ``svi_step`` events: loss, every element of every
parameter and the gradient norms per step, TensorBoard's smoothing, and CSV/JSON export.

Shared by ``main.py run --csv`` and the app's SVI monitor; numpy only (the app imports it
without torch).
"""

from __future__ import annotations

import csv
import functools
import json
import math

import numpy as np

MAX_ENDS_WINDOW = 100


def as_float(x) -> float:
    """A number from an event: summaries carry non-finite numbers as "nan", "inf", "-inf"."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            return math.nan
    return math.nan


def smooth(values: np.ndarray, weight: float, last: float = 0.0, count: int = 0):
    """TensorBoard's smoothing: an exponential moving average, debiased so that the first points
    are not pulled towards zero; non-finite points are kept as they are and skipped. It continues
    from (``last``, ``count``), the state after the points before ``values``, and returns
    ``(smoothed, last, count)``, so a growing curve is smoothed a piece at a time."""
    if weight <= 0 or len(values) == 0:
        return np.array(values, dtype=float), last, count
    out = np.empty(len(values))
    for i, v in enumerate(values.tolist()):
        if v != v or v in (math.inf, -math.inf):
            out[i] = v
            continue
        last = last * weight + (1 - weight) * v
        count += 1
        out[i] = last / (1 - weight ** count)
    return out, last, count


@functools.lru_cache(maxsize=1024)  # the same few parameters every step of a run
def _element_names(name: str, shape: tuple, count: int) -> tuple:
    if not shape:
        return (name,)
    indices = np.unravel_index(np.arange(count), shape)
    return tuple(f"{name}[{','.join(str(int(axis[i])) for axis in indices)}]" for i in range(count))


def element_names(name: str, shape: list, count: int) -> list:
    """The first ``count`` elements of a parameter of ``shape``, named as numpy indexes them:
    ``loc`` (a scalar), ``loc[3]``, ``assignment_probs[3,1]``."""
    return list(_element_names(name, tuple(shape), count))


def param_elements(name: str, summary) -> tuple:
    """``(names, values, total)``: a parameter's elements in an ``svi_step`` event. The runner
    sends every element (``values``) of a parameter up to a size; of a larger one, and in
    recordings made without it, the summary's preview (the first few) is all there is."""
    if not isinstance(summary, dict) or "shape" not in summary:
        return [name], [as_float(summary)], 1
    shape = [int(n) for n in summary["shape"]]
    total = int(np.prod(shape)) if shape else 1
    values = summary.get("values")
    if values is None:
        preview = summary.get("preview")
        values = preview if isinstance(preview, list) else [preview]
    values = [as_float(v) for v in values[:total]]
    return element_names(name, shape, len(values)), values, total


class GrowingArray:
    """A float array that grows by appending, in amortised constant time."""

    def __init__(self, nan_before: int = 0):
        """``nan_before``: a series first seen after that many steps starts with as many NaNs."""
        self._data = np.full(max(1024, 2 * nan_before), math.nan)
        self.size = nan_before

    def append(self, value: float) -> None:
        if self.size == len(self._data):
            self._data = np.concatenate([self._data, np.full(len(self._data), math.nan)])
        self._data[self.size] = value
        self.size += 1

    @property
    def values(self) -> np.ndarray:
        return self._data[: self.size]


class SviHistory:
    """One SVI run's steps. ``params`` maps each element's name (``loc``, ``w[3,1]``) to its series,
    in the order the parameters' elements arrive; ``param_sizes`` maps a parameter to
    (elements kept, elements it has)."""

    def __init__(self):
        self.steps = GrowingArray()
        self.times = GrowingArray()
        self.losses = GrowingArray()
        self.params: dict = {}
        self.param_sizes: dict = {}
        self.grad_norms: dict = {}
        self.site_elbo: dict = {}  # site -> its log p - log q at each step (runs with the NaN watch)
        self.param_summaries: dict = {}  # name -> the latest summary
        self.nonfinite_steps: list = []
        self._smoothed = (None, np.empty(0), 0.0, 0)  # weight, values, smoothing state

    def __len__(self) -> int:
        return self.steps.size

    def add(self, event: dict) -> None:
        step = event["step"]
        before = len(self)
        self.steps.append(step)
        self.times.append(event["t"])
        loss = as_float(event["loss"])
        self.losses.append(loss)
        if not math.isfinite(loss):
            self.nonfinite_steps.append(step)
        for name, summary in event.get("params", {}).items():
            self.param_summaries[name] = summary
            names, values, total = param_elements(name, summary)
            self.param_sizes[name] = (len(names), total)
            for key, value in zip(names, values):
                self._series(self.params, key, before).append(value)
        for name, norm in event.get("grad_norms", {}).items():
            self._series(self.grad_norms, name, before).append(as_float(norm))
        for name, term in (event.get("site_elbo") or {}).items():
            self._series(self.site_elbo, name, before).append(as_float(term))

    @staticmethod
    def _series(table: dict, key: str, before: int) -> GrowingArray:
        series = table.get(key)
        if series is None:
            series = table[key] = GrowingArray(nan_before=before)
        return series

    def site_elbo_spread(self) -> list:
        """(site, mean, variance across steps) of each site's ELBO term, the noisiest first
        (finite steps only: a NaN says where, not how noisy)."""
        rows = []
        for name, series in self.site_elbo.items():
            values = series.values[np.isfinite(series.values)]
            if len(values):
                rows.append((name, float(values.mean()), float(values.var())))
        return sorted(rows, key=lambda row: -row[2])

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

    def x(self, by_time: bool) -> np.ndarray:
        """The x values: the step, or the seconds since the first step."""
        return self.times.values - self.times.values[0] if by_time else self.steps.values

    def ends_window(self) -> int:
        """How many steps ``loss_ends`` averages: a tenth of the run, 1 to 100."""
        return max(1, min(MAX_ENDS_WINDOW, len(self) // 10))

    def loss_ends(self) -> tuple:
        """The loss at the start and now, each the mean of ``ends_window()`` finite steps, so that
        one noisy sample decides neither."""
        losses = self.losses.values
        finite = losses[np.isfinite(losses)]
        if len(finite) == 0:
            return math.nan, math.nan
        window = self.ends_window()
        return float(np.mean(finite[:window])), float(np.mean(finite[-window:]))

    def decrease_percent(self) -> float:
        """How much lower the loss is now than at the start, in percent (both ends as ``loss_ends``)."""
        first, last = self.loss_ends()
        return 100.0 * (first - last) / abs(first) if first and math.isfinite(first) else math.nan

    def steps_per_second(self) -> float:
        if len(self) < 2:
            return math.nan
        steps, times = self.steps.values, self.times.values
        elapsed = times[-1] - times[0]
        return (steps[-1] - steps[0]) / elapsed if elapsed > 0 else math.nan

    def columns(self, smoothing: float) -> dict:
        """Every series by column name: step, wall time, relative time, the loss raw and
        smoothed, each parameter element, each gradient norm."""
        times = self.times.values
        columns = {"step": self.steps.values, "wall_time": times,
                   "relative_time": times - times[0] if len(times) else times,
                   "loss": self.losses.values, "loss_smoothed": self.smoothed_losses(smoothing)}
        columns.update((key, series.values) for key, series in self.params.items())
        columns.update((f"grad_norm:{key}", series.values) for key, series in self.grad_norms.items())
        columns.update((f"site_elbo:{key}", series.values) for key, series in self.site_elbo.items())
        return {name: _padded_to(values, len(self)) for name, values in columns.items()}

    def write_csv(self, path, smoothing: float = 0.0) -> None:
        columns = self.columns(smoothing)
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(list(columns))
            for row in zip(*columns.values()):
                writer.writerow([int(row[0])] + [repr(float(x)) for x in row[1:]])

    def write_json(self, path, smoothing: float = 0.0, about: dict | None = None) -> None:
        """The columns as lists (non-finite numbers as null), with ``about`` (label, settings) and the smoothing."""
        columns = {name: [float(x) if math.isfinite(x) else None for x in values.tolist()]
                   for name, values in self.columns(smoothing).items()}
        document = {**(about or {}), "smoothing": smoothing, "columns": columns}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(document, f)


def _padded_to(values: np.ndarray, length: int) -> np.ndarray:
    """A series that stopped early (a parameter no longer sent) padded with NaN to the run's length."""
    if len(values) >= length:
        return values
    return np.concatenate([values, np.full(length - len(values), math.nan)])
