"""The session store against real SQLite files and a real PostgreSQL server (every test runs on both):
sessions, the job queue, recovery, quotas."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

import pytest

from bot.sessions import CANCELLED, INTERRUPTED, ChatBusy, JobState, SessionStore, SessionStoreError

T = TypeVar("T")


class FakeClock:
    """Time that only moves when a test says so."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def run(path: Path | str, body: Callable[[SessionStore], Awaitable[T]], clock: FakeClock | None = None) -> T:
    """Open the store at ``path`` (or URL), run ``body`` with it, close it: pytest-asyncio is not installed."""

    async def main() -> T:
        async with await SessionStore.open(path, clock=clock or FakeClock()) as store:
            return await body(store)

    return asyncio.run(main())


def utc_day(timestamp: float) -> date:
    return datetime.fromtimestamp(timestamp, UTC).date()


@pytest.fixture
def db(state_database: Path | str) -> Path | str:
    """Both stores: an SQLite file, then a fresh PostgreSQL database."""
    return state_database


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "musiccog.sqlite3"


def test_wal_mode_and_schema(sqlite_db: Path) -> None:
    db = sqlite_db

    async def body(store: SessionStore) -> None:
        await store.get_or_create_session("telegram", "1", "local")

    run(db, body)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sessions", "jobs", "render_counts"} <= tables


def test_sessions_are_per_platform_and_chat(db: Path | str) -> None:
    async def body(store: SessionStore) -> None:
        assert await store.current_session("telegram", "1") is None
        a = await store.get_or_create_session("telegram", "1", "local")
        assert await store.get_or_create_session("telegram", "1", "local") == a
        b = await store.get_or_create_session("discord", "1", "local")
        c = await store.get_or_create_session("telegram", "2", "nemo")
        assert len({a.id, b.id, c.id}) == 3
        assert c.backend == "nemo" and a.is_current

    run(db, body)


def test_new_keeps_the_old_session_and_the_language(db: Path | str) -> None:
    clock = FakeClock()

    async def body(store: SessionStore) -> None:
        old = await store.new_session("telegram", "1", "local", language="zh")
        old = await store.update_session(old.id, timeline_json='{"v": 1}', media_path="/tmp/a.mp4")
        clock.now += 10
        new = await store.new_session("telegram", "1", "local")
        assert new.id != old.id and new.language == "zh" and new.timeline_json is None
        assert await store.current_session("telegram", "1") == new
        sessions = await store.chat_sessions("telegram", "1")
        assert [s.id for s in sessions] == [old.id, new.id]
        assert not sessions[0].is_current and sessions[0].timeline_json == '{"v": 1}'
        english = await store.new_session("telegram", "1", "local", language="en")
        assert english.language == "en"

    run(db, body, clock)


def test_update_session_sets_clears_and_leaves_fields(db: Path | str) -> None:
    clock = FakeClock()

    async def body(store: SessionStore) -> None:
        session = await store.new_session("telegram", "1", "local")
        clock.now += 5
        session = await store.update_session(
            session.id, backend_session_id="b-1", timeline_json="{}", media_path="/m.mp4", analysis_ref="h1"
        )
        assert (session.backend_session_id, session.media_path, session.analysis_ref) == ("b-1", "/m.mp4", "h1")
        assert session.updated_at == session.created_at + 5
        session = await store.update_session(session.id, media_path=None, language="zh")
        assert session.media_path is None and session.language == "zh" and session.analysis_ref == "h1"
        with pytest.raises(SessionStoreError):
            await store.update_session("missing", language="en")

    run(db, body, clock)


def test_one_job_at_a_time_per_chat(db: Path | str) -> None:
    async def body(store: SessionStore) -> None:
        a = await store.get_or_create_session("telegram", "1", "local")
        b = await store.get_or_create_session("telegram", "2", "local")
        first = await store.enqueue(a.id, "u1", "render", '{"text": "calm"}')
        with pytest.raises(ChatBusy) as busy:
            await store.enqueue(a.id, "u1", "render")
        assert busy.value.active == first
        assert (await store.enqueue(b.id, "u2", "render")).state is JobState.QUEUED
        claimed = await store.claim_next()
        assert claimed is not None and claimed.id == first.id
        with pytest.raises(ChatBusy):
            await store.enqueue(a.id, "u1", "render")
        await store.complete_job(first.id, '{"track": "x"}')
        again = await store.enqueue(a.id, "u1", "render")
        assert again.id > first.id
        with pytest.raises(SessionStoreError):
            await store.enqueue("missing", "u1", "render")

    run(db, body)


