"""The local backend: the embedded pipeline, run in a bounded pool of worker processes.

Why processes: analysis and mixing are CPU-bound Python/numpy; on the event loop they would freeze
every chat. The pool uses the ``spawn`` context (no forked copies of the loop, the SQLite connections or
a chat client's sockets) and only plain picklable data crosses it: paths, ``Timeline``,
``ClipAnalysis``, ``RenderOutcome``.

Each session lives in its own folder under ``settings.backend_dir``::

    <session id>/source.<ext>    the user's clip, copied once; every render starts from it
    <session id>/analysis.pickle the clip's analysis, made once per upload and reused by every render
    <session id>/timeline.json   the current timeline (the edit state)
    <session id>/last.json       what the last render was made from, so export can reuse it
    <session id>/renders/*.mp4   the last two renders (the newest may still be uploading to the chat)

    .cancel/<id>                 created when a job is cancelled mid-step: the worker sees it, kills its
                                 FFmpeg and stops (``bot.media.cancel``), so the slot is free for the next job

A worker that dies (killed for memory, say) breaks the whole pool; the steps that were running are tried
once more, each alone in a process of its own, and the other workers' FFmpeg children are killed with them.

Progress is reported at stage boundaries (analyse → match → render) and, inside a long stage, as an
estimate every few seconds, which is what the chat can show anyway at one status edit per few seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import multiprocessing
import pickle
import shutil
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from bot.backends.base import BackendEvent, Credits, ExportOptions, NotUnderstood, Rendered, Stage
from bot.backends.renders import prune_renders, rendered_from_json, rendered_to_json
from bot.config import Settings
from bot.errors import InputRejected, RenderFailed
from bot.media import cancel
from bot.media.editing import InstructionReport, apply_instruction, first_timeline, with_source, with_user_song
from bot.media.library import Library, analyse_song, loaded_library
from bot.media.pipeline import ClipAnalysis, RenderOutcome, analyse_clip, render_timeline
from bot.media.timeline import Timeline

logger = logging.getLogger(__name__)

T = TypeVar("T")

_ANALYSIS_CACHE_SIZE = 32
_CANCEL_DIR = ".cancel"


# ----- worker-side functions (module level, so the spawn context can pickle them) ------------------


def _watched(marker: str, func: Callable[..., T], *args: Any) -> T:
    """Run ``func(*args)``, stopping early (``Cancelled``) once ``marker`` exists."""
    with cancel.watching(Path(marker)):
        return func(*args)


def _analyse_task(source: str, settings: Settings) -> ClipAnalysis:
    return analyse_clip(source, settings=settings)


def _first_timeline_task(source: str, analysis: ClipAnalysis, prompt: str | None, settings: Settings) -> Timeline:
    return first_timeline(
        input_path=source,
        duration_s=analysis.info.duration_s,
        video=analysis.video,
        library=_library(settings),
        prompt=prompt,
    )


def _instruct_task(
    timeline: Timeline, text: str, analysis: ClipAnalysis, settings: Settings
) -> tuple[Timeline, InstructionReport]:
    return apply_instruction(timeline, text, video=analysis.video, library=_library(settings, timeline))


def _use_song_task(
    timeline: Timeline, song: str, title: str | None, analysis: ClipAnalysis, settings: Settings
) -> Timeline:
    track = analyse_song(Path(song), settings)
    return with_user_song(timeline, track, video=analysis.video, title=title)


def _render_task(
    timeline: Timeline, source: str, output: str, analysis: ClipAnalysis, settings: Settings
) -> RenderOutcome:
    return render_timeline(
        with_source(timeline, source),
        analysis,
        _library(settings, timeline),
        output_path=output,
        ffmpeg_timeout_s=settings.ffmpeg_timeout_s,
    )


def _library(settings: Settings, timeline: Timeline | None = None) -> Library:
    """This worker's library (loaded once per process), plus the user's song when the timeline uses one."""
    library = loaded_library(settings)
    music = timeline.music if timeline is not None else None
    if music is not None and music.user_path is not None:
        library = library.with_user_song(analyse_song(Path(music.user_path), settings))
    return library


def fit_for_delivery(timeline: Timeline, max_output_bytes: int | None) -> Timeline:
    """The timeline with its target size capped at the platform's upload limit (the smaller wins)."""
    if max_output_bytes is None:
        return timeline
    wanted = timeline.output.target_size_bytes
    cap = max_output_bytes if wanted is None else min(wanted, max_output_bytes)
    return replace(timeline, output=replace(timeline.output, target_size_bytes=cap))


