"""Where a crop window should look when a clip changes shape: following the subject, like a camera operator.

For a 9:16 (or 1:1) cut of a landscape clip — or a 16:9 cut of a portrait one — the centre is often the
wrong place (a bunny's belly, an empty road). The clip is sampled a few times a second at a small size;
each sample's saliency is motion (difference to the previous sample), detail (difference to a blurred
copy) and standing out from the frame's mean brightness; a frontal face (``faces.py``, once a second,
on a 480 px grey copy of the same decoded frame) is added as the strongest saliency of all, so a face stays
in the window when something brighter moves elsewhere; the window position that holds the most of it is
the target. The path is then made camera-like inside each shot: a median removes one-sample jumps, a
Gaussian (about a second) smooths the move, a shot whose target barely moves holds still, and a cut
starts a new shot where the window may jump. Anchors: Premiere Pro's Auto Reframe, CapCut's auto reframe.

The path becomes an FFmpeg ``crop`` position expression in ``t`` (piecewise linear, a step at each cut),
so no frame is decoded twice and user text never enters it (only numbers we computed).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import av
import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter, uniform_filter

from bot.media.faces import FACE_INTERVAL_S, FaceBox, add_faces, detection_size, face_finder, steady_faces
from bot.media.footage import sampled_video_frames
from bot.media.models import MediaInfo

__all__ = ["CropPath", "path_from_profile", "plan_reframe", "position_expression"]

logger = logging.getLogger(__name__)

SAMPLE_FPS = 6.0
SAMPLE_LONG_SIDE = 128
SMOOTH_S = 0.9
"""Gaussian sigma of the path: slow enough to feel like a hand on a tripod, fast enough to keep up."""
HOLD_RANGE = 0.06
"""A shot whose smoothed path moves less than this (fraction of the free range) holds still."""
KEYS_PER_S = 2.0
"""Path points kept per second for the FFmpeg expression (linear between them)."""


@dataclass(frozen=True)
class CropPath:
    """The crop window's position over time: ``positions`` in [0, 1] of the free range (0 = left/top edge),
    at ``times_s`` (clip seconds from the first frame); ``axis`` is ``"x"`` or ``"y"``. A cut is two points
    at the same time."""

    axis: str
    times_s: tuple[float, ...]
    positions: tuple[float, ...]

    @property
    def travel(self) -> float:
        """How far the window moved in all, in multiples of the free range (0 = it held still)."""
        return float(np.abs(np.diff(self.positions)).sum()) if len(self.positions) > 1 else 0.0


@dataclass
class _Samples:
    """What one pass over the clip measured: saliency maps and, on some samples, the faces seen."""

    times: list[float]
    maps: list[np.ndarray]
    face_times: list[float]
    faces: list[list[FaceBox]]


def plan_reframe(
    info: MediaInfo, *, window_ratio: float, axis: str, cut_times_s: tuple[float, ...], faces: bool = True
) -> CropPath:
    """The path of a window ``window_ratio`` of the shown frame along ``axis`` (``x``: a narrower window that
    slides left-right; ``y``: a shorter one that slides up-down), reset at ``cut_times_s``; ``faces=False``
    follows motion and contrast alone."""
    samples = _saliency(info, faces=faces)
    times = samples.times
    if not times:
        return CropPath(axis=axis, times_s=(0.0,), positions=(0.5,))
    profile = np.stack([m.sum(axis=0 if axis == "x" else 1) for m in samples.maps])  # (samples, positions)
    if samples.face_times:
        seen = steady_faces(samples.face_times, samples.faces)
        logger.debug("faces in %d of %d face samples", sum(1 for f in seen if f), len(seen))
        profile = add_faces(times, profile, samples.face_times, seen, axis=axis)
    return path_from_profile(times, profile, window_ratio=window_ratio, axis=axis, cut_times_s=cut_times_s)


def path_from_profile(
    times: list[float], profile: np.ndarray, *, window_ratio: float, axis: str, cut_times_s: tuple[float, ...]
) -> CropPath:
    """The path from saliency already summed along ``axis`` (samples x positions, at ``times`` from the first
    sample): a montage measures it while sampling its footage (``footage.Saliency``)."""
    size = profile.shape[1]
    window = max(1, min(size, round(size * window_ratio)))
    free = size - window
    if free <= 0:
        return CropPath(axis=axis, times_s=(0.0,), positions=(0.5,))
    held = np.stack([np.convolve(p, np.ones(window), mode="valid") for p in profile])  # (samples, free + 1)
    target = held.argmax(axis=1) / free
    t = np.asarray(times)
    out_t: list[float] = []
    out_p: list[float] = []
    bounds = [0.0, *sorted(c for c in cut_times_s if 0 < c < t[-1] + 1.0), float("inf")]
    for start, end in itertools.pairwise(bounds):
        inside = (t >= start - 1e-6) & (t < end - 1e-6)
        if not inside.any():
            continue
        path = _camera(target[inside])
        shot_t = t[inside]
        keep = _decimate(shot_t)
        if out_t and start > 0:
            out_t.append(start)  # the cut: the previous position up to here, the new one from here
            out_p.append(out_p[-1])
        for k in keep:
            out_t.append(max(start, float(shot_t[k])) if k else start)
            out_p.append(float(path[k]))
    return CropPath(axis=axis, times_s=tuple(round(x, 3) for x in out_t), positions=tuple(round(p, 4) for p in out_p))


def position_expression(path: CropPath, *, free: str) -> str:
    """An FFmpeg expression of ``t`` for the window's offset: ``free`` (e.g. ``(iw-ow)``) times the path."""
    times, positions = path.times_s, path.positions
    terms = [f"{positions[0]:.4f}"]
    for (t0, p0), (t1, p1) in zip(
        zip(times, positions, strict=False), zip(times[1:], positions[1:], strict=False), strict=False
    ):
        step = p1 - p0
        if abs(step) < 1e-5:
            continue
        if t1 - t0 < 1e-4:  # a cut
            terms.append(f"{step:+.4f}*gte(t,{t1:.3f})")
        else:
            terms.append(f"{step / (t1 - t0):+.5f}*clip(t-{t0:.3f},0,{t1 - t0:.3f})")
    return f"{free}*({''.join(terms)})"


