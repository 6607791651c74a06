"""The Telegram adapter across restarts and flood control: PTB's real Application against the fake Bot API on
127.0.0.1, the real engine, the real local backend (a shared spawn pool) and a real SQLite file that outlives
one application and is picked up by the next."""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram import teardown
from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.engine.jobs import JobKind, JobPayload
from bot.engine.messages import MediaRef
from bot.media.library import load_library
from bot.sessions import INTERRUPTED, SessionStore
from tests.adapters.telegram_bot import bot_settings, running_bot, text_in, to_chat
from tests.fakes.telegram_api import FakeBotApi

App = Any


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's shared data dir (see ``tests/conftest.py``), its music library indexed once up front so the
    jobs below take seconds and a job cut short by a "restart" is not the one paying for the index."""
    path = tmp_path_factory.getbasetemp() / "musiccog-data"
    load_library(Settings(data_dir=path))
    return path


def make_settings(fake: FakeBotApi, tmp_path: Path, data_dir: Path, **overrides: Any) -> Settings:
    # one clip per chat here: each starts at once (a set's quiet wait is not under test)
    return bot_settings(fake, tmp_path, data_dir=data_dir, collect_quiet_s=0.0, **overrides)


def jobs(db: Path) -> list[tuple[str, str, int, str | None]]:
    """(chat, state, attempts, error) of every job row, oldest first, read straight from the file."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT chat_id, state, attempts, error FROM jobs ORDER BY id").fetchall()
    conn.close()
    return [(str(chat), state, attempts, error) for chat, state, attempts, error in rows]


async def jobs_settled(db: Path, timeout_s: float) -> list[tuple[str, str, int, str | None]]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        rows = jobs(db)
        if rows and all(state in ("done", "failed") for _, state, _, _ in rows):
            return rows
        if loop.time() > deadline:
            raise AssertionError(f"jobs still unfinished: {rows}")
        await asyncio.sleep(0.1)


def no_oops(fake: FakeBotApi) -> None:
    oops = [c.params for c in fake.calls_to("sendMessage") if "on my side" in c.params.get("text", "")]
    assert oops == [], oops


def test_restart_with_a_running_and_a_queued_job_delivers_both_once(
    tmp_path: Path, pool: ProcessPoolExecutor, data_dir: Path, clip: bytes
) -> None:
    """A's job runs and B's waits when the application stops; the next application on the same database
    reruns A (attempt 2) and runs B, and both videos reach their chats through the engine's notify path."""
    a, b = 31, 32

    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = make_settings(fake, tmp_path, data_dir, workers=1)
            db = settings.engine_db

            async with running_bot(settings, LocalBackend(settings, executor=pool)) as app:
                fake.push_message(a, a, video=fake.add_file(clip, kind="video"), caption="calm")
                await fake.wait_for("sendMessage", text_in(a, "Got it"), timeout=30)  # A's job is running
                fake.push_message(b, b, video=fake.add_file(clip, kind="video"), caption="upbeat")
                await fake.wait_for("sendMessage", text_in(b, "#1 in line"), timeout=60)
                # The operator stops the bot before either finishes, the way PTB stops: no more updates, then
                # ``stop()``, which closes the engine first (A's job is cancelled and stays running, B's stays
                # queued) instead of waiting for both videos; both chats are told the bot is restarting.
                await app.updater.stop()
                await asyncio.wait_for(app.stop(), 15)
                await teardown(app)
                assert jobs(db) == [(str(a), "running", 1, None), (str(b), "queued", 0, None)]
                for chat in (a, b):
                    await fake.wait_for("sendMessage", text_in(chat, "restarting"), 5)
                await fake.wait_for("deleteMessage", to_chat(a), 5)  # A's status message removed
            assert fake.calls_to("sendVideo") == []

            async with running_bot(
                settings, LocalBackend(settings, executor=pool)
            ):  # a new application, same settings, same database
                videos = await asyncio.gather(*(fake.wait_for("sendVideo", to_chat(chat), 60) for chat in (a, b)))
                assert all(call.ok and "BPM" in call.params["caption"] for call in videos)
                assert all(call.files["video"].data[4:8] == b"ftyp" for call in videos)
                rows = await jobs_settled(db, 10)
                await asyncio.sleep(0.5)  # room for a duplicate to show up
            assert rows == [(str(a), "done", 2, None), (str(b), "done", 1, None)]
            sent = [c.params["chat_id"] for c in fake.calls_to("sendVideo")]
            assert sorted(sent) == [a, b]  # no duplicate, none lost
            assert not [c for c in fake.calls_to("sendMessage") if "restarted" in c.params.get("text", "")]
            no_oops(fake)

    asyncio.run(main())


