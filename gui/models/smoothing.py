"""A y range for the loss plot that outliers do not stretch (the smoothing is
``minipyro.observe.history.smooth``, shared with the command line)."""

from __future__ import annotations

import numpy as np

MAX_RANGE_SAMPLE = 20_000  # beyond this many points the range is read from a strided sample


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
