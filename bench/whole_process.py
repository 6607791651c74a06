"""The user's time: the whole ``musiccog render`` process on every 1080p matrix clip, and the first demo.

``python -m bench process`` runs, as a user would and each in a process of its own (measured by
:func:`bench.measure.measure`: wall time, CPU time of the process tree):

1. ``musiccog demo`` on a fresh data dir (the first run on a fresh machine: the pack's analyses
   ship with the code, so this is start-up, the sample clip, the library's first load and a render);
2. per 1080p clip of the analysis matrix (``bench/analysis_matrix.py``, cached in the user cache
   dir): ``musiccog render CLIP --json`` on the copy path — start, imports, library load, analysis,
   mix, render, exit — next to the in-process stage times it reports, and the naive baseline (the
   clip re-encoded whole by libx264 with the music mixed in, as ``python -m bench`` runs it);
3. with ``--title``, the same render with a title: the smart render (only the titled GOPs
   re-encoded) where the clip allows it, the whole clip re-encoded where it does not.

Targets (#12): every 1080p clip ≤ 0.10× its length end to end and ≥ 5× faster than the baseline; the
first demo ≤ 20 s. Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.analysis_matrix import MATRIX, cache_dir, make_matrix_clip
from bench.measure import Measured, measure

__all__ = ["ClipRun", "main", "naive_baseline_args", "run_clip", "run_demo"]

TIMEOUT_S = 1800.0
CLIP_S = 30.0


@dataclass
class ClipRun:
    """One matrix clip: the whole render process, its stages, the baseline and (maybe) a titled render."""

    name: str
    whole: Measured
    stages: dict[str, float]
    video_copy: str
    baseline: Measured | None
    titled: Measured | None = None
    titled_copy: str = ""
    titled_reencoded_s: float | None = None


def naive_baseline_args(ffmpeg: str, clip: Path, track: str, output: Path) -> list[str]:
    """What a plain FFmpeg user would do: loop the music, mix it in, re-encode everything (as ``python -m bench``)."""
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
        "-i", str(clip), "-stream_loop", "-1", "-i", track,
        "-filter_complex", "[1:a]volume=0.3[m];[0:a][m]amix=inputs=2:duration=first,loudnorm=I=-14:TP=-1[a]",
        "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
        "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", str(output),
    ]  # fmt: skip


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


def _checked(measured: Measured, what: str) -> Measured:
    if measured.returncode != 0:
        raise RuntimeError(f"{what} failed ({measured.returncode}): {measured.stderr[-2000:]}")
    return measured


def run_demo(env: Mapping[str, str], workdir: Path) -> Measured:
    """``musiccog demo`` on the fresh data dir in ``env``."""
    return _checked(measure(_cli("demo", "--dir", str(workdir / "demo")), timeout_s=TIMEOUT_S, env=env), "demo")


def run_clip(name: str, clip: Path, env: Mapping[str, str], workdir: Path, *, baseline: bool, title: bool) -> ClipRun:
    from bot.media.render import ffmpeg_exe

    out = workdir / f"{name}.mp4"
    whole = _checked(
        measure(_cli("render", str(clip), "-o", str(out), "--json", "--overwrite"), timeout_s=TIMEOUT_S, env=env), name
    )
    data = json.loads(whole.stdout)
    run = ClipRun(name, whole, dict(data["stage_times_s"]), str(data["video_copy"]), None)
    if baseline:
        args = naive_baseline_args(ffmpeg_exe(), clip, str(data["track"]["path"]), workdir / f"{name}-naive.mp4")
        run.baseline = _checked(measure(args, timeout_s=TIMEOUT_S), f"{name} baseline")
    if title:
        titled_out = workdir / f"{name}-titled.mp4"
        args = _cli("render", str(clip), "-o", str(titled_out), "--title", "Day 1", "--json", "--overwrite")
        run.titled = _checked(measure(args, timeout_s=TIMEOUT_S, env=env), f"{name} titled")
        titled = json.loads(run.titled.stdout)
        run.titled_copy = str(titled["video_copy"])
        run.titled_reencoded_s = titled.get("video_reencoded_s")
    return run


def print_table(demo: Measured | None, runs: Sequence[ClipRun]) -> None:
    if demo is not None:
        print(
            f"first `musiccog demo` on a fresh data dir: {demo.wall_s:.1f} s wall, {demo.cpu_s:.1f} s CPU "
            "(target ≤ 20 s)"
        )
    print()
    print("| clip | whole process s (× clip) | CPU s | analysis / mix / render s (in-process) | video | "
          "naive baseline s | speed-up | with a title s (video) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        s = r.stages
        stages = f"{s.get('video analysis', 0):.2f} / {s.get('mix', 0):.2f} / {s.get('render', 0):.2f}"
        base = f"{r.baseline.wall_s:.1f}" if r.baseline else "—"
        speed = f"{r.baseline.wall_s / r.whole.wall_s:.1f}×" if r.baseline else "—"
        titled = "—"
        if r.titled is not None:
            part = f"partial, {r.titled_reencoded_s:.1f} s re-encoded" if r.titled_copy == "partial" else r.titled_copy
            titled = f"{r.titled.wall_s:.1f} ({part})"
        print(f"| {r.name} | {r.whole.wall_s:.2f} ({r.whole.wall_s / CLIP_S:.3f}×) | {r.whole.cpu_s:.1f} | {stages} | "
              f"{r.video_copy} | {base} | {speed} | {titled} |")  # fmt: skip
    if runs:
        ratios = [r.whole.wall_s / CLIP_S for r in runs]
        print(
            f"\nwhole process: mean {statistics.mean(ratios):.3f}× clip length, worst {max(ratios):.3f}× "
            "(target ≤ 0.10×)"
        )
        speedups = [r.baseline.wall_s / r.whole.wall_s for r in runs if r.baseline]
        if speedups:
            print(f"speed-up vs naive baseline: worst {min(speedups):.1f}× (target ≥ 5×)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench process", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", nargs="*", help="matrix clip names (default: every 1080p one)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive re-encode baseline")
    parser.add_argument("--no-demo", action="store_true", help="skip the first-demo timing")
    parser.add_argument("--title", action="store_true", help="also time a render with a title (smart render)")
    args = parser.parse_args(argv)
    chosen = [s for s in MATRIX if s.size == (1920, 1080) and (not args.only or s.name in args.only)]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="musiccog-bench-process-") as tmp:
        workdir = Path(tmp)
        env = {**os.environ, "MUSICCOG_DATA_DIR": str(workdir / "data")}
        demo = None
        if not args.no_demo:
            print("Running the first demo on a fresh data dir…", file=sys.stderr)
            demo = run_demo(env, workdir)
        else:
            _checked(measure(_cli("library", "list"), timeout_s=TIMEOUT_S, env=env), "library")
        runs = []
        for spec in chosen:
            clip, _truth = make_matrix_clip(spec, cache_dir(), duration_s=CLIP_S)
            print(f"  {spec.name}…", file=sys.stderr)
            runs.append(run_clip(spec.name, clip, env, workdir, baseline=not args.no_baseline, title=args.title))
        print(f"load average after: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    print_table(demo, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
