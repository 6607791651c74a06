"""``musiccog worker``: takes steps from the queue and runs them, one at a time unless told more.

Each step runs in a local spawn process (the same pool and cancel markers the local backend uses), in a
scratch folder of its own that is deleted afterwards. Before it reads the step's files and before it
publishes a result the worker checks that the step is still its own (``claim_is_ours``): a worker that
was taken for dead (no heartbeat for ``worker_stalled_s``) and whose step went to another reads nothing
more and publishes nothing. Outputs go under a per-attempt prefix, so two attempts never write the same
object. An abort from the bot (``/cancel``) cancels the step's coroutine here; the step's marker is
created and its FFmpeg killed at once, and the process is free for the next step.

Every worker also sweeps: steps of silent workers are run again (``retry_stalled``), and step objects
left in storage by a crashed side are deleted after ``STALE_STEP_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import pickle
import secrets
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from procrastinate import App, JobContext
from procrastinate.worker import Worker

from bot.backends.local_tasks import warm_task, watched
from bot.config import Settings
from bot.errors import RenderFailed
from bot.media import cancel
from bot.scale.parcel import pack, unpack
from bot.scale.queue import (
    DATABASE_ERRORS,
    QUEUE,
    TASK_NAME,
    claim_is_ours,
    ensure_schema,
    make_app,
    queue_dsn,
    retry_stalled,
)
from bot.scale.steps import STEPS
from bot.scale.storage import Storage, open_storage

__all__ = ["STALE_STEP_S", "StepWorker", "serve_worker"]

logger = logging.getLogger(__name__)

_RESTART_S = 2.0
STALE_STEP_S = 6 * 3600.0
"""Step objects this old in storage were left by a side that crashed mid-step."""


class StepWorker:
    """Runs one queued step: fetch its call and files, run it in the pool, publish its result and outputs."""

    def __init__(self, settings: Settings, storage: Storage, app: App, *, concurrency: int, scratch: Path) -> None:
        self._settings = settings
        self._storage = storage
        self._app = app
        self._concurrency = concurrency
        self._scratch = scratch
        self._pool: Executor | None = None

    def pool(self) -> Executor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._concurrency,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=cancel.kill_children_on_terminate,
            )
        return self._pool

    async def warm(self) -> None:
        futures = [self.pool().submit(warm_task, self._settings) for _ in range(self._concurrency)]
        counts = await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
        logger.info("worker warm: %d process(es), %d tracks each", len(counts), min(counts, default=0))

    async def run_step(self, context: JobContext, prefix: str, key: str = "") -> None:
        """The procrastinate task: one step, its outcome (value or exception) published as ``result``. ``key``
        (the step's identity) is for the bot to find the step again after a restart; the worker needs none."""
        job = context.job
        assert job.id is not None
        logger.info("job %s: step started on pid %d", job.id, os.getpid())
        if not await claim_is_ours(self._app, job.id, job.worker_id):
            logger.warning("job %s: no longer ours before it started; left alone", job.id)
            return
        folder = Path(tempfile.mkdtemp(prefix="step-", dir=self._scratch))
        try:
            loaded = await asyncio.to_thread(self._fetch, prefix, folder)
            if loaded is None:
                logger.warning("job %s: its call is gone (cancelled or finished elsewhere)", job.id)
                return
            func, args, names = loaded
            logger.info("job %s: running %s", job.id, func.__name__)
            before = _files(folder)
            try:
                value = await self._execute(folder, func, args)
                publish = self._publish_outputs
                outcome: dict[str, Any] = await asyncio.to_thread(publish, prefix, folder, before, value, names)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.info("job %s: the step ended with %s", job.id, type(exc).__name__)
                outcome = {"ok": False, "error": exc}
            if not await claim_is_ours(self._app, job.id, job.worker_id):
                logger.warning("job %s: taken for dead and given to another worker; result dropped", job.id)
                return
            await asyncio.to_thread(self._storage.put_bytes, f"{prefix}/result", _dumps(outcome))
            logger.info("job %s: step done", job.id)
        except asyncio.CancelledError:  # wherever it lands: fetching the inputs, running, publishing
            logger.info("job %s: cancelled; stopping it", job.id)
            raise
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)

    def _fetch(self, prefix: str, folder: Path) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, str]] | None:
        data = self._storage.get_bytes(f"{prefix}/call")
        if data is None:
            return None
        call = pickle.loads(data)  # the bot's, through our own storage
        func = STEPS.get(call["step"])
        if func is None:
            raise RenderFailed(f"unknown step {call['step']!r}")
        args, names = unpack(call["args"], folder, self._settings, sanitise=True)
        local_names = {relative: local for local, relative in names.items()}
        for index, relative in enumerate(call["inputs"]):
            local = local_names.get(relative)
            if local is not None:  # a file the arguments name (never anywhere else)
                self._storage.get_file(f"{prefix}/in/{index}", Path(local))
        return func, tuple(args), names

    async def _execute(self, folder: Path, func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        marker = folder.parent / f"{folder.name}.cancel"
        try:
            future = self.pool().submit(watched, str(marker), func, *args)
        except BrokenProcessPool:
            self._pool = None
            future = self.pool().submit(watched, str(marker), func, *args)
        wrapped = asyncio.wrap_future(future)
        try:
            return await asyncio.shield(wrapped)
        except asyncio.CancelledError:
            marker.touch()  # the step's FFmpeg is killed within a fraction of a second
            with contextlib.suppress(BaseException):
                await wrapped
            raise
        except BrokenProcessPool as exc:
            self._pool = None
            raise RenderFailed("A worker process stopped unexpectedly.") from exc
        finally:
            marker.unlink(missing_ok=True)

    def _publish_outputs(
        self, prefix: str, folder: Path, before: dict[Path, tuple[int, int]], value: Any, names: dict[str, str]
    ) -> dict[str, Any]:
        """Files the step made or changed go to ``out/<attempt>/<n>``; the value is packed to match."""
        attempt = secrets.token_hex(8)
        outputs: list[tuple[str, str]] = []
        for index, (path, stamp) in enumerate(sorted(_files(folder).items())):
            if before.get(path) == stamp:
                continue
            relative = names.get(str(path)) or path.relative_to(folder).as_posix()
            key = f"{prefix}/out/{attempt}/{index}"
            self._storage.put_file(key, path)
            outputs.append((relative, key))
        packed = pack(value, folder, names=names)
        return {"ok": True, "value": packed.data, "outputs": outputs}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _files(folder: Path) -> dict[Path, tuple[int, int]]:
    found: dict[Path, tuple[int, int]] = {}
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file():
                stat = path.stat()
                found[path] = (stat.st_size, stat.st_mtime_ns)
    return found


def _remove_stale_scratch(scratch: Path) -> None:
    """Step folders a killed worker left (another worker on this machine may share the folder: only old ones)."""
    now = time.time()
    for folder in scratch.glob("step-*"):
        with contextlib.suppress(OSError):
            if now - folder.stat().st_mtime >= STALE_STEP_S:
                shutil.rmtree(folder, ignore_errors=True)


def _dumps(outcome: dict[str, Any]) -> bytes:
    try:
        return pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle still tells the bot the step failed
        error = outcome.get("error")
        return pickle.dumps({"ok": False, "error": RenderFailed(f"{type(error).__name__} on a render worker")})


async def _sweep(app: App, storage: Storage, settings: Settings) -> None:
    """Retry steps of silent workers every heartbeat; every hour delete stale step objects and step rows
    finished a day ago (kept that long for an operator's look).

    Silence is judged only once this worker has itself reached the database for a whole ``worker_stalled_s``:
    after an outage (PostgreSQL restarted) every worker's heartbeat is late, and a live worker's step must not
    be taken for a dead one's before the heartbeats have had their chance to catch up."""
    loop = asyncio.get_running_loop()
    reachable_since = loop.time()
    loops = 0
    every = max(1, int(3600 / max(0.5, settings.worker_heartbeat_s)))
    while True:
        await asyncio.sleep(settings.worker_heartbeat_s)
        began = loop.time()
        try:
            await app.job_manager.check_connection_async()
        except DATABASE_ERRORS:
            reachable_since = loop.time()
            logger.warning("the task queue is unreachable; the sweep waits")
            continue
        if loop.time() - began > settings.worker_heartbeat_s:  # slow to come back: an outage just ended
            reachable_since = loop.time()
        try:
            if loop.time() - reachable_since >= settings.worker_stalled_s:
                await retry_stalled(app, settings.worker_stalled_s)
            if loops % every == 0:
                removed = await asyncio.to_thread(storage.sweep, STALE_STEP_S)
                await app.job_manager.delete_old_jobs(
                    nb_hours=24, queue=QUEUE, include_failed=True, include_cancelled=True, include_aborted=True
                )
                if removed:
                    logger.info("deleted %d stale step(s) from storage", removed)
        except Exception:
            reachable_since = loop.time()
            logger.warning("the worker's sweep failed; will try again", exc_info=True)
        loops += 1


async def serve_worker(settings: Settings, *, concurrency: int = 1) -> None:
    """Run a worker until SIGINT/SIGTERM (running steps finish first). A worker loop that ends on its own
    (the database went away: procrastinate stops a worker whose heartbeat or listener fails) is started
    again, so a PostgreSQL restart costs a few seconds, not the worker."""
    dsn = queue_dsn(settings)
    storage = open_storage(settings.storage, s3_endpoint_url=settings.s3_endpoint_url)
    scratch = settings.job_temp_dir / "worker"
    scratch.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(_remove_stale_scratch, scratch)
    await ensure_schema(dsn)
    app = make_app(dsn)
    worker = StepWorker(settings, storage, app, concurrency=concurrency, scratch=scratch)
    app.task(name=TASK_NAME, queue=QUEUE, pass_context=True)(worker.run_step)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        async with app.open_async():
            await worker.warm()
            sweeping = asyncio.create_task(_sweep(app, storage, settings), name="musiccog-worker-sweep")
            try:
                while not stopping.is_set():
                    runner = Worker(
                        app,
                        queues=[QUEUE],
                        name="musiccog",
                        concurrency=concurrency,
                        update_heartbeat_interval=settings.worker_heartbeat_s,
                        stalled_worker_timeout=settings.worker_stalled_s,
                        install_signal_handlers=False,
                    )
                    for signum in (signal.SIGINT, signal.SIGTERM):
                        loop.add_signal_handler(signum, _stopper(stopping, runner))
                    logger.info("worker ready: %d at a time", concurrency)
                    try:
                        await runner.run()
                    except DATABASE_ERRORS:
                        logger.warning("the task queue is unreachable", exc_info=True)
                    if not stopping.is_set():
                        logger.warning("the worker loop stopped on its own; starting it again in %.0f s", _RESTART_S)
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stopping.wait(), _RESTART_S)
            finally:
                sweeping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeping
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        worker.close()


def _stopper(stopping: asyncio.Event, runner: Worker) -> Callable[[], None]:
    def stop() -> None:
        logger.info("stopping: running steps finish first")
        stopping.set()
        runner.stop()

    return stop
