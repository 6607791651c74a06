"""The local backend: the embedded pipeline, run in a bounded pool of worker processes.

Why processes: analysis and mixing are CPU-bound Python/numpy; on the event loop they would freeze
every chat. The pool uses the ``spawn`` context (no forked copies of the loop, the SQLite connections or
a chat client's sockets) and only plain picklable data crosses it: paths, ``Timeline``,
``ClipAnalysis`` or ``MontageAnalysis``, ``RenderOutcome``.

Each session lives in its own folder under ``settings.backend_dir``::

    <session id>/source.<ext>    the user's clip, copied once; every render starts from it
    <session id>/items/NN-<name> or: a film's items (clips and photos, or a photo sent alone), in film order
    <session id>/analysis.pickle the clip's (or items') analysis, made once per upload, reused by every render
    <session id>/language        the language the session was opened in (skipped items are named in it)
    <session id>/timeline.json   the current timeline (the edit state)
    <session id>/last.json       what the last render was made from, so export can reuse it
    <session id>/renders/*.mp4   the last two renders (the newest may still be uploading to the chat)

    .cancel/<id>                 created when a job is cancelled mid-step: the worker sees it, kills its
                                 FFmpeg and stops (``bot.media.cancel``), so the slot is free for the next job

Workers start when work needs them (``local_pool.ElasticPool``): one is warmed when the bot starts, a second
only once two steps run at once, and extra ones stop again after ``settings.worker_idle_s`` without work, so
a lone big job does not run beside idle processes holding the media stack.

A worker that dies (killed for memory, say) breaks the whole pool; the steps that were running are tried
once more, each alone in a process of its own, and the other workers' FFmpeg children are killed with them.

The steps themselves (analyse, pick, edit, render) are in ``local_tasks``; this module is the session
bookkeeping around them and the pool that runs them.

Progress is reported at stage boundaries (analyse → match → render) and, inside a long stage, as an
estimate every few seconds, which is what the chat can show anyway at one status edit per few seconds.

In scale-out mode (``steps``, a :class:`StepRunner`) every step goes to render workers on other machines
through the task queue (``bot.scale``) instead of the pool; the flows and the session folder stay here.

One job at ~520 lines: the ``Backend`` protocol's flows over the worker pool (the worker-side steps live
in ``local_tasks.py``, the session folder in ``local_files.py``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import pickle
import shutil
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot.backends.base import BackendEvent, Credits, ExportOptions, NotUnderstood, Rendered, Stage
from bot.backends.local_files import (
    SessionPaths,
    copy_items,
    expected_analyse_s,
    expected_render_s,
    move_item,
    read_last,
    shown_name,
)
from bot.backends.local_pool import ElasticPool, single_worker_pool
from bot.backends.local_tasks import (
    StoredAnalysis,
    analyse_clip_task,
    analyse_items_task,
    first_montage_task,
    first_timeline_task,
    fit_for_delivery,
    instruct_task,
    render_task,
    stored_analysis,
    use_song_task,
    warm_task,
    watched_locally,
)
from bot.backends.renders import prune_renders, rendered_to_json
from bot.config import Settings
from bot.errors import InputRejected, RenderFailed
from bot.language import say
from bot.media.timeline import Timeline

__all__ = ["PROGRESS_TICK_S", "LocalBackend", "StepRunner", "fit_for_delivery"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_ANALYSIS_CACHE_SIZE = 32
_CANCEL_DIR = ".cancel"


# ----- the backend -----------------------------------------------------------------------------------


PROGRESS_TICK_S = 2.0
"""A stage that runs in a worker reports an estimate this often (the chat shows at most one per ~3 s)."""


class StepRunner(Protocol):
    """Where the steps run instead of the local pool: scale-out mode's queue (``bot.scale.client``)."""

    async def run(self, func: Callable[..., T], *args: Any) -> T: ...

    def waiting(self, work: asyncio.Future[Any]) -> int | None:
        """While ``work`` (the task running a step) waits for a free worker: how many steps wait before it."""
        ...

    async def close(self) -> None: ...