def test_concurrent_enqueues_in_one_chat_admit_one(db: Path | str) -> None:
    async def body(store: SessionStore) -> None:
        session = await store.get_or_create_session("telegram", "1", "local")
        results = await asyncio.gather(
            *(store.enqueue(session.id, "u", "render") for _ in range(5)), return_exceptions=True
        )
        assert sum(not isinstance(r, BaseException) for r in results) == 1
        assert sum(isinstance(r, ChatBusy) for r in results) == 4

    run(db, body)


def test_queue_positions_and_claim_order(db: Path | str) -> None:
    async def body(store: SessionStore) -> None:
        jobs = []
        for chat in ("1", "2", "3"):
            session = await store.get_or_create_session("telegram", chat, "local")
            jobs.append(await store.enqueue(session.id, f"u{chat}", "render"))
        assert [await store.queue_position(j.id) for j in jobs] == [1, 2, 3]
        assert await store.queued_count() == 3
        running = await store.claim_next()
        assert running is not None and running.id == jobs[0].id and running.attempts == 1
        assert running.state is JobState.RUNNING and running.started_at is not None
        assert [await store.queue_position(j.id) for j in jobs] == [None, 1, 2]
        cancelled = await store.cancel_queued("telegram", "2")
        assert cancelled is not None and cancelled.error == CANCELLED and cancelled.state is JobState.FAILED
        assert await store.queue_position(jobs[2].id) == 1
        assert await store.cancel_queued("telegram", "1") is None  # running: only the runner can stop it
        assert await store.queue_position(999) is None
        await store.fail_job(running.id, "e1234567")
        with pytest.raises(SessionStoreError):
            await store.complete_job(running.id)
        last = await store.claim_next()
        assert last is not None and last.id == jobs[2].id
        assert await store.claim_next() is None

    run(db, body)


def test_concurrent_workers_never_claim_one_job_twice(db: Path | str) -> None:
    async def body(store: SessionStore) -> None:
        for chat in range(6):
            session = await store.get_or_create_session("telegram", str(chat), "local")
            await store.enqueue(session.id, "u", "render")
        claimed = await asyncio.gather(*(store.claim_next() for _ in range(10)))
        ids = [job.id for job in claimed if job is not None]
        assert len(ids) == 6 == len(set(ids))

    run(db, body)


def test_restart_recovery(db: Path | str) -> None:
    """Close and reopen the file: the queued and running jobs are still there and are resumed or given up."""

    async def before_crash(store: SessionStore) -> list[int]:
        ids = []
        for chat in ("1", "2", "3", "4"):
            session = await store.get_or_create_session("telegram", chat, "local")
            ids.append((await store.enqueue(session.id, "u", "render")).id)
        await store.claim_next()  # chat 1: running, attempt 1
        await store.claim_next()  # chat 2: running, attempt 1
        await store.complete_job(ids[1])
        await store.claim_next()  # chat 3: running, attempt 1; chat 4 stays queued
        return ids

    ids = run(db, before_crash)

    async def first_restart(store: SessionStore) -> None:
        unfinished = await store.unfinished_jobs()
        assert [(j.id, j.state) for j in unfinished] == [
            (ids[0], JobState.RUNNING),
            (ids[2], JobState.RUNNING),
            (ids[3], JobState.QUEUED),
        ]
        recovery = await store.recover_interrupted(max_attempts=2)
        assert [j.id for j in recovery.requeued] == [ids[0], ids[2]] and not recovery.failed
        assert [await store.queue_position(i) for i in (ids[0], ids[2], ids[3])] == [1, 2, 3]
        again = await store.claim_next()  # chat 1 crashes the process a second time
        assert again is not None and again.id == ids[0] and again.attempts == 2

    run(db, first_restart)

    async def second_restart(store: SessionStore) -> None:
        recovery = await store.recover_interrupted(max_attempts=2)
        assert [j.id for j in recovery.failed] == [ids[0]] and not recovery.requeued
        assert recovery.failed[0].error == INTERRUPTED and recovery.failed[0].state is JobState.FAILED
        assert [j.id for j in await store.unfinished_jobs()] == [ids[2], ids[3]]

    run(db, second_restart)


def test_job_history_per_session(db: Path | str) -> None:
    async def body(store: SessionStore) -> None:
        session = await store.get_or_create_session("telegram", "1", "local")
        first = await store.enqueue(session.id, "u", "render", '{"text": "calm"}')
        await store.claim_next()
        await store.complete_job(first.id, '{"track": "a"}')
        second = await store.enqueue(session.id, "u", "export")
        history = await store.session_jobs(session.id)
        assert [(j.id, j.kind, j.state) for j in history] == [
            (first.id, "render", JobState.DONE),
            (second.id, "export", JobState.QUEUED),
        ]
        assert history[0].result_json == '{"track": "a"}' and history[0].payload_json == '{"text": "calm"}'
        assert await store.get_job(first.id) == history[0]

    run(db, body)


