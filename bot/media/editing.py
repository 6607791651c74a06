"""Renders driven by a timeline: the first pick becomes a timeline, words edit it, every render starts from it.

Each render is made from the timeline and the original source, never from a previous output, so
any number of edits costs no generation loss. The functions here are pure glue between the
instruction parser, the matcher and :class:`~bot.media.pipeline.RenderRequest`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.media.instructions import apply_edits_explained, moods_after, parse_instruction
from bot.media.matching import rank_tracks
from bot.media.models import Track, VideoAnalysis
from bot.media.pipeline import RenderRequest
from bot.media.render import VideoEdits
from bot.media.timeline import MusicTrack, Timeline
from bot.media.vocabulary import parse_mood_words


@dataclass(frozen=True)
class InstructionReport:
    """What one instruction did, for the user and for ``--json``."""

    text: str
    understood: bool
    edits: tuple[str, ...]
    reply: str

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "understood": self.understood, "edits": list(self.edits), "reply": self.reply}


def first_timeline(
    *,
    input_path: str,
    duration_s: float,
    video: VideoAnalysis,
    tracks: Sequence[Track],
    prompt: str | None,
    song_path: str | None = None,
    track: Track | None = None,
) -> Timeline:
    """The session's first timeline: the user's song, a chosen track, or the matcher's best pick."""
    moods = parse_mood_words(prompt).moods
    if song_path:
        music = MusicTrack.from_user_song(song_path)
    else:
        if track is None:
            ranking = rank_tracks(video=video, tracks=tracks, prompt=prompt)
            track = next(t for t in tracks if t.id == ranking.best)
        music = MusicTrack.from_library(track.id, track.title, moods=moods)
    return Timeline.for_video(input_path, duration_s, music=music)


def apply_instruction(
    timeline: Timeline, text: str, *, video: VideoAnalysis, tracks: Sequence[Track]
) -> tuple[Timeline, InstructionReport]:
    """Apply one chat message; a message that is not understood leaves the timeline unchanged."""
    result = parse_instruction(text)
    if not result.understood:
        return timeline, InstructionReport(text=text, understood=False, edits=(), reply=result.reply())
    moods = moods_after(timeline, result.edits) if result.needs_rerank else _moods(timeline)
    ranking = rank_tracks(video=video, tracks=tracks, prompt=" ".join(moods) or None)
    titles = {t.id: t.title for t in tracks}
    new, notes = apply_edits_explained(
        timeline, result.edits, ranked_track_ids=ranking.ranked, titles=titles, lang=result.language
    )
    reply = "; ".join([*notes, *result.errors])
    return new, InstructionReport(text=text, understood=True, edits=notes, reply=reply)


def _moods(timeline: Timeline) -> tuple[str, ...]:
    return timeline.music.moods if timeline.music is not None else ()


def request_from_timeline(timeline: Timeline, *, output_path: str, input_path: str | None = None) -> RenderRequest:
    """The pipeline request that renders ``timeline`` from its original source."""
    music = timeline.music
    out = timeline.output
    return RenderRequest(
        input_path=input_path or timeline.video.path,
        output_path=output_path,
        prompt=" ".join(_moods(timeline)) or None,
        music_volume_pct=music.volume_pct if music else 100.0,
        keep_original=timeline.original.keep,
        duck=timeline.original.duck,
        track=(music.track_id or music.user_path) if music else None,
        music_start_s=music.start_offset_s if music else None,
        skip_intro=music.skip_intro if music else False,
        edits=VideoEdits(
            aspect=out.aspect,
            fit=out.fit,
            max_height=out.max_height,
            title=timeline.title,
            target_size_bytes=out.target_size_bytes,
        ),
    )


def with_source(timeline: Timeline, input_path: str) -> Timeline:
    """The same edits on another copy of the source (a saved timeline reused with its clip)."""
    return replace(timeline, video=replace(timeline.video, path=input_path))
