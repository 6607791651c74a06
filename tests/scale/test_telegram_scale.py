"""The whole topology on loopback: the fake Telegram Bot API, the bot (PTB's real application and the real
engine, in this process), two ``musiccog worker`` processes, PostgreSQL with procrastinate, shared storage.

One PostgreSQL database holds it all, as an operator runs it: the bot's chat state (``database_url``: sessions,
jobs, quotas) and the task queue (procrastinate's tables). The job rows are read back through the store. The
bot's restart is the application stopped and a new one started on the same database and files, as
``tests/adapters/test_telegram_restart.py`` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from adapters.telegram import teardown
from bot.backends.factory import make_backend
from bot.config import Settings
from bot.sessions import SessionStore
from tests.adapters.telegram_bot import bot_settings, running_bot, text_in, to_chat
from tests.fakes.telegram_api import FakeBotApi
from tests.mediagen import make_clip
from tests.scale.conftest import WorkerProcess, shared_env

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("clips")
    short = make_clip(folder / "short.mp4", duration_s=2.0, size=(160, 90), cut_times_s=(1.0,))
    long = make_clip(folder / "long.mp4", duration_s=20.0, size=(640, 360), cut_times_s=(5.0, 10.0, 15.0))
    return {"short": short.read_bytes(), "long": long.read_bytes()}


def _settings(fake: FakeBotApi, tmp_path: Path, data_dir: Path, postgres_url: str, **overrides: Any) -> Settings:
    return bot_settings(
        fake,
        tmp_path,
        data_dir=data_dir,
        collect_quiet_s=0.0,
        workers=4,  # jobs the bot runs at once: here they only wait on the workers
        storage=str(tmp_path / "shared"),
        database_url=postgres_url,  # the chat state, and (by default) the task queue too
        worker_heartbeat_s=1.0,
        worker_stalled_s=4.0,
        **overrides,
    )


def _workers(
    start_worker: Callable[..., WorkerProcess], data_dir: Path, postgres_url: str, tmp_path: Path, count: int
) -> list[WorkerProcess]:
    env = shared_env(postgres_url, tmp_path / "shared", data_dir=data_dir)
    workers = [start_worker(env) for _ in range(count)]
    for worker in workers:
        worker.wait_for("worker ready")
    return workers


def _steps(postgres_url: str) -> list[tuple[int, str, int | None]]:
    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute("SELECT id, status::text, worker_id FROM procrastinate_jobs ORDER BY id").fetchall()
    return [(int(r[0]), str(r[1]), r[2]) for r in rows]


async def _render_step_running(postgres_url: str, timeout_s: float = 120.0) -> int:
    """The id of the third step (analyse, match, render) once it runs on a worker."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        rows = await asyncio.to_thread(_steps, postgres_url)
        if len(rows) >= 3 and rows[2][1] == "doing":
            return rows[2][0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"the render step never ran: {await asyncio.to_thread(_steps, postgres_url)}")


async def _jobs(settings: Settings, chat: int) -> list[tuple[str, str, int]]:
    """The chat's jobs, oldest first, read through the chat-state store (PostgreSQL here, not the SQLite file)."""
    assert settings.sessions_database == settings.state_database_url and not settings.engine_db.exists()
    async with await SessionStore.open(settings.sessions_database) as store:
        sessions = await store.chat_sessions("telegram", str(chat))
        jobs = [job for session in sessions for job in await store.session_jobs(session.id)]
    return [(job.chat_id, str(job.state), job.attempts) for job in sorted(jobs, key=lambda job: job.id)]


