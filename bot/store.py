"""All SQL of the project, in one place, as named constants with ``:named`` parameters.

The sessions/jobs/render-count statements are run by ``bot.sessions.SessionStore`` on SQLite (the default)
or PostgreSQL (``MUSICCOG_DATABASE_URL``), through ``bot.database``; the library statements by
``LibraryStore`` below. The statements are written once in the SQL both dialects share; where the two
really differ a ``{token}`` word stands in the text and :data:`DIALECT_WORDS` says what each dialect puts
there (``bot.database.prepare`` fills them in). Types are chosen to mean the same in both: ``DOUBLE
PRECISION`` for Unix times (PostgreSQL's ``REAL`` is single precision), ``BIGINT`` for sizes.

This module is longer than most because it is the one home of the project's SQL, as the project decided.

``LibraryStore`` is the music library's analysis cache: plain ``sqlite3``, because it is used from
pipeline worker processes that have no event loop. Analyses are keyed by the file's content hash, so
a renamed or copied file is never analysed twice; ``files`` remembers (size, mtime) per path so a
rescan only hashes files that changed. With a PostgreSQL database (``MUSICCOG_DATABASE_URL``) the analyses
are shared there too (``bot.postgres.SharedAnalyses``), so a track is analysed once for every machine; the
``files`` table stays in each machine's file, as it describes that machine's disk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from bot.postgres import SharedAnalyses

__all__ = [
    "ADDED_COLUMNS",
    "ADD_COLUMN",
    "ADD_COLUMN_IF_MISSING",
    "ANALYSES_SCHEMA",
    "BEGIN_IMMEDIATE",
    "CANCEL_QUEUED_JOB",
    "CLAIM_NEXT_JOB",
    "COMMIT",
    "COUNT_QUEUED",
    "DELETE_FILE",
    "DELETE_OLD_JOBS",
    "DELETE_OLD_RENDER_COUNTS",
    "DELETE_OLD_SESSIONS",
    "DELETE_SET_ITEMS",
    "DIALECT_WORDS",
    "FAIL_INTERRUPTED",
    "FILES_SCHEMA",
    "FINISH_JOB",
    "INCREMENT_RENDER_COUNT",
    "INSERT_JOB",
    "INSERT_SESSION",
    "INSERT_SET_ITEM",
    "LIBRARY_SCHEMA",
    "LOCK_SCHEMA",
    "PING",
    "PRAGMAS",
    "REQUEUE_INTERRUPTED",
    "RETIRE_CURRENT_SESSION",
    "ROLLBACK",
    "SELECT_ACTIVE_JOB",
    "SELECT_ANALYSIS",
    "SELECT_CHAT_SESSIONS",
    "SELECT_CURRENT_SESSION",
    "SELECT_FILE",
    "SELECT_FILES_UNDER",
    "SELECT_JOB",
    "SELECT_OLD_SESSIONS",
    "SELECT_OLD_SET_BACKENDS",
    "SELECT_QUEUE_POSITION",
    "SELECT_RENDER_COUNT",
    "SELECT_SESSION",
    "SELECT_SESSION_JOBS",
    "SELECT_SET_ITEMS",
    "SELECT_UNFINISHED_JOBS",
    "SESSIONS_SCHEMA",
    "TABLE_COLUMNS",
    "TAKE_OWNER_LOCK",
    "UPDATE_SESSION",
    "UPDATE_SET_CHOICE",
    "UPDATE_SET_ITEM_BACKEND",
    "UPSERT_ANALYSIS",
    "UPSERT_FILE",
    "FileRow",
    "LibraryStore",
]

# ----- where the dialects differ ---------------------------------------------------------------------

_CLAIM_ABANDONED_POSTGRES = (
    "(claimed_by IS NULL OR claimed_by = :owner OR NOT EXISTS (SELECT 1 FROM pg_locks AS held "
    "WHERE held.locktype = 'advisory' AND held.granted AND held.objsubid = 1 "
    "AND held.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND held.classid::bigint = (claimed_by >> 32) AND held.objid::bigint = (claimed_by & 4294967295)))"
)

DIALECT_WORDS: Final[dict[str, dict[str, str]]] = {
    "sqlite": {
        "auto_id": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "insertion_order_column": "",
        "skip_locked": "",
        # one process per file (bot.services' lock): whatever is running at start-up was left by a dead one
        "claim_abandoned": "1 = 1",
    },
    "postgresql": {
        "auto_id": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        # SQLite's implicit rowid orders rows inserted within one clock tick; PostgreSQL has none
        "insertion_order_column": "rowid BIGINT GENERATED ALWAYS AS IDENTITY,",
        "skip_locked": "FOR UPDATE SKIP LOCKED",
        # claimed by nobody, by this process in an earlier life, or by one whose liveness lock is gone
        "claim_abandoned": _CLAIM_ABANDONED_POSTGRES,
    },
}
"""What each dialect puts in place of a ``{token}`` word of the statements below."""

# ----- chat sessions, jobs and render counts (bot.sessions) -------------------------------------------

SESSIONS_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS sessions (
    {insertion_order_column}
    id TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    backend TEXT NOT NULL,
    backend_session_id TEXT,
    timeline_json TEXT,
    media_path TEXT,
    analysis_ref TEXT,
    language TEXT,
    is_current INTEGER NOT NULL DEFAULT 1,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS sessions_one_current_per_chat
    ON sessions (platform, chat_id) WHERE is_current = 1;
CREATE TABLE IF NOT EXISTS jobs (
    id {auto_id},
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    result_json TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    started_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_one_active_per_chat
    ON jobs (platform, chat_id) WHERE state IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, id);
CREATE INDEX IF NOT EXISTS jobs_by_session ON jobs (session_id, id);
CREATE TABLE IF NOT EXISTS set_items (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    media_json TEXT NOT NULL,
    caption TEXT NOT NULL,
    choice TEXT CHECK (choice IS NULL OR choice IN ('film', 'each')),
    backend_session_id TEXT,
    PRIMARY KEY (session_id, position)
);
CREATE TABLE IF NOT EXISTS render_counts (
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (platform, user_id, day)
);
"""

