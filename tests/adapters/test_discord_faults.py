"""Discord's side of #15's crash leftovers: a status reply a dead process left ("Mixing… 50%"), known from the
job row, is deleted by the next start — discord.py's real client against the fake Discord on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from adapters.discord import MusicBot
from bot.config import Settings
from bot.engine.jobs import JobKind, JobPayload
from bot.engine.messages import MediaRef
from bot.sessions import SessionStore
from tests.adapters.test_discord import _restore_endpoints, run  # noqa: F401  (its fixture puts discord.py back)
from tests.fakes.discord_api import FakeDiscord

CHANNEL, USER, STATUS = 4242, 77, 98765


def test_a_status_reply_left_by_a_dead_process_is_deleted_at_the_next_start(
    tmp_path: Path, pool: ProcessPoolExecutor
) -> None:
    async def previous_process() -> None:
        """A job whose status reply was showing when the process died (its row noted the message)."""
        async with await SessionStore.open(tmp_path / "sessions.sqlite3") as store:
            chat = f"{CHANNEL}:{USER}"
            session = await store.new_session("discord", chat, "local")
            payload = JobPayload(JobKind.UPLOAD, "calm", MediaRef(kind="video", file_id="gone"))
            job = await store.enqueue(session.id, str(USER), JobKind.UPLOAD.value, payload.to_json())
            await store.claim_next()
            await store.note_status("discord", chat, str(STATUS))
            await store.complete_job(job.id)  # finished, but its status was never removed

    asyncio.run(previous_process())

    async def scenario(fake: FakeDiscord, client: MusicBot, settings: Settings) -> None:
        deleted = await fake.wait_for("delete_message", lambda c: c.path.get("message") == str(STATUS), timeout=20)
        assert deleted.path["channel"] == str(CHANNEL)

    run(scenario, tmp_path, pool)
    with sqlite3.connect(tmp_path / "sessions.sqlite3") as conn:
        left = conn.execute("SELECT status_ref FROM job_deliveries WHERE status_ref IS NOT NULL").fetchall()
    conn.close()
    assert left == []
