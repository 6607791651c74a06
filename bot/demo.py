"""A sample clip made on the spot with FFmpeg's test sources, for ``musiccog demo`` and the benchmark."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bot.media.render import ffmpeg_exe


def cuts_source(duration_s: float, cut_times_s: Sequence[float], *, size: tuple[int, int], fps: int) -> str:
    """A lavfi graph of testsrc2 shots, each visibly different (hue, negation), cut at ``cut_times_s``."""
    w, h = size
    bounds = [0.0, *sorted(cut_times_s), duration_s]
    parts = []
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        look = f"hue=h={(k * 137) % 360}" + (",negate" if k % 2 else "")
        parts.append(f"testsrc2=s={w}x{h}:r={fps}:d={b - a:.6f},{look}[s{k}]")
    labels = "".join(f"[s{k}]" for k in range(len(parts)))
    return ";".join(parts) + f";{labels}concat=n={len(parts)}:v=1:a=0[out0]"


def make_demo_clip(path: Path, *, duration_s: float = 12.0, size: tuple[int, int] = (1280, 720)) -> Path:
    """A 720p H.264 clip with a cut every 2 s and a quiet room-tone soundtrack."""
    cuts = [t for t in range(2, int(duration_s), 2)]
    args = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", cuts_source(duration_s, cuts, size=size, fps=30),
        "-f", "lavfi", "-i", f"anoisesrc=c=pink:a=0.02:r=48000:d={duration_s}",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-shortest", str(path),
    ]  # fmt: skip
    subprocess.run(args, check=True, timeout=300, capture_output=True)
    return path
