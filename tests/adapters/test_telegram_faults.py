"""Faults a public Telegram bot meets (#15), end to end: PTB's real Application against the fake Bot API on
127.0.0.1, the real engine and local backend, a real SQLite file that outlives one application — and, for
the crash, a real bot process killed with SIGKILL.

- the Bot API down (502 for every method, polling included) just as a render finishes: the result is
  delivered exactly once after the outage, also when the bot is restarted in the middle of it;
- a bot killed mid-render leaves its "Mixing… 50%" status: the next process deletes it;
- a batch ("each separately") interrupted by a restart carries on from its first undelivered item;
- a set still being collected (items received, nothing asked yet) survives a restart.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram import teardown
from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.media.library import load_library
from tests.adapters.telegram_bot import bot_settings, running_bot, text_in, to_chat
from tests.fakes.loopback import UploadedFile
from tests.fakes.telegram_api import ApiCall, ApiError, FakeBotApi

REPO = Path(__file__).resolve().parents[2]


class OutageBotApi(FakeBotApi):
    """The fake Bot API that can go down: while :attr:`down`, every method (``getUpdates`` too) answers
    ``502 Bad Gateway`` the way Telegram's front end does when the API is unavailable."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.refused: list[str] = []

    async def _dispatch(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if self.down:
            self.refused.append(method)
            raise ApiError(502, "Bad Gateway")
        return await super()._dispatch(method, params, files)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's shared data dir, its library indexed once up front (jobs here take seconds)."""
    path = tmp_path_factory.getbasetemp() / "musiccog-data"
    load_library(Settings(data_dir=path))
    return path


def make_settings(fake: FakeBotApi, tmp_path: Path, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "collect_quiet_s": 0.0,
        "delivery_retry_first_s": 0.5,
        "delivery_retry_max_s": 2.0,
        **overrides,
    }
    return bot_settings(fake, tmp_path, **values)


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        found = conn.execute(sql).fetchall()
    conn.close()
    return found


async def until(condition: Any, timeout_s: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        await asyncio.sleep(0.05)


def videos_to(fake: FakeBotApi, chat: int) -> list[ApiCall]:
    """The videos the chat received (calls the outage refused are in the fake's log too, not ok)."""
    return [c for c in fake.calls_to("sendVideo") if to_chat(chat)(c) and c.ok]


def no_oops(fake: FakeBotApi) -> None:
    oops = [c.params for c in fake.calls_to("sendMessage") if "on my side" in c.params.get("text", "")]
    assert oops == [], oops


def test_a_result_refused_during_an_api_outage_is_delivered_once_after_it(
    tmp_path: Path, pool: ProcessPoolExecutor, data_dir: Path, clip: bytes
) -> None:
    """The API goes down as the job starts and stays down until it has refused the result and a moment more:
    polling resumes afterwards, the video arrives exactly once, and the user is not apologised to."""
    chat = 61

    async def main() -> None:
        async with OutageBotApi() as fake:
            settings = make_settings(fake, tmp_path, data_dir)
            async with running_bot(settings, LocalBackend(settings, executor=pool)):
                fake.push_message(chat, chat, video=fake.add_file(clip, kind="video"), caption="calm")
                await fake.wait_for("sendMessage", text_in(chat, "Got it"), timeout=30)
                fake.down = True
                await until(lambda: "sendVideo" in fake.refused, 60, "the result refused by the 502")
                await asyncio.sleep(3.0)  # down a while longer: retries meet the 502 too
                fake.down = False
                video = await fake.wait_for("sendVideo", lambda c: to_chat(chat)(c) and c.ok, 30)
                assert "BPM" in video.params["caption"] and video.files["video"].data[4:8] == b"ftyp"
                fake.push_message(chat, chat, "status")  # polling resumed after the outage
                await fake.wait_for("sendMessage", lambda c: to_chat(chat)(c) and c.ok, timeout=30)
                await asyncio.sleep(1.5)  # room for a duplicate to show up
            assert len(videos_to(fake, chat)) == 1  # exactly once
            assert not [c for c in fake.calls_to("sendMessage") if c.ok and "restart" in c.params.get("text", "")]
            db = settings.engine_db
            assert rows(db, "SELECT state FROM jobs") == [("done",)]
            assert rows(db, "SELECT state, reply_json FROM job_deliveries") == [("delivered", None)]
            no_oops(fake)

    asyncio.run(main())


def test_an_outage_across_a_restart_still_delivers_the_result_once(
    tmp_path: Path, pool: ProcessPoolExecutor, data_dir: Path, clip: bytes
) -> None:
    """The result is refused, the bot is stopped while the API is still down, and the next process (after
    the outage) delivers it from the job row: once."""
    chat = 62

    async def main() -> None:
        async with OutageBotApi() as fake:
            settings = make_settings(fake, tmp_path, data_dir)
            db = settings.engine_db
            async with running_bot(settings, LocalBackend(settings, executor=pool)) as app:
                fake.push_message(chat, chat, video=fake.add_file(clip, kind="video"), caption="upbeat")
                await fake.wait_for("sendMessage", text_in(chat, "Got it"), timeout=30)
                fake.down = True
                await until(lambda: "sendVideo" in fake.refused, 60, "the result refused by the 502")
                await until(lambda: rows(db, "SELECT state FROM job_deliveries") == [("pending",)], 10, "pending")
                await app.updater.stop()
                await asyncio.wait_for(app.stop(), 15)
                await teardown(app)
            assert videos_to(fake, chat) == []
            fake.down = False
            async with running_bot(settings, LocalBackend(settings, executor=pool)):
                video = await fake.wait_for("sendVideo", lambda c: to_chat(chat)(c) and c.ok, 30)
                assert "BPM" in video.params["caption"]
                await asyncio.sleep(1.5)
            assert len(videos_to(fake, chat)) == 1
            assert rows(db, "SELECT state FROM jobs") == [("done",)]
            assert rows(db, "SELECT state FROM job_deliveries") == [("delivered",)]

    asyncio.run(main())


def _bot_process(fake: FakeBotApi, settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """``musiccog telegram`` in its own process group, configured by environment like an operator would."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_API_FILE_URL": fake.base_file_url,
        "MUSICCOG_DATA_DIR": str(settings.data_dir),
        "MUSICCOG_ENGINE_DB_PATH": str(settings.engine_db),
        "MUSICCOG_TEMP_DIR": str(settings.job_temp_dir),
        "MUSICCOG_WORKERS": "1",
        "MUSICCOG_PROGRESS_INTERVAL_S": "0.5",
        "MUSICCOG_COLLECT_QUIET_S": "0",
        "PTB_TIMEDELTA": "1",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "telegram"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def test_a_status_message_left_by_a_killed_bot_is_deleted_by_the_next(
    tmp_path: Path, pool: ProcessPoolExecutor, data_dir: Path, clip: bytes
) -> None:
    """kill -9 while the status message shows: the restarted bot deletes that message (known from the job
    row), reruns the job and delivers its video once."""
    chat = 63

    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = make_settings(fake, tmp_path, data_dir, workers=1)
            db = settings.engine_db
            bot = _bot_process(fake, settings, tmp_path / "bot.log")
            try:
                try:
                    await fake.wait_for("setMyCommands", timeout=180)  # a process starting on a busy machine
                except TimeoutError:
                    raise AssertionError((tmp_path / "bot.log").read_text()[-3000:]) from None
                fake.push_message(chat, chat, video=fake.add_file(clip, kind="video"), caption="calm")
                status = await fake.wait_for("sendMessage", text_in(chat, "Got it"), timeout=120)
                noted = f"SELECT status_ref FROM job_deliveries WHERE status_ref = '{status.result['message_id']}'"
                await until(lambda: db.exists() and rows(db, noted), 30, "the status message noted in the job row")
            finally:
                os.killpg(bot.pid, signal.SIGKILL)
                await asyncio.to_thread(bot.wait, 30)
            assert (chat, status.result["message_id"]) in fake.messages  # the stale status, still in the chat
            assert rows(db, "SELECT state FROM jobs") == [("running",)]

            async with running_bot(settings, LocalBackend(settings, executor=pool)):
                stale = status.result["message_id"]
                deleted = await fake.wait_for(
                    "deleteMessage", lambda c: to_chat(chat)(c) and c.params["message_id"] == stale
                )
                assert deleted.ok
                video = await fake.wait_for("sendVideo", to_chat(chat), 60)
                assert video.ok and "BPM" in video.params["caption"]
                await asyncio.sleep(1.0)
            assert (chat, status.result["message_id"]) not in fake.messages
            assert len(videos_to(fake, chat)) == 1
            assert rows(db, "SELECT state, attempts FROM jobs") == [("done", 2)]
            assert rows(db, "SELECT status_ref FROM job_deliveries WHERE status_ref IS NOT NULL") == []

    asyncio.run(main())


def test_a_batch_interrupted_by_a_restart_carries_on_from_its_first_undelivered_item(
    tmp_path: Path, pool: ProcessPoolExecutor, data_dir: Path, clip: bytes
) -> None:
    """Three clips "each separately"; the bot stops after the first video: the next process sends "2 of 3"
    and "3 of 3" only — no item twice."""
    chat = 64

    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = make_settings(fake, tmp_path, data_dir, workers=1, collect_quiet_s=0.5, album_wait_s=0.5)
            db = settings.engine_db
            async with running_bot(settings, LocalBackend(settings, executor=pool)) as app:
                for n in range(3):
                    file_id = fake.add_file(clip, file_name=f"day{n + 1}.mp4", kind="video")
                    caption = "each separately" if n == 0 else None
                    fake.push_message(chat, chat, video=file_id, media_group_id="batch", caption=caption)
                first = await fake.wait_for("sendVideo", to_chat(chat), 90)
                assert first.params["caption"].splitlines()[0] == "1 of 3"
                await until(lambda: rows(db, "SELECT items_done FROM job_deliveries") == [(1,)], 30, "item 1 kept")
                await app.updater.stop()
                await asyncio.wait_for(app.stop(), 15)
                await teardown(app)
            assert rows(db, "SELECT state FROM jobs") == [("running",)]
            async with running_bot(settings, LocalBackend(settings, executor=pool)):
                for _ in range(2):
                    await fake.wait_for("sendVideo", to_chat(chat), 90)
                await until(lambda: rows(db, "SELECT state FROM jobs") == [("done",)], 30, "the batch done")
                await asyncio.sleep(1.0)
            places = [c.params["caption"].splitlines()[0] for c in videos_to(fake, chat)]
            assert places == ["1 of 3", "2 of 3", "3 of 3"], places
            no_oops(fake)

    asyncio.run(main())


def test_a_set_still_being_collected_survives_a_restart(
    tmp_path: Path, pool: ProcessPoolExecutor, data_dir: Path, clip: bytes
) -> None:
    """Two clips sent, the bot stopped before the chat's quiet time is over: the next process still has both
    and asks what to make of them; the answer makes them."""
    chat = 65

    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = make_settings(fake, tmp_path, data_dir, collect_quiet_s=4.0)
            db = settings.engine_db
            async with running_bot(settings, LocalBackend(settings, executor=pool)) as app:
                for n in range(2):
                    fake.push_message(chat, chat, video=fake.add_file(clip, file_name=f"clip{n + 1}.mp4", kind="video"))
                await fake.wait_for("sendMessage", text_in(chat, "Got 2 items"), timeout=30)
                await app.updater.stop()
                await asyncio.wait_for(app.stop(), 15)
                await teardown(app)
            assert len(rows(db, "SELECT seq FROM collecting_items")) == 2
            assert rows(db, "SELECT id FROM jobs") == []
            quick = make_settings(fake, tmp_path, data_dir, collect_quiet_s=0.5)
            async with running_bot(quick, LocalBackend(quick, executor=pool)):
                question = await fake.wait_for("sendMessage", text_in(chat, "One film of them all"), timeout=30)
                assert question.params["text"] == "I have 2 videos. One film of them all, or each one separately?"
                assert rows(db, "SELECT seq FROM collecting_items") == []
                fake.push_callback_query(chat, chat, question.result["message_id"], "mc:set:each")
                for _ in range(2):
                    await fake.wait_for("sendVideo", to_chat(chat), 90)
            places = [c.params["caption"].splitlines()[0] for c in videos_to(fake, chat)]
            assert places == ["1 of 2", "2 of 2"], places
            no_oops(fake)

    asyncio.run(main())
