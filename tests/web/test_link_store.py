"""The links' tokens on both chat-state stores: minted, found, spent once, expired."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.web.tokens import LinkStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_link_is_spent_once_and_expires_on_either_store(state_database: Path | str, tmp_path: Path) -> None:
    asyncio.run(_spend_and_expire(state_database, tmp_path))


async def _spend_and_expire(state_database: Path | str, tmp_path: Path) -> None:
    clock = Clock()
    links = await LinkStore.open(state_database, clock=clock)
    try:
        token = await links.mint("upload", platform="telegram", chat_id="7", user_id="7", lang="zh", ttl_s=60)
        assert (await links.find(token, "download")) is None
        found = await links.find(token, "upload")
        assert found is not None and found.chat_id == "7" and found.lang == "zh"
        clip = tmp_path / "clip.mp4"
        started = await links.start_upload(token, file_path=clip, file_name="a.mp4", size_bytes=10, caption="calm")
        assert started is not None and started.caption == "calm"
        assert (await links.spend(token, keep_s=30)) is not None
        assert (await links.spend(token, keep_s=30)) is None, "a link is spent once"
        assert (await links.find(token, "upload")) is None
        assert await links.recent_count("upload", "telegram", "7", within_s=60) == 1

        other = await links.mint(
            "download",
            platform="telegram",
            chat_id="8",
            user_id="8",
            lang="en",
            ttl_s=5,
            file_path=clip,
            file_name="out.mp4",
            size_bytes=10,
        )
        assert (await links.find(other, "download")) is not None
        clock.now += 100
        assert (await links.find(other, "download")) is None, "expired"
        assert sorted(await links.expire()) == [clip, clip]
        assert await links.expire() == []
    finally:
        await links.close()
