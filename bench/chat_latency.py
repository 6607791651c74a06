"""The chat user's wait: upload → video through the engine, the first job right after the bot starts.

``python -m bench chat`` opens the bot's services as ``musiccog telegram`` does (the store, the local
backend with its worker pool, the engine, warmed in the background at start), attaches a "telegram"
platform whose downloads are a file copy (no network) and whose upload limit is Telegram's 50 MB, and
sends a 24 s 720p clip at once (the first job), then again from two other chats one after the other
(later jobs). Each wait is timed from the upload's arrival to the video reply. Targets (#12): the first
job ≤ 0.3× the clip's length, later ones ≤ 0.15×. Benchmarks are not tests: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.clips import bench_clip

__all__ = ["main", "measure_chat"]

CLIP_S = 24.0
CLIP_SIZE = (1280, 720)
TELEGRAM_LIMIT = 50 * 1024 * 1024


async def measure_chat(clip: Path, data_dir: Path, later_jobs: int) -> list[float]:
    """Seconds from upload to video for the first job and ``later_jobs`` more, in order."""
    from bot.config import Settings
    from bot.engine.messages import Incoming, MediaRef, Video
    from bot.services import Services

    async def fetch(media: MediaRef, folder: Path) -> Path:
        target = folder / clip.name
        await asyncio.to_thread(shutil.copyfile, clip, target)
        return target

    settings = Settings(data_dir=data_dir)
    services = await Services.open(settings)
    services.engine.attach("telegram", fetch_media=fetch, upload_limit=TELEGRAM_LIMIT)
    waits: list[float] = []
    try:
        await services.start()
        for chat in range(1 + later_jobs):
            upload = Incoming("telegram", str(chat), f"u{chat}", text=None, media=MediaRef(kind="video", file_id="c"))
            started = time.perf_counter()
            replies = [reply async for reply in services.engine.handle(upload)]
            if not isinstance(replies[-1], Video):
                raise RuntimeError(f"no video came back: {replies[-1]!r}")
            waits.append(time.perf_counter() - started)
    finally:
        await services.close()
    return waits


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench chat", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--later", type=int, default=2, help="later jobs after the first (default 2)")
    args = parser.parse_args(argv)
    print("Preparing the 24 s 720p clip (cached after the first run)…", file=sys.stderr)
    clip = bench_clip(duration_s=CLIP_S, size=CLIP_SIZE)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="musiccog-bench-chat-") as tmp:
        data_dir = Path(tmp) / "data"
        waits = asyncio.run(measure_chat(clip, data_dir, args.later))
    first, later = waits[0], waits[1:]
    print(f"| job | upload → video s | × clip ({CLIP_S:.0f} s 720p) | target |")
    print("|---|---|---|---|")
    print(f"| first (right after start) | {first:.2f} | {first / CLIP_S:.3f}× | ≤ 0.30× |")
    for k, wait in enumerate(later, start=2):
        print(f"| job {k} | {wait:.2f} | {wait / CLIP_S:.3f}× | ≤ 0.15× |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
