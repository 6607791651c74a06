"""The local backend's own pool with real processes: one worker after warming, a second only while two steps
run at once, the extra one retired once idle (issue 15: a lone big job runs beside no idle worker)."""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import time
from pathlib import Path

from bench.measure import command_line, process_rows
from bot.backends.local import LocalBackend
from bot.config import get_settings
from bot.media.cancel import run_process


def _pool_workers() -> list[int]:
    """This process's spawn-context worker processes, read from /proc (not from the pool's own books)."""
    me = os.getpid()
    return [
        row.pid
        for row in process_rows()
        if row.parent == me and row.state != "Z" and b"spawn_main" in command_line(row.pid)
    ]


async def _until(predicate: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return True
        await asyncio.sleep(0.1)
    return False


def _held(started: Path, release: Path) -> list[str]:
    """A step's command: say it started, then wait for the release file (so two overlap for sure)."""
    code = (
        "import pathlib, time\n"
        f"pathlib.Path({str(started)!r}).touch()\n"
        f"while not pathlib.Path({str(release)!r}).exists(): time.sleep(0.05)"
    )
    return [sys.executable, "-c", code]


def test_workers_start_on_demand_and_idle_extras_retire(tmp_path: Path) -> None:
    settings = get_settings().model_copy(update={"workers": 2, "worker_idle_s": 1.0})
    backend = LocalBackend(settings)
    run = functools.partial(run_process, stdin=None, timeout_s=300)
    release = tmp_path / "release"

    async def scenario() -> None:
        assert _pool_workers() == []
        await asyncio.gather(backend.warm(), backend.warm())  # the engine at start and its owner: one worker
        assert len(_pool_workers()) == 1  # warmed: one worker, library loaded
        for _ in range(2):
            await backend._run(time.sleep, 0.2)
        assert len(_pool_workers()) == 1  # steps one after another share it
        started = [tmp_path / "one", tmp_path / "two"]
        both = [asyncio.create_task(backend._run(run, _held(flag, release))) for flag in started]
        assert await _until(lambda: all(flag.exists() for flag in started), 120)
        assert len(_pool_workers()) == 2  # two at once: a second worker was started
        release.touch()
        await asyncio.gather(*both)
        assert await _until(lambda: len(_pool_workers()) == 1, 60)  # idle 1 s: the extra one retired
        await backend._run(time.sleep, 0.1)  # the one kept still serves
        await asyncio.gather(*(backend._run(time.sleep, 0.5) for _ in range(3)))
        assert len(_pool_workers()) <= 2  # never more than ``workers``
        await backend.close()
        assert await _until(lambda: _pool_workers() == [], 30)

    asyncio.run(scenario())
