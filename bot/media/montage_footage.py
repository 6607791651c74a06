"""A montage's clips sampled two at a time, so the footage pass keeps both cores busy.

Sampling a clip (``footage.sample_footage``) is nearly all decoding, with Python's lock released, and the
clips are independent: two run side by side in threads, the costliest first (decoded pixels a second times
the seconds sampled), so the 4K clip does not end the pass alone. Two and not more, each decoding in one
thread (the clips are the parallel work; FFmpeg's frame threads would each hold their own pictures): a 4K
decoder is a few hundred MB, and the whole tree stays under 1 GB. The heap the threads freed is given back
before the render starts its processes beside this one. What each clip gives is the same as sampling it
alone: the frames decoded are the same, and so are the shots, usable stretches and verdicts.

Cancellation reaches the threads through a marker file of their own (``cancel.watching`` is per thread):
the calling thread watches its job's cancellation while it waits and creates the marker when asked.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import resource
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InputRejected
from bot.media import cancel
from bot.media.footage import Footage, sample_footage
from bot.media.items import Item

__all__ = ["MIN_USABLE_S", "SAMPLERS", "sample_clips"]

logger = logging.getLogger(__name__)

SAMPLERS = 2
"""Clips sampled at once (at most the cores this process may use)."""
MIN_USABLE_S = 0.3
"""A clip whose longest usable stretch is shorter has no picture worth a segment."""
POLL_S = 0.1


@dataclass(frozen=True)
class _Sampled:
    footage: Footage
    wall_s: float


def sample_clips(items: Sequence[Item]) -> dict[str, Footage | InputRejected]:
    """Every video item's footage by path (an ``InputRejected`` for a clip with no usable picture)."""
    videos = [item for item in items if item.kind == "video"]
    if not videos:
        return {}
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = max(1, min(SAMPLERS, len(videos), cores))
    order = sorted(videos, key=_decode_cost, reverse=True)
    started, cpu_before = time.monotonic(), _process_cpu_s()
    results: dict[str, Footage | InputRejected] = {}
    with tempfile.TemporaryDirectory(prefix="musiccog-sampling-") as tmp:
        marker = Path(tmp) / "cancelled"
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="footage") as pool:
            threads = 1 if workers > 1 else 0  # the clips are the parallel work; one decoder thread each
            futures = {pool.submit(_sample, item, marker, threads): item for item in order}
            try:
                pending: set[Future[_Sampled]] = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
                    if cancel.requested():
                        marker.touch()
                        cancel.check()
                    for future in done:
                        results[futures[future].path] = _verdict(futures[future], future)
            except BaseException:
                marker.touch()  # the running ones stop at their next sample, the queued ones never start
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    _give_back_freed_memory()
    logger.info(
        "footage: %d clip(s) sampled in %.1f s, %.1f CPU-s (this process), %d at a time",
        len(videos), time.monotonic() - started, _process_cpu_s() - cpu_before, workers,
    )  # fmt: skip
    return results


def _verdict(item: Item, future: Future[_Sampled]) -> Footage | InputRejected:
    try:
        sampled = future.result()
    except InputRejected as exc:
        return exc
    logger.debug("footage of %s sampled in %.1f s", item.name, sampled.wall_s)
    if sampled.footage.longest_usable_s < MIN_USABLE_S:
        return InputRejected("montage_no_picture")
    return sampled.footage


def _sample(item: Item, marker: Path, threads: int) -> _Sampled:
    started = time.monotonic()
    turns = (item.info.rotation_deg // 90) % 4 if item.info is not None else 0
    with cancel.watching(marker):
        footage = sample_footage(item.path, item.duration_s, turns=turns, threads=threads)
    return _Sampled(footage, time.monotonic() - started)


def _decode_cost(item: Item) -> float:
    """Pixels decoded to sample ``item``, roughly: coded size x frame rate x seconds."""
    fps = item.info.fps if item.info is not None and item.info.fps > 0 else 30.0
    return item.width * item.height * fps * item.duration_s


def _process_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _give_back_freed_memory() -> None:
    """Return the sampling threads' freed heap to the system (glibc keeps a heap per thread): the render
    that follows starts its decoders and encoder beside this process."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
