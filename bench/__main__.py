"""``python -m bench``: time the local pipeline on a phone-like clip against a naive re-encode.

``python -m bench montage`` is the montage benchmark instead (``bench/montage.py``, its own options);
``python -m bench matrix`` the video-analysis clip matrix (``bench/analysis_matrix.py``); ``python -m bench
capacity`` one render worker core's jobs per hour, copy and re-encode paths (``bench/capacity.py``);
``python -m bench process`` the whole ``musiccog render`` process on every 1080p matrix clip and the first
demo (``bench/whole_process.py``); ``python -m bench chat`` upload → video through the engine
(``bench/chat_latency.py``).

Prints one table: per-stage times, end-to-end, ratio to clip length, peak RSS of the worker that ran
the pipeline, and the naive baseline (libx264 re-encode of the whole video plus the music), all from
the same run on the same machine. Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.clips import bench_clip
from bench.worker import index_library, timed_render


def run_pipeline(clip: Path, output: Path) -> dict[str, Any]:
    """One render in a fresh worker process, so the peak RSS measured is the pipeline's own."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        pool.submit(index_library).result(timeout=1800)
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(timed_render, str(clip), str(output)).result(timeout=1800)


def run_naive_baseline(clip: Path, track: str, output: Path) -> float:
    """What a plain FFmpeg user would do: loop the music, mix it in, re-encode everything."""
    from bot.media.render import ffmpeg_exe

    args = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-i", str(clip), "-stream_loop", "-1", "-i", track,
        "-filter_complex", "[1:a]volume=0.3[m];[0:a][m]amix=inputs=2:duration=first,loudnorm=I=-14:TP=-1[a]",
        "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
        "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", str(output),
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(args, check=True, timeout=1800)
    return time.perf_counter() - started


def format_table(result: dict[str, Any], baseline_s: float | None, clip_s: float, clip_info: str) -> str:
    outcome = result["outcome"]
    rows: list[tuple[str, str]] = [("clip", clip_info)]
    for stage, seconds in outcome["stage_times_s"].items():
        rows.append((stage, f"{seconds:.2f} s"))
    end_to_end = result["elapsed_s"]
    rows.append(("end-to-end", f"{end_to_end:.2f} s"))
    rows.append(("ratio to clip length", f"{end_to_end / clip_s:.3f}x"))
    rows.append(("peak RSS (pipeline process)", f"{result['rss_mb']:.0f} MB"))
    rows.append(("video copied", str(outcome["video_copied"])))
    rows.append(("cuts on beat", f"{outcome['cuts_on_beat']}/{outcome['cuts']}"))
    rows.append(("loudness", f"{outcome['loudness_lufs']:.1f} LUFS, {outcome['true_peak_dbtp']:.1f} dBTP"))
    if baseline_s is not None:
        rows.append(("naive baseline (libx264 re-encode + music)", f"{baseline_s:.2f} s"))
        rows.append(("speed-up vs baseline", f"{baseline_s / end_to_end:.1f}x"))
    width = max(len(k) for k, _ in rows)
    lines = [f"| {'measure':<{width}} | value |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {k:<{width}} | {v} |" for k, v in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["matrix"]:
        from bench import analysis_matrix

        analysis_matrix.main(argv[1:])
        return 0
    if argv[:1] == ["capacity"]:
        from bench import capacity

        return capacity.main(argv[1:])
    if argv[:1] == ["chat"]:
        from bench import chat_latency

        return chat_latency.main(argv[1:])
    if argv[:1] == ["process"]:
        from bench import whole_process

        return whole_process.main(argv[1:])
    if argv[:1] == ["montage"]:
        from bench import montage

        return montage.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a 20 s 720p clip instead of 60 s 1080p")
    parser.add_argument("--no-baseline", action="store_true", help="skip the slow naive baseline")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON too")
    args = parser.parse_args(argv)

    duration, size = (20.0, (1280, 720)) if args.quick else (60.0, (1920, 1080))
    print("Preparing the benchmark clip (cached after the first run)…", file=sys.stderr)
    clip = bench_clip(duration_s=duration, size=size)
    import av

    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        mbps = (stream.bit_rate or 0) / 1e6
        clip_info = f"{duration:.0f} s {size[0]}x{size[1]} {stream.codec_context.name} {mbps:.1f} Mbit/s"
    with tempfile.TemporaryDirectory(prefix="musiccog-bench-") as tmp:
        print("Running the pipeline…", file=sys.stderr)
        result = run_pipeline(clip, Path(tmp) / "out.mp4")
        baseline = None
        if not args.no_baseline:
            print("Running the naive baseline (slow)…", file=sys.stderr)
            baseline = run_naive_baseline(clip, result["outcome"]["track"]["path"], Path(tmp) / "naive.mp4")
    print(format_table(result, baseline, duration, clip_info))
    if args.json:
        print(json.dumps({"pipeline": result, "baseline_s": baseline}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
