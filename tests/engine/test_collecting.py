"""Collecting a chat's items: the first call leads, later ones join, the quiet period (or an album's pause)
ends the set, and whoever takes it first acts on it."""

from __future__ import annotations

import asyncio

from bot.engine.collecting import Collector
from bot.engine.messages import MediaRef

KEY = ("telegram", "1")


def _ref(n: int) -> MediaRef:
    return MediaRef(kind="video", file_id=str(n))


def test_the_leader_gets_every_item_once_the_chat_is_quiet() -> None:
    async def scenario() -> None:
        collector = Collector(quiet_s=0.2, album_wait_s=0.0)
        pending, leads = collector.add(KEY, (_ref(1),), "calm", None)
        assert leads
        waiting = asyncio.create_task(collector.wait_quiet(KEY, pending))
        await asyncio.sleep(0.1)
        again, follower_leads = collector.add(KEY, (_ref(2), _ref(3)), "", None)
        assert again is pending and not follower_leads
        await asyncio.sleep(0.15)
        assert not waiting.done()  # the second item restarted the quiet period
        taken = await asyncio.wait_for(waiting, 1)
        assert taken is pending and [m.file_id for m in taken.items] == ["1", "2", "3"] and taken.captions == ["calm"]
        assert collector.peek(KEY) is None

    asyncio.run(scenario())


def test_an_album_waits_its_pause_and_words_take_the_set_first() -> None:
    async def scenario() -> None:
        collector = Collector(quiet_s=0.0, album_wait_s=0.2)
        pending, _ = collector.add(KEY, (_ref(1),), "", "album")
        waiting = asyncio.create_task(collector.wait_quiet(KEY, pending))
        await asyncio.sleep(0.05)
        assert not waiting.done()  # an album is collected even with collecting off
        assert collector.take(KEY) is pending  # words arrived: they act on the set
        assert await asyncio.wait_for(waiting, 1) is None  # and the leader says nothing

        alone, _ = collector.add(KEY, (_ref(2),), "", None)
        assert await asyncio.wait_for(collector.wait_quiet(KEY, alone), 1) is alone  # no wait at all

    asyncio.run(scenario())