ADDED_COLUMNS: Final[tuple[tuple[str, str, str], ...]] = (("jobs", "claimed_by", "BIGINT"),)
"""Columns added after a table was first released: (table, column, declaration), added at open to a
database that lacks them (``Database.create_schema``). Append new ones here; never reorder."""

PRAGMAS: Final = ("PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 5000")

_SESSION_COLUMNS = (
    "id, platform, chat_id, backend, backend_session_id, timeline_json, media_path, analysis_ref, "
    "language, is_current, created_at, updated_at"
)
_JOB_COLUMNS = (
    "id, session_id, platform, chat_id, user_id, kind, payload_json, state, attempts, error, result_json, "
    "created_at, started_at, finished_at"
)

SELECT_CURRENT_SESSION: Final = (
    f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE platform = :platform AND chat_id = :chat_id AND is_current = 1"
)
SELECT_SESSION: Final = f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = :id"
SELECT_CHAT_SESSIONS: Final = (
    f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE platform = :platform AND chat_id = :chat_id "
    "ORDER BY created_at, rowid"
)
RETIRE_CURRENT_SESSION: Final = (
    "UPDATE sessions SET is_current = 0, updated_at = :now "
    "WHERE platform = :platform AND chat_id = :chat_id AND is_current = 1"
)
INSERT_SESSION: Final = """
INSERT INTO sessions (id, platform, chat_id, backend, backend_session_id, timeline_json, media_path,
    analysis_ref, language, is_current, created_at, updated_at)
VALUES (:id, :platform, :chat_id, :backend, NULL, NULL, NULL, NULL, :language, 1, :now, :now)
"""
UPDATE_SESSION: Final = """
UPDATE sessions SET
    backend_session_id = CASE WHEN :set_backend_session_id THEN :backend_session_id ELSE backend_session_id END,
    timeline_json = CASE WHEN :set_timeline_json THEN :timeline_json ELSE timeline_json END,
    media_path = CASE WHEN :set_media_path THEN :media_path ELSE media_path END,
    analysis_ref = CASE WHEN :set_analysis_ref THEN :analysis_ref ELSE analysis_ref END,
    language = CASE WHEN :set_language THEN :language ELSE language END,
    updated_at = :now
WHERE id = :id
"""


