"""The plan of a render: the first pick becomes a timeline, words edit it, every render starts from it.

The library is ranked once per pick — when a clip's music is first chosen, and again only when words
change the mood — and the pick (its reason, the ranking "another track" walks, the track's beat grid)
is written into the timeline, so rendering never ranks. Each render is made from the timeline and the
original source, never from a previous output, so any number of edits costs no generation loss.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.language.vocabulary import parse_mood_words
from bot.media.edits import apply_edits_explained, moods_after
from bot.media.instructions import parse_instruction
from bot.media.library import Library
from bot.media.matching import rank_tracks, reason_for, song_reason
from bot.media.models import MatchResult, Track, VideoAnalysis
from bot.media.timeline import BeatGrid, MusicTrack, Timeline


@dataclass(frozen=True)
class InstructionReport:
    """What one instruction did, for the user and for ``--json``."""

    text: str
    understood: bool
    edits: tuple[str, ...]
    reply: str

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "understood": self.understood, "edits": list(self.edits), "reply": self.reply}


def beat_grid(track: Track) -> BeatGrid:
    """The measured beats of ``track`` as the timeline keeps them."""
    features = track.features
    return BeatGrid(
        bpm=features.bpm,
        beats_per_bar=features.beats_per_bar,
        beats_s=features.beat_times_s,
        downbeats_s=features.downbeat_times_s,
    )


def first_timeline(
    *,
    input_path: str,
    duration_s: float,
    video: VideoAnalysis,
    library: Library,
    prompt: str | None,
    song: Track | None = None,
    track: Track | None = None,
) -> Timeline:
    """The session's first timeline: the user's ``song``, a ``track`` taken by hand, or the matcher's best pick.

    The library is ranked here, once, whichever it is: the ranking is what "another track" walks later.
    """
    moods = parse_mood_words(prompt).moods
    ranking = rank_tracks(video=video, tracks=library.tracks, prompt=prompt) if len(library) else None
    ranked = ranking.ranked if ranking is not None else ()
    if song is not None:
        music = replace(
            MusicTrack.from_user_song(song.path),
            moods=moods,
            ranking=ranked,
            reason=song_reason(song, video=video),
            grid=beat_grid(song),
        )
    else:
        if track is None:
            if ranking is None:
                raise ValueError("an empty library has no pick")  # load_library refuses an empty library first
            track = library.get(ranking.best)
            assert track is not None
        reason = _reason_in(ranking, track.id) or reason_for(track, video=video, prompt=prompt)
        music = replace(
            MusicTrack.from_library(track.id, track.title, moods=moods),
            ranking=_first(ranked, track.id),
            reason=reason,
            grid=beat_grid(track),
        )
    return Timeline.for_video(input_path, duration_s, music=music)


def apply_instruction(
    timeline: Timeline, text: str, *, video: VideoAnalysis, library: Library
) -> tuple[Timeline, InstructionReport]:
    """Apply one chat message; a message that is not understood leaves the timeline unchanged.

    The library is ranked again only when the words change the mood (or the timeline kept no ranking);
    otherwise "another track" walks the ranking stored at the pick.
    """
    result = parse_instruction(text)
    if not result.understood:
        return timeline, InstructionReport(text=text, understood=False, edits=(), reply=result.reply())
    music = timeline.music
    ranking: MatchResult | None = None
    if result.needs_rerank or music is None or not music.ranking:
        moods = moods_after(timeline, result.edits) if result.needs_rerank else _moods(timeline)
        ranking = rank_tracks(video=video, tracks=library.tracks, prompt=" ".join(moods) or None)
    ranked = ranking.ranked if ranking is not None else music.ranking if music is not None else ()
    new, notes = apply_edits_explained(
        timeline, result.edits, ranked_track_ids=ranked, titles=library.titles(), lang=result.language
    )
    new = _settle_pick(new, before=timeline, video=video, library=library, ranking=ranking)
    reply = "; ".join([*notes, *result.errors])
    return new, InstructionReport(text=text, understood=True, edits=notes, reply=reply)


def with_user_song(timeline: Timeline, song: Track, *, video: VideoAnalysis, title: str | None = None) -> Timeline:
    """The user's ``song`` as the music, at the level the music had; the ranking is kept for "another track"."""
    old = timeline.music
    music = replace(
        MusicTrack.from_user_song(song.path, title=title),
        volume_pct=old.volume_pct if old is not None else 100.0,
        moods=old.moods if old is not None else (),
        ranking=old.ranking if old is not None else (),
        reason=song_reason(song, video=video),
        grid=beat_grid(song),
    )
    return timeline.with_music(music)


def with_source(timeline: Timeline, input_path: str) -> Timeline:
    """The same edits on another copy of the source (a saved timeline reused with its clip)."""
    return replace(timeline, video=replace(timeline.video, path=input_path))


def _settle_pick(
    timeline: Timeline, *, before: Timeline, video: VideoAnalysis, library: Library, ranking: MatchResult | None
) -> Timeline:
    """Record the pick after edits: a new ranking, and the reason and beat grid of a track that changed."""
    music = timeline.music
    if music is None:
        return timeline
    if ranking is not None:
        music = replace(music, ranking=ranking.ranked)
    old = before.music
    same_music = old is not None and (old.track_id, old.user_path) == (music.track_id, music.user_path)
    if same_music and ranking is None and music.reason and music.grid is not None:
        return replace(timeline, music=music)
    track = library.track_for(music.track_id, music.user_path)
    if music.user_path is not None:
        reason = music.reason if same_music and music.reason else song_reason(track, video=video)
    else:
        prompt = " ".join(music.moods) or None
        reason = (_reason_in(ranking, track.id) if ranking else None) or reason_for(track, video=video, prompt=prompt)
    return replace(timeline, music=replace(music, reason=reason, grid=beat_grid(track)))


def _reason_in(ranking: MatchResult | None, track_id: str) -> str | None:
    if ranking is None or track_id not in ranking.ranked:
        return None
    return ranking.reasons[ranking.ranked.index(track_id)]


def _first(ranked: tuple[str, ...], track_id: str) -> tuple[str, ...]:
    """The ranking with a track taken by hand put first (the rest keep their order)."""
    return (track_id, *(t for t in ranked if t != track_id))


def _moods(timeline: Timeline) -> tuple[str, ...]:
    return timeline.music.moods if timeline.music is not None else ()
