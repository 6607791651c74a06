"""Which stretch of a clip is worth putting in a montage: sampled at low resolution, a few frames a second.

Each clip is decoded once with frame threading, non-reference frames skipped (they are most of a phone
clip's frames and a montage needs no more than ``SAMPLE_FPS`` of them), and every kept sample is shrunk
(area-averaged) to a 64x36 colour thumbnail and a 320x180 grey picture. From those, per sample:

- at 64x36: shots (a jump in the picture is a cut), black and frozen stretches, motion,
  light and colour;
- at 320x180 grey: sharpness, the variance of the Laplacian, relative to the clip's own sharp samples
  (a 64x36 thumbnail is too small to tell a blurred frame from a sharp one: blur lives in the detail);
- at 160x90 grey: the frame-to-frame shift of the whole picture (phase correlation) and its jitter, the
  part a smooth camera move does not explain (a shaking hand), as a share of the frame;
- at 160x90 grey too: where the picture is salient, summed along each axis (``Saliency``), so a montage can
  crop a clip around its subject (``reframe``) without decoding it again.

A stretch is chosen inside one shot, never across the clip's own cuts, away from black, frozen, blurred
and shaky parts, preferring motion with steady framing.

Cost is bounded: the decode (every reference frame of a sampled stretch: a phone's clip is nearly all
P-frames, each needing the one before) is nearly all of it and grows with the pixels decoded a second, so a
clip is sampled throughout only when that is no more work than ``DENSE_S`` seconds of 1080p30 (a longer or
bigger clip: that much, ``MIN_DENSE_S`` at least, in ``WINDOW_S`` windows spread evenly over it, each
reached by a seek to the keyframe before it). Nothing between windows is usable (a gap is bounded like a
cut), so a stretch is only ever chosen from footage that was looked at.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import av
import numpy as np
from scipy.ndimage import gaussian_filter, median_filter, uniform_filter

from bot.media import cancel
from bot.media.faces import FACE_INTERVAL_S, FaceBox, detection_size, face_finder
from bot.media.frame_features import colour_histogram

__all__ = [
    "Footage",
    "Saliency",
    "best_stretch",
    "sample_footage",
    "sampled_frames",
    "sampled_video_frames",
    "sampling_windows",
]

logger = logging.getLogger(__name__)

SAMPLE_FPS = 6.0
SAMPLE_SIZE = (320, 180)
"""The grey picture sharpness, shake and saliency are measured on (the clip's own size when smaller)."""
THUMB_SIZE = (64, 36)
"""The colour thumbnail cuts, black, frozen, motion, light and colour are measured on."""
CUT_JUMP = 0.10
"""Mean absolute grey difference (0..1) between samples that marks a cut."""
HIST_CUT = 0.45
"""Share of a sample's colours (64 bins) that changed: a cut next to a busy shot (a pan, grain) shows here
even when the picture difference alone looks like the motion around it."""
BLACK_LUMA = 0.06
FROZEN_DIFF = 0.002
BLURRED = 0.3
"""A sample whose sharpness (fine-to-coarse detail, see below) is under this share of the clip's sharp samples
(their 90th percentile) is blurred. Measured on generated footage: a Gaussian blur of sigma 6 on 640x360
0.27; a pan over flat areas and sharp edges never under 0.37."""
BLURRED_DETAIL = 0.2
"""Sharpness is the Laplacian's variance at 320x180 over its variance at 160x90: blur takes the finest detail
first, so the ratio falls (sharp footage 0.3-0.8, grainy 2-3, the blur above 0.12) while a plainer picture
of the same sharpness keeps it (the Laplacian's variance alone fell to 0.1 on a pan over a flat area). Under
this it is blurred in any clip."""
SHARP_ENOUGH = 0.6
"""Sharper than this share of the clip's sharp level counts as fully sharp when stretches are compared."""
SHAKY = 0.015
"""Jitter (share of the frame per sample) above which a sample is shaky. Measured on generated footage
(sub-pixel phase correlation): steady pans 0.000-0.006, a fast pan under heavy grain up to 0.014, a crop
jumping ±3 % of the frame at random every frame 0.017-0.054."""
JITTER_SCALE = 0.008
"""Jitter at which motion counts for 1/e of itself when stretches are compared (``exp(-jitter / JITTER_SCALE)``)."""
EDGE_S = 1.0 / SAMPLE_FPS + 0.02
"""Kept clear of each cut (a cut lies somewhere between two samples), so a stretch never shows a frame
of the neighbouring shot."""
PROFILE_BINS = 128
"""Positions along each axis of a saliency profile (``reframe`` samples 128 px along the long side)."""
DENSE_S = 60.0
"""Seconds of 1080p30 footage one clip's sampling may decode; a bigger or faster clip gets fewer seconds."""
DENSE_RATE = 1920 * 1080 * 30
"""Pixels a second of the footage ``DENSE_S`` is counted in."""
MIN_DENSE_S = 20.0
"""Seconds of a clip sampled however costly it is to decode (two windows)."""
MAX_DENSE_S = 600.0
"""Seconds of a clip sampled however cheap (the samples' thumbnails are kept while the clip is sampled)."""
WINDOW_S = 10.0
"""Length of each sampled window of a longer clip: room for a few stretches of a few bars each."""
GAP_S = 0.75
"""Samples further apart than this have unseen footage between them (a window's edge): like a cut."""
MOTION_SCALE = 0.09
"""``motion = 1 - exp(-mean difference / MOTION_SCALE)``, on the scale of ``VideoAnalysis.motion`` (whose
differences are between neighbouring frames, a third of the distance between samples here)."""


@dataclass(frozen=True)
class Saliency:
    """Where each sample is salient (motion, detail, standing out), summed over the shown picture's rows
    (``along_x``: one value per column) and columns (``along_y``), as :func:`bot.media.reframe.plan_reframe`
    measures it; rows match ``Footage.times_s``."""

    along_x: np.ndarray
    along_y: np.ndarray
    face_times: tuple[float, ...] = ()
    """Clip times of the samples faces were looked for on (about once a second, ``faces.py``)."""
    faces: tuple[list[FaceBox], ...] = ()
    """The frontal faces found on each of them, as shown (fractions of the frame)."""


@dataclass(frozen=True)
class Footage:
    """What sampling a clip found; times in clip seconds."""

    duration_s: float
    times_s: tuple[float, ...]
    motion: tuple[float, ...]
    """Mean grey difference to the previous sample, per sample."""
    shots: tuple[tuple[float, float], ...]
    usable: tuple[tuple[float, float], ...]
    """Parts of shots that are neither black, frozen, blurred nor shaky, at least one sample long."""
    brightness: float = 0.0
    saturation: float = 0.0
    warmth: float = 0.0
    sharpness: tuple[float, ...] = ()
    """Per sample, relative to the clip's sharp samples (1 = as sharp as they are)."""
    jitter: tuple[float, ...] = ()
    """Per sample, the unsteady part of the picture's shift (share of the frame)."""
    saliency: Saliency | None = field(default=None, compare=False, repr=False)

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


def sample_footage(
    path: str,
    duration_s: float,
    *,
    turns: int = 0,
    dense_s: float | None = None,
    faces: bool = True,
    threads: int = 0,
) -> Footage:
    """Sample ``path`` (a probed video of ``duration_s``, shown turned ``turns`` quarter-turns) and find its
    shots and usable stretches, looking at ``dense_s`` seconds of it at most (by default as many as
    ``dense_seconds`` allows; see ``sampling_windows``); with ``faces``, the frontal faces about once a second
    (``faces.py``, for the film's crops). Each sample is reduced as it arrives: memory follows the thumbnails
    only. ``threads``: the decoder's (0: FFmpeg's choice; the frames are the same)."""
    measures = _Measures(turns)
    times: list[float] = []
    find = face_finder() if faces else None
    face_times: list[float] = []
    found: list[list[FaceBox]] = []
    with av.open(path) as container:
        stream = container.streams.video[0]
        pixel_aspect = float(stream.sample_aspect_ratio or 1)
        stream.codec_context.thread_count = threads
        windows = sampling_windows(duration_s, dense_seconds(stream) if dense_s is None else dense_s)
        for at, frame in _sampled(container, stream, fps=SAMPLE_FPS, windows=windows):
            # never enlarged: an enlarged picture has no fine detail and would look blurred
            width, height = min(SAMPLE_SIZE[0], frame.width) // 2 * 2, min(SAMPLE_SIZE[1], frame.height) // 2 * 2
            measures.add(
                frame.to_ndarray(format="rgb24", width=THUMB_SIZE[0], height=THUMB_SIZE[1], interpolation="AREA"),
                frame.to_ndarray(format="gray", width=width, height=height, interpolation="AREA"),
            )
            times.append(at)
            if find is not None and (not face_times or at - face_times[-1] >= FACE_INTERVAL_S - 1e-3):
                size = detection_size(round(frame.width * pixel_aspect), frame.height)
                grey = frame.to_ndarray(format="gray", width=size[0], height=size[1], interpolation="AREA")
                found.append(find(np.ascontiguousarray(np.rot90(grey, k=turns) if turns else grey)))
                face_times.append(at)
    if not times:
        return Footage(duration_s=duration_s, times_s=(), motion=(), shots=(), usable=())
    thumbnails = np.stack(measures.thumbnails)
    hists = np.stack([colour_histogram(thumbnail) for thumbnail in thumbnails])
    small = thumbnails.astype(np.float32) / 255.0
    n = small.shape[0]
    stack = 0.2126 * small[..., 0] + 0.7152 * small[..., 1] + 0.0722 * small[..., 2]
    diffs = np.concatenate([[0.0], np.abs(np.diff(stack, axis=0)).mean(axis=(1, 2))])
    luma = stack.mean(axis=(1, 2))
    top, bottom = small.max(axis=3), small.min(axis=3)
    saturation = float(np.where(top > 1e-3, (top - bottom) / np.maximum(top, 1e-3), 0.0).mean())
    red, blue = float(small[..., 0].mean()), float(small[..., 2].mean())
    changed = np.concatenate([[0.0], 0.5 * np.abs(np.diff(hists, axis=0)).sum(axis=1)])
    gaps = [i for i in range(1, n) if times[i] - times[i - 1] > GAP_S]
    for i in gaps:  # the jump across unseen footage is neither motion nor a cut
        diffs[i] = diffs[i + 1] if i + 1 < n and i + 1 not in gaps else 0.0
        changed[i] = 0.0
    cut_index = [
        i
        for i in range(1, n)
        if diffs[i] > CUT_JUMP and (diffs[i] > 3 * _median_near(diffs, i) or changed[i] > HIST_CUT)
    ]
    unseen = [(times[i - 1] + 1.0 / SAMPLE_FPS, times[i]) for i in gaps]
    if windows and times[-1] + 1.0 / SAMPLE_FPS < duration_s - GAP_S:
        unseen.append((times[-1] + 1.0 / SAMPLE_FPS, duration_s))
    if windows and times[0] > GAP_S:
        unseen.insert(0, (0.0, times[0]))
    bounds = sorted({0.0, *(times[i] for i in cut_index), *(t for gap in unseen for t in gap), duration_s})
    shots = tuple((a, b) for a, b in itertools.pairwise(bounds) if b - a > 1e-3)
    not_black = luma > BLACK_LUMA
    sharpness = _sharpness(np.asarray(measures.detail), not_black)
    jitter = _jitter(np.asarray(measures.shifts), sorted({*cut_index, *gaps}))
    good = not_black & ~_frozen(diffs) & (sharpness >= BLURRED) & (jitter <= SHAKY)
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
        sharpness=tuple(float(s) for s in sharpness),
        jitter=tuple(float(j) for j in jitter),
        saliency=Saliency(
            along_x=np.stack(measures.along_x),
            along_y=np.stack(measures.along_y),
            face_times=tuple(face_times),
            faces=tuple(found),
        ),
    )


