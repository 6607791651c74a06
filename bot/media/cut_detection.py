"""Where a new shot starts, judged from consecutive decoded frames.

Two consecutive frames differ by ``pix`` and ``hist`` (see :mod:`bot.media.frame_features`). A cut
needs both, each above an absolute floor, and one of them standing out from its neighbours (+-8
frames) as PySceneDetect's AdaptiveDetector does: ``pix`` ``ADAPTIVE_RATIO`` times their median, or
``hist`` that many times theirs and over ``HIST_STRONG`` (with pix over twice its floor).

Measured on 320x180 testsrc2 clips: cuts score pix 0.31-0.36 / hist 0.67-0.89; pans and zooms
reach pix 0.066 but hist only 0.08-0.18; fades reach hist 0.75 (whole histograms slide across bin
edges) but pix only 0.02; grain (``noise=alls=40``) stays below pix 0.03 / hist 0.07. Busy texture
(a cellular automaton scrolling a row a frame) keeps pix at 0.2 every frame, so there only the
histogram can tell a cut (0.87 against 0.02-0.13). A burst of 1 to ``BRIDGE_SPAN - 1`` frames
whose two sides match each other is a flash, not two cuts.
"""

from __future__ import annotations

import bisect

import numpy as np

from bot.media.frame_features import BRIDGE_SPAN, DecodedFrames

__all__ = ["ADAPTIVE_WINDOW", "HIST_CUT", "HIST_STRONG", "PIX_CUT", "SAME_SHOT_HIST", "SAME_SHOT_PIX", "detect_cuts"]

PIX_CUT = 0.06
"""Minimum mean absolute luma difference (0..1) between the two frames of a cut."""
HIST_CUT = 0.25
"""Minimum histogram distance (0..1) between the two frames of a cut."""
ADAPTIVE_RATIO = 3.0
"""A cut's ``pix`` must be this many times the median ``pix`` of its neighbours."""
HIST_STRONG = 0.45
"""A cut told by its histogram alone (its ``pix`` no higher than busy texture's) must reach this,
and twice ``PIX_CUT``: a quick fade's histogram jumps 0.4-0.9 a frame but its pix stays ~0.06."""
ADAPTIVE_WINDOW = 8
SAME_SHOT_PIX = 0.08
SAME_SHOT_HIST = 0.15
"""Two frames this close (both) on either side of frames left undecoded are taken to be one shot;
deliberately stricter than the cut floors, so doubt leads to decoding, not to a guess."""
MIN_NEIGHBOURS = 4
"""With fewer decoded neighbours than this, the clip-wide median stands in for the local one."""


def detect_cuts(frames: DecodedFrames) -> list[int]:
    """Display indices whose frame starts a new shot, from consecutive decoded pairs."""
    keys = sorted(frames.pairs)
    if not keys:
        return []
    pix = np.array([frames.pairs[k][0] for k in keys])
    hist = np.array([frames.pairs[k][1] for k in keys])
    global_pix, global_hist = float(np.median(pix)), float(np.median(hist))
    cuts: list[int] = []
    for i, k in enumerate(keys):
        if not _over_floors(frames.pairs.get(k)):
            continue
        lo = bisect.bisect_left(keys, k - ADAPTIVE_WINDOW)
        hi = bisect.bisect_right(keys, k + ADAPTIVE_WINDOW)
        near_pix = np.r_[pix[lo:i], pix[i + 1 : hi]]
        near_hist = np.r_[hist[lo:i], hist[i + 1 : hi]]
        enough = len(near_pix) >= MIN_NEIGHBOURS
        base_pix = float(np.median(near_pix)) if enough else global_pix
        base_hist = float(np.median(near_hist)) if enough else global_hist
        pix_stands_out = pix[i] >= ADAPTIVE_RATIO * max(base_pix, 0.004)
        hist_stands_out = (
            hist[i] >= HIST_STRONG and pix[i] >= 2 * PIX_CUT and hist[i] >= ADAPTIVE_RATIO * max(base_hist, 0.02)
        )
        if not (pix_stands_out or hist_stands_out):
            continue
        # The strongest of a run of consecutive cut-like pairs (a 2-frame dissolve, say).
        prev_pair, next_pair = frames.pairs.get(k - 1), frames.pairs.get(k + 1)
        if _over_floors(prev_pair) and prev_pair is not None and _score(prev_pair) > _score(frames.pairs[k]):
            continue
        if _over_floors(next_pair) and next_pair is not None and _score(next_pair) >= _score(frames.pairs[k]):
            continue
        if _in_flash(frames, k, float(pix[i]), base_pix):
            continue
        cuts.append(k)
    return cuts


def _over_floors(pair: tuple[float, float] | None) -> bool:
    return pair is not None and pair[0] >= PIX_CUT and pair[1] >= HIST_CUT


def _score(pair: tuple[float, float]) -> float:
    return pair[0] + pair[1]


def _in_flash(frames: DecodedFrames, k: int, strength: float, motion: float) -> bool:
    """Is the change at k the start or the end of a short burst whose two sides match?

    A burst of 1 to ``BRIDGE_SPAN - 1`` frames (a photo flash, a glitch) starting at k is bridged
    by frames k-1 and k+len matching; one ending just before k by frames k-len-1 and k. "Match":
    same histogram, and luma no further apart than a third of the burst's jump or than the
    shot's own frame-to-frame motion (busy texture never matches to the pixel).
    """
    for span in range(2, BRIDGE_SPAN + 1):
        for bridge in ((k - 1, k - 1 + span), (k - span, k)):
            diff = frames.bridges.get(bridge)
            if diff is not None and diff[1] < HIST_CUT and diff[0] < max(0.35 * strength, 1.5 * motion):
                return True
    return False
