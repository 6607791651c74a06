"""What each chat platform lends the engine: how its files are fetched, how replies nobody waits for
reach its chats, its upload limit, and the bot's @name there.

One engine (one dispatcher, one worker pool) serves every platform of the process; each adapter
:meth:`PlatformLinks.attach`-es its own link when it starts. A job recovered at start-up may run before
the adapter of its platform is up (``musiccog run`` starts several), so :meth:`PlatformLinks.ready` waits
a while for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.engine.jobs import MediaFetcher, Notifier
from bot.engine.messages import Incoming

__all__ = ["ATTACH_WAIT_S", "InChatServer", "PlatformLink", "PlatformLinks", "StatusClearer"]

StatusClearer = Callable[[str, str], Awaitable[None]]
"""``clear(chat_id, ref)``: edit or delete the progress message ``ref`` in the chat."""

InChatServer = Callable[[Incoming], Awaitable[None]]
"""``serve(incoming)``: serve an event that did not arrive through the platform (a file sent through the
upload page) in its chat as the adapter serves a message: a status message kept up to date, then the results."""

ATTACH_WAIT_S = 60.0
"""How long a recovered job waits for its platform's adapter to attach before it is given up."""


@dataclass(frozen=True)
class PlatformLink:
    """What one adapter lends the engine (see :meth:`PlatformLinks.attach`)."""

    fetch_media: MediaFetcher | None
    notify: Notifier | None
    upload_limit: int | None
    bot_username: str | None
    clear_status: StatusClearer | None = None
    """Removes a progress message a dead process left (``clear(chat_id, ref)``; ``ref`` as the adapter
    named it to ``Engine.note_status``); None where the platform has none to remove."""
    serve_in_chat: InChatServer | None = None
    """Serves an event that came another way (the upload page) in its chat, like a message; None: not offered."""


class PlatformLinks:
    """Every platform's link; a platform nobody attached gets the default one given at construction."""

    def __init__(self, default: PlatformLink, upload_limits: Mapping[str, int] | None = None) -> None:
        self._default = default
        self.by_platform: dict[str, PlatformLink] = {
            platform: PlatformLink(default.fetch_media, default.notify, limit, default.bot_username)
            for platform, limit in (upload_limits or {}).items()
        }
        self._attached: dict[str, asyncio.Event] = {}
        for platform in self.by_platform:
            self._attached.setdefault(platform, asyncio.Event()).set()

    def attach(self, platform: str, link: PlatformLink) -> None:
        """Let one adapter serve ``platform``; jobs waiting for it go on."""
        self.by_platform[platform] = link
        self._attached.setdefault(platform, asyncio.Event()).set()

    def served(self) -> frozenset[str] | None:
        """The platforms whose jobs this process can run: None (any) when the default link fetches media for
        every platform, else the attached ones that fetch (a shared database holds other processes' jobs)."""
        if self._default.fetch_media is not None:
            return None
        return frozenset(platform for platform, link in self.by_platform.items() if link.fetch_media is not None)

    def get(self, platform: str) -> PlatformLink:
        """The platform's link as it is now (the default one if its adapter has not attached)."""
        return self.by_platform.get(platform, self._default)

    async def ready(self, platform: str) -> PlatformLink:
        """The platform's link once its adapter has attached, or after :data:`ATTACH_WAIT_S` whatever it is."""
        link = self.get(platform)
        if link.fetch_media is not None:
            return link
        event = self._attached.setdefault(platform, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), ATTACH_WAIT_S)
        return self.get(platform)
