"""The H.264 setting of every full re-encode (a montage, a clip reshaped or titled), chosen by measurement.

``python -m bench montage encoders`` encodes the 60 s 1080p benchmark clip (grainy, ~8 Mbit/s, the hard
case) with each candidate setting on this machine (2 cores) — once cropped to 9:16 (the #12 case: a
landscape clip made vertical) and once whole at 1080p (a montage's frame) — and reports the CPU time,
the file size and SSIM against the same picture of the source (FFmpeg's ``ssim`` filter). The table is in
the README. Measured (CPU seconds including the source's decode; 9:16 / 16:9):

- ``veryfast`` CRF 20: 37.7 / 95.6 CPU-s, 27 / 94 MB, SSIM 0.986 / 0.986;
- ``superfast`` CRF 20-23: 32-33 / 62-75 CPU-s, 45-64 / 146-204 MB, SSIM 0.990-0.993;
- ``ultrafast`` CRF 20-23: 20-21 / 32-35 CPU-s, 41-55 / 148-196 MB, SSIM 0.982-0.988.

Every candidate clears ``MIN_SSIM`` by far. ``veryfast``'s 37.7 CPU-s for the 60 s 9:16 clip are 0.31x its
length spread over two cores (the #12 target is 0.5x); the wall time measured on the shared machine (load
12-20) was 1.9x, so the target is met in CPU, not yet shown in wall time. The faster presets save CPU but,
without x264's macroblock tree and psychovisual tuning, spend 1.6-2.2x the bytes on phone grain: the
montage benchmark's film, 36 MB at ``veryfast``, would come out at about 58-79 MB by those ratios, over a
chat's 50 MB, and pay a two-pass fit encode (``fit_size``) costing more than the preset saved. So
``veryfast`` CRF 20 stays. x264's own thread count (1.5x the cores) is kept: two threads by hand measured
1-7 % less CPU, within the noise of a shared machine.

A montage has its own setting (``film_x264_args``), measured on the montage benchmark's own film: ``python -m
bench montage film-encoders DIR/timeline.json`` encodes its uncompressed timeline (raw frames, the encoder's
CPU alone) with each candidate and compares it with those frames (SSIM). On the film's first 30 s (the eight
clips and a photo; one run, load 7.6): ``veryfast`` CRF 20 45.4 CPU-s, 30.2 MB, SSIM 0.9857; with
``me=dia:subme=1`` 28.7 CPU-s (0.63x) but 31.0 MB (1.03x: a film must not grow, a 60 s one near a chat's
50 MB would pay a fit encode); adding ``aq-strength=0.9`` (a little less of x264's adaptive quantisation,
which spends bits on phone grain) 28.4 CPU-s (0.63x), 29.0 MB (0.96x), SSIM 0.9843. Tried and not taken:
``trellis=1`` (more CPU and bytes), ``ref=2``, ``rc-lookahead=20``, ``subme=1`` alone (all more bytes),
``deadzone-inter=24/26`` (1.00x/0.99x the bytes, the same CPU). The preset's hexagon search and sub-pixel
refinement level 2 are most of what the diamond search and level 1 leave out; the film keeps ``veryfast``'s
macroblock tree (what the faster presets lose their bytes by). A single clip's re-encode keeps
``x264_args`` (measured for #12 on the 9:16 case; not re-measured with these params).
"""

from __future__ import annotations

import logging

__all__ = ["CRF", "FILM_CRF", "FILM_PARAMS", "FILM_PRESET", "MIN_SSIM", "PRESET", "film_x264_args", "x264_args"]

logger = logging.getLogger(__name__)

PRESET = "veryfast"
CRF = 20
MIN_SSIM = 0.95
"""The quality floor of a re-encode against the source (the #12 target)."""


FILM_PRESET = "veryfast"
FILM_CRF = 20
FILM_PARAMS = "me=dia:subme=1:aq-strength=0.9"
"""A montage's own setting (see the module's docstring): extra ``-x264-params`` on top of ``FILM_PRESET``."""


def x264_args(*, preset: str = PRESET, crf: int = CRF, params: str = "") -> tuple[str, ...]:
    """FFmpeg output arguments for H.264 High, yuv420p, at the measured setting (or the one given)."""
    extra = ("-x264-params", params) if params else ()
    return ("-c:v", "libx264", "-preset", preset, "-crf", str(crf), *extra, "-profile:v", "high", "-pix_fmt", "yuv420p")


def film_x264_args() -> tuple[str, ...]:
    """A montage's encoder arguments: its own measured setting (a single clip's re-encode keeps ``x264_args``)."""
    return x264_args(preset=FILM_PRESET, crf=FILM_CRF, params=FILM_PARAMS)
