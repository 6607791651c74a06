"""Fit a render into a size limit (e.g. a chat app's 10 MB upload cap).

The caller first checks ``fits(path, target)`` on the normal (copy-path) output and only re-encodes
when it does not. ``plan_bitrates`` turns the budget into a video bitrate, stepping the resolution
down (1080 -> 720 -> 480) when the bitrate would be too low for it, then lowering the sound's
bitrate, then giving up with a sentence the user can act on. ``encode_to_fit`` encodes libx264 in
two passes, checks the size and, if it overshot, re-plans once with the overshoot taken off.

Why two passes: on a clip whose second half is much busier than the first, one-pass ABR overshot
by 10 % (2.32 MB for a 2.12 MB budget) while two passes landed within 0.5 %; the first pass is
x264's fast one, so the pair took 1.05-1.5x the time of one ABR pass (10 s 720p, 2 cores: 5.1-8.4 s
vs 3.4-8.0 s) and a one-pass overshoot costs a whole second encode. End to end (2 cores, veryfast):
10 s 1080p into 5 MB (stays 1080p, 3.6 Mbit/s) 10.7 s, into 2 MB (720p) 7.8 s; 10 s of grainy 720p
into 1 MB (480p) 4.8 s. A CRF 20 re-encode of the same 1080p clip takes 11.3 s.

Minimum video bitrates per output height (short side), below which the next rung down looks
better: 1080p 1500 kbit/s, 720p 800, 480p 350 (linear in between, quadratic below 480). At the
lowest rung the sound steps 128 -> 96 -> 64 kbit/s, and the video may go down to
``FLOOR_KBPS_480`` (scaled for smaller pictures) before the target is refused.
"""

from __future__ import annotations

import logging
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from bot.errors import InputRejected
from bot.media.cancel import run_ffmpeg

__all__ = [
    "AUDIO_STEPS_KBPS",
    "FLOOR_KBPS_480",
    "MIN_VIDEO_KBPS",
    "PRESET",
    "RETRY_MARGIN",
    "RUNGS",
    "SAFETY",
    "FitResult",
    "SizePlan",
    "encode_to_fit",
    "fits",
    "floor_kbps",
    "format_size",
    "min_video_kbps",
    "parse_size",
    "plan_bitrates",
    "scaled_to",
]

logger = logging.getLogger(__name__)

RUNGS: tuple[int, ...] = (1080, 720, 480)
MIN_VIDEO_KBPS: Mapping[int, float] = {1080: 1500.0, 720: 800.0, 480: 350.0}
FLOOR_KBPS_480 = 150.0
"""The least video bitrate accepted at 480p when nothing else is left to give: blocky but watchable."""
AUDIO_STEPS_KBPS: tuple[int, ...] = (128, 96, 64)
SAFETY = 0.97
"""Aim 3 % under the budget: x264's two-pass lands within about 1 %, AAC and MP4 overhead vary a little."""
RETRY_MARGIN = 0.03
"""The retry also takes this fraction of the target off, on top of the measured overshoot."""
PRESET = "veryfast"


@dataclass(frozen=True)
class SizePlan:
    """Bitrates and output height for one encode."""

    video_kbps: int
    audio_kbps: int
    height: int
    """The output's short side ("p"); the caller's picture is scaled down to it if larger."""
    budget_bytes: int
    """What video + audio may take, overhead and safety margin removed."""


@dataclass(frozen=True)
class FitResult:
    """What ``encode_to_fit`` wrote."""

    path: Path
    size_bytes: int
    width: int
    height: int
    plan: SizePlan
    attempts: int
    encode_s: float


# ---- sizes ------------------------------------------------------------------------------------

_UNITS: Mapping[str, int] = {
    "": 1,
    "b": 1,
    "byte": 1,
    "bytes": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)
_THOUSANDS_RE = re.compile(r"^\s*\d{1,3}(?:,\d{3})+\s*$")


