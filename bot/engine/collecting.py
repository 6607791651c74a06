"""Collecting several clips and photos of one chat into one set before anything is made of them.

Why collect: a Telegram album arrives as N separate messages a moment apart, and a user who sends three
clips in a row means one request, not three (the second and third would otherwise be told "busy"). So
the first item of a chat opens a :class:`PendingSet` and its ``handle`` call becomes the set's *leader*:
it waits until the chat has been quiet for a while (``settings.collect_quiet_s``; an album's own pause,
``settings.album_wait_s``, when the set holds one), then takes the set and acts on it. Every later item
joins the set (its own call answers at most "Got 3 items…"). A message that says what to make ("one
film", "each", or any other words) takes the set at once, ahead of the timer; whoever *takes* the set
acts on it, and the other call returns quietly.

The waiting happens in memory (a set lives for seconds), but every item is also written to the session
store as it joins (``collecting_items``, with what the chat's event said of its user and language), so a
restart in those seconds does not lose what was sent: the next process puts the sets back and carries on
(:meth:`bot.engine.sets.ChatSets.resume_collecting`). Once taken, the set's rows go and what must survive
(the items, the user's choice) is the set's own (``set_items``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.engine.messages import Incoming, MediaRef

__all__ = ["Collector", "PendingSet", "incoming_from_json", "incoming_to_json"]

logger = logging.getLogger(__name__)

ChatKey = tuple[str, str]
"""``(platform, chat_id)``."""


@dataclass
class PendingSet:
    """The items a chat has sent so far, with their captions, while the bot waits for the quiet period."""

    items: list[MediaRef] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    group_ids: set[str] = field(default_factory=set)
    last_added_s: float = 0.0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set whenever an item joins or the set is taken, so the leader re-reads its deadline."""
    taken: bool = False


class Collector:
    """The chats' pending sets; ``clock`` is monotonic seconds."""

    def __init__(self, *, quiet_s: float, album_wait_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet_s = max(0.0, quiet_s)
        self.album_wait_s = max(0.0, album_wait_s)
        self._clock = clock
        self._pending: dict[ChatKey, PendingSet] = {}

    def add(
        self, key: ChatKey, items: tuple[MediaRef, ...], caption: str, group_id: str | None
    ) -> tuple[PendingSet, bool]:
        """Add one message's items to the chat's set; returns the set and whether this call leads it (opened it)."""
        pending = self._pending.get(key)
        leads = pending is None
        if pending is None:
            pending = self._pending[key] = PendingSet()
        pending.items.extend(items)
        if caption:
            pending.captions.append(caption)
        if group_id is not None:
            pending.group_ids.add(group_id)
        pending.last_added_s = self._clock()
        pending.changed.set()
        return pending, leads

    def peek(self, key: ChatKey) -> PendingSet | None:
        """The chat's set while it is being collected, else None."""
        return self._pending.get(key)

    def take(self, key: ChatKey) -> PendingSet | None:
        """Take the chat's set to act on it (nobody else will); None when there is none."""
        pending = self._pending.pop(key, None)
        if pending is not None:
            pending.taken = True
            pending.changed.set()
        return pending

    def release_all(self) -> None:
        """Shutting down: every waiting leader returns without acting (the sets stay stored for the next start)."""
        for pending in self._pending.values():
            pending.taken = True
            pending.changed.set()
        self._pending.clear()

    async def wait_quiet(self, key: ChatKey, pending: PendingSet) -> PendingSet | None:
        """The leader's wait: the set once the chat has been quiet long enough (taken for the caller), or
        None when another call took it first (a message that said what to make, /cancel, /new)."""
        while not pending.taken:
            wait_s = max(self.quiet_s, self.album_wait_s if pending.group_ids else 0.0)
            remaining_s = pending.last_added_s + wait_s - self._clock()
            if remaining_s <= 0:
                return self.take(key)
            pending.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pending.changed.wait(), remaining_s)
        return None


def incoming_to_json(incoming: Incoming) -> str:
    """What a set resumed after a restart needs of the event that sent it: whose chat, user and language."""
    keep = {
        "platform": incoming.platform,
        "chat_id": incoming.chat_id,
        "user_id": incoming.user_id,
        "language": incoming.language,
        "upload_limit": incoming.upload_limit,
    }
    return json.dumps(keep, ensure_ascii=False)


def incoming_from_json(text: str) -> Incoming:
    values = json.loads(text)
    return Incoming(
        platform=str(values["platform"]),
        chat_id=str(values["chat_id"]),
        user_id=str(values["user_id"]),
        language=values.get("language"),
        upload_limit=values.get("upload_limit"),
    )
