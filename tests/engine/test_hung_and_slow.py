"""Two faults through the real engine, the real local backend (a real spawn pool) and real SQLite (#15 §2):

- an FFmpeg that hangs: the test stops the render's real FFmpeg (SIGSTOP) and ``ffmpeg_timeout_s`` kills it;
  the user is told in a sentence, and the same worker serves the next job;
- a link that trickles (a loopback server sending a byte every 0.3 s): its job lends its worker slot to the
  next chat once the download is slow (``download_slot_grace_s``), and the download's total deadline ends
  it with a sentence.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.files import fetch_media
from bench.measure import command_line, process_rows
from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.engine.engine import Engine
from bot.engine.messages import Error, Incoming, MediaRef, Reply, Video
from bot.language import say
from bot.sessions import SessionStore
from tests.mediagen import make_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("hung") / "trip.mp4", duration_s=3.0, size=(160, 90), cut_times_s=(1.5,))


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Long enough that its re-encode (9:16 asked for) runs a while: time to catch its FFmpeg."""
    return make_clip(tmp_path_factory.mktemp("hung") / "long.mp4", duration_s=24.0, size=(640, 360))


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "workers": 1,
        "engine_db_path": tmp_path / "sessions.sqlite3",
        "temp_dir": tmp_path / "tmp",
        "collect_quiet_s": 0.0,
        **overrides,
    }
    return Settings(**values)


def _upload(chat: str, media: MediaRef, words: str = "calm") -> Incoming:
    return Incoming("telegram", chat, f"u{chat}", text=words, media=media)


async def _all(replies: AsyncIterator[Reply]) -> list[Reply]:
    return [reply async for reply in replies]


def _ffmpeg_children(parents: set[int]) -> list[int]:
    """Running FFmpeg encodes (libx264) whose parent is one of ``parents`` (read from /proc)."""
    return [
        row.pid
        for row in process_rows()
        if row.name.startswith("ffmpeg")
        and row.parent in parents
        and row.state not in ("Z", "X")
        and b"libx264" in command_line(row.pid)
    ]


def test_a_hung_ffmpeg_is_killed_the_user_told_and_the_worker_serves_the_next_job(
    tmp_path: Path, pool: ProcessPoolExecutor, clip: Path, long_clip: Path
) -> None:
    settings = _settings(tmp_path, ffmpeg_timeout_s=3.0)

    async def fetch(media: MediaRef, folder: Path) -> Path:
        source = long_clip if media.file_id == "long" else clip
        return Path(shutil.copyfile(source, folder / source.name))

    async def scenario() -> None:
        store = await SessionStore.open(settings.engine_db)
        engine = Engine(settings, store, LocalBackend(settings, executor=pool), fetch_media=fetch)
        try:
            await engine.start()
            workers = set(pool._processes)  # the pool's worker processes (started by the engine's warm-up)
            upload = _upload("A", MediaRef(kind="video", file_id="long"), "calm, vertical 9:16")
            job = asyncio.ensure_future(_all(engine.handle(upload)))
            hung: list[int] = []
            while not hung and not job.done():
                for pid in _ffmpeg_children(workers | set(pool._processes)):
                    try:
                        os.kill(pid, signal.SIGSTOP)  # a real FFmpeg that makes no progress any more
                    except ProcessLookupError:  # it ended between the look and the signal
                        continue
                    hung.append(pid)
                await asyncio.sleep(0.02)
            assert hung, f"the render finished before its FFmpeg could be stopped: {job.result()}"
            replies = await asyncio.wait_for(job, 120)
            told = replies[-1]
            assert isinstance(told, Error) and told.text.startswith(say("engine_render_failed")), replies
            assert all(not Path(f"/proc/{pid}").exists() for pid in hung), "the hung FFmpeg is still there"

            served = await _all(engine.handle(_upload("B", MediaRef(kind="video", file_id="b"))))
            assert isinstance(served[-1], Video) and served[-1].path.is_file(), served
            assert [j.state.value for j in await store.unfinished_jobs()] == []
        finally:
            await engine.close()
            await store.close()

    asyncio.run(scenario())


def test_a_trickling_link_lends_its_slot_and_ends_at_the_download_deadline(
    tmp_path: Path, pool: ProcessPoolExecutor, clip: Path
) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "video/mp4", "Content-Length": str(100_000)})
        await response.prepare(request)
        try:
            for _ in range(100_000):
                await response.write(b"\0")
                await asyncio.sleep(0.3)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    async def scenario() -> None:
        app = web.Application()
        app.router.add_get("/clip.mp4", trickle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        settings = _settings(
            tmp_path,
            link_allowed_hosts="127.0.0.1",
            link_timeout_s=15.0,
            link_read_timeout_s=1.5,
            download_slot_grace_s=0.5,
            workers=1,
        )

        async def platform_download(media: MediaRef, folder: Path) -> Path:
            return Path(shutil.copyfile(clip, folder / "trip.mp4"))

        async def fetch(media: MediaRef, folder: Path) -> Path:
            return await fetch_media(media, folder, settings=settings, platform_download=platform_download)

        store = await SessionStore.open(settings.engine_db)
        engine = Engine(settings, store, LocalBackend(settings, executor=pool), fetch_media=fetch)
        try:
            warm = await _all(engine.handle(_upload("W", MediaRef(kind="video", file_id="w"))))
            assert isinstance(warm[-1], Video), warm  # the workers are up: what follows measures no start-up
            link = MediaRef(kind="link", url=f"http://127.0.0.1:{port}/clip.mp4")
            slow = asyncio.ensure_future(_all(engine.handle(Incoming("telegram", "A", "uA", text=link.url))))
            while not engine._running:  # A holds the only worker slot, downloading
                await asyncio.sleep(0.01)
            waiting = asyncio.ensure_future(_all(engine.handle(_upload("B", MediaRef(kind="video", file_id="b")))))
            served = await asyncio.wait_for(waiting, 120)
            assert isinstance(served[-1], Video), served  # the only slot went to the next chat meanwhile
            assert not slow.done(), f"the slow link ended before the next chat was served: {slow.result()[-1]}"
            replies = await asyncio.wait_for(slow, 60)
            told = replies[-1]
            assert isinstance(told, Error) and told.text.startswith(say("link_too_slow")), replies
            assert [j.state.value for j in await store.unfinished_jobs()] == []
            assert list(settings.job_temp_dir.iterdir()) == []  # the partial download went with its job folder
        finally:
            await engine.close()
            await store.close()
            await runner.cleanup()

    asyncio.run(scenario())