class LocalBackend:
    """The pipeline behind the :class:`~bot.backends.base.Backend` protocol.

    ``executor`` may be injected (tests, or a shared pool); by default an :class:`ElasticPool` of up to
    ``settings.worker_count`` spawn-context processes is made on first use.
    """

    name = "local"

    def __init__(
        self,
        settings: Settings,
        *,
        executor: Executor | None = None,
        progress_tick_s: float = PROGRESS_TICK_S,
        steps: StepRunner | None = None,
    ) -> None:
        """``progress_tick_s``: how often a long stage reports its estimated progress; ``steps``: run every step
        there instead of in a local pool (scale-out mode)."""
        self._settings = settings
        self._steps = steps
        self._progress_tick_s = progress_tick_s
        self._root = settings.backend_dir
        self._executor = executor
        self._owns_executor = executor is None
        self._analyses: OrderedDict[str, StoredAnalysis] = OrderedDict()
        self._warming: Future[int] | None = None

    # ----- plumbing ------------------------------------------------------------------------------

    def _pool(self) -> Executor:
        if self._executor is None:
            self._executor = ElasticPool(self._settings.worker_count, idle_s=self._settings.worker_idle_s)
        return self._executor

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        """Run ``func(*args)`` in a worker.

        When a worker process dies (killed for memory, say) the whole pool breaks and every step running
        in it fails, not only the one that caused it. So the pool is replaced and the step tried once
        more, alone in a process of its own: if it was the culprit it cannot take anyone else down with
        it the second time (every step here is safe to repeat). A second death is ``RenderFailed``.
        """
        if self._steps is not None:
            return await self._steps.run(func, *args)
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
        solo = single_worker_pool()
        try:
            return await self._run_once(solo, func, *args)
        except BrokenProcessPool as exc:
            logger.error("worker process died again; giving up on this step")
            raise RenderFailed("A worker process stopped unexpectedly.") from exc
        finally:
            solo.shutdown(wait=False)

    async def _run_once(self, pool: Executor, func: Callable[..., T], *args: Any) -> T:
        marker = self._root / _CANCEL_DIR / uuid.uuid4().hex
        future = pool.submit(watched_locally, str(marker), func, *args)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if not future.cancelled():  # already running in a worker: ask it to stop
                _request_stop(marker, future)  # synchronous: an abandoned task gets one step to run this
            raise

    def _paths(self, session_id: str) -> SessionPaths:
        if not session_id or "/" in session_id or "\\" in session_id or session_id.startswith("."):
            raise ValueError(f"bad session id {session_id!r}")
        return SessionPaths(self._root / session_id)

    async def _analysis(self, session_id: str) -> StoredAnalysis:
        cached = self._analyses.get(session_id)
        if cached is not None:
            self._analyses.move_to_end(session_id)
            return cached
        path = self._paths(session_id).analysis
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise InputRejected("send_video_first") from exc
        analysis = stored_analysis(pickle.loads(data))  # our own file in our own data dir (older ones: bare)
        self._remember(session_id, analysis)
        return analysis

    def _remember(self, session_id: str, analysis: StoredAnalysis) -> None:
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
        notes_in: dict[str, str] | None = None,
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
        source = None if analysis.film else str(self._source(session_id))
        try:
            outcome = await self._run(render_task, timeline, source, str(output), analysis, self._settings)
        except BaseException:
            output.unlink(missing_ok=True)
            raise
        notes_in = dict(notes_in or {})
        if outcome.enlarged:
            lang = await asyncio.to_thread(self._language, session_id)
            notes = _with_enlarged(notes, outcome.enlarged, lang)
            notes_in = {other: _with_enlarged(text, outcome.enlarged, other) for other, text in notes_in.items()}
        rendered = Rendered(
            path=output,
            track_title=outcome.track_title,
            reason=outcome.reason,
            bpm=outcome.bpm,
            cuts_on_beat=outcome.cuts_on_beat,
            cuts_total=outcome.cuts_total,
            loudness_lufs=outcome.loudness_lufs,
            width=outcome.width,
            height=outcome.height,
            duration_s=outcome.duration_s,
            original_muted=not timeline.original.keep,
            notes=notes,
            notes_in=notes_in,
            why=outcome.why,
        )
        if save:
            record = {
                "timeline": timeline_to_save.to_json(),
                "rendered": rendered_to_json(rendered),
                "fitted": max_output_bytes is not None,  # a copy fitted for one platform is no full-quality file
            }
            await asyncio.to_thread(paths.last.write_text, json.dumps(record), "utf-8")
        await asyncio.to_thread(prune_renders, paths.renders, output)
        return rendered

    async def _save_timeline(self, session_id: str, timeline: Timeline) -> None:
        await asyncio.to_thread(self._paths(session_id).timeline.write_text, timeline.to_json(), "utf-8")

    async def _ticks(
        self, stage: str, start: float, end: float, expected_s: float, work: asyncio.Future[Any]
    ) -> AsyncIterator[Stage]:
        """Estimated progress of ``stage`` until ``work`` is done: ``start`` → ``end`` along 1 − e^(−t/expected),
        so it moves early, slows down and never claims to be finished. Cancels ``work`` if abandoned. While the
        step waits in the render workers' queue (scale-out) it says so instead, and the estimate starts later."""
        begun = time.monotonic()
        try:
            while True:
                done, _ = await asyncio.wait({work}, timeout=self._progress_tick_s)
                if done:
                    return
                ahead = self._steps.waiting(work) if self._steps is not None else None
                if ahead is not None:
                    begun = time.monotonic()
                    yield Stage("queue", start, ahead=ahead)
                    continue
                elapsed = time.monotonic() - begun
                yield Stage(stage, start + (end - start) * (1.0 - math.exp(-elapsed / max(0.1, expected_s))))
        finally:
            if not work.done():
                work.cancel()

    # ----- the protocol ------------------------------------------------------------------------------

    async def open_session(self, *, platform: str = "cli", language: str = "en") -> str:
        session_id = uuid.uuid4().hex
        paths = self._paths(session_id)
        await asyncio.to_thread(paths.root.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(paths.language.write_text, language if language in ("en", "zh") else "en", "utf-8")
        logger.info("local backend session %s opened", session_id)
        return session_id

    async def upload(
        self, session_id: str, media_path: Path, *, prompt: str | None = None, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        """One clip, as ever; a still picture becomes a short film of it (``montage`` with the photo alone)."""
        paths = self._paths(session_id)
        self._analyses.pop(session_id, None)
        await asyncio.to_thread(self._forget, session_id)
        source = paths.root / f"source{media_path.suffix.lower() or '.mp4'}"
        try:
            await asyncio.to_thread(shutil.copyfile, media_path, source)
        except BaseException:  # a full disk (or a cancel) must not leave a half-written source behind
            source.unlink(missing_ok=True)
            raise
        yield Stage("analyse", 0.0)
        analysing = asyncio.ensure_future(self._run(analyse_clip_task, str(source), self._settings))
        try:
            async for tick in self._ticks("analyse", 0.0, 0.4, expected_analyse_s(source), analysing):
                yield tick
            analysis = await analysing
        except InputRejected as exc:
            if exc.key != "still_image":
                raise
            logger.info("local backend session %s: a still picture, made into a short film", session_id)
            item = await asyncio.to_thread(move_item, source, paths.items, 1, media_path.name)
            async for event in self._make_film(session_id, [item], prompt, max_output_bytes):
                yield event
            return
        await asyncio.to_thread(paths.analysis.write_bytes, pickle.dumps(analysis))
        self._remember(session_id, analysis)
        yield Stage("match", 0.4)
        timeline = await self._run(first_timeline_task, str(source), analysis, prompt or None, self._settings)
        await self._save_timeline(session_id, timeline)
        yield Stage("render", 0.5)
        rendering = asyncio.ensure_future(self._render(session_id, timeline, max_output_bytes=max_output_bytes))
        async for tick in self._ticks("render", 0.5, 1.0, expected_render_s(timeline), rendering):
            yield tick
        yield await rendering

    async def montage(
        self,
        session_id: str,
        media_paths: Sequence[Path],
        *,
        prompt: str | None = None,
        max_output_bytes: int | None = None,
    ) -> AsyncIterator[BackendEvent]:
        """One film of ``media_paths`` (clips and photos, in film order), cut on the music's beats.

        The items are copied into the session (the caller may delete its files); unusable ones are left out
        and named in the result's ``notes``; none usable is ``InputRejected`` and the session stays empty.
        """
        paths = self._paths(session_id)
        self._analyses.pop(session_id, None)
        await asyncio.to_thread(self._forget, session_id)
        items = await asyncio.to_thread(copy_items, media_paths, paths.items)
        async for event in self._make_film(session_id, items, prompt, max_output_bytes):
            yield event

    async def _make_film(
        self, session_id: str, items: Sequence[Path], prompt: str | None, max_output_bytes: int | None
    ) -> AsyncIterator[BackendEvent]:
        """Analyse the copied ``items``, pick the music and cut the film, render it: the film's first turn."""
        paths = self._paths(session_id)
        try:
            yield Stage("analyse", 0.0)
            work = asyncio.ensure_future(self._run(analyse_items_task, [str(p) for p in items], self._settings))
            expected_s = sum(expected_analyse_s(item) for item in items)
            async for tick in self._ticks("analyse", 0.0, 0.4, expected_s, work):
                yield tick
            analysis = await work
            if not analysis.usable:
                raise InputRejected("montage_nothing_usable")
            yield Stage("match", 0.4)
            timeline = await self._run(first_montage_task, analysis, prompt or None, self._settings)
        except BaseException:
            await asyncio.to_thread(shutil.rmtree, paths.items, True)
            raise
        await asyncio.to_thread(paths.analysis.write_bytes, pickle.dumps(analysis))
        self._remember(session_id, analysis)
        await self._save_timeline(session_id, timeline)
        lang = await asyncio.to_thread(self._language, session_id)
        notes = say("edits_reply_separator", lang).join(
            say("local_left_out", lang, name=shown_name(Path(k.source)), reason=k.reasons.get(lang, ""))
            for k in analysis.left_out
        )
        yield Stage("render", 0.5)
        rendering = asyncio.ensure_future(self._render(session_id, timeline, notes, max_output_bytes=max_output_bytes))
        async for tick in self._ticks("render", 0.5, 1.0, expected_render_s(timeline), rendering):
            yield tick
        yield await rendering

    def _forget(self, session_id: str) -> None:
        """Clear what an earlier upload left (its clip or items, analysis, timeline, last render record)."""
        paths = self._paths(session_id)
        paths.root.mkdir(parents=True, exist_ok=True)
        for old in (paths.source(), paths.analysis, paths.timeline, paths.last):
            if old is not None:
                old.unlink(missing_ok=True)
        shutil.rmtree(paths.items, ignore_errors=True)

    def _language(self, session_id: str) -> str:
        try:
            return self._paths(session_id).language.read_text("utf-8").strip() or "en"
        except FileNotFoundError:
            return "en"

    async def instruct(
        self, session_id: str, text: str, *, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        timeline = await self.state(session_id)
        if timeline is None:
            raise InputRejected("send_video_first")
        analysis = await self._analysis(session_id)
        yield Stage("match", 0.1)
        new, report = await self._run(instruct_task, timeline, text, analysis, self._settings)
        if not report.understood:
            yield NotUnderstood(report.reply)
            return
        await self._save_timeline(session_id, new)
        yield Stage("render", 0.3)
        rendering = asyncio.ensure_future(
            self._render(session_id, new, report.reply, notes_in=report.replies, max_output_bytes=max_output_bytes)
        )
        async for tick in self._ticks("render", 0.3, 1.0, expected_render_s(new), rendering):
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
            new = await self._run(use_song_task, timeline, str(song), title or "your song", analysis, self._settings)
            lang = await asyncio.to_thread(self._language, session_id)
            note = say("local_music_note", lang, title=new.music.title) if new.music is not None else ""
            rendering = asyncio.ensure_future(self._render(session_id, new, note, max_output_bytes=max_output_bytes))
            async for tick in self._ticks("render", 0.3, 1.0, expected_render_s(new), rendering):
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
        last = await asyncio.to_thread(read_last, self._paths(session_id).last)
        reusable = last is not None and last[0] == timeline.to_json() and last[1].path.is_file()
        if last is not None and cap is None and last[2]:
            reusable = False  # asked for full quality: a copy fitted under a platform's limit will not do
        if last is not None and reusable and (cap is None or last[1].path.stat().st_size <= cap):
            yield Stage("export", 1.0)
            yield last[1]
            return
        yield Stage("render", 0.1)
        rendering = asyncio.ensure_future(self._render(session_id, timeline, max_output_bytes=cap))
        async for tick in self._ticks("render", 0.1, 1.0, expected_render_s(timeline), rendering):
            yield tick
        yield await rendering

    async def discard(self, session_id: str) -> None:
        self._analyses.pop(session_id, None)
        await asyncio.to_thread(shutil.rmtree, self._paths(session_id).root, True)
        logger.info("local backend session %s discarded", session_id)

    async def warm(self) -> None:
        """Start one worker and load the library in it, before the first job asks (a first job used to pay the
        worker's start-up, imports and library load: several seconds on two cores). Only one: a second worker
        is started when a second job runs at the same time (it would otherwise sit idle beside a lone job)."""
        if self._steps is not None:
            return  # the render workers warm themselves
        warming = self._warming
        if warming is not None and not (warming.done() and (warming.cancelled() or warming.exception() is not None)):
            await asyncio.wrap_future(warming)  # asked twice (the engine at start, and its owner): one worker
            return
        self._warming = warming = self._pool().submit(warm_task, self._settings)
        tracks = await asyncio.wrap_future(warming)
        logger.info("local backend warm: one worker up, %d tracks", tracks)

    async def close(self) -> None:
        if self._steps is not None:
            await self._steps.close()
        if self._owns_executor and self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, True, cancel_futures=True)


def _request_stop(marker: Path, future: Future[Any]) -> None:
    """Create the work's cancel marker; it is removed once the worker has stopped."""
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    future.add_done_callback(lambda _done: marker.unlink(missing_ok=True))


def _with_enlarged(notes: str, enlarged: tuple[str, ...], lang: str) -> str:
    """``notes`` and, after them, which photos were enlarged to fill the frame, in ``lang``."""
    names = say("timeline_list_separator", lang).join(shown_name(Path(p)) for p in enlarged)
    small = say("montage_photos_enlarged", lang, names=names)
    return say("edits_reply_separator", lang).join(part for part in (notes, small) if part)
