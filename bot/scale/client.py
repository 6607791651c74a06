"""The bot's side of scale-out mode: a step of the local backend sent to the queue instead of the local pool.

For each step: its arguments are packed (paths made relative to the session folder), the files they name
are put in storage under a fresh unguessable prefix with the call, one procrastinate job carrying only that
prefix is queued, and its status is watched. When it succeeds the result is read from storage, the files
the step made (a render) are fetched into the session folder, and the prefix is deleted — whatever
happened, so storage keeps nothing of a finished step. Cancelling the waiting coroutine (``/cancel``)
asks procrastinate to abort the job, which stops the step on the worker that runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from procrastinate import App

from bot.config import Settings
from bot.errors import RenderFailed
from bot.scale.parcel import pack, safe_relative, unpack
from bot.scale.queue import (
    DATABASE_ERRORS,
    MAX_ATTEMPTS,
    QUEUE,
    TASK_NAME,
    ensure_schema,
    make_app,
    queue_dsn,
    step_status,
    steps_ahead,
)
from bot.scale.steps import LIGHT_STEPS, step_name
from bot.scale.storage import Storage, new_step_prefix, open_storage

__all__ = ["OUTAGE_S", "POLL_S", "QueueSteps"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

POLL_S = 0.5
"""How often a waiting step's status is read (one indexed row per running step)."""
OUTAGE_S = 600.0
"""How long the database may be unreachable before a waiting step is given up."""

_SONG_PREFIX = "song-"  # the local backend's name for a user's song in the session folder


class QueueSteps:
    """Runs the local backend's steps on ``musiccog worker`` processes (``LocalBackend(steps=...)``)."""

    def __init__(self, settings: Settings, *, storage: Storage | None = None) -> None:
        self._settings = settings
        self._dsn = queue_dsn(settings)
        self._root = settings.backend_dir
        self._storage = storage or open_storage(settings.storage, s3_endpoint_url=settings.s3_endpoint_url)
        self._app: App | None = None
        self._opening = asyncio.Lock()
        self._waiting: dict[asyncio.Future[Any], int] = {}
        """Tasks whose step is queued and not yet taken by a worker → steps queued before it."""

    async def _opened(self) -> App:
        async with self._opening:
            if self._app is None:
                await ensure_schema(self._dsn)
                app = make_app(self._dsn)
                await app.open_async()
                self._app = app
            return self._app

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """``func(*args)`` on a worker; its exceptions (``InputRejected``, ``RenderFailed``…) are raised here.

        A step marked done without a result was ended by a worker that had lost its claim (procrastinate lets
        any worker finish a job): it is queued once more, within ``MAX_ATTEMPTS``."""
        name = step_name(func)
        app = await self._opened()
        prefix = new_step_prefix()
        try:
            await asyncio.to_thread(self._send, prefix, name, args)
            for _attempt in range(MAX_ATTEMPTS):
                job_id = await self._defer(app, prefix)
                logger.info("step %s (%s) queued", job_id, name)
                try:
                    status = await self._wait(app, job_id)
                except asyncio.CancelledError:
                    await asyncio.shield(self._abort(app, job_id))
                    raise
                if status != "succeeded":
                    raise RenderFailed("A render worker could not finish the step.")
                data = await asyncio.to_thread(self._storage.get_bytes, f"{prefix}/result")
                if data is not None:
                    return await asyncio.to_thread(self._receive, data)
                logger.warning("step %s was ended without a result (a worker lost its claim)", job_id)
            raise RenderFailed("A render worker finished without a result.")
        finally:
            await asyncio.shield(asyncio.to_thread(self._storage.delete_prefix, prefix))

    def _send(self, prefix: str, name: str, args: tuple[Any, ...]) -> None:
        packed = pack(args, self._root)
        files = packed.files
        if name in LIGHT_STEPS:
            files = {rel: path for rel, path in files.items() if Path(rel).name.startswith(_SONG_PREFIX)}
        inputs = list(files)
        for index, relative in enumerate(inputs):
            self._storage.put_file(f"{prefix}/in/{index}", files[relative])
        call = {"step": name, "args": packed.data, "inputs": inputs}
        self._storage.put_bytes(f"{prefix}/call", pickle.dumps(call, protocol=pickle.HIGHEST_PROTOCOL))

    def _receive(self, data: bytes) -> Any:
        outcome = pickle.loads(data)  # our own worker's, through our own storage
        if not outcome["ok"]:
            raise outcome["error"]
        for relative, key in outcome["outputs"]:
            target = self._root.joinpath(*safe_relative(relative).parts)
            self._storage.get_file(key, target)
        value, _names = unpack(outcome["value"], self._root, None, sanitise=False)
        return value

    async def _defer(self, app: App, prefix: str) -> int:
        task = app.configure_task(TASK_NAME, queue=QUEUE)
        for delay_s in (0.5, 1.0, 2.0, 4.0, 8.0, 0.0):
            try:
                return await task.defer_async(prefix=prefix)
            except DATABASE_ERRORS:
                if not delay_s:
                    raise
                logger.warning("the task queue is unreachable; trying again in %.1f s", delay_s)
                await asyncio.sleep(delay_s)
        raise AssertionError("unreachable")

    def waiting(self, work: asyncio.Future[Any]) -> int | None:
        return self._waiting.get(work)

    async def _wait(self, app: App, job_id: int) -> str:
        """The step's final status; a database outage is waited out (``OUTAGE_S`` at most)."""
        me = asyncio.current_task()
        assert me is not None
        try:
            return await self._watch(app, job_id, me)
        finally:
            self._waiting.pop(me, None)

    async def _watch(self, app: App, job_id: int, me: asyncio.Future[Any]) -> str:
        lost_since: float | None = None
        while True:
            try:
                found = await step_status(app, job_id)
                lost_since = None
            except DATABASE_ERRORS:
                now = asyncio.get_running_loop().time()
                lost_since = lost_since or now
                if now - lost_since > OUTAGE_S:
                    raise
                logger.warning("step %s: the task queue is unreachable; waiting", job_id)
                await asyncio.sleep(POLL_S * 4)
                continue
            if found is None:
                return "missing"
            status, _attempts = found
            if status not in ("todo", "doing"):
                return status
            if status == "todo":
                self._waiting[me] = await self._ahead(app, job_id)
            else:
                self._waiting.pop(me, None)
            await asyncio.sleep(POLL_S)

    async def _abort(self, app: App, job_id: int) -> None:
        with contextlib.suppress(Exception):
            await app.job_manager.cancel_job_by_id_async(job_id, abort=True)
            logger.info("step %s: abort requested", job_id)

    async def _ahead(self, app: App, job_id: int) -> int:
        """Steps queued before this one (a worker takes the oldest first)."""
        try:
            return await steps_ahead(app, job_id)
        except DATABASE_ERRORS:
            return 0

    async def close(self) -> None:
        if self._app is not None:
            app, self._app = self._app, None
            await app.close_async()
