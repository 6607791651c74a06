"""Chat sessions, the job queue and daily render counts in one SQLite file (aiosqlite), or in PostgreSQL.

Why SQLite rows rather than an in-memory queue: after a crash or restart every queued or running job
is still on disk, so the engine can run it again or tell its user (``recover_interrupted``), and none
is silently lost. The invariants live in the schema, not in Python, so they hold even if two
coroutines race:

* one *current* session per (platform, chat): a partial unique index; ``new_session`` retires the old
  one (kept for its history until ``cleanup``);
* one *active* (queued or running) job per chat: another partial unique index, surfaced as ``ChatBusy``;
* ``claim_next`` is a single ``UPDATE … RETURNING`` statement, so two workers never claim one job.

The database under it is a :class:`bot.database.Database`: an SQLite file by default (WAL, autocommit,
the few multi-statement writes in ``BEGIN IMMEDIATE`` under an ``asyncio.Lock`` so coroutines sharing this
store never interleave inside a transaction; one process per file), or PostgreSQL when the target is a
``postgresql://`` URL (``MUSICCOG_DATABASE_URL``), shared by several bot processes: claims skip rows another
process has locked and carry this process's ``owner`` key, and start-up recovery only takes back the jobs
of processes that are gone (``bot.postgres`` says how it knows).

A chat's current *set* (several clips and photos sent together: an album, a multi-attachment message)
is kept as ``set_items`` rows of its session: what was sent, the user's choice (one film or each
separately, ``None`` while the bot asks), and for a batch each item's own backend session, so "the second
one: calmer" still finds it after a restart. A new set replaces the previous one.

This module is longer than most because it is the one owner of the chat-state database: every
statement and transaction on it goes through this class.

All SQL is in ``bot.store`` as named constants with ``:named`` parameters. Timestamps are Unix seconds (UTC);
render days are ISO dates chosen by the caller (the quota's notion of "today").
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from bot import store as faults_sql  # faults15: deliveries, status messages, batch progress, collecting
from bot.database import Database, DatabaseIntegrityError, Executor, Row, open_database
from bot.errors import MusicCogError
from bot.store import (
    ADDED_COLUMNS,
    CANCEL_QUEUED_JOB,
    CLAIM_NEXT_JOB,
    COUNT_QUEUED,
    DELETE_OLD_JOBS,
    DELETE_OLD_RENDER_COUNTS,
    DELETE_OLD_SESSIONS,
    DELETE_SET_ITEMS,
    FAIL_INTERRUPTED,
    FINISH_JOB,
    INCREMENT_RENDER_COUNT,
    INSERT_JOB,
    INSERT_SESSION,
    INSERT_SET_ITEM,
    REQUEUE_INTERRUPTED,
    RETIRE_CURRENT_SESSION,
    SELECT_ACTIVE_JOB,
    SELECT_CHAT_SESSIONS,
    SELECT_CURRENT_SESSION,
    SELECT_JOB,
    SELECT_OLD_SESSIONS,
    SELECT_OLD_SET_BACKENDS,
    SELECT_QUEUE_POSITION,
    SELECT_RENDER_COUNT,
    SELECT_SESSION,
    SELECT_SESSION_JOBS,
    SELECT_SET_ITEMS,
    SELECT_UNFINISHED_JOBS,
    SESSIONS_SCHEMA,
    UPDATE_SESSION,
    UPDATE_SET_CHOICE,
    UPDATE_SET_ITEM_BACKEND,
)

__all__ = [
    "CANCELLED",
    "INTERRUPTED",
    "UNSET",
    "ChatBusy",
    "Cleanup",
    "CollectingItem",
    "Delivery",
    "DeliveryState",
    "Job",
    "JobState",
    "Recovery",
    "Session",
    "SessionStore",
    "SessionStoreError",
    "SetItem",
    "StatusRef",
]

logger = logging.getLogger(__name__)

CANCELLED: Final = "cancelled"
"""``Job.error`` of a job the user cancelled before it started."""
INTERRUPTED: Final = "interrupted"
"""``Job.error`` of a job that was running when the process stopped too many times."""


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SessionStoreError(MusicCogError):
    """The session store was used wrongly (e.g. a job for a session that does not exist)."""


class ChatBusy(SessionStoreError):
    """The chat already has a queued or running job; ``active`` is that job, so the bot can say which."""

    def __init__(self, active: Job | None) -> None:
        super().__init__("this chat already has a job in progress")
        self.active = active


class _Unset:
    """Sentinel type: "leave this column alone", distinct from ``None`` meaning "clear it"."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