def test_daily_render_counts(db: Path | str) -> None:
    monday, tuesday = date(2024, 5, 6), date(2024, 5, 7)

    async def body(store: SessionStore) -> None:
        assert await store.count_renders("telegram", "u1", monday) == 0
        assert [await store.record_render("telegram", "u1", monday) for _ in range(3)] == [1, 2, 3]
        await store.record_render("telegram", "u1", tuesday)
        await store.record_render("discord", "u1", monday)
        assert await store.count_renders("telegram", "u1", monday) == 3
        assert await store.count_renders("telegram", "u1", tuesday) == 1
        assert await store.count_renders("discord", "u1", monday) == 1
        assert await store.count_renders("telegram", "u2", monday) == 0

    run(db, body)
    assert run(db, lambda store: store.count_renders("telegram", "u1", monday)) == 3


def test_cleanup_removes_only_old_retired_sessions(db: Path | str) -> None:
    clock = FakeClock()
    day_s = 86_400.0

    async def body(store: SessionStore) -> None:
        old = await store.new_session("telegram", "1", "local")
        await store.update_session(old.id, media_path="/tmp/old.mp4", backend_session_id="b-old")
        job = await store.enqueue(old.id, "u", "render")
        await store.claim_next()
        await store.complete_job(job.id)
        await store.record_render("telegram", "u", utc_day(clock.now))
        current = await store.new_session("telegram", "1", "local")
        untouched = await store.new_session("telegram", "2", "local")
        clock.now += 10 * day_s
        recent = await store.new_session("telegram", "2", "local")  # retires `untouched` just now
        busy_old = await store.new_session("telegram", "3", "local")
        await store.enqueue(busy_old.id, "u", "render")
        await store.new_session("telegram", "3", "local")
        clock.now -= 10 * day_s
        await store.update_session(busy_old.id)  # backdate: retired long ago but its job never ran
        clock.now += 10 * day_s
        result = await store.cleanup(older_than_s=7 * day_s)
        assert result.sessions_deleted == 1 and result.media_paths == ("/tmp/old.mp4",)
        assert result.backend_sessions == (("local", "b-old"),)
        assert await store.get_session(old.id) is None and await store.get_job(job.id) is None
        for kept in (current, untouched, recent, busy_old):
            assert await store.get_session(kept.id) is not None
        assert await store.count_renders("telegram", "u", utc_day(clock.now - 10 * day_s)) == 0

    run(db, body, clock)


def test_a_database_from_before_the_added_columns_opens_and_gains_them(sqlite_db: Path) -> None:
    """A sessions file made by an earlier version (no ``jobs.claimed_by``) is upgraded in place at open."""
    sqlite_db.parent.mkdir(parents=True)
    with sqlite3.connect(sqlite_db) as conn:
        conn.executescript(
            """
            CREATE TABLE sessions (id TEXT PRIMARY KEY, platform TEXT NOT NULL, chat_id TEXT NOT NULL,
                backend TEXT NOT NULL, backend_session_id TEXT, timeline_json TEXT, media_path TEXT,
                analysis_ref TEXT, language TEXT, is_current INTEGER NOT NULL DEFAULT 1,
                created_at REAL NOT NULL, updated_at REAL NOT NULL);
            CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT,
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, platform TEXT NOT NULL,
                chat_id TEXT NOT NULL, user_id TEXT NOT NULL, kind TEXT NOT NULL, payload_json TEXT NOT NULL,
                state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT, result_json TEXT,
                created_at REAL NOT NULL, started_at REAL, finished_at REAL);
            INSERT INTO sessions VALUES ('s1', 'telegram', '1', 'local', NULL, NULL, NULL, NULL, 'en', 1, 1.0, 1.0);
            INSERT INTO jobs (session_id, platform, chat_id, user_id, kind, payload_json, state, attempts, created_at)
                VALUES ('s1', 'telegram', '1', 'u', 'render', '{}', 'running', 1, 1.0);
            """
        )

    async def body(store: SessionStore) -> None:
        recovery = await store.recover_interrupted()
        assert [job.chat_id for job in recovery.requeued] == ["1"]
        claimed = await store.claim_next()
        assert claimed is not None and claimed.attempts == 2

    run(sqlite_db, body)
    with sqlite3.connect(sqlite_db) as conn:
        assert "claimed_by" in {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
        assert conn.execute("SELECT claimed_by IS NOT NULL FROM jobs").fetchone() == (1,)
