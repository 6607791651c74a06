"""Scale-out end to end on loopback: real PostgreSQL, procrastinate, ``musiccog worker`` processes, shared
storage; the bot's side is the local backend with its steps sent to the queue (as ``make_backend`` makes it
when ``MUSICCOG_STORAGE`` is set)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest

from bot.backends.base import BackendEvent, Rendered, Stage
from bot.backends.factory import make_backend
from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.scale.client import QueueSteps
from tests.mediagen import make_clip
from tests.postgres_server import PostgresServer
from tests.scale.conftest import WorkerProcess, shared_env

pytestmark = pytest.mark.timeout(600)


def _env(postgres_url: str, storage: str) -> dict[str, str]:
    return shared_env(postgres_url, storage)


def _backend(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> LocalBackend:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    backend = make_backend(Settings())
    assert isinstance(backend, LocalBackend)
    return backend


async def _last(events: AsyncIterator[BackendEvent]) -> BackendEvent:
    last: BackendEvent | None = None
    async for event in events:
        last = event
    assert last is not None
    return last


def _step_rows(postgres_url: str) -> list[tuple[int, str, int, int | None]]:
    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute("SELECT id, status::text, attempts, worker_id FROM procrastinate_jobs ORDER BY id")
        return [(int(r[0]), str(r[1]), int(r[2]), r[3]) for r in rows.fetchall()]


async def _render_step_running(postgres_url: str, timeout_s: float = 120.0) -> int:
    """The running step's id once the render step (the third: analyse, match, render) is queued and one runs:
    the long re-encode, to interrupt mid-way."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = await asyncio.to_thread(_step_rows, postgres_url)
        doing = [row[0] for row in rows if row[1] == "doing"]
        if len(rows) >= 3 and doing:
            return doing[-1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"the render step never ran: {await asyncio.to_thread(_step_rows, postgres_url)}")


async def _long_render(backend: LocalBackend, clip: Path) -> tuple[str, asyncio.Future[BackendEvent]]:
    """A new session and, in the background, the upload of ``clip`` rendered there (a title and 9:16: a
    re-encode, long enough to interrupt)."""
    session = await backend.open_session()
    prompt = "calm, title 'Day 1', 9:16"
    return session, asyncio.ensure_future(_last(backend.upload(session, clip, prompt=prompt)))


def _worker_running(workers: list[WorkerProcess], job_id: int) -> WorkerProcess:
    for worker in workers:
        if f"job {job_id}: step started" in worker.text():
            return worker
    raise AssertionError(f"no worker says it runs job {job_id}")


def _bucket(endpoint: str) -> str:
    name = f"musiccog-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=name)
    return name


def _s3_keys(endpoint: str, bucket: str) -> list[str]:
    listed = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in listed.get("Contents", [])]


