"""The job runner: queued job rows in, backend work done, replies delivered to whoever is listening.

At most ``settings.worker_count`` jobs run at once (the backend's process pool does the CPU work),
oldest first. A job's events go to the chat's listener (the ``Engine.handle`` call that submitted it)
through a per-chat :class:`Listener`; a job nobody listens to any more (the caller went away, or the job
was recovered after a restart) reports through its platform's ``notify`` instead, so no result and no
failure is silently lost. A job's last reply is kept in its row until delivered (:mod:`bot.engine.outbox`);
a job on a slow download lends its slot (:mod:`bot.engine.slots`). ``start`` recovers what a previous process
left unfinished; a housekeeping loop deletes sessions retired long ago and stray scratch folders.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Literal

from bot.backends.base import (
    Backend,
    BackendEvent,
    ExportOptions,
    LinkUploader,
    NotUnderstood,
    Said,
    Stage,
    Warmable,
)
from bot.config import Settings
from bot.database import cancelling
from bot.engine.big_files import LinkOffers, backend_session_of, full_quality, upload_sentence
from bot.engine.jobs import RENDER_KINDS, JobKind, JobPayload, JobResult
from bot.engine.messages import Error, Progress, Reply, Text, new_error_id
from bot.engine.outbox import Courier, clear_stale_statuses
from bot.engine.platform_links import PlatformLinks
from bot.engine.registry import BackendRegistry
from bot.engine.replies import export_video, failure_reply, restarted_reply, result_video, stage_progress, text_reply
from bot.engine.set_jobs import SET_KINDS, SetJobs
from bot.engine.slots import SlotLender
from bot.errors import BackendUnavailable, InputRejected, PlatformFileTooBig
from bot.language.intents import asks_for_song
from bot.language.text import label_from_path
from bot.links import check_public_url
from bot.sessions import CANCELLED, Job, JobState, SessionStore

__all__ = ["SONG_KINDS", "STALE_FOLDER_S", "CancelOutcome", "JobRunner", "Listener"]

logger = logging.getLogger(__name__)

SONG_KINDS = frozenset({"audio", "voice"})
"""Media that replace the music of the current clip ("use this song") instead of starting a new one."""
STALE_FOLDER_S = 6 * 3600.0
"""A job folder this old that no running job owns was left by a crashed process."""

CancelOutcome = Literal["queued", "running", "starting", "nothing"]
"""What ``/cancel`` found: a queued job (dropped), a running one (stopped), one between the two (left
alone: try again), or nothing to cancel."""

ChatKey = tuple[str, str]
"""``(platform, chat_id)``."""


class Listener:
    """One chat's waiting ``handle`` call: the job's replies (each with "is it the last?"), then ``None``.

    ``lang`` is the chat's language, for what the runner tells it on its own (that the bot restarts)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.queue: asyncio.Queue[tuple[Reply, bool] | None] = asyncio.Queue()


