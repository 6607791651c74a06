"""How fast is ``analyse_video`` on a phone-like clip, against a plain full decode?

``python -m bench.bench_video_analysis`` (or ``python bench/bench_video_analysis.py``) makes, once,
the benchmark's 60 s 1920x1080 30 fps H.264 clip like a phone's (``bench.clips``: 8 Mbit/s,
GOP 2 s, B-frames, grain so it really needs the bitrate; 20 cuts; speech-like AAC sound),
cached in the user cache dir (``bench.clips``), and prints one table: plain full decode (the baseline any
frame-by-frame analysis pays), our analysis (best and median of ``--runs``, wall and CPU), frames
decoded, cuts found against the true ones, speech intervals against the true ones. The machine
may be shared: the load average is printed, and best-of-N is the number to compare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import av  # noqa: E402

from bench.analysis_matrix import plain_full_decode, timed  # noqa: E402
from bench.clips import BENCH_CUTS_S, BENCH_TALK_S  # noqa: E402
from bot.media.models import VideoAnalysis  # noqa: E402
from bot.media.probe import probe_media  # noqa: E402
from bot.media.video_analysis import Strategy, analyse_video  # noqa: E402

FPS = 30


def bench_clip() -> Path:
    """The benchmark's shared clip (``bench.clips``: made once, cached in the user cache dir)."""
    from bench.clips import bench_clip as shared_clip

    return shared_clip()


def match(found: Sequence[float], truth: Sequence[float], tol: float) -> tuple[int, int, int, float]:
    """(matched, missed, false, worst error in s) with greedy nearest matching."""
    left = list(found)
    worst = 0.0
    matched = 0
    for t in truth:
        best = min(left, key=lambda f: abs(f - t), default=None)
        if best is not None and abs(best - t) <= tol:
            left.remove(best)
            matched += 1
            worst = max(worst, abs(best - t))
    return matched, len(truth) - matched, len(left), worst


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clip", type=Path, help="analyse this clip instead (no ground truth)")
    parser.add_argument("--full", action="store_true", help="also time the 'full' strategy (slow)")
    args = parser.parse_args(argv)

    clip = args.clip or bench_clip()
    info = probe_media(clip)
    with av.open(str(clip)) as container:
        video_bytes = sum(p.size for p in container.demux(container.streams.video[0]))
    mbps = video_bytes * 8 / info.duration_s / 1e6
    print(f"clip: {clip.name}  {info.width}x{info.height} {info.fps:.0f} fps {info.duration_s:.1f} s, "
          f"{info.video_codec} {mbps:.1f} Mbit/s video, audio {info.audio_codec} x{info.audio_channels}")  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (shared machines vary)")

    rows: list[tuple[str, list[float], list[float], int]] = []
    walls, cpus, n = [], [], 0
    for _ in range(args.runs):
        wall, cpu, frames = timed(lambda: plain_full_decode(clip))
        walls.append(wall)
        cpus.append(cpu)
        n = int(frames)  # type: ignore[call-overload]
    rows.append(("plain full decode (baseline)", walls, cpus, n))

    strategies: list[Strategy] = ["auto", "full"] if args.full else ["auto"]
    results: dict[str, VideoAnalysis] = {}
    for strategy in strategies:
        walls, cpus = [], []
        for _ in range(args.runs if strategy == "auto" else 1):
            wall, cpu, out = timed(lambda s=strategy: analyse_video(info, strategy=s))  # type: ignore[misc]
            walls.append(wall)
            cpus.append(cpu)
            assert isinstance(out, VideoAnalysis)
            results[strategy] = out
        rows.append((f"analyse_video strategy={strategy}", walls, cpus, results[strategy].frames_decoded))

    print()
    print(f"{'step':34s} {'best s':>7s} {'median s':>9s} {'CPU s':>6s} {'frames decoded':>15s}")
    for name, walls, cpus, frames in rows:
        print(f"{name:34s} {min(walls):7.2f} {statistics.median(walls):9.2f} {min(cpus):6.2f} {frames:15d}")

    analysis = results["auto"]
    print()
    if args.clip is None:
        cuts = list(BENCH_CUTS_S)
        matched, missed, false, worst = match(analysis.cut_times_s, cuts, tol=1.0 / FPS + 1e-6)
        print(f"cuts: {len(analysis.cut_times_s)} found, {len(cuts)} true: {matched} within one frame "
              f"(worst {worst * 1000:.0f} ms), {missed} missed, {false} false")  # fmt: skip
        print("speech (found vs true):")
        for got, want in zip(analysis.speech_intervals, BENCH_TALK_S, strict=False):
            print(f"  {got[0]:6.2f}-{got[1]:6.2f}  vs  {want[0]:6.2f}-{want[1]:6.2f}")
        if len(analysis.speech_intervals) != len(BENCH_TALK_S):
            print(f"  intervals: {len(analysis.speech_intervals)} found, {len(BENCH_TALK_S)} true")
    else:
        print(f"cuts: {analysis.cut_times_s}")
        print(f"speech: {analysis.speech_intervals}")
    print(f"motion {analysis.motion:.2f}, brightness {analysis.brightness:.2f}, "
          f"saturation {analysis.saturation:.2f}, warmth {analysis.warmth:+.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