def _served(column: str) -> str:
    """``column`` is one of the served platforms (``:platforms``: comma-separated names, NULL for all)."""
    listed = "(',' || CAST(:platforms AS TEXT) || ',')"
    return f"(CAST(:platforms AS TEXT) IS NULL OR {listed} LIKE ('%,' || {column} || ',%'))"


# a process deletes only its platforms' sessions: it is the one that can discard what their backends keep
_OLD_SESSION_FILTER = (
    "is_current = 0 AND updated_at < :cutoff AND NOT EXISTS "
    "(SELECT 1 FROM jobs WHERE jobs.session_id = sessions.id AND jobs.state IN ('queued', 'running')) "
    f"AND {_served('sessions.platform')}"
)
SELECT_OLD_SESSIONS: Final = f"SELECT media_path, backend, backend_session_id FROM sessions WHERE {_OLD_SESSION_FILTER}"
SELECT_OLD_SET_BACKENDS: Final = (
    "SELECT sessions.backend, set_items.backend_session_id FROM set_items "
    "JOIN sessions ON sessions.id = set_items.session_id "
    f"WHERE set_items.backend_session_id IS NOT NULL AND {_OLD_SESSION_FILTER}"
)
DELETE_OLD_SESSIONS: Final = f"DELETE FROM sessions WHERE {_OLD_SESSION_FILTER}"
DELETE_OLD_JOBS: Final = (
    "DELETE FROM jobs WHERE state IN ('done', 'failed') AND COALESCE(finished_at, created_at) < :cutoff"
)
DELETE_OLD_RENDER_COUNTS: Final = "DELETE FROM render_counts WHERE day < :cutoff_day"

INSERT_JOB: Final = f"""
INSERT INTO jobs (session_id, platform, chat_id, user_id, kind, payload_json, state, attempts, created_at)
SELECT id, platform, chat_id, :user_id, :kind, :payload_json, 'queued', 0, :now FROM sessions WHERE id = :session_id
RETURNING {_JOB_COLUMNS}
"""
SELECT_JOB: Final = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = :id"
SELECT_ACTIVE_JOB: Final = (
    f"SELECT {_JOB_COLUMNS} FROM jobs WHERE platform = :platform AND chat_id = :chat_id "
    "AND state IN ('queued', 'running')"
)
SELECT_QUEUE_POSITION: Final = (
    "SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND id <= :id "
    "AND EXISTS (SELECT 1 FROM jobs WHERE id = :id AND state = 'queued')"
)
COUNT_QUEUED: Final = "SELECT COUNT(*) FROM jobs WHERE state = 'queued'"
_SERVED_PLATFORM = _served("platform")
CLAIM_NEXT_JOB: Final = f"""
UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = :now, claimed_by = :owner
WHERE state = 'queued' AND id = (
    SELECT id FROM jobs WHERE state = 'queued' AND {_SERVED_PLATFORM} ORDER BY id LIMIT 1 {{skip_locked}}
)
RETURNING {_JOB_COLUMNS}
"""
"""The oldest queued job of the served platforms (``:platforms``: comma-separated, NULL for all) becomes
this process's (``:owner``). The outer ``state`` check matters on PostgreSQL: a row claimed meanwhile is
skipped, never claimed twice."""
FINISH_JOB: Final = f"""
UPDATE jobs SET state = :state, result_json = :result_json, error = :error, finished_at = :now
WHERE id = :id AND state IN ('queued', 'running')
RETURNING {_JOB_COLUMNS}
"""
CANCEL_QUEUED_JOB: Final = f"""
UPDATE jobs SET state = 'failed', error = :error, finished_at = :now
WHERE platform = :platform AND chat_id = :chat_id AND state = 'queued'
RETURNING {_JOB_COLUMNS}
"""
SELECT_UNFINISHED_JOBS: Final = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE state IN ('queued', 'running') ORDER BY id"
REQUEUE_INTERRUPTED: Final = f"""
UPDATE jobs SET state = 'queued', started_at = NULL, claimed_by = NULL
WHERE state = 'running' AND attempts < :max_attempts AND {{claim_abandoned}} AND {_SERVED_PLATFORM}
RETURNING {_JOB_COLUMNS}
"""
FAIL_INTERRUPTED: Final = f"""
UPDATE jobs SET state = 'failed', error = :error, finished_at = :now
WHERE state = 'running' AND attempts >= :max_attempts AND {{claim_abandoned}} AND {_SERVED_PLATFORM}
RETURNING {_JOB_COLUMNS}
"""
SELECT_SESSION_JOBS: Final = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE session_id = :session_id ORDER BY id"

