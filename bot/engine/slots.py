"""Worker slots, and a slot lent back while its job waits on a slow download.

Why: a job fetches its media inside its worker slot, and a link that trickles (or a platform that is slow
to hand over a big file) would hold that slot for the whole download — every other chat waiting on one
user's slow link. So a fetch that has not finished after ``settings.download_slot_grace_s`` lends its slot
back: the dispatcher may start the next queued job, and the downloading job takes a slot again once the
download is done and one is free (it counts as busy from then on, so the dispatcher does not start
another ahead of it). Fetches that finish within the grace (nearly all) change nothing: jobs run
``workers`` at a time, oldest first, as ever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.engine.jobs import MediaFetcher
from bot.engine.messages import MediaRef

__all__ = ["SlotLender"]

logger = logging.getLogger(__name__)


class SlotLender:
    """How many worker slots are busy, counting a job on a slow download as not holding one."""

    def __init__(self, workers: int, grace_s: float, running: Mapping[int, object], wake: Callable[[], None]) -> None:
        self.workers = workers
        self.grace_s = grace_s
        self._running = running
        self._wake = wake
        self._lent: set[int] = set()
        self._freed = asyncio.Event()

    def busy(self) -> int:
        """Jobs holding a slot: running, less those waiting on a slow download."""
        return len(self._running) - len(self._lent & set(self._running))

    def free(self) -> int:
        return max(0, self.workers - self.busy())

    def freed(self) -> None:
        """A job ended: a download waiting to take a slot again may."""
        self._freed.set()

    def fetcher(self, job_id: int, fetch: MediaFetcher) -> MediaFetcher:
        """``fetch`` for this job, lending its slot while a download runs longer than the grace."""

        async def fetch_lending(media: MediaRef, folder: Path) -> Path:
            download = asyncio.ensure_future(fetch(media, folder))
            try:
                done, _ = await asyncio.wait({download}, timeout=self.grace_s)
            except BaseException:
                download.cancel()
                raise
            if done:
                return download.result()
            logger.info("job %d: a slow download; its worker slot goes to the next job meanwhile", job_id)
            self._lent.add(job_id)
            self._wake()
            try:
                path = await download
            finally:
                self._lent.discard(job_id)
            await self._slot_back()  # only a finished download needs its slot again; a failed one just ends
            return path

        return fetch_lending

    async def _slot_back(self) -> None:
        """Wait until this job (busy again) fits within the slots."""
        while self.busy() > self.workers:
            self._freed.clear()
            await self._freed.wait()