def parse_size(text: str) -> int:
    """``"10MB"`` -> 10,000,000; ``"10MiB"`` -> 10,485,760; ``"1.5GB"``, ``"500KB"``, ``"2048"`` (bytes).

    Decimal units (KB/MB/GB = 1000^n) as chat apps state their limits; binary ones spelled KiB/MiB/GiB.
    Raises InputRejected for anything else.
    """
    raw = text.strip()
    if _THOUSANDS_RE.match(raw):
        raw = raw.replace(",", "")
    m = _SIZE_RE.match(raw)
    unit = m.group(2).lower() if m else ""
    if m is None or unit not in _UNITS:
        raise InputRejected("size_unreadable", text=text.strip()[:40])
    value = float(m.group(1)) * _UNITS[unit]
    if value < 1 or not math.isfinite(value):
        raise InputRejected("size_too_small", text=text.strip()[:40])
    return int(round(value))


def format_size(n: int) -> str:
    """Bytes as people write them: ``1 MB``, ``20 KB``, ``1.5 GB`` (decimal units)."""
    for unit, scale in (("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def fits(path: Path, target_bytes: int) -> bool:
    """Whether the file at ``path`` is already within ``target_bytes`` (then don't re-encode)."""
    return path.stat().st_size <= target_bytes


# ---- planning ---------------------------------------------------------------------------------


def min_video_kbps(height: int) -> float:
    """Below this the picture at ``height`` (short side) looks worse than the next rung down."""
    if height >= 1080:
        return MIN_VIDEO_KBPS[1080]
    if height >= 720:
        return MIN_VIDEO_KBPS[720] + (height - 720) / 360 * (MIN_VIDEO_KBPS[1080] - MIN_VIDEO_KBPS[720])
    if height >= 480:
        return MIN_VIDEO_KBPS[480] + (height - 480) / 240 * (MIN_VIDEO_KBPS[720] - MIN_VIDEO_KBPS[480])
    return MIN_VIDEO_KBPS[480] * (height / 480) ** 2


def floor_kbps(height: int) -> float:
    return FLOOR_KBPS_480 * min(1.0, (height / 480) ** 2)


def plan_bitrates(
    *,
    duration_s: float,
    target_bytes: int,
    audio_kbps: int = 192,
    height: int,
    container_overhead: float = 0.02,
) -> SizePlan:
    """Split ``target_bytes`` over ``duration_s`` into video and audio bitrates and an output height.

    ``height`` is the short side of the picture as it would be encoded (at most 1080 is used).
    """
    if duration_s <= 0:
        raise ValueError("duration must be positive")
    budget = target_bytes * (1.0 - container_overhead) * SAFETY
    total_kbps = budget * 8 / duration_s / 1000

    top = min(height, RUNGS[0])
    ladder = [top, *(r for r in RUNGS if r < top)]
    for rung in ladder:
        video = total_kbps - audio_kbps
        if video >= min_video_kbps(rung):
            return SizePlan(int(video), audio_kbps, rung, int(budget))
    lowest = ladder[-1]
    audio_options = [audio_kbps, *(a for a in AUDIO_STEPS_KBPS if a < audio_kbps)]
    for audio in audio_options:
        if total_kbps - audio >= min_video_kbps(lowest):
            return SizePlan(int(total_kbps - audio), audio, lowest, int(budget))
    audio = audio_options[-1]
    if total_kbps - audio >= floor_kbps(lowest):
        return SizePlan(int(total_kbps - audio), audio, lowest, int(budget))
    need = (floor_kbps(lowest) + audio) * 1000 / 8 * duration_s / (1.0 - container_overhead) / SAFETY
    raise InputRejected(
        "size_cannot_fit",
        duration_s=duration_s,
        size=format_size(target_bytes),
        height=lowest,
        need=format_size(int(need)),
    )


def scaled_to(width: int, height: int, p: int) -> tuple[int, int]:
    """``width`` x ``height`` scaled so its short side is at most ``p``, even dimensions."""
    factor = min(1.0, p / min(width, height))
    return max(2, round(width * factor / 2) * 2), max(2, round(height * factor / 2) * 2)


# ---- encoding ---------------------------------------------------------------------------------


def encode_to_fit(
    *,
    output: Path,
    input_args: Sequence[str],
    video: str,
    audio: str | None,
    width: int,
    height: int,
    duration_s: float,
    target_bytes: int,
    filter_complex: str | None = None,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    audio_kbps: int = 192,
    audio_args: Sequence[str] = ("-ac", "2"),
    output_args: Sequence[str] = (),
    timeout_s: float = 900.0,
) -> FitResult:
    """Encode to ``output`` (MP4, H.264 + AAC) within ``target_bytes``.

    ``input_args``: every FFmpeg input with its options, e.g. ``["-f", "f32le", ..., "-i", "pipe:0",
    "-i", src]``, fed ``stdin`` on both passes. ``video``: the picture to encode, an output label of
    ``filter_complex`` (e.g. ``"vout"`` from ``visual.VisualPlan``) or, without a graph, a stream
    specifier (``"1:v:0"``); ``width`` x ``height`` is its size. ``audio``: a stream specifier or
    None. ``env``: extra environment (``VisualPlan.env``). Writes a temporary file beside ``output``
    and renames it into place only when it fits; nothing is left behind on failure.
    """
    plan = plan_bitrates(
        duration_s=duration_s, target_bytes=target_bytes, audio_kbps=audio_kbps, height=min(width, height)
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".musiccog-fit-", dir=output.parent))
    tmp = work / "out.mp4"
    full_env = {**os.environ, **env} if env else None
    started = time.perf_counter()
    try:
        for attempt in (1, 2):
            out_w, out_h = scaled_to(width, height, plan.height)
            graph, label = _graph(filter_complex, video, (width, height), (out_w, out_h))
            logger.info(
                "fit to %s, attempt %d: %dx%d, video %d kbit/s, audio %d kbit/s",
                format_size(target_bytes),
                attempt,
                out_w,
                out_h,
                plan.video_kbps,
                plan.audio_kbps,
            )
            t0 = time.perf_counter()
            for pass_no in (1, 2):
                args = _pass_args(
                    input_args, graph, label, audio, plan, pass_no, work / "x264", tmp, audio_args, output_args
                )
                run_ffmpeg(args, stdin=stdin, timeout_s=timeout_s, env=full_env, doing="Shrinking the video")
            size = tmp.stat().st_size
            logger.info("fit attempt %d: %s in %.1f s", attempt, format_size(size), time.perf_counter() - t0)
            if size <= target_bytes:
                os.chmod(tmp, 0o644)  # an ordinary file, whatever made the temporary name private
                os.replace(tmp, output)
                return FitResult(
                    path=output,
                    size_bytes=size,
                    width=out_w,
                    height=out_h,
                    plan=plan,
                    attempts=attempt,
                    encode_s=time.perf_counter() - started,
                )
            if attempt == 1:
                adjusted = target_bytes - (size - target_bytes) - int(RETRY_MARGIN * target_bytes)
                try:
                    plan = plan_bitrates(
                        duration_s=duration_s, target_bytes=adjusted, audio_kbps=plan.audio_kbps, height=plan.height
                    )
                except InputRejected as exc:
                    raise _too_big(target_bytes) from exc
        raise _too_big(target_bytes)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _too_big(target_bytes: int) -> InputRejected:
    return InputRejected("size_not_reached", size=format_size(target_bytes))


def _graph(filter_complex: str | None, video: str, size: tuple[int, int], out: tuple[int, int]) -> tuple[str, str]:
    """The full graph ending in ``[vfit]``: the caller's graph (if any), then scale and yuv420p."""
    scale = f"scale={out[0]}:{out[1]}:flags=bicubic,setsar=1," if out != size else ""
    tail = f"{scale}format=yuv420p[vfit]"
    if filter_complex:
        return f"{filter_complex};[{video}]{tail}", "vfit"
    return f"[{video}]{tail}", "vfit"


def _pass_args(
    input_args: Sequence[str],
    graph: str,
    label: str,
    audio: str | None,
    plan: SizePlan,
    pass_no: int,
    passlog: Path,
    tmp: Path,
    audio_args: Sequence[str],
    output_args: Sequence[str],
) -> list[str]:
    args = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        *input_args,
        "-filter_complex",
        graph,
        "-map",
        f"[{label}]",
        "-c:v",
        "libx264",
        "-preset",
        PRESET,
        "-profile:v",
        "high",
        "-b:v",
        f"{plan.video_kbps}k",
        "-pass",
        str(pass_no),
        "-passlogfile",
        str(passlog),
    ]
    if pass_no == 1:
        return [*args, "-an", "-f", "null", os.devnull]
    if audio is not None:
        args += ["-map", audio, "-c:a", "aac", "-aac_coder", "fast", "-b:a", f"{plan.audio_kbps}k", *audio_args]
    return [*args, *output_args, "-movflags", "+faststart", "-f", "mp4", str(tmp)]
