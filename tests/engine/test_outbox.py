"""The courier on its own, on a real SQLite file: a kept reply survives a JSON round trip, a refused one is
retried with backoff from the job row (not from memory, so also by the next process), delivered once, and
given up after the last try with one log line."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine.messages import Button, Error, Fact, Reply, Text, Video
from bot.engine.outbox import Courier, reply_from_json, reply_to_json
from bot.engine.platform_links import PlatformLink, PlatformLinks
from bot.sessions import DeliveryState, SessionStore


def test_kept_replies_read_back_as_they_were(tmp_path: Path) -> None:
    video = Video(
        path=tmp_path / "out.mp4",
        caption="Calm · 96 BPM",
        buttons=(Button("mc:another", "Another track"),),
        width=1080,
        height=1920,
        duration_s=12.5,
        title="Calm",
        description="because",
        facts=(Fact("BPM", "96", "96 BPM"),),
        lang="zh",
    )
    for reply in (video, Text("hello", lang="en"), Error("render", "oops (error ab12cd34)", "ab12cd34", lang="en")):
        assert reply_from_json(reply_to_json(reply)) == reply
    with pytest.raises(ValueError):
        reply_from_json('{"type": "Progress"}')


async def _job(store: SessionStore, chat: str) -> int:
    session = await store.new_session("telegram", chat, "local")
    job = await store.enqueue(session.id, "u", "upload")
    await store.claim_next()
    await store.complete_job(job.id)
    return job.id


def test_a_refused_reply_is_retried_from_the_row_across_a_restart_and_delivered_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(delivery_retry_first_s=0.05, delivery_retry_max_s=0.2, delivery_max_tries=50)
    db = tmp_path / "sessions.sqlite3"
    sent: list[tuple[str, Reply]] = []
    down = {"on": True}

    async def notify(platform: str, chat_id: str, reply: Reply) -> None:
        if down["on"]:
            raise ConnectionError("502 Bad Gateway")
        sent.append((chat_id, reply))

    def links() -> PlatformLinks:
        return PlatformLinks(PlatformLink(None, notify, None, None))

    async def first_process() -> int:
        async with await SessionStore.open(db) as store:
            job_id = await _job(store, "1")
            courier = Courier(settings, store, links())
            courier.start()
            assert await courier.hand_over(job_id, Text("your video"), listening=False) is None
            await asyncio.sleep(0.5)  # a few refused tries
            await courier.close()
            state, tries, _ = await store.delivery_state(job_id)
            assert state is DeliveryState.PENDING and tries >= 2
            return job_id

    async def next_process(job_id: int) -> None:
        down["on"] = False
        async with await SessionStore.open(db) as store:
            courier = Courier(settings, store, links())
            courier.start()
            for _ in range(100):
                if sent:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # room for a duplicate
            await courier.close()
            assert (await store.delivery_state(job_id))[0] is DeliveryState.DELIVERED

    caplog.set_level(logging.INFO)
    job_id = asyncio.run(first_process())
    asyncio.run(next_process(job_id))
    assert sent == [("1", Text("your video"))]
    assert not [r for r in caplog.records if r.exc_info is not None]


def test_a_reply_handed_to_an_adapter_is_the_adapters_to_confirm_and_a_hopeless_one_is_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(delivery_retry_first_s=0.01, delivery_retry_max_s=0.02, delivery_max_tries=3)

    async def refuse(platform: str, chat_id: str, reply: Reply) -> None:
        raise ConnectionError("502 Bad Gateway")

    async def scenario() -> None:
        async with await SessionStore.open(tmp_path / "sessions.sqlite3") as store:
            courier = Courier(settings, store, PlatformLinks(PlatformLink(None, refuse, None, None)))
            courier.start()
            shown = await _job(store, "1")
            handed = await courier.hand_over(shown, Text("video"), listening=True)
            assert handed is not None and getattr(handed, "delivery_id", None) == shown
            await asyncio.sleep(0.2)
            assert (await store.delivery_state(shown))[0] is DeliveryState.HANDED  # the adapter's to say
            await courier.delivered(shown)
            assert (await store.delivery_state(shown))[0] is DeliveryState.DELIVERED

            refused = await _job(store, "2")
            await courier.hand_over(refused, Text("video"), listening=True)
            await courier.undelivered(refused)  # the adapter could not show it: the courier tries, and fails
            for _ in range(100):
                if (await store.delivery_state(refused))[0] is DeliveryState.DROPPED:
                    break
                await asyncio.sleep(0.02)
            await courier.close()
            assert (await store.delivery_state(refused))[:2] == (DeliveryState.DROPPED, 3)

    caplog.set_level(logging.INFO)
    asyncio.run(scenario())
    given_up = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(given_up) == 1 and "given up" in given_up[0].getMessage()