SELECT_SET_ITEMS: Final = (
    "SELECT position, media_json, caption, choice, backend_session_id FROM set_items "
    "WHERE session_id = :session_id ORDER BY position"
)
DELETE_SET_ITEMS: Final = "DELETE FROM set_items WHERE session_id = :session_id RETURNING backend_session_id"
INSERT_SET_ITEM: Final = """
INSERT INTO set_items (session_id, position, media_json, caption, choice, backend_session_id)
VALUES (:session_id, :position, :media_json, :caption, :choice, NULL)
"""
UPDATE_SET_CHOICE: Final = "UPDATE set_items SET choice = :choice WHERE session_id = :session_id"
UPDATE_SET_ITEM_BACKEND: Final = (
    "UPDATE set_items SET backend_session_id = :backend_session_id "
    "WHERE session_id = :session_id AND position = :position"
)

INCREMENT_RENDER_COUNT: Final = """
INSERT INTO render_counts (platform, user_id, day, count) VALUES (:platform, :user_id, :day, 1)
ON CONFLICT (platform, user_id, day) DO UPDATE SET count = render_counts.count + 1
RETURNING count
"""
SELECT_RENDER_COUNT: Final = (
    "SELECT count FROM render_counts WHERE platform = :platform AND user_id = :user_id AND day = :day"
)

BEGIN_IMMEDIATE: Final = "BEGIN IMMEDIATE"
COMMIT: Final = "COMMIT"
ROLLBACK: Final = "ROLLBACK"

# SQLite only (bot.database): which columns a table has, to add the missing ones of ADDED_COLUMNS.
TABLE_COLUMNS: Final = "PRAGMA table_info({table})"
ADD_COLUMN: Final = "ALTER TABLE {table} ADD COLUMN {column} {declaration}"

# PostgreSQL only (bot.postgres): processes starting together, and who is alive.
LOCK_SCHEMA: Final = "SELECT pg_advisory_xact_lock(:key)"
TAKE_OWNER_LOCK: Final = "SELECT pg_try_advisory_lock(:owner) AS taken"
PING: Final = "SELECT 1"
ADD_COLUMN_IF_MISSING: Final = "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {declaration}"


# ----- the music library index (LibraryStore) --------------------------------------------------------


ANALYSES_SCHEMA = """
CREATE TABLE IF NOT EXISTS analyses (
    content_hash TEXT NOT NULL,
    analysis_version INTEGER NOT NULL,
    features_json TEXT NOT NULL,
    PRIMARY KEY (content_hash, analysis_version)
);
"""
FILES_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size_bytes BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    tags_json TEXT NOT NULL,
    root TEXT NOT NULL
);
"""
LIBRARY_SCHEMA = ANALYSES_SCHEMA + FILES_SCHEMA

SELECT_FILE = "SELECT size_bytes, mtime_ns, content_hash, tags_json FROM files WHERE path = :path"
UPSERT_FILE = """
INSERT INTO files (path, size_bytes, mtime_ns, content_hash, tags_json, root)
VALUES (:path, :size_bytes, :mtime_ns, :content_hash, :tags_json, :root)
ON CONFLICT(path) DO UPDATE SET size_bytes = excluded.size_bytes, mtime_ns = excluded.mtime_ns,
    content_hash = excluded.content_hash, tags_json = excluded.tags_json, root = excluded.root