@dataclass(frozen=True)
class Session:
    """One conversation in a chat: which backend holds it and what has been built so far."""

    id: str
    platform: str
    chat_id: str
    backend: str
    backend_session_id: str | None
    timeline_json: str | None
    media_path: str | None
    analysis_ref: str | None
    language: str | None
    is_current: bool
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class Job:
    """One unit of work for a worker; ``payload_json``/``result_json`` are the engine's to define."""

    id: int
    session_id: str
    platform: str
    chat_id: str
    user_id: str
    kind: str
    payload_json: str
    state: JobState
    attempts: int
    error: str | None
    result_json: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None


@dataclass(frozen=True)
class Recovery:
    """What ``recover_interrupted`` did: jobs to run again (queued) and jobs given up on (tell their users)."""

    requeued: tuple[Job, ...]
    failed: tuple[Job, ...]


@dataclass(frozen=True)
class Cleanup:
    """What ``cleanup`` removed; ``media_paths`` and ``backend_sessions`` ((backend, id) pairs) are what the
    retired sessions kept elsewhere, for the caller to delete."""

    sessions_deleted: int
    jobs_deleted: int
    media_paths: tuple[str, ...]
    backend_sessions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SetItem:
    """One clip or photo of a chat's current set; ``media_json`` and ``caption`` are the engine's to define.

    ``choice`` is ``"film"``, ``"each"`` or None while the user has not chosen; ``backend_session_id`` is the
    item's own backend session once a batch ("each separately") has rendered it."""

    position: int
    media_json: str
    caption: str
    choice: str | None
    backend_session_id: str | None


class DeliveryState(StrEnum):
    """Where a job's last reply is (faults15): nowhere yet, handed to a waiting adapter (which says whether it
    showed it), pending for the courier (retried with backoff), delivered, or dropped (given up on)."""

    NONE = "none"
    HANDED = "handed"
    PENDING = "pending"
    DELIVERED = "delivered"
    DROPPED = "dropped"


@dataclass(frozen=True)
class Delivery:
    """A job's last reply waiting for the courier: ``reply_json`` is the engine's to define."""

    job_id: int
    platform: str
    chat_id: str
    reply_json: str
    tries: int


@dataclass(frozen=True)
class StatusRef:
    """The progress message a job's chat shows, as its adapter named it (e.g. a Telegram message id)."""

    job_id: int
    platform: str
    chat_id: str
    ref: str
    job_state: JobState


@dataclass(frozen=True)
class CollectingItem:
    """One item of a set still being collected (nothing asked of it yet), kept so a restart carries on."""

    platform: str
    chat_id: str
    seq: int
    media_json: str
    caption: str
    group_id: str | None
    incoming_json: str


COLLECT_INSERT_TRIES: Final = 8
"""How often an item of a set being collected is placed again when a sibling took its place at once."""