def test_a_job_interrupted_twice_is_given_up_and_its_user_told(
    tmp_path: Path, pool: ProcessPoolExecutor, data_dir: Path
) -> None:
    """A job left ``running`` after its second attempt is not run a third time: at start-up its user gets one
    sentence saying the bot restarted and asking to send the video again, with an error id."""
    chat = 41

    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = make_settings(fake, tmp_path, data_dir)
            payload = JobPayload(kind=JobKind.UPLOAD, text="calm", media=MediaRef(kind="video", file_id="FAKE"))
            async with await SessionStore.open(settings.engine_db) as store:
                session = await store.new_session("telegram", str(chat), "local")
                job = await store.enqueue(session.id, str(chat), JobKind.UPLOAD.value, payload.to_json())
                assert (await store.claim_next()).attempts == 1  # type: ignore[union-attr]
                assert [j.id for j in (await store.recover_interrupted()).requeued] == [job.id]  # first restart
                assert (await store.claim_next()).attempts == 2  # type: ignore[union-attr]
            assert jobs(settings.engine_db) == [(str(chat), "running", 2, None)]  # died again mid-run
            fake.add_chat(chat)

            async with running_bot(settings, LocalBackend(settings, executor=pool)):
                told = await fake.wait_for("sendMessage", to_chat(chat), timeout=60)
                await asyncio.sleep(0.5)
            text = told.params["text"]
            assert "restarted" in text and "send it again" in text and "(error " in text, text
            assert [c.params["chat_id"] for c in fake.calls_to("sendMessage")] == [chat]  # told once
            assert jobs(settings.engine_db) == [(str(chat), "failed", 2, INTERRUPTED)]
            assert fake.calls_to("getFile") == [] and fake.calls_to("sendVideo") == []  # not run a third time

    asyncio.run(main())


def test_flood_control_waits_and_retries(
    tmp_path: Path, pool: ProcessPoolExecutor, data_dir: Path, clip: bytes
) -> None:
    """A 429 "retry after 1" on sendMessage and on sendVideo: PTB's AIORateLimiter waits and sends again, so
    the user still gets the status message and the video."""
    chat = 51

    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = make_settings(fake, tmp_path, data_dir)
            async with running_bot(settings, LocalBackend(settings, executor=pool)):
                fake.fail_next("sendMessage", error_code=429, retry_after=1)
                fake.fail_next("sendVideo", error_code=429, retry_after=1)
                fake.push_message(chat, chat, video=fake.add_file(clip, kind="video"), caption="calm")
                video = await fake.wait_for("sendVideo", lambda c: to_chat(chat)(c) and c.ok, 60)
                assert "BPM" in video.params["caption"] and video.files["video"].data[4:8] == b"ftyp"
            messages = [c for c in fake.calls_to("sendMessage") if to_chat(chat)(c)]
            assert not messages[0].ok and "retry after 1" in (messages[0].error or "")
            assert messages[1].ok and messages[1].params["text"] == messages[0].params["text"]  # the same, again
            videos = [c for c in fake.calls_to("sendVideo") if to_chat(chat)(c)]
            assert [c.ok for c in videos] == [False, True]
            assert videos[0].params["caption"] == videos[1].params["caption"]
            assert videos[0].files["video"].data == videos[1].files["video"].data  # re-sent in full
            no_oops(fake)

    asyncio.run(main())
