"""The bot's side of scale-out mode: a step of the local backend sent to the queue instead of the local pool.

For each step: its arguments are packed (paths made relative to the session folder), the files they name
are put in storage under a fresh unguessable prefix with the call, one procrastinate job carrying only that
prefix is queued, and its status is watched. When it succeeds the result is read from storage, the files
the step made (a render) are fetched into the session folder, and the prefix is deleted — whatever
happened, so storage keeps nothing of a finished step. Cancelling the waiting coroutine (``/cancel``)
asks procrastinate to abort the job, which stops the step on the worker that runs it.

Every step is queued with its identity ``key``: a hash of the step's name, its arguments (paths relative to
the session folder; an output's fresh name reduced to its folder and suffix) and the bytes of the files it
reads. When the bot was restarted mid-job, the engine runs the job again in the same session, so its steps
have the keys they had: a step still queued or running is followed rather than queued again, and one that
finished meanwhile (its result still in storage, not yet received) is taken as it is, its output files given
this run's names. A step that failed, was aborted or whose result is gone is queued anew.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import pickle
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from procrastinate import App

from bot.config import Settings
from bot.errors import RenderFailed
from bot.scale.parcel import Packed, identity, pack, safe_relative, unpack
from bot.scale.queue import (
    DATABASE_ERRORS,
    MAX_ATTEMPTS,
    QUEUE,
    TASK_NAME,
    ensure_schema,
    make_app,
    queue_dsn,
    step_by_key,
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
_FOLLOWED = frozenset({"todo", "doing", "succeeded"})
_DIGESTS_KEPT = 256


@dataclass(frozen=True)
class _Prepared:
    """A step's call, packed, with the files it sends and its identity."""

    name: str
    packed: Packed
    files: dict[str, Path]
    key: str


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
        self._digests: dict[Path, tuple[tuple[int, int], bytes]] = {}
        """Input file → (size, mtime) and its content's SHA-256 (oldest first; read from worker threads)."""
        self._digests_lock = threading.Lock()

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

        The same step queued before a restart is followed or taken (:meth:`_reused`). A step marked done
        without a result was ended by a worker that had lost its claim (procrastinate lets any worker finish a
        job): it is queued once more, within ``MAX_ATTEMPTS``."""
        name = step_name(func)
        app = await self._opened()
        prepared = await asyncio.to_thread(self._prepare, name, args)
        reused = await self._reused(app, prepared)
        if reused is not None:
            return reused[0]
        prefix = new_step_prefix()
        try:
            await asyncio.to_thread(self._send, prefix, prepared)
            for _attempt in range(MAX_ATTEMPTS):
                job_id = await self._defer(app, prefix, prepared.key)
                logger.info("step %s (%s) queued", job_id, name)
                status = await self._wait_or_abort(app, job_id)
                if status != "succeeded":
                    raise RenderFailed("A render worker could not finish the step.")
                data = await asyncio.to_thread(self._storage.get_bytes, f"{prefix}/result")
                if data is not None:
                    return await asyncio.to_thread(self._receive, data, {})
                logger.warning("step %s was ended without a result (a worker lost its claim)", job_id)
            raise RenderFailed("A render worker finished without a result.")
        finally:
            await asyncio.shield(asyncio.to_thread(self._storage.delete_prefix, prefix))

    def _prepare(self, name: str, args: tuple[Any, ...]) -> _Prepared:
        packed = pack(args, self._root)
        files = packed.files
        if name in LIGHT_STEPS:
            files = {rel: path for rel, path in files.items() if Path(rel).name.startswith(_SONG_PREFIX)}
        digest = hashlib.sha256(name.encode())
        digest.update(hashlib.sha256(identity(args, self._root)).digest())
        for relative in sorted(files):
            digest.update(hashlib.sha256(relative.encode()).digest() + self._content_digest(files[relative]))
        return _Prepared(name, packed, files, digest.hexdigest())

    def _content_digest(self, path: Path) -> bytes:
        """SHA-256 of the file, remembered by size and modification time: an upload's clip is read by several
        steps (analyse, render), hashed once."""
        stat = path.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
        known = self._digests.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        with path.open("rb") as handle:
            content = hashlib.file_digest(handle, "sha256").digest()
        with self._digests_lock:
            self._digests[path] = (stamp, content)
            while len(self._digests) > _DIGESTS_KEPT:
                self._digests.pop(next(iter(self._digests)))
        return content

    async def _reused(self, app: App, prepared: _Prepared) -> tuple[Any] | None:
        """The value of the same step queued earlier (before a restart), alone in a tuple: followed while it is
        queued or running, taken when it has finished; its objects are deleted once read. None: queue it anew."""
        try:
            earlier = await step_by_key(app, prepared.key)
        except DATABASE_ERRORS:
            return None
        if earlier is None or earlier[1] not in _FOLLOWED:
            return None
        job_id, status, prefix = earlier
        try:
            rename = await asyncio.to_thread(self._renames, prefix, prepared)
            if rename is None:
                return None
            if status != "succeeded":
                logger.info("step %s (%s) was queued before a restart; following it", job_id, prepared.name)
                status = await self._wait_or_abort(app, job_id)
            data = await asyncio.to_thread(self._storage.get_bytes, f"{prefix}/result")
            if status != "succeeded" or data is None:
                logger.info("step %s (%s) ended %s without a result; queued anew", job_id, prepared.name, status)
                return None
            logger.info("step %s (%s): its result is taken, not made again", job_id, prepared.name)
            return (await asyncio.to_thread(self._receive, data, rename),)
        finally:
            await asyncio.shield(asyncio.to_thread(self._storage.delete_prefix, prefix))

    def _renames(self, prefix: str, prepared: _Prepared) -> dict[str, str] | None:
        """The earlier call's fresh output paths → this call's (None if its call is gone: nothing to take)."""
        data = self._storage.get_bytes(f"{prefix}/call")
        if data is None:
            return None
        earlier = pickle.loads(data)  # our own, through our own storage
        fresh = list(earlier.get("fresh", ()))
        if len(fresh) != len(prepared.packed.fresh):
            return None
        return dict(zip(fresh, prepared.packed.fresh, strict=True))

    def _send(self, prefix: str, prepared: _Prepared) -> None:
        inputs = list(prepared.files)
        for index, relative in enumerate(inputs):
            self._storage.put_file(f"{prefix}/in/{index}", prepared.files[relative])
        call = {"step": prepared.name, "args": prepared.packed.data, "inputs": inputs, "fresh": prepared.packed.fresh}
        self._storage.put_bytes(f"{prefix}/call", pickle.dumps(call, protocol=pickle.HIGHEST_PROTOCOL))

    async def _wait_or_abort(self, app: App, job_id: int) -> str:
        """The step's final status; cancelling the caller (``/cancel``) aborts the step on its worker."""
        try:
            return await self._wait(app, job_id)
        except asyncio.CancelledError:
            await asyncio.shield(self._abort(app, job_id))
            raise

    def _receive(self, data: bytes, rename: Mapping[str, str]) -> Any:
        """The step's value (or its exception raised); its output files fetched, under ``rename``d names."""
        outcome = pickle.loads(data)  # our own worker's, through our own storage
        if not outcome["ok"]:
            raise outcome["error"]
        for relative, key in outcome["outputs"]:
            target = self._root.joinpath(*safe_relative(rename.get(relative, relative)).parts)
            self._storage.get_file(key, target)
        value, _names = unpack(outcome["value"], self._root, None, sanitise=False, rename=rename)
        return value

    async def _defer(self, app: App, prefix: str, key: str) -> int:
        task = app.configure_task(TASK_NAME, queue=QUEUE)
        for delay_s in (0.5, 1.0, 2.0, 4.0, 8.0, 0.0):
            try:
                return await task.defer_async(prefix=prefix, key=key)
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
