"""The chat-state database on PostgreSQL (psycopg 3, async), for several bot processes at once.

What differs from the SQLite file (``bot.database.SqliteDatabase``), and why:

* **Many processes.** A Telegram and a Discord process (or several of each) share one database. A claim
  is one ``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)`` that re-checks ``state = 'queued'``, so
  two claimers never take one job and neither waits on the other's locked row.
* **Who is alive.** Each process holds a session-level advisory lock on its random ``owner`` key for as long
  as it runs, on one dedicated connection, and makes its claims on that same connection (``claimed_by =
  owner``). A process that dies loses its connection and with it the lock, so another process's start-up
  recovery can tell its running jobs (owner's lock not held: requeue them) from those of a live one (left
  alone) — the SQLite file needs no such thing because only one process opens it.
* **Reconnecting.** Pooled connections are checked before use; a statement or transaction that fails
  because the connection broke (the server restarted, a failover) runs again on a fresh connection for up
  to :data:`RECONNECT_S`, backing off. The owner's connection is checked every :data:`OWNER_CHECK_S` and
  its lock taken again at once after a reconnect (and before any claim), so a live process looks dead to
  the others for seconds at most after a server restart. A write whose
  commit was sent but whose answer was lost may run twice: every such write here is idempotent or guarded
  by its ``WHERE`` (a claim re-checks ``state``), except a claim itself, whose job then stays ``running``
  under a live owner until that owner restarts.
* **Schema.** Created under a transaction-level advisory lock, so processes starting together do not race
  on ``CREATE TABLE IF NOT EXISTS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Final, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolClosed

from bot.database import (
    DatabaseIntegrityError,
    Dialect,
    Executor,
    NamedRow,
    Row,
    cancelling,
    new_owner_key,
    prepare,
    schema_statements,
)
from bot.store import (
    ADD_COLUMN_IF_MISSING,
    ANALYSES_SCHEMA,
    LOCK_SCHEMA,
    PING,
    SELECT_ANALYSIS,
    TAKE_OWNER_LOCK,
    UPSERT_ANALYSIS,
)

__all__ = ["POOL_SIZE", "RECONNECT_S", "PostgresDatabase", "SharedAnalyses"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

RECONNECT_S: Final = 60.0
"""How long a statement keeps trying while the server is unreachable before its error is raised."""
POOL_SIZE: Final = 8
"""Connections one process keeps at most (besides the owner's); statements are short."""
CONNECT_TIMEOUT_S: Final = 5.0
SHARED_RETRY_S: Final = 30.0
"""After the shared analyses failed, how long the library works from this machine's cache alone."""
OWNER_CHECK_S: Final = 2.0
"""How often the owner's connection (and so its liveness lock) is checked and, if lost, made again."""
_SCHEMA_LOCK_KEY: Final = 0x6D75_7369_6363_6F67 >> 2  # "musiccog", shifted into a positive bigint
_CONNECTION_LOST_STATES: Final = frozenset({"57P01", "57P02", "57P03"})  # admin/crash shutdown, starting up


def _named_rows(cursor: Any) -> Callable[[Sequence[Any]], NamedRow]:
    index = {column.name: position for position, column in enumerate(cursor.description or ())}
    return lambda values: NamedRow(index, values)


def _connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` means "the connection is gone" (worth a retry), not "the statement is wrong"."""
    if isinstance(exc, PoolClosed) or not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in _CONNECTION_LOST_STATES


class _PgExecutor:
    """Statements on one connection (inside a transaction, or autocommit)."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn

    async def _cursor(self, sql: str, params: Mapping[str, Any] | None) -> psycopg.AsyncCursor[Any]:
        try:
            return await self._conn.execute(prepare(sql, "postgresql"), params or {})
        except psycopg.IntegrityError as exc:
            raise DatabaseIntegrityError(str(exc)) from exc

    async def one(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        cursor = await self._cursor(sql, params)
        row: Row | None = await cursor.fetchone() if cursor.description else None
        return row

    async def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        cursor = await self._cursor(sql, params)
        return list(await cursor.fetchall()) if cursor.description else []

    async def run(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        return int((await self._cursor(sql, params)).rowcount)


class PostgresDatabase:
    """A psycopg connection pool plus the owner's connection; see the module doc."""

    dialect: Dialect = "postgresql"
    shared = True

    def __init__(self, url: str, pool: AsyncConnectionPool[Any], *, reconnect_s: float) -> None:
        self._url = url
        self._pool = pool
        self._reconnect_s = reconnect_s
        self.owner = new_owner_key()
        self._owner_conn: psycopg.AsyncConnection[Any] | None = None
        self._owner_lock = asyncio.Lock()
        self._keeper: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str, *, reconnect_s: float = RECONNECT_S) -> PostgresDatabase:
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True, "row_factory": _named_rows, "connect_timeout": int(CONNECT_TIMEOUT_S)},
            check=AsyncConnectionPool.check_connection,
            timeout=CONNECT_TIMEOUT_S,
            name="musiccog-state",
            open=False,
        )
        # a server still starting (a compose file brings both up at once) is waited for, as after a restart
        await pool.open(wait=True, timeout=reconnect_s)
        database = cls(url, pool, reconnect_s=reconnect_s)
        try:
            await database._retrying("connecting", database._owner_connection)
        except BaseException:
            await pool.close()
            raise
        database._keeper = asyncio.create_task(database._keep_owner(), name="musiccog-db-owner")
        logger.debug("postgresql database open (owner %d)", database.owner)
        return database

    async def _retrying(self, what: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt()``, again on a fresh connection while the connection is what fails (see module doc)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._reconnect_s
        delay = 0.1
        while True:
            try:
                return await attempt()
            except psycopg.Error as exc:
                if cancelling():  # psycopg can turn a cancelled statement into an error: stay cancelled
                    raise asyncio.CancelledError from exc
                if not _connection_lost(exc) or loop.time() + delay > deadline:
                    raise
                logger.warning("database connection lost during %s (%s); trying again", what, type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _autocommit(self, sql: str, params: Mapping[str, Any] | None, how: str) -> Any:
        async def attempt() -> Any:
            async with self._pool.connection() as conn:
                executor = _PgExecutor(conn)
                return await getattr(executor, how)(sql, params)

        return await self._retrying("a statement", attempt)

    async def one(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        row: Row | None = await self._autocommit(sql, params, "one")
        return row

    async def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        rows: list[Row] = await self._autocommit(sql, params, "all")
        return rows

    async def run(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        count: int = await self._autocommit(sql, params, "run")
        return count

    async def transact(self, body: Callable[[Executor], Awaitable[T]]) -> T:
        async def attempt() -> T:
            async with self._pool.connection() as conn, conn.transaction():
                return await body(_PgExecutor(conn))

        return await self._retrying("a transaction", attempt)

    async def _owner_connection(self) -> psycopg.AsyncConnection[Any]:
        """The connection that holds this process's advisory lock, (re)connected and (re)locked if needed.
        The caller holds ``_owner_lock`` (or is ``open``)."""
        conn = self._owner_conn
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
            self._owner_conn = None
        conn = await psycopg.AsyncConnection.connect(
            self._url, autocommit=True, row_factory=_named_rows, connect_timeout=int(CONNECT_TIMEOUT_S)
        )
        row = await _PgExecutor(conn).one(TAKE_OWNER_LOCK, {"owner": self.owner})
        if not (row and row["taken"]):  # another live process drew the same 62-bit key: practically never
            await conn.close()
            raise psycopg.OperationalError("owner key already held by another process")
        self._owner_conn = conn
        return conn

    async def _keep_owner(self) -> None:
        """Check the owner's connection now and then; a broken one is made again (and locked) on the next turn."""
        down = False
        while True:
            await asyncio.sleep(OWNER_CHECK_S)
            try:
                async with self._owner_lock:
                    conn = await self._owner_connection()
                    await _PgExecutor(conn).run(PING)
            except psycopg.Error as exc:
                if not down:  # once per outage, not every few seconds
                    logger.warning("the database's owner connection is down (%s); reconnecting", type(exc).__name__)
                down = True
                continue
            if down:
                logger.info("the database's owner connection is back (owner lock held again)")
            down = False

    async def claim(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        values = {**(params or {}), "owner": self.owner}

        async def attempt() -> Row | None:
            async with self._owner_lock:
                conn = await self._owner_connection()
                return await _PgExecutor(conn).one(sql, values)

        return await self._retrying("a claim", attempt)

    async def create_schema(self, script: str, added_columns: Iterable[tuple[str, str, str]]) -> None:
        statements = schema_statements(script)
        columns = tuple(added_columns)

        async def body(executor: Executor) -> None:
            await executor.run(LOCK_SCHEMA, {"key": _SCHEMA_LOCK_KEY})
            for statement in statements:
                await executor.run(statement)
            for table, column, declaration in columns:
                await executor.run(ADD_COLUMN_IF_MISSING.format(table=table, column=column, declaration=declaration))

        await self.transact(body)

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        if self._owner_conn is not None:
            with contextlib.suppress(Exception):
                await self._owner_conn.close()  # drops the advisory lock: our running jobs may now be recovered
            self._owner_conn = None
        await self._pool.close()


class SharedAnalyses:
    """The music library's analyses (by content hash) in PostgreSQL, shared by every machine.

    Synchronous (``LibraryStore`` runs in worker processes with no event loop) and a cache: a statement that
    fails is logged once and answered as a miss (or skipped), and the next one connects again, so a database
    outage costs at most analysing a track locally, never a render."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: psycopg.Connection[Any] | None = None
        self._quiet_until = 0.0
        self._warned = False

    def _connection(self) -> psycopg.Connection[Any]:
        """The connection, made (and the table created if missing) when there is none or it broke."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=int(CONNECT_TIMEOUT_S))
            try:
                with conn.transaction():
                    conn.execute(prepare(LOCK_SCHEMA, "postgresql"), {"key": _SCHEMA_LOCK_KEY})
                    for statement in schema_statements(ANALYSES_SCHEMA):
                        conn.execute(prepare(statement, "postgresql"), {})
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _use(self, work: Callable[[psycopg.Connection[Any]], T]) -> T | None:
        """``work`` on the connection, or None if the database cannot be used (then not tried for a while)."""
        if time.monotonic() < self._quiet_until:
            return None
        try:
            result = work(self._connection())
        except psycopg.Error as exc:
            if not self._warned:
                logger.warning("shared library analyses unavailable (%s); using this machine's", type(exc).__name__)
                self._warned = True
            self._quiet_until = time.monotonic() + SHARED_RETRY_S
            return None
        self._warned = False
        return result

    def get(self, content_hash: str, version: int) -> str | None:
        params = {"content_hash": content_hash, "version": version}
        row = self._use(lambda conn: conn.execute(prepare(SELECT_ANALYSIS, "postgresql"), params).fetchone())
        return str(row[0]) if row else None

    def put(self, content_hash: str, version: int, features_json: str) -> None:
        params = {"content_hash": content_hash, "version": version, "features_json": features_json}
        self._use(lambda conn: conn.execute(prepare(UPSERT_ANALYSIS, "postgresql"), params))

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
