"""The benchmark's measured run, in its own module so a spawned worker process can import it."""

from __future__ import annotations

import resource
import time
from typing import Any


def timed_render(clip: str, output: str) -> dict[str, Any]:
    """Render once with a warm library (as a bot worker has) and report times and this process's peak RSS."""
    from bot.media.library import load_library
    from bot.media.pipeline import RenderRequest, render_clip

    load_library()  # reads the on-disk index (made by ``index_library`` in another process), as every render does
    started = time.perf_counter()
    outcome = render_clip(RenderRequest(input_path=clip, output_path=output))
    elapsed = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"outcome": outcome.to_json(), "elapsed_s": elapsed, "rss_mb": rss_mb}


def index_library() -> int:
    """Analyse the library once (cached on disk), in its own process so librosa's memory is not counted."""
    from bot.media.library import load_library

    return len(load_library())
