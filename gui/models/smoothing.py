"""What the loss plot draws besides the raw losses: TensorBoard's smoothing, and a y range
that outliers do not stretch."""

from __future__ import annotations

import math

import numpy as np

MAX_RANGE_SAMPLE = 20_000  # beyond this many points the range is read from a strided sample


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


def robust_range(values: np.ndarray, low: float = 1.0, high: float = 99.0):
    """A y range that ignores outliers: the given percentiles of the finite values, padded.
    None when no value is finite."""
    if len(values) > MAX_RANGE_SAMPLE:  # percentiles of a strided sample: the same picture, far cheaper
        values = values[:: len(values) // (MAX_RANGE_SAMPLE // 2)]
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return None
    lo, hi = np.percentile(finite, [low, high])
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    return lo - pad, hi + pad
