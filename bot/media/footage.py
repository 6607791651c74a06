"""Which stretch of a clip is worth putting in a montage: sampled at low resolution, a few frames a second.

Each clip is decoded once with frame threading, non-reference frames skipped (they are most of a phone
clip's frames and a montage needs no more than ``SAMPLE_FPS`` of them), and every kept sample is shrunk
to 64x36 grey. From those: shots (a jump in the picture is a cut), black stretches, frozen stretches,
and motion. A stretch is chosen inside one shot, never across the clip's own cuts, away from black and
frozen parts, preferring motion.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np

from bot.media import cancel
from bot.media.frame_features import colour_histogram

__all__ = ["Footage", "best_stretch", "sample_footage", "sampled_frames"]

logger = logging.getLogger(__name__)

SAMPLE_FPS = 6.0
SAMPLE_SIZE = (64, 36)
CUT_JUMP = 0.10
"""Mean absolute grey difference (0..1) between samples that marks a cut."""
HIST_CUT = 0.45
"""Share of a sample's colours (64 bins) that changed: a cut next to a busy shot (a pan, grain) shows here
even when the picture difference alone looks like the motion around it."""
BLACK_LUMA = 0.06
FROZEN_DIFF = 0.002
EDGE_S = 1.0 / SAMPLE_FPS + 0.02
"""Kept clear of each cut (a cut lies somewhere between two samples), so a stretch never shows a frame
of the neighbouring shot."""
MOTION_SCALE = 0.09
"""``motion = 1 - exp(-mean difference / MOTION_SCALE)``, on the scale of ``VideoAnalysis.motion`` (whose
differences are between neighbouring frames, a third of the distance between samples here)."""


@dataclass(frozen=True)
class Footage:
    """What sampling a clip found; times in clip seconds."""

    duration_s: float
    times_s: tuple[float, ...]
    motion: tuple[float, ...]
    """Mean grey difference to the previous sample, per sample."""
    shots: tuple[tuple[float, float], ...]
    usable: tuple[tuple[float, float], ...]
    """Parts of shots that are neither black nor frozen, at least one sample long."""
    brightness: float = 0.0
    saturation: float = 0.0
    warmth: float = 0.0

    @property
    def mean_motion(self) -> float:
        """0 (static) .. 1 (very busy), as ``VideoAnalysis.motion``."""
        if len(self.motion) < 2:
            return 0.0
        return float(1.0 - np.exp(-float(np.mean(self.motion[1:])) / MOTION_SCALE))

    @property
    def longest_usable_s(self) -> float:
        return max((end - start for start, end in self.usable), default=0.0)

    @property
    def usable_s(self) -> float:
        return sum(end - start for start, end in self.usable)


def sample_footage(path: str, duration_s: float) -> Footage:
    """Sample ``path`` (a probed video of ``duration_s``) and find its shots and usable stretches."""
    times: list[float] = []
    pictures: list[np.ndarray] = []
    for at, rgb in sampled_frames(path, fps=SAMPLE_FPS, size=SAMPLE_SIZE, fmt="rgb24"):
        pictures.append(rgb)
        times.append(at)
    if not pictures:
        return Footage(duration_s=duration_s, times_s=(), motion=(), shots=(), usable=())
    hists = np.stack([colour_histogram(picture) for picture in pictures])
    rgb = np.stack(pictures).astype(np.float32) / 255.0
    stack = 0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]
    diffs = np.concatenate([[0.0], np.abs(np.diff(stack, axis=0)).mean(axis=(1, 2))])
    luma = stack.mean(axis=(1, 2))
    top, bottom = rgb.max(axis=3), rgb.min(axis=3)
    saturation = float(np.where(top > 1e-3, (top - bottom) / np.maximum(top, 1e-3), 0.0).mean())
    red, blue = float(rgb[..., 0].mean()), float(rgb[..., 2].mean())
    changed = np.concatenate([[0.0], 0.5 * np.abs(np.diff(hists, axis=0)).sum(axis=1)])
    cut_at = [
        times[i]
        for i in range(1, len(times))
        if diffs[i] > CUT_JUMP and (diffs[i] > 3 * _median_near(diffs, i) or changed[i] > HIST_CUT)
    ]
    bounds = [0.0, *cut_at, duration_s]
    shots = tuple((a, b) for a, b in itertools.pairwise(bounds) if b - a > 1e-3)
    good = (luma > BLACK_LUMA) & ~_frozen(diffs)
    usable = _usable(np.asarray(times), good, shots, duration_s)
    return Footage(
        duration_s=duration_s,
        times_s=tuple(times),
        motion=tuple(float(d) for d in diffs),
        shots=shots,
        usable=usable,
        brightness=float(luma.mean()),
        saturation=saturation,
        warmth=(red - blue) / (red + blue) if red + blue > 1e-6 else 0.0,
    )


def sampled_frames(
    path: str, *, fps: float, size: tuple[int, int], fmt: str, turns: int = 0
) -> Iterator[tuple[float, np.ndarray]]:
    """``(time_s, picture)`` about ``fps`` times a second, each shrunk to ``size`` in ``fmt`` (``rgb24``/``gray``)
    and turned ``turns`` quarter-turns as shown. One decode with frame threading, non-reference frames skipped
    (most of a phone clip's frames, and no sample needs them); times are the frames' own (clip seconds)."""
    next_t: float | None = None
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.skip_frame = "NONREF"
        for frame in container.decode(stream):
            if frame.time is None or (next_t is not None and frame.time + 1e-6 < next_t):
                continue
            cancel.check()
            picture = frame.to_ndarray(format=fmt, width=size[0], height=size[1])
            yield float(frame.time), np.rot90(picture, k=turns) if turns else picture
            next_t = float(frame.time) + 1.0 / fps


def best_stretch(footage: Footage, length_s: float) -> tuple[float, float] | None:
    """The ``length_s`` seconds of one usable stretch with the most motion, or None if none is long enough."""
    times = np.asarray(footage.times_s)
    motion = np.asarray(footage.motion)
    best: tuple[float, tuple[float, float]] | None = None
    for start, end in footage.usable:
        if end - start + 1e-6 < length_s:
            continue
        candidates = np.linspace(start, end - length_s, num=max(1, int((end - start - length_s) * 4) + 1))
        for at in candidates:
            inside = (times >= at) & (times < at + length_s)
            score = float(motion[inside].mean()) if inside.any() else 0.0
            if best is None or score > best[0] + 1e-9:
                best = (score, (float(at), float(at + length_s)))
    return best[1] if best else None


def _median_near(values: np.ndarray, i: int, radius: int = 6) -> float:
    window = np.concatenate([values[max(1, i - radius) : i], values[i + 1 : i + 1 + radius]])
    return float(np.median(window)) if window.size else 0.0


def _frozen(diffs: np.ndarray, min_run: int = int(SAMPLE_FPS)) -> np.ndarray:
    """Samples inside a run of at least a second of (near) identical pictures."""
    still = diffs < FROZEN_DIFF
    still[0] = bool(len(diffs) > 1 and diffs[1] < FROZEN_DIFF)
    frozen = np.zeros_like(still)
    run_start = None
    for i, value in enumerate([*still, False]):
        if value and run_start is None:
            run_start = i
        elif not value and run_start is not None:
            if i - run_start >= min_run:
                frozen[run_start:i] = True
            run_start = None
    return frozen


def _usable(
    times: np.ndarray, good: np.ndarray, shots: tuple[tuple[float, float], ...], duration_s: float
) -> tuple[tuple[float, float], ...]:
    """Runs of good samples, each cut at shot boundaries and kept ``EDGE_S`` clear of cuts."""
    step = 1.0 / SAMPLE_FPS
    runs: list[tuple[float, float]] = []
    for shot_start, shot_end in shots:
        lo = shot_start + (EDGE_S if shot_start > 0 else 0.0)
        hi = shot_end - (EDGE_S if shot_end < duration_s else 0.0)
        inside = (times >= shot_start) & (times < shot_end)
        run_start = None
        for t, ok in zip(times[inside], good[inside], strict=False):
            if ok and run_start is None:
                run_start = float(t)
            elif not ok and run_start is not None:
                runs.append((max(lo, run_start), min(hi, float(t))))
                run_start = None
        if run_start is not None:
            runs.append((max(lo, run_start), hi))
    return tuple((a, b) for a, b in runs if b - a >= step)
