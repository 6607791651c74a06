"""The local backend end to end on a tiny generated clip, in a real spawn-context process pool."""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import multiprocessing
import os
import sys
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from bot.backends.base import Backend, BackendEvent, ExportOptions, NotUnderstood, Rendered, Stage
from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.errors import RenderFailed
from bot.media.cancel import run_process
from bot.media.render import ffmpeg_exe
from tests.mediagen import make_clip


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    yield executor
    executor.shutdown(wait=True, cancel_futures=True)


async def _collect(events: AsyncIterator[BackendEvent]) -> list[BackendEvent]:
    return [event async for event in events]


def test_upload_instruct_state_export(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    clip = make_clip(tmp_path / "trip.mp4", duration_s=3.0, size=(160, 90), cut_times_s=(1.0, 2.0))
    backend = LocalBackend(Settings(), executor=pool)
    assert isinstance(backend, Backend)

    async def scenario() -> None:
        session = await backend.open_session()
        assert await backend.state(session) is None
        first = await _collect(backend.upload(session, clip, prompt="calm"))
        stages = [e.stage for e in first if isinstance(e, Stage)]
        assert [stage for stage, _ in itertools.groupby(stages)] == ["analyse", "match", "render"]
        done = first[-1]
        assert isinstance(done, Rendered) and done.path.is_file() and done.bpm > 0
        assert (Settings().backend_dir / session / "analysis.pickle").is_file()
        timeline = await backend.state(session)
        assert timeline is not None and timeline.music is not None

        same = await _collect(backend.instruct(session, "qwertyuiop zxcvb"))
        assert isinstance(same[-1], NotUnderstood)
        assert await backend.state(session) == timeline

        second = await _collect(backend.instruct(session, "another track"))
        other = second[-1]
        assert isinstance(other, Rendered)
        assert other.track_title != done.track_title and other.path != done.path
        assert other.notes

        exported = await _collect(backend.export(session, ExportOptions()))
        assert isinstance(exported[-1], Rendered) and exported[-1].path == other.path  # no re-render
        assert await backend.credits(session) is None

    asyncio.run(scenario())
    assert clip.is_file()  # the user's file is copied, never consumed


def test_instruct_before_upload_is_rejected(pool: ProcessPoolExecutor) -> None:
    from bot.errors import InputRejected

    backend = LocalBackend(Settings(), executor=pool)

    async def scenario() -> None:
        session = await backend.open_session()
        with pytest.raises(InputRejected):
            await _collect(backend.instruct(session, "louder"))

    asyncio.run(scenario())


def test_renders_are_fitted_under_the_platform_upload_limit(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    """A chat platform's upload limit caps every delivered file; the user's timeline is left as it was."""
    clip = make_clip(
        tmp_path / "grainy.mp4",
        duration_s=3.0,
        size=(320, 180),
        video_source="testsrc2=s=320x180:r=30:d=3,noise=alls=40:allf=t",
        video_args=("-crf", "12", "-preset", "ultrafast"),
    )
    limit = 400_000
    assert clip.stat().st_size > limit
    backend = LocalBackend(Settings(), executor=pool)

    async def scenario() -> None:
        session = await backend.open_session()
        first = (await _collect(backend.upload(session, clip, max_output_bytes=limit)))[-1]
        assert isinstance(first, Rendered) and first.path.stat().st_size <= limit
        timeline = await backend.state(session)
        assert timeline is not None and timeline.output.target_size_bytes is None
        edited = (await _collect(backend.instruct(session, "quieter", max_output_bytes=limit)))[-1]
        assert isinstance(edited, Rendered) and edited.path.stat().st_size <= limit
        exported = (await _collect(backend.export(session, ExportOptions(max_size_bytes=limit))))[-1]
        assert isinstance(exported, Rendered) and exported.path == edited.path, "the fitted render is reused"

    asyncio.run(scenario())


def test_long_stages_report_estimated_progress(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    """A stage in a worker reports rising estimates while it runs, within its share and never 100 %."""
    clip = make_clip(tmp_path / "trip.mp4", duration_s=3.0, size=(160, 90), cut_times_s=(1.0, 2.0))
    backend = LocalBackend(Settings(), executor=pool, progress_tick_s=0.01)

    async def scenario() -> None:
        session = await backend.open_session()
        events = await _collect(backend.upload(session, clip))
        analyse = [e.fraction for e in events if isinstance(e, Stage) and e.stage == "analyse"]
        render = [e.fraction for e in events if isinstance(e, Stage) and e.stage == "render"]
        assert len(analyse) > 2 and len(render) > 2
        assert analyse == sorted(analyse) and all(0.0 <= f < 0.4 for f in analyse)
        assert render == sorted(render) and all(0.5 <= f < 1.0 for f in render)
        assert isinstance(events[-1], Rendered)

    asyncio.run(scenario())


def test_cancelling_a_running_step_stops_its_worker(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    """The pool has one worker: the next step only gets it once the cancelled one's process has been killed."""
    backend = LocalBackend(Settings(), executor=pool)
    pid_file = tmp_path / "endless.pid"
    endless = [
        sys.executable,
        "-c",
        f"import os, pathlib, time; pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid())); time.sleep(300)",
    ]
    quick = [
        ffmpeg_exe(),
        "-nostdin",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x36:rate=10",
        "-t",
        "0.2",
        "-f",
        "null",
        "-",
    ]
    run = functools.partial(run_process, stdin=None, timeout_s=600)

    async def scenario() -> None:
        stuck = asyncio.create_task(backend._run(run, endless))
        while not pid_file.exists() or not pid_file.read_text():
            await asyncio.sleep(0.05)  # running in the worker now
        stuck.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stuck
        code, _ = await asyncio.wait_for(backend._run(run, quick), 120)  # not 300 s behind the endless one
        assert code == 0

    asyncio.run(scenario())
    assert not _alive(int(pid_file.read_text()))
    assert list((Settings().backend_dir / ".cancel").iterdir()) == []  # each marker goes with its work


def test_a_dead_worker_fails_only_its_own_step(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A worker that dies breaks the whole pool: the step running beside it is retried in a process of its
    own and succeeds, its orphaned child process is killed, the step that died twice is a RenderFailed, and the
    backend keeps serving."""
    backend = LocalBackend(Settings(workers=2))  # owns its pool, as in production
    pid_file = tmp_path / "first-run.pid"
    # the first run records its pid and sleeps long; the retry finds the file and is done at once
    beside = (
        "import os, pathlib, time\n"
        f"p = pathlib.Path({str(pid_file)!r})\n"
        "if not p.exists():\n    p.write_text(str(os.getpid())); time.sleep(120)"
    )
    run = functools.partial(run_process, stdin=None, timeout_s=300)
    nap = [sys.executable, "-c", "import time; time.sleep(1)"]

    async def scenario() -> None:
        await asyncio.gather(backend._run(run, nap), backend._run(run, nap))  # both workers up
        innocent = asyncio.create_task(backend._run(run, [sys.executable, "-c", beside]))
        while not pid_file.exists() or not pid_file.read_text():
            await asyncio.sleep(0.05)
        with pytest.raises(RenderFailed, match="worker process stopped"):
            await backend._run(os._exit, 3)
        assert (await asyncio.wait_for(innocent, 60))[0] == 0  # the retry, not the 120 s first run
        assert (await backend._run(run, nap))[0] == 0
        await backend.close()

    with caplog.at_level(logging.ERROR, logger="bot.backends.local"):
        asyncio.run(scenario())
    assert sum("trying the step again" in r.getMessage() for r in caplog.records) == 2  # both steps
    assert sum("giving up" in r.getMessage() for r in caplog.records) == 1  # only the one that died twice
    assert not _alive(int(pid_file.read_text()))


def _alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_warming_starts_the_workers_with_the_library_loaded(pool: ProcessPoolExecutor) -> None:
    """A bot warms its workers when it starts, so the first user does not pay their start-up."""
    from bot.backends import Warmable
    from bot.backends.local_tasks import warm_task
    from bot.config import get_settings

    settings = get_settings()
    backend = LocalBackend(settings, executor=pool)
    assert isinstance(backend, Warmable)
    asyncio.run(backend.warm())
    assert pool.submit(warm_task, settings).result(timeout=300) >= 28


def test_a_vertical_delivery_is_no_larger_than_the_cli_render(
    tmp_path: Path, pool: ProcessPoolExecutor, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every bot delivery passes the platform limit as a cap: that cap must never inflate a 9:16 result."""
    import json

    from bot.cli import main

    clip = make_clip(tmp_path / "pan.mp4", duration_s=3.0, size=(320, 180), cut_times_s=(1.5,))
    assert main(["render", str(clip), "-o", str(tmp_path / "cli.mp4"), "--prompt", "calm",
                 "--instruction", "vertical 9:16", "--json"]) == 0  # fmt: skip
    cli = json.loads(capsys.readouterr().out)
    assert not cli["video_copied"] and cli["height"] > cli["width"]
    backend = LocalBackend(Settings(), executor=pool)
    telegram_limit = 50 * 1024 * 1024

    async def scenario() -> None:
        session = await backend.open_session()
        await _collect(backend.upload(session, clip, prompt="calm", max_output_bytes=telegram_limit))
        vertical = (await _collect(backend.instruct(session, "vertical 9:16", max_output_bytes=telegram_limit)))[-1]
        assert isinstance(vertical, Rendered)
        assert vertical.path.stat().st_size <= cli["output_size_bytes"] * 1.03

    asyncio.run(scenario())