"""
DELETE_FILE = "DELETE FROM files WHERE path = :path"
SELECT_FILES_UNDER = "SELECT path FROM files WHERE root = :root"
SELECT_ANALYSIS = (
    "SELECT features_json FROM analyses WHERE content_hash = :content_hash AND analysis_version = :version"
)
UPSERT_ANALYSIS = """
INSERT INTO analyses (content_hash, analysis_version, features_json)
VALUES (:content_hash, :version, :features_json)
ON CONFLICT (content_hash, analysis_version) DO UPDATE SET features_json = excluded.features_json
"""


@dataclass(frozen=True)
class FileRow:
    size_bytes: int
    mtime_ns: int
    content_hash: str
    tags_json: str


class LibraryStore:
    """The library index in one SQLite file; safe to open from several processes (WAL, short writes).

    ``analyses_url``: a PostgreSQL URL whose ``analyses`` table is shared by every machine (read when this
    file lacks an analysis, written with every new one); if it cannot be reached the file alone serves."""

    def __init__(self, db_path: Path, *, analyses_url: str | None = None) -> None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(db_path), timeout=30.0)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(LIBRARY_SCHEMA)
        self._shared: SharedAnalyses | None = None
        if analyses_url:
            from bot.postgres import SharedAnalyses  # psycopg only when asked for (and bot.postgres imports us)

            self._shared = SharedAnalyses(analyses_url)

    def close(self) -> None:
        self._conn.close()
        if self._shared is not None:
            self._shared.close()

    def __enter__(self) -> LibraryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._conn:
            yield

    def get_file(self, path: str) -> FileRow | None:
        row = self._conn.execute(SELECT_FILE, {"path": path}).fetchone()
        return FileRow(*row) if row else None

    def put_file(
        self, *, path: str, size_bytes: int, mtime_ns: int, content_hash: str, tags_json: str, root: str
    ) -> None:
        with self._conn:
            self._conn.execute(
                UPSERT_FILE,
                {
                    "path": path,
                    "size_bytes": size_bytes,
                    "mtime_ns": mtime_ns,
                    "content_hash": content_hash,
                    "tags_json": tags_json,
                    "root": root,
                },
            )

    def forget_missing(self, *, root: str, present: set[str]) -> int:
        """Drop index rows of files under ``root`` that are gone; returns how many."""
        gone = [p for (p,) in self._conn.execute(SELECT_FILES_UNDER, {"root": root}) if p not in present]
        with self._conn:
            self._conn.executemany(DELETE_FILE, [{"path": p} for p in gone])
        return len(gone)

    def get_analysis(self, content_hash: str, version: int) -> str | None:
        row = self._conn.execute(SELECT_ANALYSIS, {"content_hash": content_hash, "version": version}).fetchone()
        if row:
            return str(row[0])
        shared = self._shared.get(content_hash, version) if self._shared is not None else None
        if shared is not None:  # another machine analysed it: keep a copy here
            self._put_local(content_hash, version, shared)
        return shared

    def put_analysis(self, content_hash: str, version: int, features_json: str) -> None:
        self._put_local(content_hash, version, features_json)
        if self._shared is not None:
            self._shared.put(content_hash, version, features_json)

    def _put_local(self, content_hash: str, version: int, features_json: str) -> None:
        with self._conn:
            self._conn.execute(
                UPSERT_ANALYSIS,
                {"content_hash": content_hash, "version": version, "features_json": features_json},
            )


# ----- web17: upload and download links (bot.web.tokens) ----------------------------------------------
# Portable SQL (SQLite and PostgreSQL alike): only the token's SHA-256 is stored, never the token itself.

WEB_LINKS_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS web_links (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('upload', 'download')),
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    lang TEXT NOT NULL,
    file_path TEXT,
    file_name TEXT,
    size_bytes BIGINT,
    caption TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    used_at DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS web_links_by_chat ON web_links (platform, chat_id, created_at);
CREATE INDEX IF NOT EXISTS web_links_by_expiry ON web_links (expires_at);
"""
_WEB_LINK_COLUMNS = (
    "token_hash, kind, platform, chat_id, user_id, lang, file_path, file_name, size_bytes, caption, created_at, "
    "expires_at, used_at"
)
INSERT_WEB_LINK: Final = """
INSERT INTO web_links (token_hash, kind, platform, chat_id, user_id, lang, file_path, file_name, size_bytes,
    caption, created_at, expires_at, used_at)
VALUES (:token_hash, :kind, :platform, :chat_id, :user_id, :lang, :file_path, :file_name, :size_bytes,
    NULL, :now, :expires_at, NULL)
"""
SELECT_WEB_LINK: Final = f"SELECT {_WEB_LINK_COLUMNS} FROM web_links WHERE token_hash = :token_hash"
START_WEB_UPLOAD: Final = f"""
UPDATE web_links SET file_path = :file_path, file_name = :file_name, size_bytes = :size_bytes, caption = :caption
WHERE token_hash = :token_hash AND kind = 'upload' AND used_at IS NULL AND expires_at > :now
RETURNING {_WEB_LINK_COLUMNS}
"""
USE_WEB_LINK: Final = f"""
UPDATE web_links SET used_at = :now, expires_at = :keep_until, file_path = COALESCE(:file_path, file_path)
WHERE token_hash = :token_hash AND used_at IS NULL AND expires_at > :now
RETURNING {_WEB_LINK_COLUMNS}
"""
COUNT_RECENT_WEB_LINKS: Final = (
    "SELECT COUNT(*) FROM web_links WHERE platform = :platform AND chat_id = :chat_id AND kind = :kind "
    "AND created_at > :since"
)
SELECT_EXPIRED_WEB_LINKS: Final = "SELECT file_path FROM web_links WHERE expires_at <= :now AND file_path IS NOT NULL"
DELETE_EXPIRED_WEB_LINKS: Final = "DELETE FROM web_links WHERE expires_at <= :now"

