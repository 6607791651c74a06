"""A bot process killed while its render runs on a worker: whether the worker finishes before the bot is back or
after, the restarted bot delivers that render instead of making it again (issue #14). Separate processes on
loopback: the fake Telegram Bot API (here), ``musiccog telegram``, two ``musiccog worker`` processes, PostgreSQL,
a shared folder. The render steps run are counted in the workers' own logs."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from tests.fakes.telegram_api import FakeBotApi
from tests.mediagen import make_clip
from tests.scale.conftest import CliProcess, WorkerProcess, shared_env

pytestmark = pytest.mark.timeout(600)

_RENDER_RAN = re.compile(r"job (\d+): running render_task")


def _renders(workers: list[WorkerProcess]) -> list[int]:
    """The render steps the workers ran, by step id (every run of every worker)."""
    return [int(found) for worker in workers for found in _RENDER_RAN.findall(worker.text())]


def _status(postgres_url: str, step: int) -> str:
    with psycopg.connect(postgres_url) as connection:
        row = connection.execute("SELECT status::text FROM procrastinate_jobs WHERE id = %s", (step,)).fetchone()
    return str(row[0]) if row else "missing"


def _chat_jobs(postgres_url: str) -> list[tuple[str, str, int]]:
    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute("SELECT chat_id, state, attempts FROM jobs ORDER BY id").fetchall()
    return [(str(chat), str(state), int(attempts)) for chat, state, attempts in rows]


async def _until(check: Callable[[], bool], what: str, timeout_s: float = 180.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await asyncio.to_thread(check):
        assert loop.time() < deadline, what
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("meanwhile", ["finished", "still-running"])
def test_a_render_started_before_the_bot_died_is_delivered_not_made_again(
    meanwhile: str,
    tmp_path: Path,
    data_dir: Path,
    postgres_url: str,
    start_worker: Callable[..., WorkerProcess],
    bots: list[CliProcess],
) -> None:
    # a worker held still (below) must not be taken for dead meanwhile
    stalled_s = 4.0 if meanwhile == "finished" else 600.0
    shared = shared_env(postgres_url, tmp_path / "shared", data_dir=data_dir, stalled_s=stalled_s)
    workers = [start_worker(shared), start_worker(shared)]
    for worker in workers:
        worker.wait_for("worker ready")
    clip = make_clip(tmp_path / "long.mp4", duration_s=20.0, size=(640, 360), cut_times_s=(5.0, 10.0, 15.0))
    chat = 93

    async def main() -> None:
        async with FakeBotApi() as fake:
            env = {
                **os.environ,
                **shared,
                "TELEGRAM_BOT_TOKEN": fake.token,
                "TELEGRAM_API_BASE_URL": fake.base_url,
                "TELEGRAM_API_FILE_URL": fake.base_file_url,
                "PTB_TIMEDELTA": "1",
                "MUSICCOG_TEMP_DIR": str(tmp_path / "bot-tmp"),
                "MUSICCOG_COLLECT_QUIET_S": "0",
                "MUSICCOG_PROGRESS_INTERVAL_S": "0.5",
            }
            bots.append(CliProcess(["telegram"], env, tmp_path / "bot.log", append=True))
            await fake.wait_for("getUpdates", timeout=120)
            fake.push_message(chat, chat, video=fake.add_file(clip.read_bytes(), kind="video"), caption="9:16")
            await _until(lambda: bool(_renders(workers)), "no render step ran")
            [step] = _renders(workers)
            rendering = next(worker for worker in workers if f"job {step}: running render_task" in worker.text())
            if meanwhile != "finished":  # the render's worker (its FFmpeg too) held still until the bot is back
                os.killpg(rendering.process.pid, signal.SIGSTOP)
            await asyncio.to_thread(bots[0].kill)  # the bot dies mid-render; the worker goes on
            if meanwhile == "finished":
                await _until(lambda: _status(postgres_url, step) == "succeeded", f"render step {step} never finished")
            assert fake.calls_to("sendVideo") == []
            bots.append(CliProcess(["telegram"], env, tmp_path / "bot.log", append=True))  # the bot again
            if meanwhile != "finished":
                try:
                    await _until(lambda: "following it" in bots[1].text(), "the restarted bot did not follow the step")
                finally:
                    os.killpg(rendering.process.pid, signal.SIGCONT)
            video = await fake.wait_for("sendVideo", lambda call: call.params.get("chat_id") == chat, 300)
            assert video.ok and video.files["video"].data[4:8] == b"ftyp"
            await asyncio.sleep(2.0)  # room for a duplicate to show up
            assert [c.params["chat_id"] for c in fake.calls_to("sendVideo")] == [chat]  # delivered once
            assert await asyncio.to_thread(_chat_jobs, postgres_url) == [(str(chat), "done", 2)]  # the re-run

    asyncio.run(main())
    log = (tmp_path / "bot.log").read_text("utf-8", "replace")
    assert len(_renders(workers)) == 1, log[-3000:]  # the render was made once, on one worker
    assert "its result is taken, not made again" in log
    assert not any((tmp_path / "shared" / "steps").iterdir())  # the reused step's objects are gone too
