"""``python -m bench montage film-encoders TIMELINE``: the x264 setting of a film, measured on a real film.

The montage benchmark's film (``python -m bench montage --keep DIR`` leaves its ``timeline.json``) is made
once as raw yuv420p frames — its uncompressed timeline: the same pieces the render streams into its
encoder (``bot.media.montage_render.piece_args``; crops centred, no title), at the film's size and rate —
and each candidate encodes those frames, read from the raw file, as the film's one encoder reads them from
its pipe. So the CPU time is the encoder's alone. Each result is compared with the raw frames by FFmpeg's
``ssim`` filter ("All"). ``--seconds`` takes the film's first seconds only (a quicker look; bytes and CPU
scale with it). Prints one Markdown table; ``bot.media.encoding`` names the chosen setting and why.

Benchmarks are not tests: nothing here asserts a time. On a shared machine, say so next to the numbers.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.measure import measure
from bench.montage_encoder import Candidate, ssim_figure
from bench.table import markdown_table
from bot.media.encoding import CRF, FILM_CRF, FILM_PARAMS, FILM_PRESET, PRESET
from bot.media.montage_render import film_fps, film_size, frame_index, piece_args
from bot.media.render import ffmpeg_exe
from bot.media.timeline import Timeline

__all__ = ["FILM_CANDIDATES", "FilmRun", "format_table", "main", "raw_timeline"]

logger = logging.getLogger(__name__)

TIMEOUT_S = 1800.0

FILM_CANDIDATES: tuple[Candidate, ...] = tuple(
    dict.fromkeys(
        (
            Candidate(PRESET, CRF),
            Candidate(FILM_PRESET, FILM_CRF, params=FILM_PARAMS),
            Candidate("veryfast", 20, params="me=dia:subme=1:rc-lookahead=20"),
            Candidate("veryfast", 20, params="subme=1"),
            Candidate("veryfast", 20, params="me=dia:subme=1"),
            Candidate("veryfast", 20, params="me=dia:subme=1:ref=2"),
            Candidate("veryfast", 20, params="me=dia:subme=1:aq-strength=1.2"),
            Candidate("veryfast", 20, params="me=dia:subme=1:deadzone-inter=24"),
            Candidate("veryfast", 20, params="me=dia:subme=1:deadzone-inter=26"),
            Candidate("veryfast", 20, params="me=dia:subme=1:aq-strength=0.9"),
            Candidate("veryfast", 20, params="me=dia:subme=1:trellis=1"),
            Candidate("superfast", 20, params="mbtree=1:rc-lookahead=10"),
            Candidate("superfast", 23),
            Candidate("ultrafast", 23),
        )
    )
)
"""The single clip's setting first (every ratio is against it), then the film's, then the others tried."""


@dataclass(frozen=True)
class FilmRun:
    candidate: Candidate
    wall_s: float
    cpu_s: float
    size_mb: float
    ssim: float


def raw_timeline(timeline: Timeline, target: Path, seconds: float | None) -> tuple[int, int, int, int]:
    """Write ``timeline``'s picture (its first ``seconds``) as raw yuv420p frames; (width, height, fps, frames)."""
    output = timeline.output
    width, height = film_size(output.aspect or "16:9", 1080, output.max_height)
    fps = film_fps(output)
    limit = frame_index(seconds, fps) if seconds is not None else None
    written = 0
    with target.open("wb") as sink:
        for segment in timeline.segments:
            if limit is not None and written >= limit:
                break
            frames = frame_index(segment.end_s, fps) - frame_index(segment.start_s, fps)
            if limit is not None:
                frames = min(frames, limit - written)
            args = piece_args(segment, (width, height, fps), output.fit)
            args[args.index("-frames:v") + 1] = str(frames)
            subprocess.run(args, stdout=sink, stderr=subprocess.DEVNULL, check=True, timeout=TIMEOUT_S)
            written += frames
    expected = written * width * height * 3 // 2
    if target.stat().st_size != expected:
        raise RuntimeError(f"the raw timeline has {target.stat().st_size} bytes, not {expected}")
    return width, height, fps, written


