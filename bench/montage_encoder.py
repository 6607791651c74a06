"""``python -m bench montage encoders``: which x264 setting a full re-encode should use, measured.

Each candidate (preset, CRF, threads) encodes the 60 s 1080p benchmark clip (``bench.clips``: grainy,
~8 Mbit/s, cuts, B-frames — a hard case for an encoder) twice, as FFmpeg processes timed like a user
waits for them: cropped to 9:16 (608x1080, the #12 §3 case) and whole at 1920x1080 (a montage's frame).
Each result is compared with the same picture of the source by FFmpeg's ``ssim`` filter (the "All"
figure). Decoding the source is part of every time (it is part of every real re-encode). Prints one
Markdown table; ``bot.media.encoding`` names the chosen setting and why.

Benchmarks are not tests: nothing here asserts a time. On a shared machine, say so next to the numbers.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.clips import bench_clip
from bench.measure import measure
from bench.table import markdown_table
from bot.media.render import ffmpeg_exe

__all__ = ["CANDIDATES", "Candidate", "EncoderRun", "format_table", "main", "ssim_figure"]

logger = logging.getLogger(__name__)

TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class Candidate:
    preset: str
    crf: int
    threads: int | None = None
    """x264's thread count; None: its own choice (1.5x the cores)."""
    params: str = ""
    """Extra ``-x264-params`` (``key=value:…``) on top of the preset."""

    @property
    def label(self) -> str:
        threads = "auto" if self.threads is None else str(self.threads)
        extra = f" {self.params}" if self.params else ""
        return f"{self.preset} crf {self.crf} threads {threads}{extra}"

    def args(self) -> list[str]:
        threads = ["-threads", str(self.threads)] if self.threads else []
        params = ["-x264-params", self.params] if self.params else []
        return ["-c:v", "libx264", "-preset", self.preset, "-crf", str(self.crf), *threads, *params]


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("veryfast", 20),
    Candidate("superfast", 20),
    Candidate("superfast", 23),
    Candidate("superfast", 23, threads=2),
    Candidate("ultrafast", 20),
    Candidate("ultrafast", 23),
)
SHAPES = {"9:16 crop 608x1080": "crop=608:1080", "16:9 whole 1920x1080": "null"}


@dataclass(frozen=True)
class EncoderRun:
    shape: str
    candidate: Candidate
    wall_s: float
    cpu_s: float
    size_mb: float
    ssim: float


def encode(source: Path, target: Path, picture: str, candidate: Candidate) -> tuple[float, float]:
    """Encode ``source`` through the ``picture`` filter at ``candidate``; (wall s, CPU s)."""
    args = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-an",
        "-vf", f"{picture},format=yuv420p", *candidate.args(), "-profile:v", "high", "-movflags", "+faststart",
        str(target),
    ]  # fmt: skip
    measured = measure(args, timeout_s=TIMEOUT_S)
    if measured.returncode != 0:
        raise RuntimeError(f"encode failed: {measured.stderr[-1000:]}")
    return measured.wall_s, measured.cpu_s


def ssim(encoded: Path, source: Path, picture: str) -> float:
    """FFmpeg's SSIM ("All") of ``encoded`` against ``source`` through the same ``picture`` filter."""
    graph = f"[1:v]{picture},format=yuv420p[ref];[0:v]format=yuv420p[enc];[enc][ref]ssim"
    return ssim_figure(["-i", str(encoded), "-i", str(source)], graph)


def ssim_figure(inputs: Sequence[str], graph: str) -> float:
    """The "All" SSIM that FFmpeg prints for ``graph`` (ending in ``ssim``) over ``inputs``."""
    args = [ffmpeg_exe(), "-hide_banner", "-nostats", *inputs, "-lavfi", graph, "-f", "null", "-"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S, check=True)
    found = re.findall(r"All:([0-9.]+)", done.stderr)
    if not found:
        raise RuntimeError(f"no SSIM in FFmpeg's output: {done.stderr[-500:]}")
    return float(found[-1])


def run(candidates: Sequence[Candidate], duration_s: float) -> list[EncoderRun]:
    source = bench_clip(duration_s=duration_s)
    runs: list[EncoderRun] = []
    with tempfile.TemporaryDirectory(prefix="musiccog-bench-encoders-") as tmp:
        for shape, picture in SHAPES.items():
            for candidate in candidates:
                print(f"{shape}: {candidate.label}…", file=sys.stderr)
                target = Path(tmp) / "out.mp4"
                wall, cpu = encode(source, target, picture, candidate)
                size = target.stat().st_size / 2**20
                runs.append(EncoderRun(shape, candidate, wall, cpu, size, ssim(target, source, picture)))
                print(f"  {wall:.1f} s, CPU {cpu:.1f} s, {size:.1f} MB, SSIM {runs[-1].ssim:.4f}", file=sys.stderr)
    return runs


def format_table(runs: Sequence[EncoderRun], clip_s: float, load: float | None) -> str:
    header = ("picture", "setting", "wall", "x clip", "CPU", "file", "SSIM")
    rows = [
        (
            run.shape,
            run.candidate.label,
            f"{run.wall_s:.1f} s",
            f"{run.wall_s / clip_s:.2f}x",
            f"{run.cpu_s:.1f} s",
            f"{run.size_mb:.1f} MB",
            f"{run.ssim:.4f}",
        )
        for run in runs
    ]
    cores = os.cpu_count()
    note = f"{clip_s:.0f} s 1080p30 source, {cores} cores, load average at start {load if load is not None else 'n/a'}"
    return "\n".join([note, "", markdown_table(header, rows)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench montage encoders", description=__doc__)
    parser.add_argument("--duration", type=float, default=60.0, metavar="S", help="the source's length (60)")
    parser.add_argument("--only", metavar="PRESET", help="only the candidates of this preset")
    args = parser.parse_args(argv)
    candidates = [c for c in CANDIDATES if args.only is None or c.preset == args.only]
    load = round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None
    print(format_table(run(candidates, args.duration), args.duration, load))
    return 0
