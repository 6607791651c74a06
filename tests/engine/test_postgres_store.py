"""What a shared PostgreSQL database adds to the session store, against a real throwaway server: several
processes on one database (claims, the one-job-per-chat index, recovery that spares live processes' jobs and
takes back a SIGKILLed one's), claims scoped to the platforms a process serves, and a server restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

from bot.config import Settings
from bot.sessions import ChatBusy, JobState, SessionStore
from tests.postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parents[2]


def test_the_schema_and_its_invariants_live_in_postgresql(postgres_url: str) -> None:
    async def body() -> None:
        async with await SessionStore.open(postgres_url) as store:
            assert store.shared and store.dialect == "postgresql"
            await store.get_or_create_session("telegram", "1", "local")
        async with await SessionStore.open(postgres_url) as again:  # opening an existing database is a no-op
            assert await again.current_session("telegram", "1") is not None

    asyncio.run(body())
    with psycopg.connect(postgres_url) as conn:
        tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        index_rows = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        indexes = dict(index_rows.fetchall())
        types = dict(
            conn.execute(
                "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public'"
            ).fetchall()
        )
    assert {"sessions", "jobs", "set_items", "render_counts"} <= tables
    assert "UNIQUE" in indexes["jobs_one_active_per_chat"] and "WHERE" in indexes["jobs_one_active_per_chat"]
    assert "UNIQUE" in indexes["sessions_one_current_per_chat"]
    assert types["jobs.id"] == "bigint" and types["jobs.claimed_by"] == "bigint"
    assert types["sessions.created_at"] == "double precision"  # Unix seconds need more than REAL's 24 bits


def test_two_processes_share_the_queue_and_never_claim_one_job_twice(postgres_url: str) -> None:
    """Two stores (two connection pools, as two processes have) on one database."""

    async def body() -> None:
        async with await SessionStore.open(postgres_url) as one, await SessionStore.open(postgres_url) as two:
            ids = []
            for chat in range(30):
                session = await one.get_or_create_session("telegram", str(chat), "local")
                ids.append((await one.enqueue(session.id, "u", "render")).id)
            busy_session = await two.get_or_create_session("telegram", "0", "local")
            with pytest.raises(ChatBusy) as busy:  # the one-job-per-chat index holds across processes
                await two.enqueue(busy_session.id, "u", "render")
            assert busy.value.active is not None and busy.value.active.id == ids[0]
            claims = await asyncio.gather(*(store.claim_next() for _ in range(20) for store in (one, two)))
            taken = [job for job in claims if job is not None]
            assert sorted(job.id for job in taken) == sorted(ids) and len(taken) == 30
            assert all(job.attempts == 1 and job.state is JobState.RUNNING for job in taken)
            assert await one.queued_count() == 0

    asyncio.run(body())
    with psycopg.connect(postgres_url) as conn:
        owners = conn.execute("SELECT COUNT(DISTINCT claimed_by) FROM jobs").fetchone()
    assert owners == (2,)  # both processes took part


def test_claims_take_only_the_platforms_a_process_serves(postgres_url: str) -> None:
    async def body() -> None:
        async with await SessionStore.open(postgres_url) as store:
            jobs = {}
            for platform in ("telegram", "discord"):
                session = await store.get_or_create_session(platform, "1", "local")
                jobs[platform] = await store.enqueue(session.id, "u", "render")
            assert await store.claim_next(frozenset()) is None
            discord = await store.claim_next({"discord"})
            assert discord is not None and discord.id == jobs["discord"].id
            assert await store.claim_next({"discord"}) is None
            telegram = await store.claim_next(None)
            assert telegram is not None and telegram.id == jobs["telegram"].id

    asyncio.run(body())


_CLAIMER = textwrap.dedent(
    """
    import asyncio, sys
    from bot.sessions import SessionStore

    async def main():
        store = await SessionStore.open(sys.argv[1])
        session = await store.get_or_create_session("telegram", "gone", "local")
        job = await store.enqueue(session.id, "u", "render")
        await store.claim_next()
        print(job.id, flush=True)
        await asyncio.sleep(3600)  # rendering... until SIGKILL

    asyncio.run(main())
    """
)


def test_recovery_spares_a_live_processs_jobs_and_takes_back_a_killed_ones(postgres_url: str) -> None:
    claimer = subprocess.Popen(
        [sys.executable, "-c", _CLAIMER, postgres_url], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert claimer.stdout is not None
        killed_job = int(claimer.stdout.readline())

        async def body() -> None:
            async with await SessionStore.open(postgres_url) as alive:
                session = await alive.get_or_create_session("telegram", "alive", "local")
                live_job = await alive.enqueue(session.id, "u", "render")
                assert (await alive.claim_next()) == await alive.get_job(live_job.id)
                async with await SessionStore.open(postgres_url) as restarted:
                    recovery = await restarted.recover_interrupted()
                    assert recovery.requeued == () and recovery.failed == ()  # both claimers are alive
                    os.kill(claimer.pid, signal.SIGKILL)
                    claimer.wait()
                    for _ in range(100):  # the server notices the dropped connection at once; allow a moment
                        recovery = await restarted.recover_interrupted()
                        if recovery.requeued:
                            break
                        await asyncio.sleep(0.05)
                    assert [job.id for job in recovery.requeued] == [killed_job]
                    still = await restarted.get_job(live_job.id)
                    assert still is not None and still.state is JobState.RUNNING
                    again = await restarted.claim_next()
                    assert again is not None and again.id == killed_job and again.attempts == 2

        asyncio.run(body())
    finally:
        if claimer.poll() is None:
            claimer.kill()
            claimer.wait()


@pytest.mark.parametrize("stop_mode", ["fast", "immediate"])
def test_the_store_reconnects_after_the_server_restarts(
    postgres_server: PostgresServer, postgres_url: str, stop_mode: str
) -> None:
    """The server stops (cleanly, or as in a crash) with the store open and a write waiting; it comes back (after
    crash recovery) and everything carries on."""

    async def body() -> None:
        async with await SessionStore.open(postgres_url) as store, await SessionStore.open(postgres_url) as peer:
            first = await store.get_or_create_session("telegram", "1", "local")
            await store.enqueue(first.id, "u", "render")
            running = await store.claim_next()
            assert running is not None
            await asyncio.to_thread(postgres_server.stop, mode=stop_mode)
            second = asyncio.create_task(store.get_or_create_session("telegram", "2", "local"))
            await asyncio.sleep(1.0)
            assert not second.done()  # waiting for the server, not failed
            await asyncio.to_thread(postgres_server.start)
            session = await asyncio.wait_for(second, 30)
            queued = await store.enqueue(session.id, "u", "render")
            assert await store.queue_position(queued.id) == 1
            claimed = await store.claim_next()  # on the owner's connection, made again and locked again
            assert claimed is not None and claimed.id == queued.id
            recovery = await peer.recover_interrupted()  # the store is alive again: its jobs are not taken
            assert recovery.requeued == () and recovery.failed == ()
            await store.complete_job(running.id)
            assert (await store.get_job(running.id)).state is JobState.DONE  # type: ignore[union-attr]

    asyncio.run(body())


def test_settings_choose_the_database(tmp_path: Path, postgres_url: str) -> None:
    assert Settings(data_dir=tmp_path).sessions_database == tmp_path / "sessions.sqlite3"
    assert Settings(data_dir=tmp_path, database_url=postgres_url).sessions_database == postgres_url
    assert postgres_url.split("@")[0] not in repr(Settings(database_url=postgres_url))  # a secret: not shown


def test_each_process_cleans_up_after_its_own_platforms(postgres_url: str) -> None:
    """Retired sessions go with the process that serves their platform (it can discard their backend state)."""
    now = [1_700_000_000.0]

    async def body() -> None:
        async with await SessionStore.open(postgres_url, clock=lambda: now[0]) as store:
            for platform in ("telegram", "discord"):
                old = await store.new_session(platform, "1", "local")
                await store.update_session(old.id, backend_session_id=f"b-{platform}")
                await store.new_session(platform, "1", "local")  # retires it
            now[0] += 40 * 86_400.0
            telegram = await store.cleanup(older_than_s=30 * 86_400.0, platforms={"telegram"})
            assert telegram.sessions_deleted == 1 and telegram.backend_sessions == (("local", "b-telegram"),)
            discord = await store.cleanup(older_than_s=30 * 86_400.0, platforms={"discord"})
            assert discord.sessions_deleted == 1 and discord.backend_sessions == (("local", "b-discord"),)

    asyncio.run(body())
