"""The one dialect layer under the chat-state store: SQLite (the embedded default) or PostgreSQL (scale-out).

``bot.store`` holds every statement once, written in the SQL both dialects share, with ``:named``
parameters and a few ``{token}`` words where the dialects really differ (an identity column, ``FOR UPDATE
SKIP LOCKED``, who holds a claimed job). :func:`prepare` is the one place that turns such a statement
into the dialect's own text. :class:`Database` is what ``bot.sessions.SessionStore`` runs them on:

* :class:`SqliteDatabase` — one aiosqlite connection in autocommit mode; every statement and transaction
  runs under one ``asyncio.Lock`` (so coroutines never interleave inside a ``BEGIN IMMEDIATE``), and a
  file lock beside the database keeps it to one process (``bot.services``).
* ``bot.postgres.PostgresDatabase`` — a psycopg 3 connection pool; several processes share it, claims
  take row locks with ``SKIP LOCKED`` and each process holds an advisory lock that says it is alive.

``open_database`` picks one from the target: a ``postgresql://`` URL, or a path (or ``sqlite:///path``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import secrets
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal, Protocol, TypeVar

import aiosqlite

from bot.store import ADD_COLUMN, BEGIN_IMMEDIATE, COMMIT, DIALECT_WORDS, PRAGMAS, ROLLBACK, TABLE_COLUMNS

__all__ = [
    "Database",
    "DatabaseIntegrityError",
    "Dialect",
    "Executor",
    "NamedRow",
    "Row",
    "SqliteDatabase",
    "cancelling",
    "is_postgres_url",
    "new_owner_key",
    "open_database",
    "prepare",
    "schema_statements",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Dialect = Literal["sqlite", "postgresql"]

_POSTGRES_SCHEMES: Final = ("postgresql://", "postgres://")
_NAMED_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class DatabaseIntegrityError(Exception):
    """A constraint refused a write (a unique index, a foreign key), whichever dialect said so."""


class Row(Protocol):
    """A result row, read by column position or by column name (``sqlite3.Row`` and ours for PostgreSQL)."""

    def __getitem__(self, key: int | str, /) -> Any: ...


class Executor(Protocol):
    """Runs prepared-on-the-fly statements from ``bot.store``: inside a transaction or one at a time."""

    async def one(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        """The first row of the statement's result (a ``RETURNING`` write too), or None."""
        ...

    async def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]: ...

    async def run(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement; returns how many rows it changed."""
        ...


class Database(Executor, Protocol):
    """The chat-state database. ``owner`` names this process's claims (``jobs.claimed_by``); ``shared`` is
    True when other processes may use the same database at once (PostgreSQL)."""

    dialect: Dialect
    shared: bool
    owner: int

    async def transact(self, body: Callable[[Executor], Awaitable[T]]) -> T:
        """Run ``body`` in one transaction (committed when it returns, rolled back if it raises). On
        PostgreSQL a lost connection runs it again on a fresh one, so ``body`` must only touch the database."""
        ...

    async def claim(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        """A write that marks rows as this process's (``:owner`` is filled in): on PostgreSQL it runs on the
        connection that holds the owner's liveness lock, so a claim is never made by an owner that looks dead."""
        ...

    async def create_schema(self, script: str, added_columns: Iterable[tuple[str, str, str]]) -> None:
        """Create the tables of ``script`` if missing, then add each (table, column, declaration) a table lacks."""
        ...

    async def close(self) -> None: ...


def cancelling() -> bool:
    """Whether the running task has been asked to stop. A loop checks it: a database driver may swallow the
    ``CancelledError`` or turn it into an error on the way out of a statement, and ``close()`` waits for it."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def is_postgres_url(target: Path | str) -> bool:
    return isinstance(target, str) and target.startswith(_POSTGRES_SCHEMES)


def new_owner_key() -> int:
    """A random positive 62-bit key for this process's claims (PostgreSQL advisory locks take a bigint)."""
    return secrets.randbits(62) or 1


@functools.lru_cache(maxsize=512)
def prepare(sql: str, dialect: Dialect) -> str:
    """The statement as ``dialect`` runs it: ``{token}`` words filled in; for PostgreSQL ``:name`` becomes
    psycopg's ``%(name)s`` (and a literal ``%`` is doubled). Statements hold no ``:`` inside string literals."""
    for token, text in DIALECT_WORDS[dialect].items():
        sql = sql.replace("{" + token + "}", text)
    if dialect == "postgresql":
        sql = _NAMED_PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))
    return sql