class JobRunner:
    """Dispatches queued jobs to worker slots, runs them against their backend and delivers their replies."""

    def __init__(
        self,
        settings: Settings,
        store: SessionStore,
        backends: BackendRegistry,
        links: PlatformLinks,
        *,
        today: Callable[[], date],
    ) -> None:
        self._settings = settings
        self._store = store
        self._backends = backends
        self._links = links
        self._today = today
        self._warming: asyncio.Task[None] | None = None
        self._clearing: asyncio.Task[None] | None = None
        self.workers = max(1, settings.worker_count)
        self.running: dict[int, asyncio.Task[None]] = {}
        """Job id → its task, while it runs."""
        self.dispatcher: asyncio.Task[None] | None = None
        self._housekeeper: asyncio.Task[None] | None = None
        self._listeners: dict[ChatKey, Listener] = {}
        self._cancel_requested: set[int] = set()
        self._wake = asyncio.Event()
        self._workdirs: set[Path] = set()
        self._sets = SetJobs(store)
        self.offers: LinkOffers | None = None
        """Download links for results past the chat's limit (``Engine.offer_links``); None: fitted as ever."""
        self._recovered: frozenset[str] | Literal["all"] = frozenset()
        """The platforms whose interrupted jobs ``_recover`` has taken back ("all" on a file of our own)."""
        self.slots = SlotLender(self.workers, settings.download_slot_grace_s, self.running, self.wake)  # see slots
        self.courier = Courier(settings, store, links)  # last replies kept until delivered: bot.engine.outbox

    # ----- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Recover unfinished jobs (requeue or tell their users) and start dispatching. Idempotent."""
        if self.dispatcher is not None:
            return
        self._settings.job_temp_dir.mkdir(parents=True, exist_ok=True)
        recovered = await self._recover()
        # One bot process per SQLite file (the store's lock), so every job folder found now was left by a process
        # that died mid-job: its requeued job starts again in a fresh folder. On a shared database another live
        # process may use this data dir: the folders of jobs still running (there) stay.
        running = {job.id for job in await self._store.unfinished_jobs() if job.state is JobState.RUNNING}
        await asyncio.to_thread(
            _remove_stale_folders, self._settings.job_temp_dir, set(), older_than_s=0.0, keep_jobs=running
        )
        self._clearing = asyncio.create_task(clear_stale_statuses(self._store, self._links, recovered))
        self.courier.start()
        self.dispatcher = asyncio.create_task(self._dispatch_loop(), name="musiccog-dispatcher")
        self._housekeeper = asyncio.create_task(self._housekeeping_loop(), name="musiccog-housekeeping")
        backend = self._backends.default
        if isinstance(backend, Warmable):  # in the background: starting the bot does not wait for it
            self._warming = asyncio.create_task(_warm(backend), name="musiccog-warm")
        self._wake.set()

    async def _recover(self) -> frozenset[int]:
        """Requeue the jobs a dead process left running, or tell their users it gave up on them: once at start,
        and on a shared database once more for each platform attached later (only the process that serves a
        platform can tell its users). Returns the ids of the jobs taken back."""
        served = self._claimable()
        if served is None:
            if self._recovered == "all":
                return frozenset()
            self._recovered, platforms = "all", None
        else:
            done = self._recovered if isinstance(self._recovered, frozenset) else frozenset()
            if served <= done:
                return frozenset()
            self._recovered = done | served
            platforms = served - done
        recovery = await self._store.recover_interrupted(platforms=platforms)
        for job in recovery.failed:
            error_id = new_error_id()
            logger.warning("job %d gave up after a restart (error %s)", job.id, error_id)
            await self._deliver(job, restarted_reply(_payload_lang(job), error_id), last=True)
        return frozenset(job.id for job in (*recovery.requeued, *recovery.failed))

    async def close(self) -> None:
        """Stop dispatching and cancel running jobs (they stay ``running`` and are requeued on restart)."""
        await self.courier.close()
        for task in (self.dispatcher, self._housekeeper, self._warming, self._clearing):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.dispatcher = self._housekeeper = None
        for listener in list(self._listeners.values()):
            # the job stays in the database and is finished after the restart (through ``notify``)
            listener.queue.put_nowait((text_reply("engine_restarting", listener.lang), True))
        tasks = list(self.running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def drain(self, *, poll_s: float = 0.05) -> None:
        """Wait until no job is queued or running (tests, graceful shutdown)."""
        while self.running or await self._store.unfinished_jobs():  # a claimed job is running before its task is
            self._wake.set()
            await asyncio.sleep(poll_s)

    def wake(self) -> None:
        """A job was queued: look for a free slot."""
        self._wake.set()

    def free_slots(self) -> int:
        """Worker slots not running a job now (negative never; zero when all are busy)."""
        return self.slots.free()

    # ----- listeners ---------------------------------------------------------------------------------------

    def is_listening(self, key: ChatKey) -> bool:
        """Whether a ``handle`` call of this chat is waiting for a job (the chat is busy)."""
        return key in self._listeners

    @contextlib.contextmanager
    def listen(self, key: ChatKey, lang: str) -> Iterator[Listener]:
        """Register the chat's listener for as long as the block runs (a newer one is left alone)."""
        listener = Listener(lang)
        self._listeners[key] = listener
        try:
            yield listener
        finally:
            if self._listeners.get(key) is listener:
                del self._listeners[key]

    async def replies(self, key: ChatKey, listener: Listener) -> AsyncIterator[Reply]:
        """The job's replies as they come; the chat is freed before its last reply is handed over, so a user
        who answers the result at once is never told "still working on your previous request"."""
        finished = False
        try:
            while (item := await listener.queue.get()) is not None:
                reply, last = item
                if last and self._listeners.get(key) is listener:
                    del self._listeners[key]
                    finished = True
                yield reply
                if last:
                    return
            finished = True
        finally:
            if not finished and self._listeners.get(key) is listener:
                # the caller went away mid-job (its platform failed it): the rest goes through the courier
                del self._listeners[key]

    def _end(self, key: ChatKey) -> None:
        listener = self._listeners.get(key)
        if listener is not None:
            listener.queue.put_nowait(None)

    # ----- cancelling ------------------------------------------------------------------------------------

    async def cancel(self, platform: str, chat_id: str) -> CancelOutcome:
        """Drop the chat's queued job, or stop its running one (its row ends ``failed``/``cancelled``)."""
        job = await self._store.cancel_queued(platform, chat_id)
        if job is not None:
            logger.info("job %d cancelled while queued", job.id)
            self._end((job.platform, job.chat_id))
            return "queued"
        active = await self._store.active_job(platform, chat_id)
        if active is None:
            return "nothing"
        task = self.running.get(active.id)
        if task is None:
            return "starting"
        self._cancel_requested.add(active.id)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(asyncio.wait({task}))
        return "running"

    # ----- running -----------------------------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        """Start queued jobs, oldest first, whenever a worker slot is free."""
        while True:
            if cancelling():  # close() asked, whatever swallowed its cancellation on the way (psycopg)
                raise asyncio.CancelledError
            await self._wake.wait()
            self._wake.clear()
            if self._store.shared:
                await self._recover()  # a platform attached since: its dead jobs are ours to take back
            while self.slots.busy() < self.workers:
                job = await self._store.claim_next(self._claimable())
                if job is None:
                    break
                task = asyncio.create_task(self._run_job(job), name=f"musiccog-job-{job.id}")
                self.running[job.id] = task
                task.add_done_callback(functools.partial(self._job_done, job.id))

    def _claimable(self) -> frozenset[str] | None:
        """The platforms whose jobs this process takes: any on its own SQLite file; on a shared database only
        those whose adapter is attached here (a Telegram process leaves Discord's jobs to the Discord one)."""
        return self._links.served() if self._store.shared else None

    def _job_done(self, job_id: int, _task: asyncio.Task[None]) -> None:
        self.running.pop(job_id, None)
        self.slots.freed()
        self._wake.set()

    async def _run_job(self, job: Job) -> None:
        """Run one claimed job to done, failed or cancelled; its scratch folder goes whatever happens.

        The job's last reply is held back until its row is finished and the chat released."""
        workdir = Path(tempfile.mkdtemp(prefix=f"job{job.id}-", dir=self._settings.job_temp_dir))
        self._workdirs.add(workdir)
        held: Reply | None = None
        try:
            payload = JobPayload.from_json(job.payload_json)
            result = JobResult()
            async for event in self._job_events(job, payload, workdir):
                reply, result = await self._reply_for(job, payload, event, result)
                if held is not None:
                    await self._deliver(job, held)
                    held = None
                if isinstance(reply, Progress):
                    await self._deliver(job, reply)
                else:
                    held = reply
            await self._store.complete_job(job.id, result.to_json())
        except asyncio.CancelledError:
            if job.id not in self._cancel_requested:
                raise  # shutting down: the row stays running and is requeued by the next start
            held = None
            logger.info("job %d cancelled while running", job.id)
            with contextlib.suppress(Exception):
                await self._store.fail_job(job.id, CANCELLED)
        except Exception as exc:
            held = await self._failure(job, exc)
            with contextlib.suppress(Exception):
                await self._store.fail_job(job.id, held.error_id)
        finally:
            self._cancel_requested.discard(job.id)
            await asyncio.to_thread(shutil.rmtree, workdir, True)
            self._workdirs.discard(workdir)
            if held is not None:
                await self._deliver(job, held, last=True)
            self._end((job.platform, job.chat_id))

    async def _failure(self, job: Job, exc: Exception) -> Error:
        """The job's failure in words; a file the platform would not hand over also gets an upload link when
        the upload page is on (its size was not known before the download was tried)."""
        lang = _payload_lang(job)
        reply = failure_reply(exc, lang, what=f"job {job.id} ({job.kind})")
        if self.offers is None or not isinstance(exc, PlatformFileTooBig):
            return reply
        try:
            link = await self.offers.upload_link(job.platform, job.chat_id, job.user_id, lang)
        except InputRejected:  # this chat's links for the hour are spent: the refusal alone
            return reply
        return replace(reply, text=upload_sentence(link, lang, exc))

    async def _job_events(self, job: Job, payload: JobPayload, workdir: Path) -> AsyncIterator[BackendEvent]:
        """The backend's events for this job; a render also saves the session's new timeline."""
        session = await self._store.get_session(job.session_id)
        if session is None:
            raise InputRejected("engine_conversation_cleared")
        backend_id = session.backend_session_id
        backend = self._backends.named(session.backend)
        link = await self._links.ready(job.platform)
        fetch = self.slots.fetcher(job.id, link.fetch_media) if link.fetch_media is not None else None
        limit = payload.upload_limit or link.upload_limit
        cap = limit if self.offers is None else None  # with download links: full quality first, a preview if too big
        if payload.kind in SET_KINDS:
            yield Stage("download", 0.0)
            set_events = self._sets.events(
                job.id,
                session,
                backend,
                payload,
                fetch=fetch,
                workdir=workdir,
                platform=job.platform,
                max_output_bytes=cap,
            )
            async for event in self._offering(set_events, job, payload, session.id, backend, limit):
                yield event
            return
        if payload.kind is JobKind.UPLOAD:
            assert payload.media is not None
            is_song = payload.media.kind in SONG_KINDS
            # the backend's state is asked only when the answer matters (a cloud backend pays a request)
            wants_song = is_song or asks_for_song(payload.text)
            has_clip = wants_song and backend_id is not None and await backend.state(backend_id) is not None
            as_song = is_song or has_clip
            if payload.media.url is not None and isinstance(backend, LinkUploader) and not as_song:
                url = await check_public_url(payload.media.url, self._settings)  # never hand over a private address
                backend_id = await self._open_backend_session(backend, session.id, backend_id, job, payload)
                events = backend.upload_link(backend_id, url, prompt=payload.text or None, max_output_bytes=cap)
            else:
                yield Stage("download", 0.0)
                if fetch is None:
                    raise BackendUnavailable(f"no media fetcher for {job.platform}")
                media_path = await fetch(payload.media, workdir)
                if as_song:
                    if backend_id is None or not has_clip:
                        raise InputRejected("engine_song_needs_video")
                    title = _song_title(payload.media.file_name)
                    events = backend.use_song(backend_id, media_path, title=title, max_output_bytes=cap)
                else:
                    backend_id = await self._open_backend_session(backend, session.id, backend_id, job, payload)
                    events = backend.upload(backend_id, media_path, prompt=payload.text or None, max_output_bytes=cap)
        elif backend_id is None:
            raise InputRejected("send_video_first")
        elif payload.kind is JobKind.EDIT:
            events = backend.instruct(backend_id, payload.text, max_output_bytes=cap)
        else:
            events = backend.export(backend_id, ExportOptions(max_size_bytes=cap))
        async for event in self._offering(events, job, payload, session.id, backend, limit):
            yield event
        if payload.kind in RENDER_KINDS:
            timeline = await backend.state(backend_id)
            await self._store.update_session(session.id, timeline_json=timeline.to_json() if timeline else None)

    def _offering(
        self,
        events: AsyncIterator[BackendEvent],
        job: Job,
        payload: JobPayload,
        session_id: str,
        backend: Backend,
        limit: int | None,
    ) -> AsyncIterator[BackendEvent]:
        """With download links on, a result past ``limit`` becomes a preview and a link (``big_files``)."""
        if self.offers is None:
            return events
        made_by = functools.partial(backend_session_of, self._store, session_id)
        lang, export = payload.lang, payload.kind is JobKind.EXPORT
        return full_quality(events, self.offers, backend, made_by, limit=limit, job=job, lang=lang, export=export)

    async def _open_backend_session(
        self, backend: Backend, session_id: str, backend_id: str | None, job: Job, payload: JobPayload
    ) -> str:
        """The chat's backend session, opened (and remembered in the session row) on its first upload."""
        if backend_id:
            return backend_id
        backend_id = await backend.open_session(platform=job.platform, language=payload.lang)
        await self._store.update_session(session_id, backend_session_id=backend_id)
        return backend_id

    async def _reply_for(
        self, job: Job, payload: JobPayload, event: BackendEvent, result: JobResult
    ) -> tuple[Reply, JobResult]:
        """The reply for one backend event and the job's result so far; a render counts against the quota."""
        lang = payload.lang
        if isinstance(event, Stage):
            return stage_progress(event, lang), result
        if isinstance(event, NotUnderstood):
            return Text(event.reply, lang=lang), replace(result, understood=False)
        if isinstance(event, Said):
            return Text(event.text, lang=lang), result
        result = replace(result, track=event.track_title)
        if payload.kind is JobKind.EXPORT:
            return export_video(event, lang), result
        await self._store.record_render(job.platform, job.user_id, self._today())
        return result_video(event, lang), result

    async def _deliver(self, job: Job, reply: Reply, *, last: bool = False) -> None:
        """To the waiting ``handle`` call if there is one, else through ``notify`` (or the log).

        The job's last reply is kept in its row first, so a platform that refuses it (its API down) or a
        restart before it was shown costs a retry, not the result (:class:`~bot.engine.outbox.Courier`)."""
        listener = self._listeners.get((job.platform, job.chat_id))
        if last:
            passed = await self.courier.hand_over(job.id, reply, listening=listener is not None)
            if passed is None:
                return  # the courier sends it
            reply = passed
        if listener is not None:
            listener.queue.put_nowait((reply, last))
            return
        if isinstance(reply, Progress):
            return  # nobody is watching a status message: only results and failures are worth a message
        notify = (await self._links.ready(job.platform)).notify
        if notify is None:
            logger.warning("no listener and no notifier for job %d; dropped a %s", job.id, type(reply).__name__)
            return
        try:
            await notify(job.platform, job.chat_id, reply)
        except Exception:
            logger.exception("notifier failed for job %d", job.id)

    # ----- housekeeping ------------------------------------------------------------------------------------

    async def housekeeping(self) -> None:
        """Delete sessions retired long ago (rows, and what their backends keep) and stray job folders."""
        retention_s = self._settings.session_retention_days * 86_400
        result = await self._store.cleanup(older_than_s=retention_s, platforms=self._claimable())
        for backend_name, backend_session_id in result.backend_sessions:
            try:
                await self._backends.named(backend_name).discard(backend_session_id)
            except Exception:
                logger.warning("could not discard a %s session", backend_name, exc_info=True)
        await asyncio.to_thread(_remove_stale_folders, self._settings.job_temp_dir, set(self._workdirs))

    async def _housekeeping_loop(self) -> None:
        while True:
            try:
                await self.housekeeping()
            except Exception:
                if cancelling():  # an error raised while being cancelled (a database rollback) ends the loop
                    raise asyncio.CancelledError from None
                logger.exception("housekeeping failed; will try again")
            if cancelling():  # close() asked, whatever swallowed its cancellation on the way (psycopg)
                raise asyncio.CancelledError
            await asyncio.sleep(max(60.0, self._settings.cleanup_interval_s))


def _song_title(file_name: str | None) -> str | None:
    """A display title from the song's file name ("my_song.mp3" → "my song"), if there is one."""
    if not file_name:
        return None
    return label_from_path(file_name) or None


def _remove_stale_folders(
    root: Path, in_use: set[Path], *, older_than_s: float = STALE_FOLDER_S, keep_jobs: Collection[int] = ()
) -> None:
    now = time.time()
    kept = {f"job{job_id}" for job_id in keep_jobs}
    for path in root.glob("job*-*"):
        if path.name.partition("-")[0] in kept:
            continue
        with contextlib.suppress(OSError):
            if path.is_dir() and path not in in_use and now - path.stat().st_mtime >= older_than_s:
                shutil.rmtree(path, ignore_errors=True)


def _payload_lang(job: Job) -> str:
    try:
        return JobPayload.from_json(job.payload_json).lang
    except ValueError:
        return "en"


async def _warm(backend: Warmable) -> None:
    """Warm a backend; a failure only costs the first job its start-up time, so it is logged, not raised."""
    try:
        await backend.warm()
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.warning("warming the backend failed; the first job will start it", exc_info=True)