class _Measures:
    """Per sample, as it arrives: the 64x36 thumbnail, the Laplacian's variance at 320x180 grey, the shift
    from the previous sample (phase correlation at 160x90) and the saliency profiles (160x90)."""

    def __init__(self, turns: int) -> None:
        self.turns = turns
        self.thumbnails: list[np.ndarray] = []
        self.detail: list[float] = []
        self.shifts: list[tuple[float, float]] = []
        self.along_x: list[np.ndarray] = []
        self.along_y: list[np.ndarray] = []
        self._spectrum: np.ndarray | None = None
        self._window: np.ndarray | None = None
        self._salient_base: np.ndarray | None = None

    def add(self, thumbnail: np.ndarray, luma: np.ndarray) -> None:
        self.thumbnails.append(thumbnail)
        grey = luma.astype(np.float32) / 255.0
        h, w = grey.shape
        half = grey.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        self.detail.append(_laplacian_energy(grey) / max(_laplacian_energy(half), 1e-9))
        self.shifts.append(self._shift(half))
        self._add_saliency(half)

    def _shift(self, half: np.ndarray) -> tuple[float, float]:
        """The whole picture's move since the previous sample (dy, dx) as shares of the frame."""
        h, w = half.shape
        if self._window is None or self._window.shape != (h, w):  # the first sample, or the stream changed size
            self._window = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
            self._spectrum = None
        spectrum = np.fft.rfft2((gaussian_filter(half, 1.0) - half.mean()) * self._window)
        previous, self._spectrum = self._spectrum, spectrum
        if previous is None:
            return 0.0, 0.0
        cross = spectrum * np.conj(previous)
        # Halfway to a pure phase correlation: pure phase follows the grain, plain correlation the big shapes.
        peak = np.fft.irfft2(cross / np.sqrt(np.maximum(np.abs(cross), 1e-9)), s=(h, w))
        py, px = np.unravel_index(int(np.argmax(peak)), peak.shape)
        dy = (py + h // 2) % h - h // 2 + _vertex(peak[(py - 1) % h, px], peak[py, px], peak[(py + 1) % h, px])
        dx = (px + w // 2) % w - w // 2 + _vertex(peak[py, (px - 1) % w], peak[py, px], peak[py, (px + 1) % w])
        return dy / h, dx / w

    def _add_saliency(self, small: np.ndarray) -> None:
        """Motion, detail and standing out at 160x90 (``reframe``'s recipe), summed per shown axis."""
        detail = np.abs(small - uniform_filter(small, size=5))
        stand_out = np.abs(small - float(small.mean()))
        base = self._salient_base
        motion = np.abs(small - base) if base is not None and base.shape == small.shape else 0.0
        self._salient_base = small
        salient = 2.0 * motion + detail + 0.5 * stand_out
        if self.turns:
            salient = np.rot90(salient, k=self.turns)
        self.along_x.append(_binned(salient.sum(axis=0)))
        self.along_y.append(_binned(salient.sum(axis=1)))


def sampled_frames(
    path: str, *, fps: float, size: tuple[int, int], fmt: str, turns: int = 0
) -> Iterator[tuple[float, np.ndarray]]:
    """``(time_s, picture)`` about ``fps`` times a second, each shrunk (area-averaged) to ``size`` in ``fmt``
    (``rgb24``/``gray``) and turned ``turns`` quarter-turns as shown (see ``sampled_video_frames``)."""
    for at, frame in sampled_video_frames(path, fps=fps):
        picture = frame.to_ndarray(format=fmt, width=size[0], height=size[1], interpolation="AREA")
        yield at, np.rot90(picture, k=turns) if turns else picture


def dense_seconds(stream: av.VideoStream) -> float:
    """How many seconds of a video ``stream`` sampling may decode: ``DENSE_S`` seconds of 1080p30's work,
    from its coded size and frame rate (``MIN_DENSE_S``..``MAX_DENSE_S``)."""
    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else 30.0
    pixels_per_s = max(1, stream.codec_context.width * stream.codec_context.height) * max(fps, 1.0)
    return float(np.clip(DENSE_S * DENSE_RATE / pixels_per_s, MIN_DENSE_S, MAX_DENSE_S))


def sampling_windows(duration_s: float, dense_s: float = DENSE_S) -> tuple[tuple[float, float], ...]:
    """The stretches of a clip of ``duration_s`` to sample: none (the whole clip) when it is no longer than
    ``dense_s``, else ``dense_s`` seconds in windows of about ``WINDOW_S`` centred on evenly spread points."""
    if duration_s <= dense_s:
        return ()
    count = max(1, round(dense_s / WINDOW_S))
    length = dense_s / count
    centres = [(k + 0.5) * duration_s / count for k in range(count)]
    return tuple((max(0.0, c - length / 2), min(duration_s, c + length / 2)) for c in centres)


def sampled_video_frames(
    path: str, *, fps: float, windows: tuple[tuple[float, float], ...] = ()
) -> Iterator[tuple[float, av.VideoFrame]]:
    """``(time_s, frame)`` about ``fps`` times a second, over the whole clip or only inside ``windows``
    (clip seconds, in order: each reached by a seek to the keyframe before it). Decoded with frame
    threading, non-reference frames skipped (no sample needs them); times are the frames' own."""
    with av.open(path) as container:
        yield from _sampled(container, container.streams.video[0], fps=fps, windows=windows)


def _sampled(
    container: av.container.InputContainer,
    stream: av.VideoStream,
    *,
    fps: float,
    windows: tuple[tuple[float, float], ...],
) -> Iterator[tuple[float, av.VideoFrame]]:
    stream.thread_type = "AUTO"
    stream.codec_context.skip_frame = "NONREF"
    if not windows:
        yield from _every(container.decode(stream), fps, float("-inf"), float("inf"))
        return
    time_base = stream.time_base
    for start_s, end_s in windows:
        if time_base is not None:
            container.seek(int(start_s / time_base), stream=stream, backward=True)
        else:
            container.seek(int(start_s * av.time_base), backward=True)
        stream.codec_context.flush_buffers()
        yield from _every(container.decode(stream), fps, start_s, end_s)


def _every(
    frames: Iterator[av.VideoFrame], fps: float, start_s: float, end_s: float
) -> Iterator[tuple[float, av.VideoFrame]]:
    """The frames from ``start_s`` to before ``end_s``, about ``fps`` a second (the decode stops at ``end_s``)."""
    next_t = start_s
    for frame in frames:
        if frame.time is None or frame.time + 1e-6 < next_t:
            continue
        if frame.time >= end_s:
            return
        cancel.check()
        yield float(frame.time), frame
        next_t = float(frame.time) + 1.0 / fps


def best_stretch(footage: Footage, length_s: float) -> tuple[float, float] | None:
    """The ``length_s`` seconds of one usable stretch with the most steady motion, or None if none is long
    enough. Motion counts as much as the framing is steady and the picture sharp."""
    times = np.asarray(footage.times_s)
    appeal = np.asarray(footage.motion, dtype=float)
    if len(footage.jitter) == appeal.size:
        appeal = appeal * np.exp(-np.asarray(footage.jitter) / JITTER_SCALE)
    if len(footage.sharpness) == appeal.size:
        appeal = appeal * np.clip(np.asarray(footage.sharpness) / SHARP_ENOUGH, 0.0, 1.0)
    best: tuple[float, tuple[float, float]] | None = None
    for start, end in footage.usable:
        if end - start + 1e-6 < length_s:
            continue
        candidates = np.linspace(start, end - length_s, num=max(1, int((end - start - length_s) * 4) + 1))
        for at in candidates:
            inside = (times >= at) & (times < at + length_s)
            score = float(appeal[inside].mean()) if inside.any() else 0.0
            if best is None or score > best[0] + 1e-9:
                best = (score, (float(at), float(at + length_s)))
    return best[1] if best else None


def _binned(profile: np.ndarray) -> np.ndarray:
    """``profile`` resampled to ``PROFILE_BINS`` positions (so every sample's has the same length)."""
    where = (np.arange(PROFILE_BINS) + 0.5) * profile.size / PROFILE_BINS - 0.5
    return (np.interp(where, np.arange(profile.size), profile) * (profile.size / PROFILE_BINS)).astype(np.float32)


def _vertex(before: float, at: float, after: float) -> float:
    """Where a parabola through three neighbouring values peaks, relative to the middle one (-0.5..0.5)."""
    curve = before - 2.0 * at + after
    return float(np.clip(0.5 * (before - after) / curve, -0.5, 0.5)) if curve < -1e-12 else 0.0


def _laplacian_energy(grey: np.ndarray) -> float:
    lap = grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4.0 * grey[1:-1, 1:-1]
    return float(lap.var())


def _sharpness(detail: np.ndarray, lit: np.ndarray) -> np.ndarray:
    """Each sample's fine-to-coarse detail over the clip's sharp level (its lit samples' 90th percentile);
    a sample under ``BLURRED_DETAIL`` is taken as blurred whatever the clip's level."""
    reference = float(np.percentile(detail[lit], 90)) if lit.any() else 0.0
    if reference <= 1e-9:
        return np.ones_like(detail)
    return np.asarray(np.where(detail < BLURRED_DETAIL, 0.0, detail / reference))


def _jitter(shifts: np.ndarray, cut_index: list[int]) -> np.ndarray:
    """Per sample, how far the picture's shift departs from the smooth camera move around it (a 5-sample
    median inside the shot), as a share of the frame; 0 for a shot's first sample (its shift is the cut)."""
    n = shifts.shape[0]
    jitter = np.zeros(n)
    for start, end in itertools.pairwise([0, *cut_index, n]):
        first = start + 1  # the shift into a shot's first sample is across the cut (or there is none)
        part = shifts[first:end]
        if len(part) < 3:
            continue
        raw = np.hypot(*(part - median_filter(part, size=(5, 1), mode="nearest")).T)
        jitter[first:end] = median_filter(raw, size=5, mode="reflect")  # a lone wrong match is not a shake
    return jitter


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