__all__ += [
    "COUNT_RECENT_WEB_LINKS",
    "DELETE_EXPIRED_WEB_LINKS",
    "INSERT_WEB_LINK",
    "SELECT_EXPIRED_WEB_LINKS",
    "SELECT_WEB_LINK",
    "START_WEB_UPLOAD",
    "USE_WEB_LINK",
    "WEB_LINKS_SCHEMA",
]

# ----- faults15: deliveries, status messages, batch progress, sets being collected (bot.sessions) ----------
#
# Additive: two tables of their own (no column added to ``jobs``), created with the rest of the schema, in
# SQL both SQLite and PostgreSQL read (``ON CONFLICT … DO UPDATE``, ``RETURNING``, ``DOUBLE PRECISION``
# times; no ``INSERT OR …``).

FAULTS_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS job_deliveries (
    job_id INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    status_ref TEXT,
    reply_json TEXT,
    state TEXT NOT NULL DEFAULT 'none'
        CHECK (state IN ('none', 'handed', 'pending', 'delivered', 'dropped')),
    tries INTEGER NOT NULL DEFAULT 0,
    next_try_at DOUBLE PRECISION,
    items_done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS job_deliveries_due ON job_deliveries (state, next_try_at);
CREATE TABLE IF NOT EXISTS collecting_items (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    media_json TEXT NOT NULL,
    caption TEXT NOT NULL,
    group_id TEXT,
    incoming_json TEXT NOT NULL,
    added_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (platform, chat_id, seq)
);
"""

SELECT_NEWEST_CHAT_JOB: Final = (
    "SELECT id FROM jobs WHERE platform = :platform AND chat_id = :chat_id ORDER BY id DESC LIMIT 1"
)
UPSERT_STATUS_REF: Final = """
INSERT INTO job_deliveries (job_id, status_ref) VALUES (:job_id, :status_ref)
ON CONFLICT (job_id) DO UPDATE SET status_ref = excluded.status_ref
"""
CLEAR_CHAT_STATUS_REF: Final = """
UPDATE job_deliveries SET status_ref = NULL
WHERE status_ref = :status_ref AND job_id IN (SELECT id FROM jobs WHERE platform = :platform AND chat_id = :chat_id)
"""
SELECT_STATUS_REFS: Final = (
    "SELECT jobs.id, jobs.platform, jobs.chat_id, job_deliveries.status_ref, jobs.state FROM job_deliveries "
    "JOIN jobs ON jobs.id = job_deliveries.job_id WHERE job_deliveries.status_ref IS NOT NULL ORDER BY jobs.id"
)
UPSERT_FINAL_REPLY: Final = """
INSERT INTO job_deliveries (job_id, reply_json, state, tries, next_try_at)
VALUES (:job_id, :reply_json, :state, 0, :next_try_at)
ON CONFLICT (job_id) DO UPDATE SET reply_json = excluded.reply_json, state = excluded.state, tries = 0,
    next_try_at = excluded.next_try_at
"""
UPDATE_DELIVERY: Final = """
UPDATE job_deliveries SET state = :state, tries = :tries, next_try_at = :next_try_at,
    reply_json = CASE WHEN :state IN ('delivered', 'dropped') THEN NULL ELSE reply_json END
WHERE job_id = :job_id AND state IN ('handed', 'pending')
RETURNING job_id
"""
CLAIM_DUE_DELIVERIES: Final = """
UPDATE job_deliveries SET next_try_at = :lease_until
WHERE state = 'pending' AND next_try_at <= :now
RETURNING job_id, reply_json, tries
"""
CLAIM_DUE_DELIVERY: Final = """
UPDATE job_deliveries SET next_try_at = :lease_until
WHERE state = 'pending' AND next_try_at <= :now AND job_id = :job_id
RETURNING job_id, reply_json, tries
"""
SELECT_JOB_CHAT: Final = "SELECT platform, chat_id FROM jobs WHERE id = :id"
SELECT_NEXT_DELIVERY_AT: Final = "SELECT MIN(next_try_at) FROM job_deliveries WHERE state = 'pending'"
SELECT_DELIVERY_STATE: Final = "SELECT state, tries, items_done FROM job_deliveries WHERE job_id = :job_id"
UPSERT_ITEMS_DONE: Final = """
INSERT INTO job_deliveries (job_id, items_done) VALUES (:job_id, :items_done)
ON CONFLICT (job_id) DO UPDATE SET items_done = excluded.items_done
"""
INSERT_COLLECTING_ITEM: Final = """
INSERT INTO collecting_items (platform, chat_id, seq, media_json, caption, group_id, incoming_json, added_at)
SELECT :platform, :chat_id, COALESCE(MAX(seq), 0) + 1, :media_json, :caption, :group_id, :incoming_json, :now
FROM collecting_items WHERE platform = :platform AND chat_id = :chat_id
"""
DELETE_COLLECTING_ITEMS: Final = "DELETE FROM collecting_items WHERE platform = :platform AND chat_id = :chat_id"
SELECT_COLLECTING_ITEMS: Final = (
    "SELECT platform, chat_id, seq, media_json, caption, group_id, incoming_json FROM collecting_items "
    "ORDER BY platform, chat_id, seq"
)

__all__ += [
    "CLAIM_DUE_DELIVERIES",
    "CLAIM_DUE_DELIVERY",
    "CLEAR_CHAT_STATUS_REF",
    "DELETE_COLLECTING_ITEMS",
    "FAULTS_SCHEMA",
    "INSERT_COLLECTING_ITEM",
    "SELECT_COLLECTING_ITEMS",
    "SELECT_DELIVERY_STATE",
    "SELECT_JOB_CHAT",
    "SELECT_NEWEST_CHAT_JOB",
    "SELECT_NEXT_DELIVERY_AT",
    "SELECT_STATUS_REFS",
    "UPDATE_DELIVERY",
    "UPSERT_FINAL_REPLY",
    "UPSERT_ITEMS_DONE",
    "UPSERT_STATUS_REF",
]
