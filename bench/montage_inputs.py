"""The montage benchmark's inputs: 8 phone-like videos and 4 photos, made with FFmpeg's lavfi sources.

The set mixes what a creator's camera roll holds: 1080p30, 1080p60, 720p30, 720p25, 4K60, a vertical
story, a landscape recording with a 90° rotation flag (shown vertical) and a variable-frame-rate clip.
Each video is several shots (hard cuts every few seconds) of moving content — a scrolling test card,
drifting gradients, a Game of Life — with film grain, encoded the way phones do (libx264 at a phone's
bitrate, GOP of 2 s, B-frames, AAC stereo sound), so decoding costs what a real clip costs. Photos: a
12 MP JPEG in each orientation, a PNG screenshot and a WebP.

Made once and kept in the user cache dir (``platformdirs.user_cache_dir("musiccog")``), never in the
checkout; ``scale`` and ``max_duration_s`` make a tiny set for the test that keeps this code alive.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import platformdirs

__all__ = ["PHOTOS", "RECIPE_VERSION", "VIDEOS", "PhotoSpec", "VideoSpec", "inputs_dir", "make_montage_inputs"]

logger = logging.getLogger(__name__)

RECIPE_VERSION = 2
"""Bumped whenever a recipe below changes, so a stale cache is never measured."""


@dataclass(frozen=True)
class VideoSpec:
    """One benchmark clip: coded size, rate, length, bitrate, and what makes it awkward."""

    name: str
    width: int
    height: int
    fps: int
    duration_s: float
    mbps: float
    rotation: int = 0
    """Display rotation written into the container (the frames stay as coded), as phones do."""
    variable_rate: bool = False
    """Frame intervals wander between about 1/36 s and 1/26 s, as a phone's do in low light."""


@dataclass(frozen=True)
class PhotoSpec:
    name: str
    width: int
    height: int
    source: str
    """A lavfi graph with ``{size}`` where the size goes, e.g. ``testsrc2=s={size}``."""


VIDEOS: tuple[VideoSpec, ...] = (
    VideoSpec("city-1080p30.mp4", 1920, 1080, 30, 12.0, 10.0),
    VideoSpec("street-720p30.mp4", 1280, 720, 30, 10.0, 5.0),
    VideoSpec("drone-4k60.mp4", 3840, 2160, 60, 7.0, 45.0),
    VideoSpec("story-vertical-1080x1920.mp4", 1080, 1920, 30, 10.0, 10.0),
    VideoSpec("selfie-rotated-90.mp4", 1920, 1080, 30, 9.0, 10.0, rotation=90),
    VideoSpec("dusk-vfr-1080p.mp4", 1920, 1080, 30, 10.0, 8.0, variable_rate=True),
    VideoSpec("bike-1080p60.mp4", 1920, 1080, 60, 8.0, 16.0),
    VideoSpec("market-720p25.mp4", 1280, 720, 25, 10.0, 4.0),
)
PHOTOS: tuple[PhotoSpec, ...] = (
    PhotoSpec("harbour-12mp.jpg", 4032, 3024, "mandelbrot=s={size}:maxiter=256:start_scale=2.5"),
    PhotoSpec("tower-12mp-portrait.jpg", 3024, 4032, "testsrc2=s={size}"),
    PhotoSpec("screenshot-1080p.png", 1920, 1080, "smptehdbars=s={size},format=rgb24"),
    PhotoSpec("sunset-3mp.webp", 2048, 1536, "gradients=s={size}:n=5:seed=7,format=rgb24"),
)
SHOT_LENGTHS_S = (2.6, 3.4, 2.2, 4.0, 3.0)
"""Shot lengths cycled through a clip: cuts land at irregular times."""


def inputs_dir(scale: float = 1.0, max_duration_s: float | None = None, cache_root: Path | None = None) -> Path:
    """Where a set is kept: one folder per recipe version and size, under the user cache dir."""
    root = cache_root if cache_root is not None else Path(platformdirs.user_cache_dir("musiccog")) / "bench"
    tag = "full" if scale == 1.0 and max_duration_s is None else f"scale{scale:g}-max{max_duration_s or 0:g}s"
    return root / f"montage-inputs-v{RECIPE_VERSION}-{tag}"


def make_montage_inputs(
    *,
    scale: float = 1.0,
    max_duration_s: float | None = None,
    cache_root: Path | None = None,
    ffmpeg: str | None = None,
) -> list[Path]:
    """The 12 inputs in film order (videos, then photos), each made only if not cached yet.

    ``scale`` shrinks every frame (0.1 → a 4K clip becomes 384x216), ``max_duration_s`` caps clip lengths.
    """
    exe = ffmpeg or _ffmpeg_exe()
    folder = inputs_dir(scale, max_duration_s, cache_root)
    folder.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    for video in VIDEOS:
        spec = _scaled_video(video, scale, max_duration_s)
        made.append(_cached(folder / spec.name, partial(_make_video, exe, spec)))
    for photo in PHOTOS:
        pspec = replace(photo, width=_even(photo.width * scale), height=_even(photo.height * scale))
        made.append(_cached(folder / pspec.name, partial(_make_photo, exe, pspec)))
    return made