def _session(row: Row) -> Session:
    return Session(
        id=row["id"],
        platform=row["platform"],
        chat_id=row["chat_id"],
        backend=row["backend"],
        backend_session_id=row["backend_session_id"],
        timeline_json=row["timeline_json"],
        media_path=row["media_path"],
        analysis_ref=row["analysis_ref"],
        language=row["language"],
        is_current=bool(row["is_current"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _job(row: Row) -> Job:
    return Job(
        id=row["id"],
        session_id=row["session_id"],
        platform=row["platform"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        kind=row["kind"],
        payload_json=row["payload_json"],
        state=JobState(row["state"]),
        attempts=row["attempts"],
        error=row["error"],
        result_json=row["result_json"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


def _jobs(rows: Iterable[Row]) -> tuple[Job, ...]:
    return tuple(_job(row) for row in rows)


def _served(platforms: Collection[str] | None) -> str | None:
    """The ``:platforms`` parameter: comma-separated names, or None for every platform."""
    return ",".join(sorted(platforms)) if platforms is not None else None


class SessionStore:
    """Async access to sessions, jobs and render counts. Open with ``await SessionStore.open(target)``
    or ``async with await SessionStore.open(target) as store``; one instance is shared by all coroutines.

    ``target`` is an SQLite file path or a ``postgresql://`` URL (``Settings.sessions_database``)."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    @classmethod
    async def open(cls, target: Path | str, *, clock: Callable[[], float] = time.time) -> SessionStore:
        """Open (creating if needed) the database and its tables (an SQLite file is switched to WAL)."""
        db = await open_database(target)
        try:
            await db.create_schema(SESSIONS_SCHEMA, ADDED_COLUMNS)
            await db.create_schema(faults_sql.FAULTS_SCHEMA, ())
        except BaseException:
            await db.close()
            raise
        logger.debug("session store open (%s)", db.dialect)
        return cls(db, clock=clock)

    @property
    def shared(self) -> bool:
        """True when other bot processes may use this database at the same time (PostgreSQL)."""
        return self._db.shared

    @property
    def dialect(self) -> str:
        return self._db.dialect

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> SessionStore:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # ----- low level ---------------------------------------------------------------------------------

    async def _one(self, sql: str, params: dict[str, Any]) -> Row | None:
        return await self._db.one(sql, params)

    async def _all(self, sql: str, params: dict[str, Any]) -> list[Row]:
        return await self._db.all(sql, params)

    # ----- sessions ----------------------------------------------------------------------------------

    async def current_session(self, platform: str, chat_id: str) -> Session | None:
        """The chat's current session, or None if it never had one."""
        row = await self._one(SELECT_CURRENT_SESSION, {"platform": platform, "chat_id": chat_id})
        return _session(row) if row else None

    async def get_session(self, session_id: str) -> Session | None:
        row = await self._one(SELECT_SESSION, {"id": session_id})
        return _session(row) if row else None

    async def chat_sessions(self, platform: str, chat_id: str) -> tuple[Session, ...]:
        """Every session of a chat still stored, oldest first (current and retired)."""
        rows = await self._all(SELECT_CHAT_SESSIONS, {"platform": platform, "chat_id": chat_id})
        return tuple(_session(row) for row in rows)

    async def new_session(
        self, platform: str, chat_id: str, backend: str, *, language: str | _Unset | None = UNSET
    ) -> Session:
        """Start a fresh session (``/new``, or the first message); the previous one is retired, not deleted.

        The language carries over from the previous session unless given: it is the user's choice, not
        part of an edit.
        """
        params = {"platform": platform, "chat_id": chat_id}
        session_id = uuid.uuid4().hex

        async def body(tx: Executor) -> Row | None:
            chosen = language
            if isinstance(chosen, _Unset):
                previous = await tx.one(SELECT_CURRENT_SESSION, params)
                chosen = previous["language"] if previous else None
            now = self._clock()
            await tx.run(RETIRE_CURRENT_SESSION, {**params, "now": now})
            await tx.run(
                INSERT_SESSION, {**params, "id": session_id, "backend": backend, "language": chosen, "now": now}
            )
            return await tx.one(SELECT_SESSION, {"id": session_id})

        row = await self._db.transact(body)
        assert row is not None
        logger.info("new session %s for %s chat (backend %s)", session_id, platform, backend)
        return _session(row)

    async def get_or_create_session(self, platform: str, chat_id: str, backend: str) -> Session:
        """The chat's current session, starting one if there is none."""
        return await self.current_session(platform, chat_id) or await self.new_session(platform, chat_id, backend)

    async def update_session(
        self,
        session_id: str,
        *,
        backend_session_id: str | _Unset | None = UNSET,
        timeline_json: str | _Unset | None = UNSET,
        media_path: str | _Unset | None = UNSET,
        analysis_ref: str | _Unset | None = UNSET,
        language: str | _Unset | None = UNSET,
    ) -> Session:
        """Set the given fields (``None`` clears one; an omitted field is left alone) and return the session."""
        fields = {
            "backend_session_id": backend_session_id,
            "timeline_json": timeline_json,
            "media_path": media_path,
            "analysis_ref": analysis_ref,
            "language": language,
        }
        params: dict[str, Any] = {"id": session_id, "now": self._clock()}
        for name, value in fields.items():
            given = not isinstance(value, _Unset)
            params[f"set_{name}"] = given  # a boolean: PostgreSQL's CASE WHEN takes no integer
            params[name] = value if given else None

        async def body(tx: Executor) -> Row | None:
            await tx.run(UPDATE_SESSION, params)
            return await tx.one(SELECT_SESSION, {"id": session_id})

        row = await self._db.transact(body)
        if row is None:
            raise SessionStoreError(f"no session {session_id}")
        return _session(row)

    # ----- jobs --------------------------------------------------------------------------------------

    async def enqueue(self, session_id: str, user_id: str, kind: str, payload_json: str = "{}") -> Job:
        """Queue a job for the session's chat; raises ``ChatBusy`` if that chat already has one active."""
        params = {
            "session_id": session_id,
            "user_id": user_id,
            "kind": kind,
            "payload_json": payload_json,
            "now": self._clock(),
        }
        try:
            row = await self._db.one(INSERT_JOB, params)
        except DatabaseIntegrityError as exc:
            session = await self.get_session(session_id)
            active = await self.active_job(session.platform, session.chat_id) if session else None
            raise ChatBusy(active) from exc
        if row is None:
            raise SessionStoreError(f"no session {session_id}")
        job = _job(row)
        logger.info("job %d queued (%s)", job.id, kind)
        return job

    async def get_job(self, job_id: int) -> Job | None:
        row = await self._one(SELECT_JOB, {"id": job_id})
        return _job(row) if row else None

    async def active_job(self, platform: str, chat_id: str) -> Job | None:
        """The chat's queued or running job, if any (at most one by construction)."""
        row = await self._one(SELECT_ACTIVE_JOB, {"platform": platform, "chat_id": chat_id})
        return _job(row) if row else None

    async def queue_position(self, job_id: int) -> int | None:
        """1 for the next job to start, 3 for "you're #3 in line"; None once it runs or ends (or is unknown)."""
        row = await self._one(SELECT_QUEUE_POSITION, {"id": job_id})
        position = int(row[0]) if row else 0
        return position or None

    async def queued_count(self) -> int:
        row = await self._one(COUNT_QUEUED, {})
        return int(row[0]) if row else 0

    async def claim_next(self, platforms: Collection[str] | None = None) -> Job | None:
        """Take the oldest queued job and mark it running (attempts + 1) as this process's; None when the
        queue is empty. ``platforms``: only jobs of these chat platforms (a process that serves Telegram
        alone must leave Discord's jobs to the Discord process); None takes any."""
        row = await self._db.claim(CLAIM_NEXT_JOB, {"now": self._clock(), "platforms": _served(platforms)})
        if row is None:
            return None
        job = _job(row)
        logger.info("job %d claimed (attempt %d)", job.id, job.attempts)
        return job

    async def _finish(self, job_id: int, state: JobState, result_json: str | None, error: str | None) -> Job:
        params = {"id": job_id, "state": state.value, "result_json": result_json, "error": error, "now": self._clock()}
        row = await self._db.one(FINISH_JOB, params)
        if row is None:
            raise SessionStoreError(f"job {job_id} is not queued or running")
        logger.info("job %d %s", job_id, state.value)
        return _job(row)

    async def complete_job(self, job_id: int, result_json: str | None = None) -> Job:
        """Mark a job done, recording the engine's result (e.g. the track picked)."""
        return await self._finish(job_id, JobState.DONE, result_json, None)

    async def fail_job(self, job_id: int, error: str) -> Job:
        """Mark a job failed; ``error`` is a short code or error id, never user content."""
        return await self._finish(job_id, JobState.FAILED, None, error)

    async def cancel_queued(self, platform: str, chat_id: str) -> Job | None:
        """Cancel the chat's job if it has not started (it becomes failed/``cancelled``); None otherwise.

        A running job cannot be stopped from the database: the runner must kill its worker and then call
        ``fail_job(job.id, CANCELLED)``.
        """
        row = await self._db.one(
            CANCEL_QUEUED_JOB, {"platform": platform, "chat_id": chat_id, "error": CANCELLED, "now": self._clock()}
        )
        return _job(row) if row else None

    async def unfinished_jobs(self) -> tuple[Job, ...]:
        """Every queued or running job, oldest first: what a restart must either resume or report."""
        return _jobs(await self._all(SELECT_UNFINISHED_JOBS, {}))

    async def recover_interrupted(self, *, max_attempts: int = 2, platforms: Collection[str] | None = None) -> Recovery:
        """At start-up: put jobs left ``running`` by a dead process back in the queue, unless they already
        had ``max_attempts`` tries (a job that crashes the process must not loop forever); those fail with
        ``INTERRUPTED`` and their users should be told. Queued jobs simply stay queued.

        On a shared (PostgreSQL) database, jobs running in other live processes are left alone; this
        store's own earlier claims count as interrupted (it has just started and runs nothing yet).
        ``platforms`` limits it to those platforms' jobs (whose users this process can tell), as in ``claim_next``."""
        params = {
            "max_attempts": max_attempts,
            "error": INTERRUPTED,
            "now": self._clock(),
            "owner": self._db.owner,
            "platforms": _served(platforms),
        }

        async def body(tx: Executor) -> tuple[tuple[Job, ...], tuple[Job, ...]]:
            failed = _jobs(await tx.all(FAIL_INTERRUPTED, params))
            return failed, _jobs(await tx.all(REQUEUE_INTERRUPTED, params))

        failed, requeued = await self._db.transact(body)
        if failed or requeued:
            logger.warning("recovered %d interrupted jobs, gave up on %d", len(requeued), len(failed))
        return Recovery(requeued=requeued, failed=failed)

    async def session_jobs(self, session_id: str) -> tuple[Job, ...]:
        """The session's job history, oldest first."""
        return _jobs(await self._all(SELECT_SESSION_JOBS, {"session_id": session_id}))

    # ----- the chat's current set of items -----------------------------------------------------------

    async def replace_set(
        self, session_id: str, items: Iterable[tuple[str, str]], *, choice: str | None
    ) -> tuple[str, ...]:
        """Make ``items`` ((media_json, caption) pairs, in order) the session's set; returns the backend
        sessions the replaced set's items held, for the caller to discard."""
        rows = [
            {
                "session_id": session_id,
                "position": position,
                "media_json": media_json,
                "caption": caption,
                "choice": choice,
            }
            for position, (media_json, caption) in enumerate(items, start=1)
        ]

        async def body(tx: Executor) -> list[Row]:
            old = await tx.all(DELETE_SET_ITEMS, {"session_id": session_id})
            for row in rows:
                await tx.run(INSERT_SET_ITEM, row)
            return old

        old = await self._db.transact(body)
        return tuple(row[0] for row in old if row[0] is not None)

    async def set_items(self, session_id: str) -> tuple[SetItem, ...]:
        """The session's current set, in order (empty when it has none)."""
        rows = await self._all(SELECT_SET_ITEMS, {"session_id": session_id})
        return tuple(
            SetItem(row["position"], row["media_json"], row["caption"], row["choice"], row["backend_session_id"])
            for row in rows
        )

    async def choose_for_set(self, session_id: str, choice: str) -> None:
        """Record the user's choice (``"film"`` or ``"each"``) for the session's set."""
        await self._db.run(UPDATE_SET_CHOICE, {"session_id": session_id, "choice": choice})

    async def set_item_backend(self, session_id: str, position: int, backend_session_id: str) -> None:
        """Remember the backend session that holds one item's own video (a batch)."""
        params = {"session_id": session_id, "position": position, "backend_session_id": backend_session_id}
        await self._db.run(UPDATE_SET_ITEM_BACKEND, params)

    # ----- quotas ------------------------------------------------------------------------------------

    async def record_render(self, platform: str, user_id: str, day: date) -> int:
        """Count one render for the user on ``day``; returns the new count."""
        row = await self._db.one(
            INCREMENT_RENDER_COUNT, {"platform": platform, "user_id": user_id, "day": day.isoformat()}
        )
        return int(row[0]) if row else 0

    async def count_renders(self, platform: str, user_id: str, day: date) -> int:
        """How many renders the user had on ``day`` (for the daily quota)."""
        row = await self._one(SELECT_RENDER_COUNT, {"platform": platform, "user_id": user_id, "day": day.isoformat()})
        return int(row[0]) if row else 0

    # ----- housekeeping ------------------------------------------------------------------------------

    async def cleanup(self, older_than_s: float, *, platforms: Collection[str] | None = None) -> Cleanup:
        """Delete retired sessions (with their jobs), finished jobs and render counts older than ``older_than_s``.

        Current sessions, unfinished jobs and the sessions they belong to are never deleted; render
        days are compared in UTC. The retired sessions' media paths are
        returned so the caller can remove the files, which this store does not own. ``platforms``: only
        those platforms' sessions (on a shared database, each process cleans up after its own).
        """
        cutoff = self._clock() - older_than_s
        cutoff_day = datetime.fromtimestamp(cutoff, UTC).date().isoformat()
        old_params = {"cutoff": cutoff, "platforms": _served(platforms)}

        async def body(tx: Executor) -> Cleanup:
            old = await tx.all(SELECT_OLD_SESSIONS, old_params)
            paths = tuple(row[0] for row in old if row[0] is not None)
            backend_sessions = tuple((row[1], row[2]) for row in old if row[2] is not None)
            items = await tx.all(SELECT_OLD_SET_BACKENDS, old_params)
            backend_sessions += tuple(
                pair for pair in ((row[0], row[1]) for row in items) if pair not in backend_sessions
            )
            sessions = await tx.run(DELETE_OLD_SESSIONS, old_params)
            jobs = await tx.run(DELETE_OLD_JOBS, {"cutoff": cutoff})
            await tx.run(DELETE_OLD_RENDER_COUNTS, {"cutoff_day": cutoff_day})
            return Cleanup(sessions, jobs, paths, backend_sessions)

        result = await self._db.transact(body)
        logger.info("cleanup removed %d sessions and %d jobs", result.sessions_deleted, result.jobs_deleted)
        return result

    # ----- faults15: deliveries, status messages, batch progress, sets being collected ----------------

    async def note_status(self, platform: str, chat_id: str, ref: str | None) -> None:
        """Remember (or forget, ``None``) the progress message shown for the chat's newest job."""
        row = await self._one(faults_sql.SELECT_NEWEST_CHAT_JOB, {"platform": platform, "chat_id": chat_id})
        if row is not None:
            await self._all(faults_sql.UPSERT_STATUS_REF, {"job_id": row[0], "status_ref": ref})

    async def status_removed(self, platform: str, chat_id: str, ref: str) -> None:
        """The chat's progress message ``ref`` is gone (whichever of its jobs noted it)."""
        params = {"platform": platform, "chat_id": chat_id, "status_ref": ref}
        await self._all(faults_sql.CLEAR_CHAT_STATUS_REF, params)

    async def forget_status(self, job_id: int) -> None:
        await self._all(faults_sql.UPSERT_STATUS_REF, {"job_id": job_id, "status_ref": None})

    async def status_refs(self) -> tuple[StatusRef, ...]:
        """Every progress message still remembered (at start-up: all left behind by the dead process)."""
        rows = await self._all(faults_sql.SELECT_STATUS_REFS, {})
        return tuple(StatusRef(row[0], row[1], row[2], row[3], JobState(row[4])) for row in rows)

    async def put_final_reply(self, job_id: int, reply_json: str, state: DeliveryState) -> None:
        """Keep a job's last reply until it is delivered (``HANDED`` to a waiting adapter or ``PENDING``)."""
        params = {"job_id": job_id, "reply_json": reply_json, "state": state.value, "next_try_at": self._clock()}
        await self._all(faults_sql.UPSERT_FINAL_REPLY, params)

    async def set_delivery(
        self, job_id: int, state: DeliveryState, *, tries: int = 0, next_try_at: float | None = None
    ) -> bool:
        """Move an undelivered reply on (delivered, dropped, or pending again at ``next_try_at``); False when
        it was already delivered or dropped."""
        params = {"job_id": job_id, "state": state.value, "tries": tries, "next_try_at": next_try_at}
        return bool(await self._all(faults_sql.UPDATE_DELIVERY, params))

    async def claim_deliveries(self, *, lease_s: float, job_id: int | None = None) -> tuple[Delivery, ...]:
        """Pending replies whose next try is due (only ``job_id``'s, if given), oldest job first, each claimed
        for ``lease_s`` (its next try moved that far on): two processes on one database never send one twice,
        and one that dies mid-send leaves it to be tried again after the lease."""
        now = self._clock()
        params: dict[str, Any] = {"now": now, "lease_until": now + lease_s}
        if job_id is None:
            rows = await self._all(faults_sql.CLAIM_DUE_DELIVERIES, params)
        else:
            rows = await self._all(faults_sql.CLAIM_DUE_DELIVERY, {**params, "job_id": job_id})
        found = []
        claimed: list[tuple[int, str, int]] = sorted((int(row[0]), str(row[1]), int(row[2])) for row in rows)
        for claimed_id, reply_json, tries in claimed:
            chat = await self._one(faults_sql.SELECT_JOB_CHAT, {"id": claimed_id})
            if chat is not None:
                found.append(Delivery(claimed_id, chat[0], chat[1], reply_json, tries))
        return tuple(found)

    async def next_delivery_at(self) -> float | None:
        row = await self._one(faults_sql.SELECT_NEXT_DELIVERY_AT, {})
        return float(row[0]) if row and row[0] is not None else None

    async def delivery_state(self, job_id: int) -> tuple[DeliveryState, int, int]:
        """(state, tries, batch items done) of a job (``NONE``, 0, 0 when nothing is kept)."""
        row = await self._one(faults_sql.SELECT_DELIVERY_STATE, {"job_id": job_id})
        return (DeliveryState(row[0]), int(row[1]), int(row[2])) if row else (DeliveryState.NONE, 0, 0)

    async def set_items_done(self, job_id: int, items_done: int) -> None:
        """A batch's first ``items_done`` items are delivered: a rerun starts after them."""
        await self._all(faults_sql.UPSERT_ITEMS_DONE, {"job_id": job_id, "items_done": items_done})

    async def add_collecting(
        self, platform: str, chat_id: str, media_json: str, caption: str, group_id: str | None, incoming_json: str
    ) -> None:
        params = {
            "platform": platform,
            "chat_id": chat_id,
            "media_json": media_json,
            "caption": caption,
            "group_id": group_id,
            "incoming_json": incoming_json,
            "now": self._clock(),
        }
        # The item's place is MAX(seq) + 1 of its chat: an album's items arrive together and, on PostgreSQL
        # (read committed), two of them can read the same MAX. The loser takes the next place.
        for attempt in range(COLLECT_INSERT_TRIES):
            try:
                await self._all(faults_sql.INSERT_COLLECTING_ITEM, params)
                return
            except DatabaseIntegrityError:
                if attempt == COLLECT_INSERT_TRIES - 1:
                    raise

    async def clear_collecting(self, platform: str, chat_id: str) -> None:
        await self._all(faults_sql.DELETE_COLLECTING_ITEMS, {"platform": platform, "chat_id": chat_id})

    async def collecting_items(self) -> tuple[CollectingItem, ...]:
        """Every item of every set still being collected, by chat, in the order sent."""
        rows = await self._all(faults_sql.SELECT_COLLECTING_ITEMS, {})
        return tuple(CollectingItem(*(row[index] for index in range(7))) for row in rows)
