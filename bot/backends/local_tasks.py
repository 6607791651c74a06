"""The local backend's worker side: each step of a job as a module-level function, so the ``spawn`` pool can
pickle it, taking and returning only plain frozen dataclasses (paths as text, ``Timeline``, the analyses).

A session holds either one clip (``ClipAnalysis``, rendered from ``source.<ext>``) or a film of several items
(``MontageAnalysis``, whose items are copied into the session's ``items/`` folder); every step here takes
either and does the right thing, so the backend's turns (instruct, use a song, render) are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from bot.config import Settings
from bot.media import cancel
from bot.media.editing import (
    InstructionReport,
    apply_instruction,
    caption_edits,
    first_timeline,
    with_source,
    with_user_song,
)
from bot.media.library import Library, analyse_song, loaded_library
from bot.media.montage import MontageAnalysis, analyse_items, first_montage
from bot.media.pipeline import ClipAnalysis, RenderOutcome, analyse_clip, render_timeline
from bot.media.timeline import Timeline

__all__ = [
    "SessionAnalysis",
    "analyse_clip_task",
    "analyse_items_task",
    "first_montage_task",
    "first_timeline_task",
    "fit_for_delivery",
    "instruct_task",
    "render_task",
    "use_song_task",
    "warm_task",
    "watched",
]

T = TypeVar("T")

SessionAnalysis = ClipAnalysis | MontageAnalysis
"""What a session was made from: one clip, or the items of a film."""


def watched(marker: str, func: Callable[..., T], *args: Any) -> T:
    """Run ``func(*args)``, stopping early (``Cancelled``) once ``marker`` exists."""
    with cancel.watching(Path(marker)):
        return func(*args)


def warm_task(settings: Settings) -> int:
    """Get a worker ready for its first job: the pipeline imported (done by importing this module) and the
    library loaded into the process; returns how many tracks it holds."""
    return len(loaded_library(settings))


def analyse_clip_task(source: str, settings: Settings) -> ClipAnalysis:
    return analyse_clip(source, settings=settings)


def analyse_items_task(paths: Sequence[str], settings: Settings) -> MontageAnalysis:
    return analyse_items([Path(path) for path in paths], settings)


def first_timeline_task(source: str, analysis: ClipAnalysis, prompt: str | None, settings: Settings) -> Timeline:
    """The first pick, with every edit the caption asks for ("vertical 9:16, title 'Day 1'") applied, as if the
    caption had been sent as a message after the clip; its mood words steer the pick itself."""
    library = _library(settings)
    timeline = first_timeline(
        input_path=source, duration_s=analysis.info.duration_s, video=analysis.video, library=library, prompt=prompt
    )
    if prompt and caption_edits(prompt):
        edited, report = apply_instruction(timeline, prompt, video=analysis.video, library=library)
        if report.understood:
            return edited
    return timeline


def first_montage_task(analysis: MontageAnalysis, prompt: str | None, settings: Settings) -> Timeline:
    """The film's first cut: length, shape and sound from the words, original sound off unless asked."""
    return first_montage(analysis, _library(settings), prompt=prompt)


def instruct_task(
    timeline: Timeline, text: str, analysis: SessionAnalysis, settings: Settings
) -> tuple[Timeline, InstructionReport]:
    video = analysis if isinstance(analysis, MontageAnalysis) else analysis.video
    return apply_instruction(timeline, text, video=video, library=_library(settings, timeline))


def use_song_task(
    timeline: Timeline, song: str, title: str | None, analysis: SessionAnalysis, settings: Settings
) -> Timeline:
    """The user's song as the music; a film is cut again on the song's beats."""
    track = analyse_song(Path(song), settings)
    video = analysis if isinstance(analysis, MontageAnalysis) else analysis.video
    return with_user_song(timeline, track, video=video, title=title)


def render_task(
    timeline: Timeline, source: str | None, output: str, analysis: SessionAnalysis, settings: Settings
) -> RenderOutcome:
    """Render from the originals: the session's clip (``source``), or the film's copied items."""
    if source is not None:
        timeline = with_source(timeline, source)
    return render_timeline(
        timeline,
        analysis,
        _library(settings, timeline),
        output_path=output,
        ffmpeg_timeout_s=settings.ffmpeg_timeout_s,
    )


def fit_for_delivery(timeline: Timeline, max_output_bytes: int | None) -> Timeline:
    """The timeline with its target size capped at the platform's upload limit (the smaller wins)."""
    if max_output_bytes is None:
        return timeline
    wanted = timeline.output.target_size_bytes
    cap = max_output_bytes if wanted is None else min(wanted, max_output_bytes)
    return replace(timeline, output=replace(timeline.output, target_size_bytes=cap))


def _library(settings: Settings, timeline: Timeline | None = None) -> Library:
    """This worker's library (loaded once per process), plus the user's song when the timeline uses one."""
    library = loaded_library(settings)
    music = timeline.music if timeline is not None else None
    if music is not None and music.user_path is not None:
        library = library.with_user_song(analyse_song(Path(music.user_path), settings))
    return library
