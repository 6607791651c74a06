"""Two bot processes on one PostgreSQL database, end to end: a Telegram engine and a Discord engine (each its own
store, as two processes have), the real pipeline on tiny clips, a real spawn pool. Each runs only its own
platform's jobs, whichever dispatcher looks at the queue first."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.engine.engine import Engine
from bot.engine.messages import Incoming, MediaRef, Reply, Video
from bot.sessions import JobState, SessionStore
from tests.mediagen import make_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shared-clips")
    return make_clip(root / "trip.mp4", duration_s=2.0, size=(160, 90), cut_times_s=(1.0,))


def _fetcher(clip: Path, platform: str, seen: list[str]) -> Callable[[MediaRef, Path], Any]:
    async def fetch(media: MediaRef, folder: Path) -> Path:
        seen.append(platform)
        return Path(shutil.copyfile(clip, folder / clip.name))

    return fetch


async def _all(replies: AsyncIterator[Reply]) -> list[Reply]:
    return [reply async for reply in replies]


def test_a_telegram_and_a_discord_process_each_run_their_own_jobs(
    tmp_path: Path, postgres_url: str, pool: ProcessPoolExecutor, clip: Path
) -> None:
    settings = Settings(
        workers=1, data_dir=tmp_path, temp_dir=tmp_path / "tmp", collect_quiet_s=0.0, database_url=postgres_url
    )
    fetched: dict[str, list[str]] = {"telegram": [], "discord": []}

    async def process(platform: str) -> Engine:
        store = await SessionStore.open(settings.sessions_database)
        engine = Engine(settings, store, LocalBackend(settings, executor=pool))
        engine.attach(platform, fetch_media=_fetcher(clip, platform, fetched[platform]))
        await engine.start()
        return engine

    def upload(platform: str, chat: str) -> Incoming:
        return Incoming(platform, chat, f"u{chat}", text="calm", media=MediaRef(kind="video", file_id="trip"))

    async def scenario() -> None:
        telegram, discord = await process("telegram"), await process("discord")
        try:
            results = await asyncio.gather(
                _all(telegram.handle(upload("telegram", "1"))),
                _all(telegram.handle(upload("telegram", "2"))),  # waits in the queue while discord's slot is free
                _all(discord.handle(upload("discord", "1"))),
            )
            assert all(isinstance(replies[-1], Video) for replies in results)
            jobs = await telegram._store.unfinished_jobs()
            assert jobs == ()
            for chat_platform, chat in (("telegram", "1"), ("telegram", "2"), ("discord", "1")):
                session = await discord._store.current_session(chat_platform, chat)
                assert session is not None
                history = await discord._store.session_jobs(session.id)
                assert [job.state for job in history] == [JobState.DONE]
        finally:
            for engine in (telegram, discord):
                await engine.close()
                await engine._store.close()

    asyncio.run(scenario())
    assert fetched == {"telegram": ["telegram", "telegram"], "discord": ["discord"]}
