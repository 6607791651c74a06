"""The local backend's worker side: each step of a job as a module-level function, so the ``spawn`` pool can
pickle it, taking and returning only plain frozen dataclasses (paths as text, ``Timeline``, the analyses).

A session holds either one clip (``ClipAnalysis``, rendered from ``source.<ext>``) or a film of several items
(``MontageAnalysis``, whose items are copied into the session's ``items/`` folder); every step here takes
either and does the right thing, so the backend's turns (instruct, use a song, render) are written once.

What comes back to the bot's process is light on purpose (issue 15): the analysis inside a
:class:`StoredAnalysis` (kept as pickled bytes when it crosses the local pool, :func:`watched_locally`), a
:class:`RenderResult` instead of the pipeline's ``RenderOutcome`` and an :class:`EditReport` instead of the
editor's ``InstructionReport``. Unpickling those needs none of the media modules, so the bot's process never
imports numpy, SciPy or PyAV (about 95 MB of its memory); the media imports here happen in the worker only.
"""

from __future__ import annotations

import importlib
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.config import Settings
from bot.language import LANGS
from bot.language.reasons import PickReason
from bot.media import cancel
from bot.media.timeline import Timeline

if TYPE_CHECKING:
    from bot.media.library import Library
    from bot.media.models import VideoAnalysis
    from bot.media.montage import MontageAnalysis
    from bot.media.pipeline import ClipAnalysis

    SessionAnalysis = ClipAnalysis | MontageAnalysis
    """What a session was made from: one clip, or the items of a film."""

__all__ = [
    "EditReport",
    "LeftOut",
    "RenderResult",
    "StoredAnalysis",
    "analyse_clip_task",
    "analyse_items_task",
    "first_montage_task",
    "first_timeline_task",
    "fit_for_delivery",
    "instruct_task",
    "render_task",
    "stored_analysis",
    "use_song_task",
    "warm_task",
    "watched",
    "watched_locally",
]

T = TypeVar("T")

_PIPELINE = ("bot.media.pipeline", "bot.media.montage", "bot.media.editing", "bot.media.library")
"""What a worker imports while it warms up, so that its first job does not."""


@dataclass(frozen=True)
class LeftOut:
    """An item a film left out: its copied file and why, worded in each language (said in the chat's)."""

    source: str
    reasons: dict[str, str]


@dataclass(frozen=True)
class StoredAnalysis:
    """A session's analysis as the bot's process holds it: ``value`` is the ``ClipAnalysis`` or
    ``MontageAnalysis`` itself, or (across the local pool) its pickle, which only a worker opens."""

    value: Any
    film: bool
    usable: bool = True
    """False for a film none of whose items could be used."""
    left_out: tuple[LeftOut, ...] = ()

    def opened(self) -> SessionAnalysis:
        """The analysis itself (in a worker)."""
        value = pickle.loads(self.value) if isinstance(self.value, bytes) else self.value  # our own pickle
        return value

    def sealed(self) -> StoredAnalysis:
        """The same with the analysis as bytes, so the receiving process need not import its modules."""
        return self if isinstance(self.value, bytes) else replace(self, value=pickle.dumps(self.value))


def stored_analysis(analysis: Any) -> StoredAnalysis:
    """``analysis`` (a ``ClipAnalysis`` or ``MontageAnalysis``) with what the bot's process reads of it."""
    if isinstance(analysis, StoredAnalysis):
        return analysis
    from bot.media.montage import MontageAnalysis

    if not isinstance(analysis, MontageAnalysis):
        return StoredAnalysis(analysis, film=False)
    left_out = tuple(
        LeftOut(item.source, {lang: item.in_language(lang) for lang in LANGS}) for item in analysis.skipped
    )
    return StoredAnalysis(analysis, film=True, usable=bool(analysis.items), left_out=left_out)


@dataclass(frozen=True)
class RenderResult:
    """What the bot's process reads of a render (the pipeline's ``RenderOutcome``, less its media types)."""

    track_title: str
    bpm: float
    reason: str
    cuts_on_beat: int
    cuts_total: int
    loudness_lufs: float
    width: int
    height: int
    duration_s: float
    enlarged: tuple[str, ...] = ()
    why: PickReason | None = None


@dataclass(frozen=True)
class EditReport:
    """What the bot's process reads of an instruction's ``InstructionReport``."""

    understood: bool
    reply: str
    replies: dict[str, str] = field(default_factory=dict)


def watched(marker: str, func: Callable[..., T], *args: Any) -> T:
    """Run ``func(*args)``, stopping early (``Cancelled``) once ``marker`` exists."""
    with cancel.watching(Path(marker)):
        return func(*args)


def watched_locally(marker: str, func: Callable[..., T], *args: Any) -> T:
    """:func:`watched` for the local pool: an analysis goes back to the bot's process as bytes (the render
    workers' queue sends it as it is: its paths are translated on the way)."""
    result = watched(marker, func, *args)
    if isinstance(result, StoredAnalysis):
        return result.sealed()  # type: ignore[return-value]
    return result


