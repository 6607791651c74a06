"""The task queue: procrastinate on the bot's PostgreSQL, and the few statements both sides add to it.

Why procrastinate: it is PostgreSQL only (no broker to run besides the database the state already lives
in), asyncio native on psycopg 3, maintained, and has what "nothing lost" needs built in: ``FOR UPDATE SKIP
LOCKED`` claiming of one job per free slot (a worker never takes work it is not running), worker
heartbeats with a stalled-job query, and aborting a running job by id (LISTEN/NOTIFY, polled as a
fallback). pgqueuer would fit too; procrastinate's stalled-job detection and abort are the two it has that
this mode leans on.

One procrastinate job is one step of a bot job (the bot's own ``jobs`` table still holds the chat's job).
Its arguments are the step's storage prefix and its identity ``key`` (``bot.scale.client``: a hash of the
step and what it reads, so a restarted bot finds the step it had queued, :func:`step_by_key`); the call and
the result are in storage.
"""

from __future__ import annotations

import logging

import psycopg
from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import ConnectorException
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager

from bot.config import Settings
from bot.errors import InputRejected

__all__ = [
    "DATABASE_ERRORS",
    "MAX_ATTEMPTS",
    "QUEUE",
    "TASK_NAME",
    "claim_is_ours",
    "ensure_schema",
    "make_app",
    "queue_dsn",
    "retry_stalled",
    "step_by_key",
    "step_status",
    "steps_ahead",
]

logger = logging.getLogger(__name__)

TASK_NAME = "musiccog.step"
QUEUE = "musiccog-steps"
MAX_ATTEMPTS = 2
"""Runs of one step at most, as the engine gives one job at most two runs (``recover_interrupted``): a step
that kills its worker twice is not tried a third time."""

DATABASE_ERRORS = (psycopg.Error, ConnectorException, OSError)
"""What a lost database connection raises (PostgreSQL restarted, say): waited out, never a failed job."""

_SCHEMA_LOCK = 0x6D75_7369  # "musi": one process applies the schema, the others wait and find it there

_STATUS = "SELECT status, attempts FROM procrastinate_jobs WHERE id = %(job_id)s"
_AHEAD = (
    "SELECT count(*) AS n FROM procrastinate_jobs WHERE queue_name = %(queue)s AND status = 'todo' AND id < %(job_id)s"
)
_BY_KEY = (
    "SELECT id, status::text AS status, args->>'prefix' AS prefix FROM procrastinate_jobs"
    " WHERE queue_name = %(queue)s AND task_name = %(task)s AND args->>'key' = %(key)s ORDER BY id DESC LIMIT 1"
)
_CLAIM = (
    "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs"
    " WHERE id = %(job_id)s AND status = 'doing' AND worker_id = %(worker_id)s) AS ours"
)


def queue_dsn(settings: Settings) -> str:
    """The queue's PostgreSQL: ``queue_url``, else the chat state's ``database_url`` (one service for both). The
    settings' alias covers ``MUSICCOG_DATABASE_URL`` from the environment; this covers ``Settings(database_url=…)``
    given in code."""
    secret = settings.queue_url
    dsn = (secret.get_secret_value().strip() if secret is not None else "") or settings.state_database_url or ""
    if not dsn.startswith(("postgresql://", "postgres://")):
        raise InputRejected("scale_needs_database")
    return dsn


def make_app(dsn: str) -> App:
    """A procrastinate app on ``dsn`` (opened by the caller); the worker registers the task on it. Its pool
    checks connections before use (procrastinate sets that), so after a database restart dead ones are
    replaced, not used."""
    return App(connector=PsycopgConnector(conninfo=dsn, min_size=1, max_size=4))


async def ensure_schema(dsn: str) -> None:
    """Create procrastinate's tables once (an advisory lock keeps two starting processes from racing)."""
    async with await psycopg.AsyncConnection.connect(dsn) as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        cursor = await connection.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
        row = await cursor.fetchone()
        if row is None or not row[0]:
            logger.info("creating the task queue's tables")
            await connection.execute(SchemaManager.get_schema())


async def step_status(app: App, job_id: int) -> tuple[str, int] | None:
    """The step's procrastinate status (``todo``, ``doing``, ``succeeded``…) and finished attempts."""
    rows = await app.connector.execute_query_all_async(_STATUS, job_id=job_id)
    return (str(rows[0]["status"]), int(rows[0]["attempts"])) if rows else None


async def step_by_key(app: App, key: str) -> tuple[int, str, str] | None:
    """The newest step queued with this identity: its id, status and storage prefix (None if there is none).
    Reads the queue's rows of a day at most (``delete_old_jobs``), so no index of our own is needed."""
    rows = await app.connector.execute_query_all_async(_BY_KEY, queue=QUEUE, task=TASK_NAME, key=key)
    if not rows or not rows[0]["prefix"]:
        return None
    return int(rows[0]["id"]), str(rows[0]["status"]), str(rows[0]["prefix"])


async def steps_ahead(app: App, job_id: int) -> int:
    """Steps of this queue waiting before ``job_id`` (procrastinate takes the oldest of a priority first)."""
    row = await app.connector.execute_query_one_async(_AHEAD, job_id=job_id, queue=QUEUE)
    return int(row["n"])


async def claim_is_ours(app: App, job_id: int, worker_id: int | None) -> bool:
    """Whether this worker still holds the step (not retried elsewhere after we were taken for dead)."""
    if worker_id is None:
        return False
    row = await app.connector.execute_query_one_async(_CLAIM, job_id=job_id, worker_id=worker_id)
    return bool(row["ours"])


async def retry_stalled(app: App, stalled_s: float) -> int:
    """Steps whose worker stopped sending heartbeats: run again elsewhere, or failed after ``MAX_ATTEMPTS``.

    Every worker runs this; two finding the same step is harmless (the second one's update finds it no
    longer ``doing`` and is ignored). Returns how many steps were moved."""
    moved = 0
    for job in await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=stalled_s):
        try:
            if job.attempts + 1 < MAX_ATTEMPTS:
                await app.job_manager.retry_job(job)
                logger.warning("step %s: its worker went silent; queued to run again", job.id)
            else:
                await app.job_manager.finish_job(job, Status.FAILED, delete_job=False)
                logger.error("step %s: its worker went silent again; given up", job.id)
            moved += 1
        except Exception:
            logger.debug("step %s was moved by someone else", job.id, exc_info=True)
    return moved