def schema_statements(script: str) -> list[str]:
    """A schema script as separate statements, still to be prepared (the scripts hold no ``;`` inside one)."""
    return [statement.strip() for statement in script.split(";") if statement.strip()]


async def open_database(target: Path | str) -> Database:
    """The database at ``target``: a ``postgresql://`` URL, ``sqlite:///path`` or a file path."""
    if is_postgres_url(target):
        from bot.postgres import PostgresDatabase  # psycopg is imported only when it is used

        return await PostgresDatabase.open(str(target))
    if isinstance(target, str) and "://" in target and not target.startswith("sqlite:///"):
        raise ValueError("the database URL must start with postgresql:// (or be an SQLite file path)")
    path = Path(target.removeprefix("sqlite:///") if isinstance(target, str) else target)
    return await SqliteDatabase.open(path)


class _SqliteExecutor:
    """Statements on the one aiosqlite connection; the caller holds the store's lock."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def one(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        try:
            async with self._conn.execute(prepare(sql, "sqlite"), params or {}) as cursor:
                row: Row | None = await cursor.fetchone()
                return row
        except sqlite3.IntegrityError as exc:
            raise DatabaseIntegrityError(str(exc)) from exc

    async def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        try:
            async with self._conn.execute(prepare(sql, "sqlite"), params or {}) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.IntegrityError as exc:
            raise DatabaseIntegrityError(str(exc)) from exc

    async def run(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        try:
            async with self._conn.execute(prepare(sql, "sqlite"), params or {}) as cursor:
                return int(cursor.rowcount)
        except sqlite3.IntegrityError as exc:
            raise DatabaseIntegrityError(str(exc)) from exc


class SqliteDatabase:
    """One SQLite file through one aiosqlite connection, WAL mode; one process at a time (see module doc)."""

    dialect: Dialect = "sqlite"
    shared = False

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._executor = _SqliteExecutor(conn)
        self._lock = asyncio.Lock()
        self.owner = new_owner_key()

    @classmethod
    async def open(cls, path: Path) -> SqliteDatabase:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            for pragma in PRAGMAS:
                await conn.execute(pragma)
        except BaseException:
            await conn.close()
            raise
        logger.debug("sqlite database open at %s", path)
        return cls(conn)

    async def one(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        async with self._lock:
            return await self._executor.one(sql, params)

    async def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        async with self._lock:
            return await self._executor.all(sql, params)

    async def run(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        async with self._lock:
            return await self._executor.run(sql, params)

    async def claim(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        return await self.one(sql, {**(params or {}), "owner": self.owner})

    async def transact(self, body: Callable[[Executor], Awaitable[T]]) -> T:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` under the lock, rolled back on any error."""
        async with self._lock:
            await self._conn.execute(BEGIN_IMMEDIATE)
            try:
                result = await body(self._executor)
            except BaseException:
                await self._conn.execute(ROLLBACK)
                raise
            await self._conn.execute(COMMIT)
            return result

    async def create_schema(self, script: str, added_columns: Iterable[tuple[str, str, str]]) -> None:
        async with self._lock:
            await self._conn.executescript(prepare(script, "sqlite"))
            for table, column, declaration in added_columns:
                async with self._conn.execute(TABLE_COLUMNS.format(table=table)) as cursor:
                    present = {row[1] for row in await cursor.fetchall()}
                if column not in present:
                    await self._conn.execute(ADD_COLUMN.format(table=table, column=column, declaration=declaration))
                    logger.info("added column %s.%s", table, column)

    async def close(self) -> None:
        await self._conn.close()


class NamedRow(Sequence[Any]):
    """A row read by position or by column name, like ``sqlite3.Row`` (PostgreSQL results)."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: Mapping[str, int], values: Sequence[Any]) -> None:
        self._index = index
        self._values = tuple(values)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"NamedRow({dict(zip(self._index, self._values, strict=True))!r})"
