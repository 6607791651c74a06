"""Pacing progress for chat platforms: at most one status edit per chat every few seconds.

Why: Telegram allows about one message per second per chat and Discord rate-limits edits; a render
reports stages faster than that. An adapter wraps the engine's reply stream with
:meth:`ProgressPacer.pace`; it drops ``Progress`` events that come too soon after the last one shown
in that chat (the newest one is shown once the interval has passed, if nothing else came first), and
when a stage runs longer than ``still_working_after_s`` without news it repeats the last progress with a
"still working" line, so the user knows the bot is alive. Every other reply passes through at once.

The "still working" line is worded in the language of the progress it repeats (``Progress.lang``, the
chat's language as the engine chose it), not in a language the adapter guesses from the platform: a
chat switched to Chinese on an English client reads "还在处理中…".

Pure asyncio: no platform code, no threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from bot.engine.messages import Progress, Reply
from bot.engine.replies import still_working

__all__ = ["ProgressPacer"]


class ProgressPacer:
    """Per-chat throttle for ``Progress`` replies; one instance is shared by all chats of an adapter."""

    def __init__(
        self,
        *,
        min_interval_s: float = 3.0,
        still_working_after_s: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_interval_s = min_interval_s
        self.still_working_after_s = still_working_after_s
        self._clock = clock
        self._last_shown: dict[str, float] = {}

    def allow(self, chat_key: str) -> bool:
        """True (and remembered) if a status edit may be made in this chat now."""
        now = self._clock()
        last = self._last_shown.get(chat_key)
        if last is not None and now - last < self.min_interval_s:
            return False
        self._last_shown[chat_key] = now
        return True

    def forget(self, chat_key: str) -> None:
        """Drop a chat's state (its status message is gone)."""
        self._last_shown.pop(chat_key, None)

    async def pace(self, chat_key: str, replies: AsyncIterator[Reply]) -> AsyncIterator[Reply]:
        """``replies`` with ``Progress`` thinned to one per interval and "still working" lines added, in the
        language of the progress they repeat (every reply carries its language)."""
        source = aiter(replies)
        pending: Progress | None = None
        last_progress: Progress | None = None
        quiet_since = self._clock()
        still_shown = False
        next_item: asyncio.Task[Reply] | None = None
        try:
            while True:
                if next_item is None:
                    next_item = asyncio.ensure_future(anext(source))
                timeout = self._timeout(chat_key, pending, quiet_since, still_shown, last_progress)
                done, _ = await asyncio.wait({next_item}, timeout=timeout)
                if not done:
                    if pending is not None and self.allow(chat_key):
                        yield pending
                        pending = None
                    elif (
                        last_progress is not None
                        and not still_shown
                        and self._clock() - quiet_since >= self.still_working_after_s
                        and self.allow(chat_key)
                    ):
                        still_shown = True
                        yield still_working(last_progress)
                    continue
                task, next_item = next_item, None
                try:
                    reply = task.result()
                except StopAsyncIteration:
                    return
                if isinstance(reply, Progress):
                    if last_progress is None or reply.stage != last_progress.stage:
                        quiet_since = self._clock()
                        still_shown = False
                    last_progress = reply
                    if self.allow(chat_key):
                        pending = None
                        yield reply
                    else:
                        pending = reply
                    continue
                pending = None
                yield reply
        finally:
            if next_item is not None:
                next_item.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await next_item
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()

    def _timeout(
        self, chat_key: str, pending: Progress | None, quiet_since: float, still_shown: bool, last: Progress | None
    ) -> float | None:
        """How long to wait for the next reply before showing something ourselves (None: wait for ever)."""
        now = self._clock()
        shown = self._last_shown.get(chat_key)
        next_allowed = now if shown is None else shown + self.min_interval_s
        waits: list[float] = []
        if pending is not None:
            waits.append(next_allowed - now)
        if last is not None and not still_shown:
            waits.append(max(quiet_since + self.still_working_after_s, next_allowed) - now)
        return max(0.0, min(waits)) if waits else None
