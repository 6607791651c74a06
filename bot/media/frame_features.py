"""What one decoded frame looks like, shrunk to a thumbnail: luma, colour histogram, light and colour.

Every decoded frame is shrunk by FFmpeg's own scaler to a 64x36 RGB thumbnail inside a filter graph
(``scale=...:flags=area`` averages ~900 source pixels per thumbnail pixel at 1080p, which also
averages grain away; ``frame.reformat`` per frame measured 5x slower). Two frames differ by ``pix``
(mean absolute luma difference, 0..1) and ``hist`` (half the L1 distance of their 4x4x4 RGB
histograms, 0..1); :mod:`bot.media.cut_detection` decides from those two numbers.

:class:`DecodedFrames` keeps only what the comparisons still need, so memory follows the number of
undecoded stretches, not the number of frames; it also sums brightness, saturation and warmth.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import av.filter
import av.video.frame
import numpy as np

__all__ = [
    "BRIDGE_SPAN",
    "MOTION_SCALE",
    "DecodedFrames",
    "FrameFeature",
    "Thumbnailer",
    "colour_histogram",
    "frame_difference",
]

THUMB_LONG, THUMB_SHORT = 64, 36
BRIDGE_SPAN = 4
"""Frames this far apart are compared too: a flash of up to ``BRIDGE_SPAN - 1`` frames is spotted."""
COLOUR_EVERY = 3
"""Light and colour are clip averages: one decoded frame in this many is enough (and a third of the cost)."""
_NEAR = tuple(o for o in range(-BRIDGE_SPAN, BRIDGE_SPAN + 1) if o)
MOTION_SCALE = 0.03
"""``motion = 1 - exp(-mean pix / MOTION_SCALE)``: static testsrc2 ~0.2, a slow pan ~0.5, a fast one ~0.7."""


@dataclass
class FrameFeature:
    """One thumbnail as the cut detector compares it."""

    luma: np.ndarray
    """Rec. 709 luma, 0..1, shape (thumbnail height, thumbnail width)."""
    hist: np.ndarray
    """4x4x4 RGB histogram, 64 bins summing to 1."""


def colour_histogram(rgb: np.ndarray) -> np.ndarray:
    """An 8-bit RGB picture's colours in 4x4x4 bins, as shares of its pixels (64 floats)."""
    q = (rgb >> 6).astype(np.intp)
    hist = np.bincount((q[..., 0] * 16 + q[..., 1] * 4 + q[..., 2]).ravel(), minlength=64)
    return hist.astype(np.float32) / float(q[..., 0].size)


def frame_difference(a: FrameFeature, b: FrameFeature) -> tuple[float, float]:
    """``(pix, hist)``: mean absolute luma difference and half the histograms' L1 distance, both 0..1."""
    pix = float(np.add.reduce(np.abs(a.luma - b.luma), axis=None)) / a.luma.size
    hist = 0.5 * float(np.add.reduce(np.abs(a.hist - b.hist)))
    return pix, hist


