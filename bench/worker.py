"""The benchmark's measured run, in its own module so a spawned worker process can import it."""

from __future__ import annotations

import resource
import time
from typing import Any


def timed_render(clip: str, output: str) -> dict[str, Any]:
    """A first render as a bot worker makes one (library already loaded in the process), timed by stage,
    with this process's peak RSS: the same calls as the command line and the local backend."""
    from bot.config import get_settings
    from bot.media.editing import first_timeline
    from bot.media.library import loaded_library
    from bot.media.pipeline import Stopwatch, analyse_clip, render_timeline

    settings = get_settings()
    loaded_library(settings)  # a worker loads the library once, before its first job (made by ``index_library``)
    started = time.perf_counter()
    clock = Stopwatch()
    analysis = analyse_clip(clip, settings=settings, clock=clock)
    with clock.stage("library load"):
        library = loaded_library(settings)
    with clock.stage("match"):
        timeline = first_timeline(
            input_path=clip, duration_s=analysis.info.duration_s, video=analysis.video, library=library, prompt=None
        )
    outcome = render_timeline(
        timeline, analysis, library, output_path=output, ffmpeg_timeout_s=settings.ffmpeg_timeout_s, clock=clock
    )
    elapsed = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"outcome": outcome.to_json(), "elapsed_s": elapsed, "rss_mb": rss_mb}


def index_library() -> int:
    """Analyse the library once (cached on disk), in its own process so librosa's memory is not counted."""
    from bot.media.library import load_library

    return len(load_library())
