"""All SQL of the project, in one place.

``LibraryStore`` is the music library's analysis cache: plain ``sqlite3``, because it is used from
pipeline worker processes that have no event loop. Analyses are keyed by the file's content hash, so
a renamed or copied file is never analysed twice; ``files`` remembers (size, mtime) per path so a
rescan only hashes files that changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LIBRARY_SCHEMA = """
CREATE TABLE IF NOT EXISTS analyses (
    content_hash TEXT NOT NULL,
    analysis_version INTEGER NOT NULL,
    features_json TEXT NOT NULL,
    PRIMARY KEY (content_hash, analysis_version)
);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size_bytes INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    tags_json TEXT NOT NULL,
    root TEXT NOT NULL
);
"""

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
INSERT OR REPLACE INTO analyses (content_hash, analysis_version, features_json)
VALUES (:content_hash, :version, :features_json)
"""


@dataclass(frozen=True)
class FileRow:
    size_bytes: int
    mtime_ns: int
    content_hash: str
    tags_json: str


class LibraryStore:
    """The library index in one SQLite file; safe to open from several processes (WAL, short writes)."""

    def __init__(self, db_path: Path) -> None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(db_path), timeout=30.0)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(LIBRARY_SCHEMA)

    def close(self) -> None:
        self._conn.close()

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
        return str(row[0]) if row else None

    def put_analysis(self, content_hash: str, version: int, features_json: str) -> None:
        with self._conn:
            self._conn.execute(
                UPSERT_ANALYSIS,
                {"content_hash": content_hash, "version": version, "features_json": features_json},
            )
