"""Our sessions and NemoVideo's: open one, find ours again, read its draft, reopen it when the cloud forgot.

One of our session ids stays the same for the whole chat; the Nemo task and session behind it are
replaced in place when NemoVideo answers 1002 (:meth:`CloudSessions.reopen`). Records are kept on disk
by :class:`~bot.backends.nemo.store.SessionStore`; every file operation runs in a thread.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.backends.nemo.client import NemoClient
from bot.backends.nemo.draft import NemoDraft
from bot.backends.nemo.envelope import unwrap
from bot.backends.nemo.store import SessionRecord, SessionStore
from bot.errors import BackendUnavailable, InputRejected

__all__ = ["TASK_NAME", "CloudSessions"]

logger = logging.getLogger(__name__)

TASK_NAME = "Best Music Cog"


def _nemo_language(language: str) -> str:
    return "zh-CN" if language.startswith("zh") else (language or "en")


class CloudSessions:
    """The session records of one backend, each tied to a live Nemo task and session."""

    def __init__(self, client: NemoClient, store: SessionStore) -> None:
        self._client = client
        self._store = store

    async def open(self, *, platform: str, language: str) -> SessionRecord:
        """A new Nemo session and our record of it."""
        task_id, nemo_session = await self._new_nemo_session(platform, language)
        record = SessionRecord(
            id=self._store.new_id(), task_id=task_id, nemo_session_id=nemo_session, platform=platform, language=language
        )
        await self.save(record)
        logger.info("nemo session %s opened (platform %s)", record.id, platform)
        return record

    async def reopen(self, record: SessionRecord) -> None:
        """After a 1002: a new Nemo session under the same id of ours; the old snapshot and render are dropped."""
        record.task_id, record.nemo_session_id = await self._new_nemo_session(record.platform, record.language)
        record.snapshot = None
        record.last_render = None
        await self.save(record)
        logger.info("nemo session %s: cloud session was gone; opened a new one", record.id)

    async def record(self, session_id: str) -> SessionRecord:
        """Our record of ``session_id``; ``InputRejected`` if we have none (the user should start again)."""
        record = await self.load(session_id)
        if record is None:
            raise InputRejected("nemo_draft_lost")
        return record

    async def load(self, session_id: str) -> SessionRecord | None:
        """Our record of ``session_id``, or None."""
        return await asyncio.to_thread(self._store.load, session_id)

    async def save(self, record: SessionRecord) -> None:
        await asyncio.to_thread(self._store.save, record)

    async def delete(self, session_id: str) -> bool:
        """Forget a session: its record and its folder. False when there was nothing to forget."""
        return await asyncio.to_thread(self._store.delete, session_id)

    def folder(self, session_id: str) -> Path:
        """The session's own folder (downloaded renders)."""
        return self._store.folder(session_id)

    async def read_state(self, record: SessionRecord) -> NemoDraft:
        """The draft now (kept as the record's snapshot); ``SessionNotFound`` if the session is gone."""
        body = await self._client.call(
            "GET", f"/api/state/nemo_agent/me/{record.nemo_session_id}/latest", platform=record.platform
        )
        draft = NemoDraft.from_payload(unwrap(body))
        record.snapshot = dict(draft.state)
        await self.save(record)
        return draft

    async def _new_nemo_session(self, platform: str, language: str) -> tuple[str, str]:
        body = await self._client.call(
            "POST",
            "/api/tasks/me/with-session/nemo_agent",
            platform=platform,
            json_body={"task_name": TASK_NAME, "language": _nemo_language(language)},
            safe=False,
        )
        data = unwrap(body)
        if not data.get("task_id") or not data.get("session_id"):
            raise BackendUnavailable("NemoVideo created no session")
        return str(data["task_id"]), str(data["session_id"])