def _camera(target: np.ndarray) -> np.ndarray:
    """A shot's target positions made into a calm camera move."""
    if target.size < 3:
        return np.full(target.size, float(np.median(target)))
    path = median_filter(target, size=5, mode="nearest")
    path = gaussian_filter1d(path.astype(float), sigma=SMOOTH_S * SAMPLE_FPS, mode="nearest")
    if float(path.max() - path.min()) < HOLD_RANGE:
        return np.full(path.size, float(np.median(path)))
    return np.clip(path, 0.0, 1.0)


def _decimate(times: np.ndarray) -> list[int]:
    """Indices of path points to keep: about ``KEYS_PER_S`` a second, the first and the last."""
    keep = [0]
    for i in range(1, times.size):
        if times[i] - times[keep[-1]] >= 1.0 / KEYS_PER_S:
            keep.append(i)
    if keep[-1] != times.size - 1:
        keep.append(times.size - 1)
    return keep


def _saliency(info: MediaInfo, *, faces: bool = True) -> _Samples:
    """Sample times (from the first frame) and a saliency map per sample, as the picture is shown; with
    ``faces`` (and a detector), the faces on a sample every ``FACE_INTERVAL_S``, from the same decoded frame."""
    width, height = round(info.width * info.sample_aspect), info.height  # sampled as shown: square pixels
    scale = SAMPLE_LONG_SIDE / max(width, height)
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    face_size = detection_size(width, height)
    find = face_finder() if faces else None
    turns = (info.rotation_deg // 90) % 4
    out = _Samples([], [], [], [])
    previous: np.ndarray | None = None
    first: float | None = None
    for at, frame in sampled_video_frames(info.path, fps=SAMPLE_FPS):
        first = at if first is None else first
        picture = np.rot90(_grey(frame, size), k=turns)
        grey = picture.astype(np.float32) / 255.0
        detail = np.abs(grey - uniform_filter(grey, size=5))
        stand_out = np.abs(grey - float(grey.mean()))
        motion = np.abs(grey - previous) if previous is not None and previous.shape == grey.shape else 0.0
        out.maps.append(2.0 * motion + detail + 0.5 * stand_out)
        out.times.append(at - first)
        previous = grey
        if find is not None and (not out.face_times or at - first - out.face_times[-1] >= FACE_INTERVAL_S - 1e-3):
            out.faces.append(find(np.ascontiguousarray(np.rot90(_grey(frame, face_size), k=turns))))
            out.face_times.append(at - first)
    return out


def _grey(frame: av.VideoFrame, size: tuple[int, int]) -> np.ndarray:
    """The frame shrunk (area-averaged) to ``size`` in grey, as ``footage.sampled_frames`` does."""
    return np.asarray(frame.to_ndarray(format="gray", width=size[0], height=size[1], interpolation="AREA"))
