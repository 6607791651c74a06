"""Where a clip's (or a film's) motion clearly peaks: the action's climax when its cuts do not say.

Pure: per-time motion values in (a frame-to-frame difference, any scale), one time out, or None when the
motion is even. The motion is averaged over a ``PEAK_WINDOW_S`` window sliding in ``STEP_S`` steps; the
busiest window counts as a peak only when it is clearly busier than the clip's typical moment (the median
sample: a window's mean would let a peak a third of a short film long raise the bar it is judged by).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

__all__ = ["PEAK_WINDOW_S", "motion_peak_s"]

logger = logging.getLogger(__name__)

PEAK_WINDOW_S = 4.0
"""As long as the window the densest cuts are looked for in (``sync.CLIMAX_WINDOW_S``)."""
STEP_S = 0.25
PEAK_OVER_MEDIAN = 1.6
"""The busiest window must move this many times more than the median sample to be the climax."""
TOP_SHARE = 0.9
"""The peak is the middle of the run of windows around the busiest that move at least this share as much:
a ramp inside a busy stretch does not pull the climax to the stretch's edge."""
MIN_PEAK_MOTION = 0.004
"""Below this mean difference (0..1 of the picture) even the busiest window is standing still."""


def motion_peak_s(times_s: Sequence[float], motion: Sequence[float], duration_s: float) -> float | None:
    """The centre of the window where ``motion`` (sampled at ``times_s``) is clearly highest, or None."""
    t = np.asarray(times_s, dtype=float)
    m = np.asarray(motion, dtype=float)
    if t.size < 4 or t.size != m.size or duration_s < 2 * PEAK_WINDOW_S:
        return None
    order = np.argsort(t, kind="stable")
    t, m = t[order], m[order]
    centres = np.arange(PEAK_WINDOW_S / 2, duration_s - PEAK_WINDOW_S / 2 + 1e-9, STEP_S)
    lo = np.searchsorted(t, centres - PEAK_WINDOW_S / 2, side="left")
    hi = np.searchsorted(t, centres + PEAK_WINDOW_S / 2, side="right")
    sums = np.concatenate([[0.0], np.cumsum(m)])
    counts = hi - lo
    if not counts.any():
        return None
    means = np.where(counts > 0, (sums[hi] - sums[lo]) / np.maximum(counts, 1), np.nan)
    best = int(np.nanargmax(means))
    typical = float(np.median(m))
    if means[best] < MIN_PEAK_MOTION or means[best] < PEAK_OVER_MEDIAN * typical:
        return None
    top = np.nan_to_num(means) >= TOP_SHARE * means[best]
    first, last = best, best
    while first > 0 and top[first - 1]:
        first -= 1
    while last < top.size - 1 and top[last + 1]:
        last += 1
    return round(float(centres[first] + centres[last]) / 2, 3)