def _ffmpeg_exe() -> str:
    from bot.media.render import ffmpeg_exe

    return ffmpeg_exe()


def _even(value: float) -> int:
    return max(16, int(round(value / 2)) * 2)


def _scaled_video(spec: VideoSpec, scale: float, max_duration_s: float | None) -> VideoSpec:
    duration = spec.duration_s if max_duration_s is None else min(spec.duration_s, max_duration_s)
    return replace(
        spec,
        width=_even(spec.width * scale),
        height=_even(spec.height * scale),
        duration_s=duration,
        mbps=max(0.2, spec.mbps * scale * scale),
    )


def _cached(path: Path, make: Callable[[Path], None]) -> Path:
    """``path`` if it exists; else ``make(tmp)`` writes a sibling temp file that is renamed into place."""
    if path.exists():
        return path
    tmp = path.with_name(f".{path.stem}.part{path.suffix}")
    logger.info("making benchmark input %s", path.name)
    try:
        make(tmp)
        tmp.rename(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _run(exe: str, args: Sequence[str]) -> None:
    subprocess.run([exe, "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=3600)


def shot_graph(spec: VideoSpec) -> str:
    """A lavfi graph of moving shots cut at irregular times, with grain, labelled ``[out0]``."""
    w, h, fps = spec.width, spec.height, spec.fps
    total = round(spec.duration_s * fps)
    parts: list[str] = []
    start = 0
    k = 0
    while start < total:
        frames = min(total - start, round(SHOT_LENGTHS_S[k % len(SHOT_LENGTHS_S)] * fps))
        parts.append(f"{_moving_source(k, w, h, fps)},trim=end_frame={frames},setpts=PTS-STARTPTS[s{k}]")
        start += frames
        k += 1
    labels = "".join(f"[s{i}]" for i in range(k))
    grain = f"noise=alls={10 if spec.variable_rate else 8}:allf=t"
    return ";".join(parts) + f";{labels}concat=n={k}:v=1:a=0,{grain},format=yuv420p[out0]"


def _moving_source(k: int, w: int, h: int, fps: int) -> str:
    """Shot ``k``'s content: each kind moves, and each shot looks different from its neighbours."""
    kind = k % 3
    hue = f"hue=h={(k * 97) % 360}"
    if kind == 0:  # a test card sliding sideways and down, as a steady camera pan (a fifth of the frame a second)
        return f"testsrc2=s={w}x{h}:r={fps},scroll=h={0.2 / fps:.5f}:v={0.08 / fps:.5f},{hue}"
    if kind == 1:  # colour fields drifting
        return f"gradients=s={w}x{h}:r={fps}:n=4:speed={0.04 * 30 / fps:.4f}:seed={k},{hue}"
    # busy, fine detail moving everywhere: a Game of Life grown to the frame
    small_w, small_h = max(8, w // 8), max(8, h // 8)
    return (
        f"life=s={small_w}x{small_h}:r={fps}:ratio=0.25:seed={k}:mold=8:"
        f"life_color=#f0c040:death_color=#203050:mold_color=#406080,"
        f"scale={w}:{h}:flags=neighbor,format=yuv420p,{hue}"
    )


def _make_video(exe: str, spec: VideoSpec, target: Path) -> None:
    kbps = round(spec.mbps * 1000)
    sound = f"anoisesrc=c=pink:a=0.05:r=48000:d={spec.duration_s},aformat=channel_layouts=stereo"
    timing: list[str] = ["-r", str(spec.fps)]
    if spec.variable_rate:
        # Frame n shown at n/fps plus a slow wobble: intervals vary between ~1/36 s and ~1/26 s.
        wobble = f"settb=1/90000,setpts='(N/{spec.fps}+0.018*sin(N/4))/TB'"
        timing = ["-vf", wobble, "-fps_mode", "vfr", "-enc_time_base", "1/90000", "-video_track_timescale", "90000"]
    args = [
        "-f", "lavfi", "-i", shot_graph(spec), "-f", "lavfi", "-i", sound, *timing,
        "-c:v", "libx264", "-preset", "veryfast", "-b:v", f"{kbps}k", "-maxrate", f"{kbps * 5 // 4}k",
        "-bufsize", f"{kbps * 2}k", "-g", str(2 * spec.fps), "-bf", "2", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-t", f"{spec.duration_s}", "-movflags", "+faststart",
    ]  # fmt: skip
    if not spec.rotation:
        _run(exe, [*args, str(target)])
        return
    coded = target.with_name(f".{target.stem}.coded{target.suffix}")
    try:
        _run(exe, [*args, str(coded)])
        _run(exe, ["-display_rotation", str(spec.rotation), "-i", str(coded), "-c", "copy", str(target)])
    finally:
        coded.unlink(missing_ok=True)


def _make_photo(exe: str, spec: PhotoSpec, target: Path) -> None:
    quality = ["-q:v", "3"] if target.suffix == ".jpg" else []
    source = spec.source.format(size=f"{spec.width}x{spec.height}")
    _run(exe, ["-f", "lavfi", "-i", source, "-frames:v", "1", *quality, "-update", "1", str(target)])
