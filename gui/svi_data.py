"""SVI runs as arrays for plotting (pure: no Qt). Built from ``svi_step`` events."""

from __future__ import annotations

import ast
import csv
import math
from pathlib import Path

import numpy as np

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
        self._smoothed = (None, np.empty(0), 0.0, 0)  # weight, values, EMA state, finite count

    def smoothed_losses(self, weight: float) -> np.ndarray:
        """The losses smoothed as TensorBoard does, extended incrementally as steps arrive."""
        cached_weight, values, last, count = self._smoothed
        losses = self.losses.values
        if cached_weight != weight:
            values, last, count = np.empty(0), 0.0, 0
        if len(values) < len(losses):
            new, last, count = _ema(losses[len(values):], weight, last, count)
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


def _ema(values: np.ndarray, weight: float, last: float, count: int):
    """TensorBoard's smoothing: an exponential moving average, debiased so that the first points
    are not pulled towards zero; non-finite points are skipped. It continues from (``last``,
    ``count``) over ``values`` and returns them smoothed with the new state."""
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


def robust_range(values: np.ndarray, low: float = 1.0, high: float = 99.0):
    """A y range that ignores outliers: the given percentiles of the finite values, padded."""
    if len(values) > 20_000:  # percentiles of a strided sample: the same picture, far cheaper
        values = values[:: len(values) // 10_000]
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return None
    lo, hi = np.percentile(finite, [low, high])
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    return lo - pad, hi + pad


def svi_settings_of(path) -> dict:
    """The model file's ``svi = {...}`` settings, read without running the file (a literal only)."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "svi" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}
    return {}
