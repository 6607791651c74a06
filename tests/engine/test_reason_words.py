"""The reason, the honest-words note and the big-moment sentence reach the chat in the chat's language.

The pick is made in a worker that does not know the chat's language; the values travel to the engine, which
words them. Real SQLite, the real pipeline, a real spawn pool, as in ``test_engine.py``.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.engine.engine import Engine
from bot.engine.messages import Incoming, MediaRef, Reply, Text, Video
from bot.sessions import SessionStore
from tests.mediagen import make_clip

ENGLISH_ONLY = ("matching your request", "cuts land on its beats", "tracks here", "big moment", "Moods I have")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reason-clips")
    return {"eight": make_clip(root / "eight.mp4", duration_s=8.0, size=(160, 90), cut_times_s=(2.0, 4.0, 6.0))}


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        workers=1, engine_db_path=tmp_path / "sessions.sqlite3", temp_dir=tmp_path / "tmp", collect_quiet_s=0.0
    )


async def _open(settings: Settings, pool: ProcessPoolExecutor, clips: dict[str, Path]) -> Engine:
    async def fetch(media: MediaRef, folder: Path) -> Path:
        assert media.file_id is not None
        target = folder / clips[media.file_id].name
        shutil.copyfile(clips[media.file_id], target)
        return target

    store = await SessionStore.open(settings.engine_db)
    return Engine(settings, store, LocalBackend(settings, executor=pool), fetch_media=fetch)


async def _last(replies: AsyncIterator[Reply]) -> Reply:
    return [reply async for reply in replies][-1]


def _upload(chat: str, caption: str, language: str) -> Incoming:
    media = MediaRef(kind="video", file_id="eight")
    return Incoming("telegram", chat, f"u{chat}", text=caption, media=media, language=language)


def _run(settings: Settings, pool: ProcessPoolExecutor, clips: dict[str, Path], scenario: Any) -> None:
    async def go() -> None:
        engine = await _open(settings, pool, clips)
        try:
            await scenario(engine)
        finally:
            await engine.close()
            await engine._store.close()

    asyncio.run(go())


def test_english_chats_read_the_pick_the_stand_ins_and_the_big_moment(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    async def scenario(engine: Engine) -> None:
        epic = await _last(engine.handle(_upload("1", "epic cinematic", "en-US")))
        assert isinstance(epic, Video), epic
        assert "matching your request for epic, cinematic" in epic.caption
        assert "No epic, cinematic tracks here — I used " in epic.caption
        assert "Moods I have: calm, energetic, happy, nostalgic, tender." in epic.caption
        moment = await _last(engine.handle(_upload("2", "calm, drop at 4 s", "en-US")))
        assert isinstance(moment, Video), moment
        assert "lands at 0:04, as you asked." in moment.caption, moment.caption
        assert "lands at 0:04" in moment.description

    _run(_settings(tmp_path), pool, clips, scenario)


def test_chinese_chats_read_them_in_chinese_even_when_the_pick_was_made_in_english(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    async def scenario(engine: Engine) -> None:
        moment = await _last(engine.handle(_upload("3", "平静，高潮在4秒", "zh-CN")))
        assert isinstance(moment, Video) and moment.lang == "zh", moment
        assert "符合你要的平静" in moment.caption and ("大调" in moment.caption or "小调" in moment.caption)
        assert "这首曲子的高潮（第 " in moment.caption and "按你的要求落在视频的 0:04。" in moment.caption
        assert not any(words in moment.caption for words in ENGLISH_ONLY), moment.caption

        first = await _last(engine.handle(_upload("4", "epic cinematic", "en-US")))
        assert isinstance(first, Video) and "No epic, cinematic tracks here" in first.caption
        switch = Incoming("telegram", "4", "u4", text="/language zh", language="en-US")
        assert await _last(engine.handle(switch)) == Text("好的，我会用中文回复。", lang="zh")
        louder = await _last(engine.handle(Incoming("telegram", "4", "u4", text="大声一点", language="en-US")))
        assert isinstance(louder, Video) and louder.lang == "zh", louder
        assert "这里没有“epic，cinematic”风格的曲子 — 我改用了" in louder.caption, louder.caption
        assert "我有的情绪：平静，动感，欢快，怀旧，温柔。" in louder.caption
        assert not any(words in louder.caption for words in ENGLISH_ONLY), louder.caption

    _run(_settings(tmp_path), pool, clips, scenario)
