"""The issue's topology as separate processes on loopback: the fake Telegram Bot API (here), ONE bot process
(``musiccog telegram``), two ``musiccog worker`` processes, PostgreSQL with procrastinate, a shared folder.

``MUSICCOG_DATABASE_URL`` is given to every process, so the whole topology shares the one database: the bot's
chat state (sessions, jobs, quotas) and the task queue. What the chat sees is asserted (videos and how often),
and then that the bot's job rows really are in PostgreSQL (read with psycopg) and no SQLite file was made.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from tests.fakes.telegram_api import ApiCall, FakeBotApi
from tests.mediagen import make_clip
from tests.scale.conftest import CliProcess, WorkerProcess, shared_env
from tests.scale.test_telegram_scale import _steps

pytestmark = pytest.mark.timeout(600)


async def _rendering(postgres_url: str, timeout_s: float = 180.0) -> None:
    """Once both clips are analysed and picked (four steps) and a later step runs on a worker."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        rows = await asyncio.to_thread(_steps, postgres_url)
        if len(rows) > 4 and any(status == "doing" for _, status, _ in rows[4:]):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no render ran: {await asyncio.to_thread(_steps, postgres_url)}")


def _chat_jobs(postgres_url: str) -> list[tuple[str, str]]:
    """The chat-state store's job rows (chat, state), oldest first, straight from PostgreSQL."""
    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute("SELECT chat_id, state FROM jobs ORDER BY id").fetchall()
    return [(str(chat), str(state)) for chat, state in rows]


def _to_chat(chat: int) -> Callable[[ApiCall], bool]:
    return lambda call: call.params.get("chat_id") == chat


def test_bot_process_killed_mid_render_delivers_after_its_restart(
    tmp_path: Path,
    data_dir: Path,
    postgres_url: str,
    start_worker: Callable[..., WorkerProcess],
    bots: list[CliProcess],
) -> None:
    shared = shared_env(postgres_url, tmp_path / "shared", data_dir=data_dir)
    for worker in [start_worker(shared), start_worker(shared)]:
        worker.wait_for("worker ready")
    clip = make_clip(tmp_path / "long.mp4", duration_s=20.0, size=(640, 360), cut_times_s=(5.0, 10.0, 15.0))
    chats = [91, 92]

    async def main() -> None:
        async with FakeBotApi() as fake:
            env = {
                **os.environ,
                **shared,
                "TELEGRAM_BOT_TOKEN": fake.token,
                "TELEGRAM_API_BASE_URL": fake.base_url,
                "TELEGRAM_API_FILE_URL": fake.base_file_url,
                "PTB_TIMEDELTA": "1",
                "MUSICCOG_ENGINE_DB_PATH": str(tmp_path / "sessions.sqlite3"),
                "MUSICCOG_TEMP_DIR": str(tmp_path / "bot-tmp"),
                "MUSICCOG_COLLECT_QUIET_S": "0",
                "MUSICCOG_WORKERS": "4",
                "MUSICCOG_PROGRESS_INTERVAL_S": "0.5",
            }
            bots.append(CliProcess(["telegram"], env, tmp_path / "bot.log", append=True))
            await fake.wait_for("getUpdates", timeout=120)
            for chat in chats:
                fake.push_message(chat, chat, video=fake.add_file(clip.read_bytes(), kind="video"), caption="9:16")
            await _rendering(postgres_url)
            await asyncio.to_thread(bots[0].kill)  # the bot dies mid-render; the workers go on
            assert fake.calls_to("sendVideo") == []
            getmes = len(fake.calls_to("getMe"))
            bots.append(CliProcess(["telegram"], env, tmp_path / "bot.log", append=True))
            await fake.wait_for("getMe", lambda _call: len(fake.calls_to("getMe")) > getmes, timeout=120)
            videos = await asyncio.gather(*(fake.wait_for("sendVideo", _to_chat(chat), 300) for chat in chats))
            assert all(call.ok and call.files["video"].data[4:8] == b"ftyp" for call in videos)
            await asyncio.sleep(2.0)  # room for a duplicate to show up
            assert sorted(c.params["chat_id"] for c in fake.calls_to("sendVideo")) == chats  # once each
            oops = [c for c in fake.calls_to("sendMessage") if "on my side" in c.params.get("text", "")]
            assert oops == [], (tmp_path / "bot.log").read_text("utf-8", "replace")[-3000:]
            jobs = await asyncio.to_thread(_chat_jobs, postgres_url)
            assert sorted(jobs) == [(str(chat), "done") for chat in chats]  # the bot's state is in PostgreSQL
            assert not (tmp_path / "sessions.sqlite3").exists()  # not in the SQLite file it would otherwise use

    asyncio.run(main())
