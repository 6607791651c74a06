"""A worker that lost its claim (taken for dead, its step given to another) reads none of the step's files
and publishes nothing; the worker that holds the claim does. Real PostgreSQL and procrastinate."""

from __future__ import annotations

import asyncio
import logging
import pickle
import time
from pathlib import Path

import pytest
from procrastinate import App, JobContext
from procrastinate.jobs import Job

from bot.config import Settings
from bot.scale.parcel import pack
from bot.scale.queue import QUEUE, TASK_NAME, ensure_schema, make_app, retry_stalled, step_status
from bot.scale.storage import FolderStorage, new_step_prefix
from bot.scale.worker import StepWorker


def _context(app: App, job: Job) -> JobContext:
    return JobContext(app=app, job=job, start_timestamp=time.time(), abort_reason=lambda: None)


async def _fetch(app: App) -> tuple[int, Job]:
    worker_id = await app.job_manager.register_worker()
    job = await app.job_manager.fetch_job(queues=[QUEUE], worker_id=worker_id)
    assert job is not None and job.worker_id == worker_id
    return worker_id, job


def test_only_the_claim_holder_runs_and_publishes(
    postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    storage = FolderStorage(tmp_path / "shared")
    settings = Settings()
    prefix = new_step_prefix()
    call = {"step": "warm_task", "args": pack((settings,), settings.backend_dir).data, "inputs": []}
    storage.put_bytes(f"{prefix}/call", pickle.dumps(call))
    (tmp_path / "scratch").mkdir()

    async def scenario() -> None:
        await ensure_schema(postgres_url)
        app = make_app(postgres_url)
        async with app.open_async():
            app.task(name=TASK_NAME, queue=QUEUE, pass_context=True)(lambda context, prefix: None)
            job_id = await app.configure_task(TASK_NAME, queue=QUEUE).defer_async(prefix=prefix)
            first_id, first_job = await _fetch(app)
            # the first worker falls silent: its step goes back to the queue and to a second worker
            await app.connector.execute_query_async(
                "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' WHERE id = %(id)s",
                id=first_id,
            )
            assert await retry_stalled(app, 30.0) == 1
            _second_id, second_job = await _fetch(app)
            assert second_job.id == job_id and await step_status(app, job_id) == ("doing", 1)

            worker = StepWorker(settings, storage, app, concurrency=1, scratch=tmp_path / "scratch")
            try:
                with caplog.at_level(logging.INFO, logger="bot.scale.worker"):
                    await worker.run_step(_context(app, first_job), prefix)  # the one taken for dead
                    assert "no longer ours" in caplog.text and "step done" not in caplog.text
                    assert storage.get_bytes(f"{prefix}/result") is None
                    await worker.run_step(_context(app, second_job), prefix)  # the claim holder
                    assert "step done" in caplog.text
            finally:
                worker.close()
            outcome = pickle.loads(storage.get_bytes(f"{prefix}/result") or b"")
            assert outcome["ok"] and outcome["outputs"] == []
            assert not any((tmp_path / "scratch").iterdir())

    asyncio.run(scenario())


def test_a_step_that_stalls_twice_is_given_up(postgres_url: str) -> None:
    async def scenario() -> None:
        await ensure_schema(postgres_url)
        app = make_app(postgres_url)
        async with app.open_async():
            job_id = await app.configure_task(TASK_NAME, queue=QUEUE).defer_async(prefix=new_step_prefix())
            for expected in (("todo", 1), ("failed", 2)):
                worker_id, _job = await _fetch(app)
                await app.connector.execute_query_async(
                    "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' WHERE id = %(id)s",
                    id=worker_id,
                )
                assert await retry_stalled(app, 30.0) == 1
                assert await step_status(app, job_id) == expected

    asyncio.run(scenario())