@dataclass
class DecodedFrames:
    """Thumbnail features of the decoded frames, keyed by display index.

    Pair differences are computed as soon as both frames exist; a frame's features are dropped
    once every comparison it takes part in is done, so memory follows the number of undecoded
    stretches, not the number of frames.
    """

    feats: dict[int, FrameFeature] = field(default_factory=dict)
    pairs: dict[int, tuple[float, float]] = field(default_factory=dict)
    """k -> (pix, hist) between frames k-1 and k."""
    bridges: dict[tuple[int, int], tuple[float, float]] = field(default_factory=dict)
    """(a, b) -> (pix, hist) between frames a and b, 2 <= b - a <= BRIDGE_SPAN: do the frames
    around a short burst (a flash of 1-3 frames) match each other?"""
    decoded: set[int] = field(default_factory=set)
    keep: set[int] = field(default_factory=set)
    """Display indices whose features are kept even once every comparison is done (a probe's samples)."""
    skipped: set[int] = field(default_factory=set)
    """Display indices that will never be decoded (left out on purpose): no comparison waits for them."""
    motion_samples: set[int] | None = None
    """If set, only the pairs ending at these display indices measure motion: a pass that decodes
    whole only the stretches around cuts and flashes would otherwise see mostly those."""
    pts_by_display: dict[int, int] = field(default_factory=dict)
    _n: int = 0
    _luma: float = 0.0
    _sat: float = 0.0
    _red: float = 0.0
    _blue: float = 0.0

    def add(self, display: int, pts: int | None, rgb: np.ndarray) -> None:
        if display in self.decoded:
            return
        self.decoded.add(display)
        if pts is not None:
            self.pts_by_display[display] = pts
        f = rgb.astype(np.float32) * (1.0 / 255.0)
        luma = 0.2126 * f[..., 0] + 0.7152 * f[..., 1] + 0.0722 * f[..., 2]
        feat = FrameFeature(luma=luma, hist=colour_histogram(rgb))
        if len(self.decoded) % COLOUR_EVERY == 1 or COLOUR_EVERY == 1:
            mx = f.max(axis=2)
            mn = f.min(axis=2)
            sat = np.where(mx > 1e-3, (mx - mn) / np.maximum(mx, 1e-3), 0.0)
            self._n += 1
            self._luma += float(luma.mean())
            self._sat += float(sat.mean())
            self._red += float(f[..., 0].mean())
            self._blue += float(f[..., 2].mean())
        self.feats[display] = feat
        for k in (display, display + 1):
            if k - 1 in self.feats and k in self.feats:
                self.pairs[k] = frame_difference(self.feats[k - 1], self.feats[k])
        for span in range(2, BRIDGE_SPAN + 1):
            for a, b in ((display - span, display), (display, display + span)):
                if a in self.feats and b in self.feats and (a, b) not in self.bridges:
                    self.bridges[(a, b)] = frame_difference(self.feats[a], self.feats[b])
        self._forget_done(display)

    def skip(self, displays: range) -> None:
        """These frames will not be decoded: drop the features that were only kept for them."""
        self.skipped.update(displays)
        self._forget_done(displays.start - 1)
        self._forget_done(displays.stop)

    def _forget_done(self, display: int) -> None:
        decoded, skipped = self.decoded, self.skipped
        for c in range(display - BRIDGE_SPAN, display + BRIDGE_SPAN + 1):
            if c in self.feats and c not in self.keep and all(c + o in decoded or c + o in skipped for o in _NEAR):
                del self.feats[c]

    def long_diff(self, a: int, b: int) -> tuple[float, float] | None:
        fa, fb = self.feats.get(a), self.feats.get(b)
        return frame_difference(fa, fb) if fa is not None and fb is not None else None

    def motion_pairs(self, *, exclude: set[int]) -> list[tuple[int, float]]:
        """``(k, pix)`` of the pairs that measure motion, sorted: none touching a frame in ``exclude``
        (a cut's first frame), only ``motion_samples`` if given."""
        only = self.motion_samples
        return sorted(
            (k, pix)
            for k, (pix, _h) in self.pairs.items()
            if k not in exclude and k + 1 not in exclude and (only is None or k in only)
        )

    def motion(self, *, exclude: set[int]) -> float:
        vals = [pix for _k, pix in self.motion_pairs(exclude=exclude)]
        if not vals:
            return 0.0
        return float(round(1.0 - math.exp(-float(np.mean(vals)) / MOTION_SCALE), 4))

    @property
    def brightness(self) -> float:
        return round(self._luma / self._n, 4) if self._n else 0.0

    @property
    def saturation(self) -> float:
        return round(self._sat / self._n, 4) if self._n else 0.0

    @property
    def warmth(self) -> float:
        total = self._red + self._blue
        return round((self._red - self._blue) / total, 4) if total > 1e-6 else 0.0


class Thumbnailer:
    """FFmpeg scale+format graph to a tiny RGB picture, rebuilt if the frame geometry changes."""

    def __init__(self) -> None:
        self._graph: av.filter.Graph | None = None
        self._key: tuple[int, int, str] | None = None

    def __call__(self, frame: av.video.frame.VideoFrame) -> np.ndarray:
        key = (frame.width, frame.height, frame.format.name)
        if self._graph is None or key != self._key:
            self._graph = self._build(frame)
            self._key = key
        self._graph.push(frame)
        out = self._graph.vpull()
        return out.to_ndarray()

    @staticmethod
    def _build(frame: av.video.frame.VideoFrame) -> av.filter.Graph:
        width, height = frame.width, frame.height
        tw, th = (THUMB_LONG, THUMB_SHORT) if width >= height else (THUMB_SHORT, THUMB_LONG)
        graph = av.filter.Graph()
        src = graph.add_buffer(width=width, height=height, format=frame.format, time_base=Fraction(1, 1000))
        chain = [src]
        # Keeping every other line is free (``field`` only doubles the stride) and saves the area
        # scaler a third of its work at 1080p; still ~200 source pixels per thumbnail pixel.
        rows = height
        while rows // 2 >= 4 * th and len(chain) < 3:
            chain.append(graph.add("field", "top"))
            rows //= 2
        chain += [graph.add("scale", f"{tw}:{th}:flags=area"), graph.add("format", "rgb24"), graph.add("buffersink")]
        for a, b in itertools.pairwise(chain):
            a.link_to(b)
        graph.configure()
        return graph