def test_four_chats_at_once_get_four_videos_from_two_workers(
    tmp_path: Path,
    data_dir: Path,
    postgres_url: str,
    clips: dict[str, bytes],
    start_worker: Callable[..., WorkerProcess],
) -> None:
    workers = _workers(start_worker, data_dir, postgres_url, tmp_path, 2)
    chats = [61, 62, 63, 64]

    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = _settings(fake, tmp_path, data_dir, postgres_url)
            async with running_bot(settings, make_backend(settings)):
                for chat in chats:
                    fake.push_message(chat, chat, video=fake.add_file(clips["short"], kind="video"), caption="calm")
                videos = await asyncio.gather(*(fake.wait_for("sendVideo", to_chat(chat), 240) for chat in chats))
                assert all(call.ok and "BPM" in call.params["caption"] for call in videos)
                assert all(call.files["video"].data[4:8] == b"ftyp" for call in videos)
                await asyncio.sleep(0.5)  # room for a duplicate to show up
            assert sorted(c.params["chat_id"] for c in fake.calls_to("sendVideo")) == chats  # once each
            assert not [c for c in fake.calls_to("sendMessage") if "on my side" in c.params.get("text", "")]
            for chat in chats:  # the state lives in PostgreSQL, beside the queue
                assert await _jobs(settings, chat) == [(str(chat), "done", 1)]

    asyncio.run(main())
    steps = _steps(postgres_url)
    assert len(steps) == 12 and all(status == "succeeded" for _, status, _ in steps)
    assert len({worker_id for *_, worker_id in steps}) == 2  # the work spread over both workers
    assert all("step done" in worker.text() for worker in workers)


def test_a_bot_restarted_mid_render_still_delivers_once(
    tmp_path: Path,
    data_dir: Path,
    postgres_url: str,
    clips: dict[str, bytes],
    start_worker: Callable[..., WorkerProcess],
) -> None:
    _workers(start_worker, data_dir, postgres_url, tmp_path, 2)
    chat = 71

    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = _settings(fake, tmp_path, data_dir, postgres_url)
            async with running_bot(settings, make_backend(settings)) as app:
                fake.push_message(chat, chat, video=fake.add_file(clips["long"], kind="video"), caption="calm, 9:16")
                await _render_step_running(postgres_url)
                await app.updater.stop()
                await asyncio.wait_for(app.stop(), 30)
                await teardown(app)
                await fake.wait_for("sendMessage", text_in(chat, "restarting"), 10)
            assert fake.calls_to("sendVideo") == []
            async with running_bot(settings, make_backend(settings)):  # the bot again, same files
                video = await fake.wait_for("sendVideo", to_chat(chat), 240)
                assert video.ok and video.files["video"].data[4:8] == b"ftyp"
                await asyncio.sleep(1.0)
            assert [c.params["chat_id"] for c in fake.calls_to("sendVideo")] == [chat]  # once
            assert await _jobs(settings, chat) == [(str(chat), "done", 2)]

    asyncio.run(main())


def test_cancel_stops_the_render_on_its_worker(
    tmp_path: Path,
    data_dir: Path,
    postgres_url: str,
    clips: dict[str, bytes],
    start_worker: Callable[..., WorkerProcess],
) -> None:
    workers = _workers(start_worker, data_dir, postgres_url, tmp_path, 2)
    chat = 81

    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = _settings(fake, tmp_path, data_dir, postgres_url)
            async with running_bot(settings, make_backend(settings)):
                fake.push_message(chat, chat, video=fake.add_file(clips["long"], kind="video"), caption="calm, 9:16")
                step = await _render_step_running(postgres_url)
                await asyncio.sleep(1.0)  # FFmpeg is encoding on the worker now
                fake.push_message(chat, chat, "/cancel")
                await fake.wait_for("sendMessage", text_in(chat, "stopped making"), 30)
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 30
                while dict((i, s) for i, s, _ in await asyncio.to_thread(_steps, postgres_url))[step] == "doing":
                    assert loop.time() < deadline, "the step still runs on its worker"
                    await asyncio.sleep(0.1)
            assert fake.calls_to("sendVideo") == []
            statuses = dict((i, s) for i, s, _ in _steps(postgres_url))
            assert statuses[step] == "aborted"

    asyncio.run(main())
    assert any("cancelled; stopping it" in worker.text() for worker in workers)
    assert not any((tmp_path / "shared" / "steps").iterdir())
