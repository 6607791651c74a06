"""The H.264 setting of every full re-encode (a montage, a clip reshaped or titled), chosen by measurement.

``python -m bench montage encoders`` encodes the 60 s 1080p benchmark clip with each candidate setting on
this machine (2 cores) — once cropped to 9:16 (the #12 case: a landscape clip made vertical) and once
whole at 1080p (a montage's frame) — and reports the time, the CPU time, the file size and SSIM against
the same picture of the source (FFmpeg's ``ssim`` filter). The table is in the README; the choice below
is the fastest setting that keeps SSIM at or above ``MIN_SSIM`` on both, with files no larger than a
phone's own recording. x264's own thread count (1.5x the cores) is kept: the bench measured no gain
from setting it by hand.
"""

from __future__ import annotations

import logging

__all__ = ["CRF", "MIN_SSIM", "PRESET", "x264_args"]

logger = logging.getLogger(__name__)

PRESET = "veryfast"
CRF = 20
MIN_SSIM = 0.95
"""The quality floor of a re-encode against the source (the #12 target)."""


def x264_args(*, preset: str = PRESET, crf: int = CRF) -> tuple[str, ...]:
    """FFmpeg output arguments for H.264 High, yuv420p, at the measured setting (or the one given)."""
    return ("-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high", "-pix_fmt", "yuv420p")