# ----- the backend -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Paths:
    root: Path

    @property
    def analysis(self) -> Path:
        return self.root / "analysis.pickle"

    @property
    def timeline(self) -> Path:
        return self.root / "timeline.json"

    @property
    def last(self) -> Path:
        return self.root / "last.json"

    @property
    def renders(self) -> Path:
        return self.root / "renders"

    def source(self) -> Path | None:
        found = sorted(self.root.glob("source.*"))
        return found[0] if found else None


PROGRESS_TICK_S = 2.0
"""A stage that runs in a worker reports an estimate this often (the chat shows at most one per ~3 s)."""


def _expected_analyse_s(source: Path) -> float:
    """Rough analysis time from the file size (measured ~0.1 s per MB on 2 cores, plus start-up)."""
    try:
        return 1.0 + source.stat().st_size / 10_000_000
    except OSError:
        return 5.0


def _expected_render_s(timeline: Timeline) -> float:
    """Rough render time: ~0.07× the clip's length on the copy path, far more when the picture is re-encoded."""
    duration_s = max(1.0, timeline.duration_s)
    output = timeline.output
    copies_picture = timeline.title is None and output.aspect is None and output.max_height is None
    return 1.0 + duration_s * (0.07 if copies_picture else 0.8)


class LocalBackend:
    """The pipeline behind the :class:`~bot.backends.base.Backend` protocol.

    ``executor`` may be injected (tests, or a shared pool); by default a spawn-context
    ``ProcessPoolExecutor`` of ``settings.worker_count`` processes is made on first use.
    """

    name = "local"

    def __init__(
        self, settings: Settings, *, executor: Executor | None = None, progress_tick_s: float = PROGRESS_TICK_S
    ) -> None:
        """``progress_tick_s``: how often a long stage reports its estimated progress."""
        self._settings = settings
        self._progress_tick_s = progress_tick_s
        self._root = settings.backend_dir
        self._executor = executor
        self._owns_executor = executor is None
        self._analyses: OrderedDict[str, ClipAnalysis] = OrderedDict()

    # ----- plumbing ------------------------------------------------------------------------------

    def _pool(self) -> Executor:
        if self._executor is None:
            self._executor = _new_pool(self._settings.worker_count)
        return self._executor

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        """Run ``func(*args)`` in a worker.

        When a worker process dies (killed for memory, say) the whole pool breaks and every step running
        in it fails, not only the one that caused it. So the pool is replaced and the step tried once
        more, alone in a process of its own: if it was the culprit it cannot take anyone else down with
        it the second time (every step here is safe to repeat). A second death is ``RenderFailed``.
        """
        pool = self._pool()
        try:
            return await self._run_once(pool, func, *args)
        except BrokenProcessPool as exc:
            if not self._owns_executor:
                logger.error("worker process died in the pool the backend was given")
                raise RenderFailed("A worker process stopped unexpectedly.") from exc
            if self._executor is pool:  # not already replaced because of another step
                pool.shutdown(wait=False, cancel_futures=True)
                self._executor = None
            logger.error("worker process died; trying the step again in a process of its own")
        solo = _new_pool(1)
        try:
            return await self._run_once(solo, func, *args)
        except BrokenProcessPool as exc:
            logger.error("worker process died again; giving up on this step")
            raise RenderFailed("A worker process stopped unexpectedly.") from exc
        finally:
            solo.shutdown(wait=False)

    async def _run_once(self, pool: Executor, func: Callable[..., T], *args: Any) -> T:
        marker = self._root / _CANCEL_DIR / uuid.uuid4().hex
        future = pool.submit(_watched, str(marker), func, *args)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if not future.cancelled():  # already running in a worker: ask it to stop
                _request_stop(marker, future)  # synchronous: an abandoned task gets one step to run this
            raise

    def _paths(self, session_id: str) -> _Paths:
        if not session_id or "/" in session_id or "\\" in session_id or session_id.startswith("."):
            raise ValueError(f"bad session id {session_id!r}")
        return _Paths(self._root / session_id)

    async def _analysis(self, session_id: str) -> ClipAnalysis:
        cached = self._analyses.get(session_id)
        if cached is not None:
            self._analyses.move_to_end(session_id)
            return cached
        path = self._paths(session_id).analysis
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise InputRejected("send_video_first") from exc
        analysis = pickle.loads(data)  # our own file in our own data dir
        self._remember(session_id, analysis)
        return analysis

    def _remember(self, session_id: str, analysis: ClipAnalysis) -> None:
        self._analyses[session_id] = analysis
        self._analyses.move_to_end(session_id)
        while len(self._analyses) > _ANALYSIS_CACHE_SIZE:
            self._analyses.popitem(last=False)

    def _source(self, session_id: str) -> Path:
        source = self._paths(session_id).source()
        if source is None:
            raise InputRejected("send_video_first")
        return source

    async def _render(
        self,
        session_id: str,
        timeline: Timeline,
        notes: str = "",
        *,
        save: bool = True,
        max_output_bytes: int | None = None,
    ) -> Rendered:
        """Render ``timeline`` from the original upload into ``renders/``; record it as the last render.

        ``max_output_bytes`` (the chat platform's upload limit) caps the file without entering the saved
        timeline: the user's own size wish stays theirs, the platform's limit applies to this delivery.
        """
        paths = self._paths(session_id)
        timeline_to_save = timeline
        timeline = fit_for_delivery(timeline, max_output_bytes)
        paths.renders.mkdir(parents=True, exist_ok=True)
        output = paths.renders / f"{uuid.uuid4().hex[:12]}.mp4"
        analysis = await self._analysis(session_id)
        try:
            outcome = await self._run(
                _render_task, timeline, str(self._source(session_id)), str(output), analysis, self._settings
            )
        except BaseException:
            output.unlink(missing_ok=True)
            raise
        rendered = Rendered(
            path=output,
            track_title=outcome.track.title,
            reason=outcome.reason,
            bpm=outcome.track.bpm,
            cuts_on_beat=outcome.cuts_on_beat,
            cuts_total=outcome.cuts_total,
            loudness_lufs=outcome.loudness_lufs,
            width=outcome.width,
            height=outcome.height,
            duration_s=outcome.duration_s,
            original_muted=not timeline.original.keep,
            notes=notes,
        )
        if save:
            record = {"timeline": timeline_to_save.to_json(), "rendered": rendered_to_json(rendered)}
            await asyncio.to_thread(paths.last.write_text, json.dumps(record), "utf-8")
        await asyncio.to_thread(prune_renders, paths.renders, output)
        return rendered

    async def _save_timeline(self, session_id: str, timeline: Timeline) -> None:
        await asyncio.to_thread(self._paths(session_id).timeline.write_text, timeline.to_json(), "utf-8")

    async def _ticks(
        self, stage: str, start: float, end: float, expected_s: float, work: asyncio.Future[Any]
    ) -> AsyncIterator[Stage]:
        """Estimated progress of ``stage`` until ``work`` is done: ``start`` → ``end`` along 1 − e^(−t/expected),
        so it moves early, slows down and never claims to be finished. Cancels ``work`` if abandoned."""
        begun = time.monotonic()
        try:
            while True:
                done, _ = await asyncio.wait({work}, timeout=self._progress_tick_s)
                if done:
                    return
                elapsed = time.monotonic() - begun
                yield Stage(stage, start + (end - start) * (1.0 - math.exp(-elapsed / max(0.1, expected_s))))
        finally:
            if not work.done():
                work.cancel()

    # ----- the protocol ------------------------------------------------------------------------------

    async def open_session(self, *, platform: str = "cli", language: str = "en") -> str:
        session_id = uuid.uuid4().hex
        await asyncio.to_thread(self._paths(session_id).root.mkdir, parents=True, exist_ok=True)
        logger.info("local backend session %s opened", session_id)
        return session_id

    async def upload(
        self, session_id: str, media_path: Path, *, prompt: str | None = None, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        paths = self._paths(session_id)
        paths.root.mkdir(parents=True, exist_ok=True)
        for old in (paths.source(), paths.analysis, paths.timeline, paths.last):
            if old is not None:
                old.unlink(missing_ok=True)
        self._analyses.pop(session_id, None)
        source = paths.root / f"source{media_path.suffix.lower() or '.mp4'}"
        await asyncio.to_thread(shutil.copyfile, media_path, source)
        yield Stage("analyse", 0.0)
        analysing = asyncio.ensure_future(self._run(_analyse_task, str(source), self._settings))
        async for tick in self._ticks("analyse", 0.0, 0.4, _expected_analyse_s(source), analysing):
            yield tick
        analysis = await analysing
        await asyncio.to_thread(paths.analysis.write_bytes, pickle.dumps(analysis))
        self._remember(session_id, analysis)
        yield Stage("match", 0.4)
        timeline = await self._run(_first_timeline_task, str(source), analysis, prompt or None, self._settings)
        await self._save_timeline(session_id, timeline)
        yield Stage("render", 0.5)
        rendering = asyncio.ensure_future(self._render(session_id, timeline, max_output_bytes=max_output_bytes))
        async for tick in self._ticks("render", 0.5, 1.0, _expected_render_s(timeline), rendering):
            yield tick
        yield await rendering

    async def instruct(
        self, session_id: str, text: str, *, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        timeline = await self.state(session_id)
        if timeline is None:
            raise InputRejected("send_video_first")
        analysis = await self._analysis(session_id)
        yield Stage("match", 0.1)
        new, report = await self._run(_instruct_task, timeline, text, analysis, self._settings)
        if not report.understood:
            yield NotUnderstood(report.reply)
            return
        await self._save_timeline(session_id, new)
        yield Stage("render", 0.3)
        rendering = asyncio.ensure_future(
            self._render(session_id, new, report.reply, max_output_bytes=max_output_bytes)
        )
        async for tick in self._ticks("render", 0.3, 1.0, _expected_render_s(new), rendering):
            yield tick
        yield await rendering

    async def use_song(
        self, session_id: str, song_path: Path, *, title: str | None = None, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        timeline = await self.state(session_id)
        if timeline is None:
            raise InputRejected("song_before_video")
        paths = self._paths(session_id)
        song = paths.root / f"song-{uuid.uuid4().hex[:8]}{song_path.suffix.lower() or '.audio'}"
        await asyncio.to_thread(shutil.copyfile, song_path, song)
        yield Stage("render", 0.3)
        try:
            analysis = await self._analysis(session_id)
            new = await self._run(_use_song_task, timeline, str(song), title or "your song", analysis, self._settings)
            note = f"music: {new.music.title}" if new.music is not None else ""
            rendering = asyncio.ensure_future(self._render(session_id, new, note, max_output_bytes=max_output_bytes))
            async for tick in self._ticks("render", 0.3, 1.0, _expected_render_s(new), rendering):
                yield tick
            rendered = await rendering
        except BaseException:
            song.unlink(missing_ok=True)
            raise
        await self._save_timeline(session_id, new)  # only once the song proved usable
        yield rendered

    async def state(self, session_id: str) -> Timeline | None:
        try:
            text = await asyncio.to_thread(self._paths(session_id).timeline.read_text, "utf-8")
        except FileNotFoundError:
            return None
        return Timeline.from_json(text)

    async def credits(self, session_id: str) -> Credits | None:
        """None: the local backend keeps no balance; the engine's daily render quota applies."""
        return None

    async def export(self, session_id: str, options: ExportOptions) -> AsyncIterator[BackendEvent]:
        timeline = await self.state(session_id)
        if timeline is None:
            raise InputRejected("nothing_to_export")
        cap = options.max_size_bytes
        last = await asyncio.to_thread(_read_last, self._paths(session_id).last)
        reusable = last is not None and last[0] == timeline.to_json() and last[1].path.is_file()
        if last is not None and reusable and (cap is None or last[1].path.stat().st_size <= cap):
            yield Stage("export", 1.0)
            yield last[1]
            return
        yield Stage("render", 0.1)
        rendering = asyncio.ensure_future(self._render(session_id, timeline, max_output_bytes=cap))
        async for tick in self._ticks("render", 0.1, 1.0, _expected_render_s(timeline), rendering):
            yield tick
        yield await rendering

    async def discard(self, session_id: str) -> None:
        self._analyses.pop(session_id, None)
        await asyncio.to_thread(shutil.rmtree, self._paths(session_id).root, True)
        logger.info("local backend session %s discarded", session_id)

    async def close(self) -> None:
        if self._owns_executor and self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, True, cancel_futures=True)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=cancel.kill_children_on_terminate,
    )


def _request_stop(marker: Path, future: Future[Any]) -> None:
    """Create the work's cancel marker; it is removed once the worker has stopped."""
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    future.add_done_callback(lambda _done: marker.unlink(missing_ok=True))


def _read_last(path: Path) -> tuple[str, Rendered] | None:
    try:
        record = json.loads(path.read_text("utf-8"))
        return str(record["timeline"]), rendered_from_json(record["rendered"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        logger.warning("ignoring an unreadable last-render record %s", path)
        return None