@pytest.mark.parametrize("storage_kind", ["folder", "s3"])
def test_four_clips_spread_over_two_workers(
    storage_kind: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_url: str,
    start_worker: Callable[..., WorkerProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if storage_kind == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = _bucket(endpoint)
        env = _env(postgres_url, f"s3://{bucket}/musiccog") | {"MUSICCOG_S3_ENDPOINT_URL": endpoint}
    else:
        env = _env(postgres_url, str(tmp_path / "shared"))
    workers = [start_worker(env), start_worker(env)]
    for worker in workers:
        worker.wait_for("worker ready")
    clips = [
        make_clip(tmp_path / f"clip{i}.mp4", duration_s=3.0, size=(160, 90), cut_times_s=(1.0, 2.0)) for i in range(4)
    ]
    backend = _backend(env, monkeypatch)

    async def one(clip: Path) -> Rendered:
        session = await backend.open_session()
        done = await _last(backend.upload(session, clip, prompt="calm"))
        assert isinstance(done, Rendered)
        return done

    async def scenario() -> list[Rendered]:
        try:
            return list(await asyncio.gather(*(one(clip) for clip in clips)))
        finally:
            await backend.close()

    rendered = asyncio.run(scenario())
    assert len({r.path for r in rendered}) == 4
    for result in rendered:
        assert result.path.is_file() and result.duration_s == pytest.approx(3.0, abs=0.3)
    rows = _step_rows(postgres_url)
    assert rows and all(status == "succeeded" and attempts == 1 for _, status, attempts, _ in rows)
    assert len({worker_id for *_, worker_id in rows}) == 2  # both workers took steps
    for worker in workers:
        assert "step started" in worker.text()
    if storage_kind == "s3":
        assert _s3_keys(endpoint, bucket) == []  # storage keeps nothing of a finished step
    else:
        assert not any((tmp_path / "shared" / "steps").iterdir())
    for index in (1, 2):
        assert not any((tmp_path / f"worker{index}-tmp" / "worker").iterdir())  # nor the workers' scratch


def test_a_killed_workers_step_finishes_on_the_other(
    tmp_path: Path, postgres_url: str, start_worker: Callable[..., WorkerProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(postgres_url, str(tmp_path / "shared"))
    workers = [start_worker(env), start_worker(env)]
    for worker in workers:
        worker.wait_for("worker ready")
    clip = make_clip(tmp_path / "long.mp4", duration_s=20.0, size=(640, 360), cut_times_s=(5.0, 10.0, 15.0))
    backend = _backend(env, monkeypatch)

    async def scenario() -> Rendered:
        _, rendering = await _long_render(backend, clip)
        try:
            job_id = await _render_step_running(postgres_url)  # the re-encode: kill its worker mid-way
            victim = _worker_running(workers, job_id)
            await asyncio.to_thread(victim.kill)
            done = await rendering
            assert isinstance(done, Rendered)
            return done
        finally:
            await backend.close()

    done = asyncio.run(scenario())
    assert done.path.is_file() and done.width < done.height
    rows = _step_rows(postgres_url)
    assert rows[-1][1] == "succeeded" and rows[-1][2] == 2  # the render step ran twice: killed, then finished
    survivor = next(w for w in workers if w.process.poll() is None)
    assert f"job {rows[-1][0]}: step done" in survivor.text()


def test_cancel_stops_the_step_on_its_worker(
    tmp_path: Path, postgres_url: str, start_worker: Callable[..., WorkerProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(postgres_url, str(tmp_path / "shared"))
    worker = start_worker(env)
    worker.wait_for("worker ready")
    clip = make_clip(tmp_path / "long.mp4", duration_s=30.0, size=(640, 360), cut_times_s=(5.0, 10.0, 15.0))
    backend = _backend(env, monkeypatch)

    async def scenario() -> float:
        _, rendering = await _long_render(backend, clip)
        try:
            job_id = await _render_step_running(postgres_url)
            await asyncio.sleep(1.0)  # FFmpeg is encoding now
            rendering.cancel()
            began = time.monotonic()
            while (await asyncio.to_thread(_step_rows, postgres_url))[-1][1] == "doing":
                await asyncio.sleep(0.1)
            assert f"job {job_id}" in worker.text()
            return time.monotonic() - began
        finally:
            await backend.close()

    stopped_after_s = asyncio.run(scenario())
    assert stopped_after_s < 15.0
    rows = _step_rows(postgres_url)
    assert rows[-1][1] == "aborted"
    worker.wait_for("cancelled; stopping it")
    assert not any((tmp_path / "shared" / "steps").iterdir())


def test_postgres_restarted_mid_render(
    tmp_path: Path,
    postgres_server: PostgresServer,
    postgres_url: str,
    start_worker: Callable[..., WorkerProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bot side and worker reconnect and carry on; the step in flight finishes (or runs again)."""
    env = _env(postgres_url, str(tmp_path / "shared"))
    worker = start_worker(env)
    worker.wait_for("worker ready")
    clip = make_clip(tmp_path / "long.mp4", duration_s=20.0, size=(640, 360), cut_times_s=(5.0, 10.0, 15.0))
    backend = _backend(env, monkeypatch)

    async def scenario() -> Rendered:
        session, rendering = await _long_render(backend, clip)
        try:
            await _render_step_running(postgres_url)
            await asyncio.to_thread(postgres_server.stop, mode="immediate")
            await asyncio.sleep(1.0)
            await asyncio.to_thread(postgres_server.start)
            done = await rendering
            assert isinstance(done, Rendered)
            again = await _last(backend.instruct(session, "quieter"))  # and the next job runs as ever
            assert isinstance(again, Rendered)
            return done
        finally:
            await backend.close()

    done = asyncio.run(scenario())
    assert done.path.is_file()
    assert worker.process.poll() is None


async def _most_at_once(postgres_url: str, work: asyncio.Future[Any]) -> int:
    """The most steps seen running at the same time (sampled every 50 ms) until ``work`` is done."""
    most = 0
    while not work.done():
        rows = await asyncio.to_thread(_step_rows, postgres_url)
        most = max(most, sum(1 for row in rows if row[1] == "doing"))
        await asyncio.sleep(0.05)
    return most


@pytest.mark.parametrize("concurrency", [1, 2])
def test_a_worker_runs_as_many_steps_as_asked_and_queued_ones_say_so(
    concurrency: int,
    tmp_path: Path,
    postgres_url: str,
    start_worker: Callable[..., WorkerProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One worker, clips at once: with ``--concurrency 1`` one step runs and the others wait (never taken early:
    no prefetch), and a waiting one's progress says so, with its place, instead of an estimate; with 2, two run
    at once."""
    env = _env(postgres_url, str(tmp_path / "shared"))
    start_worker(env, concurrency).wait_for("worker ready")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    backend = LocalBackend(Settings(), steps=QueueSteps(Settings()), progress_tick_s=0.2)
    count = 3 if concurrency == 1 else 2
    clips = [
        make_clip(tmp_path / f"c{i}.mp4", duration_s=8.0, size=(320, 180), cut_times_s=(4.0,)) for i in range(count)
    ]

    async def stages(clip: Path) -> list[BackendEvent]:
        session = await backend.open_session()
        return [event async for event in backend.upload(session, clip, prompt="calm, 9:16")]

    async def scenario() -> tuple[list[list[BackendEvent]], int]:
        try:
            work = asyncio.gather(*(stages(clip) for clip in clips))
            most = await _most_at_once(postgres_url, work)
            return list(await work), most
        finally:
            await backend.close()

    both, most = asyncio.run(scenario())
    assert all(isinstance(events[-1], Rendered) for events in both)
    assert most == concurrency
    if concurrency == 1:  # (with two, a step may still wait a moment for the worker to take it on a busy machine)
        queued = [e for events in both for e in events if isinstance(e, Stage) and e.stage == "queue"]
        assert queued and max(e.ahead or 0 for e in queued) >= 1  # the third clip's steps wait behind another
