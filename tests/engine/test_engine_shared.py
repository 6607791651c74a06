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
from bot.engine.jobs import JobKind, JobPayload
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


def test_a_platform_attached_later_takes_back_its_dead_processs_job(
    tmp_path: Path, postgres_url: str, pool: ProcessPoolExecutor, clip: Path
) -> None:
    """``musiccog run`` on a shared database: Telegram attaches and starts first; the Discord job a killed
    process left running is left alone until Discord attaches here, then taken back, run and delivered."""
    settings = Settings(
        workers=1, data_dir=tmp_path, temp_dir=tmp_path / "tmp", collect_quiet_s=0.0, database_url=postgres_url
    )
    told: list[tuple[str, Reply]] = []
    fetched: list[str] = []

    async def notify(platform: str, chat_id: str, reply: Reply) -> None:
        told.append((platform, reply))

    async def scenario() -> None:
        async with await SessionStore.open(postgres_url) as previous:  # a process that dies mid-render
            session = await previous.new_session("discord", "9", "local")
            payload = JobPayload(JobKind.UPLOAD, "calm", MediaRef(kind="video", file_id="trip"))
            job = await previous.enqueue(session.id, "u9", "upload", payload.to_json())
            await previous.claim_next()
        store = await SessionStore.open(postgres_url)
        engine = Engine(settings, store, LocalBackend(settings, executor=pool))
        try:
            engine.attach("telegram", fetch_media=_fetcher(clip, "telegram", fetched), notify=notify)
            await engine.start()
            left = await store.get_job(job.id)
            assert left is not None and left.state is JobState.RUNNING  # not ours to take back yet
            engine.attach("discord", fetch_media=_fetcher(clip, "discord", fetched), notify=notify)
            for _ in range(1200):
                if told:
                    break
                await asyncio.sleep(0.1)
            done = await store.get_job(job.id)
            assert done is not None and done.state is JobState.DONE and done.attempts == 2
        finally:
            await engine.close()
            await store.close()

    asyncio.run(scenario())
    assert [platform for platform, _ in told] == ["discord"] and isinstance(told[0][1], Video)
    assert fetched == ["discord"]