def warm_task(settings: Settings) -> int:
    """Get a worker ready for its first job: the pipeline imported and the library loaded into the process;
    returns how many tracks it holds."""
    for name in _PIPELINE:
        importlib.import_module(name)
    return len(_library(settings))


def analyse_clip_task(source: str, settings: Settings) -> StoredAnalysis:
    from bot.media.pipeline import analyse_clip

    return stored_analysis(analyse_clip(source, settings=settings))


def analyse_items_task(paths: Sequence[str], settings: Settings) -> StoredAnalysis:
    from bot.media.montage import analyse_items

    return stored_analysis(analyse_items([Path(path) for path in paths], settings))


def first_timeline_task(source: str, stored: StoredAnalysis, prompt: str | None, settings: Settings) -> Timeline:
    """The first pick, with every edit the caption asks for ("vertical 9:16, title 'Day 1'") applied, as if the
    caption had been sent as a message after the clip; its mood words steer the pick itself."""
    from bot.media.editing import apply_instruction, caption_edits, first_timeline
    from bot.media.pipeline import ClipAnalysis

    analysis = stored.opened()
    assert isinstance(analysis, ClipAnalysis)
    library = _library(settings)
    timeline = first_timeline(
        input_path=source, duration_s=analysis.info.duration_s, video=analysis.video, library=library, prompt=prompt
    )
    if prompt and caption_edits(prompt):
        edited, report = apply_instruction(timeline, prompt, video=analysis.video, library=library)
        if report.understood:
            return edited
    return timeline


def first_montage_task(stored: StoredAnalysis, prompt: str | None, settings: Settings) -> Timeline:
    """The film's first cut: length, shape and sound from the words, original sound off unless asked."""
    from bot.media.montage import MontageAnalysis, first_montage

    analysis = stored.opened()
    assert isinstance(analysis, MontageAnalysis)
    return first_montage(analysis, _library(settings), prompt=prompt)


def instruct_task(
    timeline: Timeline, text: str, stored: StoredAnalysis, settings: Settings
) -> tuple[Timeline, EditReport]:
    from bot.media.editing import apply_instruction

    edited, report = apply_instruction(
        timeline, text, video=_video(stored.opened()), library=_library(settings, timeline)
    )
    return edited, EditReport(understood=report.understood, reply=report.reply, replies=dict(report.replies))


def use_song_task(
    timeline: Timeline, song: str, title: str | None, stored: StoredAnalysis, settings: Settings
) -> Timeline:
    """The user's song as the music; a film is cut again on the song's beats."""
    from bot.media.editing import with_user_song
    from bot.media.library import analyse_song

    track = analyse_song(Path(song), settings)
    return with_user_song(timeline, track, video=_video(stored.opened()), title=title)


def render_task(
    timeline: Timeline, source: str | None, output: str, stored: StoredAnalysis, settings: Settings
) -> RenderResult:
    """Render from the originals: the session's clip (``source``), or the film's copied items."""
    from bot.media.editing import with_source
    from bot.media.pipeline import render_timeline

    if source is not None:
        timeline = with_source(timeline, source)
    outcome = render_timeline(
        timeline,
        stored.opened(),
        _library(settings, timeline),
        output_path=output,
        ffmpeg_timeout_s=settings.ffmpeg_timeout_s,
    )
    return RenderResult(
        track_title=outcome.track.title,
        bpm=outcome.track.bpm,
        reason=outcome.reason,
        cuts_on_beat=outcome.cuts_on_beat,
        cuts_total=outcome.cuts_total,
        loudness_lufs=outcome.loudness_lufs,
        width=outcome.width,
        height=outcome.height,
        duration_s=outcome.duration_s,
        enlarged=outcome.enlarged,
        why=outcome.why,
    )


def fit_for_delivery(timeline: Timeline, max_output_bytes: int | None) -> Timeline:
    """The timeline with its target size capped at the platform's upload limit (the smaller wins)."""
    if max_output_bytes is None:
        return timeline
    wanted = timeline.output.target_size_bytes
    cap = max_output_bytes if wanted is None else min(wanted, max_output_bytes)
    return replace(timeline, output=replace(timeline.output, target_size_bytes=cap))


def _video(analysis: SessionAnalysis) -> VideoAnalysis | MontageAnalysis:
    """What the editor takes as the footage: a film's analysis itself, a clip's video analysis."""
    from bot.media.montage import MontageAnalysis

    return analysis if isinstance(analysis, MontageAnalysis) else analysis.video


def _library(settings: Settings, timeline: Timeline | None = None) -> Library:
    """This worker's library (loaded once per process), plus the user's song when the timeline uses one."""
    from bot.media.library import analyse_song, loaded_library

    library = loaded_library(settings)
    music = timeline.music if timeline is not None else None
    if music is not None and music.user_path is not None:
        library = library.with_user_song(analyse_song(Path(music.user_path), settings))
    return library