def _raw_input(raw: Path, width: int, height: int, fps: int) -> list[str]:
    return ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-framerate", str(fps), "-i", str(raw)]


def run(
    timeline_path: Path, candidates: Sequence[Candidate], seconds: float | None, keep_raw: Path | None = None
) -> tuple[float, list[FilmRun]]:
    """(film seconds measured, one run per candidate). ``keep_raw``: the raw frames' file, kept for the next
    run with the same timeline and seconds (made when missing)."""
    timeline = Timeline.from_json(timeline_path.read_bytes())
    runs: list[FilmRun] = []
    with tempfile.TemporaryDirectory(prefix="musiccog-bench-film-encoders-") as tmp:
        raw = keep_raw or Path(tmp) / "film.yuv"
        width, height = film_size(timeline.output.aspect or "16:9", 1080, timeline.output.max_height)
        fps = film_fps(timeline.output)
        frames = raw.stat().st_size // (width * height * 3 // 2) if raw.exists() else 0
        if not frames:
            print("Making the film's uncompressed timeline…", file=sys.stderr)
            width, height, fps, frames = raw_timeline(timeline, raw, seconds)
        source = _raw_input(raw, width, height, fps)
        for candidate in candidates:
            print(f"film: {candidate.label}…", file=sys.stderr)
            target = Path(tmp) / "out.mp4"
            args = [
                ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *source, *candidate.args(),
                "-profile:v", "high", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(target),
            ]  # fmt: skip
            measured = measure(args, timeout_s=TIMEOUT_S)
            if measured.returncode != 0:
                raise RuntimeError(f"encode failed: {measured.stderr[-1000:]}")
            size = target.stat().st_size / 2**20
            figure = ssim_figure([*source, "-i", str(target)], "[1:v]format=yuv420p[enc];[enc][0:v]ssim")
            runs.append(FilmRun(candidate, measured.wall_s, measured.cpu_s, size, figure))
            print(
                f"  {measured.wall_s:.1f} s, CPU {measured.cpu_s:.1f} s, {size:.1f} MB, SSIM {figure:.4f}",
                file=sys.stderr,
            )
    return frames / fps, runs


def format_table(runs: Sequence[FilmRun], film_s: float, load: float | None) -> str:
    base = runs[0]
    header = ("setting", "wall", "CPU (encoder)", "CPU vs first", "file", "bytes vs first", "SSIM")
    rows = [
        (
            run.candidate.label,
            f"{run.wall_s:.1f} s",
            f"{run.cpu_s:.1f} s",
            f"{run.cpu_s / base.cpu_s:.2f}x",
            f"{run.size_mb:.1f} MB",
            f"{run.size_mb / base.size_mb:.2f}x",
            f"{run.ssim:.4f}",
        )
        for run in runs
    ]
    note = (
        f"the montage benchmark's film, first {film_s:.1f} s, raw frames in; {os.cpu_count()} cores, "
        f"load average at start {load if load is not None else 'n/a'}"
    )
    return "\n".join([note, "", markdown_table(header, rows)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench montage film-encoders", description=__doc__)
    parser.add_argument("timeline", type=Path, help="timeline.json of a kept montage benchmark run")
    parser.add_argument("--seconds", type=float, metavar="S", help="only the film's first S seconds")
    parser.add_argument("--only", metavar="LABEL", action="append", help="candidates whose label starts so")
    parser.add_argument("--keep-raw", type=Path, metavar="FILE", help="keep (or reuse) the raw frames in FILE")
    args = parser.parse_args(argv)
    candidates = [c for c in FILM_CANDIDATES if not args.only or any(c.label.startswith(o) for o in args.only)]
    load = round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None
    film_s, runs = run(args.timeline, candidates, args.seconds, args.keep_raw)
    print(format_table(runs, film_s, load))
    return 0
