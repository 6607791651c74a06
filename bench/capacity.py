"""``python -m bench capacity``: what one render worker core gets through, for scale-out planning.

One job as a worker runs it (analyse, pick, render: the local backend's own steps), for the 60 s 1080p
benchmark clip, on the copy path (the picture copied) and on the re-encode path (a 9:16 reframe, so every
frame is encoded), each in a fresh spawn process with the library already loaded. What is counted is CPU
time (the process and its FFmpeg children), so the figure holds on a busy machine too, and jobs per hour
per core is 3600 over it. The queue's own cost (storage copies, a status read every 0.5 s) is not in it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.clips import bench_clip

__all__ = ["main", "measure_job"]

PATHS = {"copy": "calm", "re-encode": "calm, 9:16"}
"""Each path's caption: a plain pick copies the picture; a 9:16 reframe re-encodes it."""


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure_job(clip: str, caption: str, output: str) -> dict[str, Any]:
    """One job's steps in this (worker) process: wall and CPU seconds per step."""
    from bot.backends.local_tasks import analyse_clip_task, first_timeline_task, render_task, warm_task
    from bot.config import Settings

    settings = Settings()
    warm_task(settings)
    times: dict[str, Any] = {}
    cpu0, wall0 = _cpu_s(), time.perf_counter()
    analysis = analyse_clip_task(clip, settings)
    cpu1, wall1 = _cpu_s(), time.perf_counter()
    timeline = first_timeline_task(clip, analysis, caption, settings)
    cpu2, wall2 = _cpu_s(), time.perf_counter()
    outcome = render_task(timeline, clip, output, analysis, settings)
    cpu3, wall3 = _cpu_s(), time.perf_counter()
    times["analyse"] = (wall1 - wall0, cpu1 - cpu0)
    times["pick"] = (wall2 - wall1, cpu2 - cpu1)
    times["render"] = (wall3 - wall2, cpu3 - cpu2)
    times["job"] = (wall3 - wall0, cpu3 - cpu0)
    times["size"] = f"{outcome.width}x{outcome.height}"
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench capacity", description=__doc__)
    parser.parse_args(argv)
    clip = bench_clip()
    spawn = multiprocessing.get_context("spawn")
    print("| path | analyse (CPU s) | pick | render | job CPU s | job wall s | jobs / hour / core |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name, caption in PATHS.items():
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                output = str(Path(folder) / f"{name}.mp4")
                t = pool.submit(measure_job, str(clip), caption, output).result(timeout=3600)
            wall, cpu = t["job"]
            print(
                f"| {name} ({t['size']}) | {t['analyse'][1]:.1f} | {t['pick'][1]:.1f} | {t['render'][1]:.1f} "
                f"| {cpu:.1f} | {wall:.1f} | {3600 / cpu:.0f} |"
            )
    return 0
