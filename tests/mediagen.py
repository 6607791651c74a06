"""Test media made on the spot with FFmpeg's lavfi sources and numpy: no binaries in the repo."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import imageio_ffmpeg

from bot.demo import cuts_source, speech_like, write_wav

__all__ = ["FFMPEG", "cuts_source", "make_clip", "run_ffmpeg", "speech_like", "write_wav"]

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: Sequence[str]) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=600)


def make_clip(
    path: Path,
    *,
    duration_s: float = 6.0,
    size: tuple[int, int] = (320, 180),
    fps: int = 30,
    cut_times_s: Sequence[float] = (),
    video_source: str | None = None,
    audio: str | None = "sine",
    audio_wav: Path | None = None,
    audio_channels: int = 2,
    vcodec: str = "libx264",
    video_args: Sequence[str] = ("-preset", "ultrafast", "-pix_fmt", "yuv420p"),
    extra_args: Sequence[str] = (),
) -> Path:
    """An MP4 (or whatever ``path``'s suffix says) with hard cuts at ``cut_times_s``.

    ``video_source`` replaces the default testsrc2-with-hue-cuts chain (a lavfi graph).
    ``audio``: ``"sine"``, ``"noise"``, ``None`` (no audio track), or ignored when ``audio_wav`` is given.
    """
    vsrc = video_source or cuts_source(duration_s, cut_times_s, size=size, fps=fps)
    args: list[str] = ["-f", "lavfi", "-i", vsrc]
    if audio_wav is not None:
        args += ["-i", str(audio_wav)]
    elif audio == "sine":
        args += ["-f", "lavfi", "-i", f"sine=f=440:r=48000:d={duration_s}"]
    elif audio == "noise":
        args += ["-f", "lavfi", "-i", f"anoisesrc=a=0.05:r=48000:d={duration_s}"]
    args += ["-t", f"{duration_s}", "-c:v", vcodec, *video_args]
    if audio_wav is not None or audio in ("sine", "noise"):
        args += ["-c:a", "aac", "-b:a", "128k", "-ac", str(audio_channels)]
    args += [*extra_args, str(path)]
    run_ffmpeg(args)
    return path
