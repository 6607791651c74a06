"""The plan of a render: the first pick becomes a timeline, words edit it, every render starts from it.

The library is ranked once per pick — when a clip's music is first chosen, and again only when words
change the mood — and the pick (its reason, the ranking "another track" walks, the track's beat grid)
is written into the timeline, so rendering never ranks. Each render is made from the timeline and the
original source, never from a previous output, so any number of edits costs no generation loss.

A film of several items is edited the same way, with one more step: when the words change its items, its
length, its music or where the music starts, the cut is planned again on the music's beats
(``montage.plan_montage``) from the items' stored analysis — never from the film made before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.language import LANGS, Phrase, say
from bot.language.vocabulary import parse_mood_words
from bot.media.edits import FILM_EDITS, MOOD_EDITS, Edit, SetHit, StartMusic, apply_edits_phrased, moods_after
from bot.media.instructions import parse_instruction
from bot.media.library import Library
from bot.media.matching import pick_reason, rank_tracks, song_pick_reason, with_honest_words, with_pick_reason
from bot.media.models import AudioFeatures, MatchResult, Track, VideoAnalysis
from bot.media.montage import MontageAnalysis, plan_montage
from bot.media.sync import track_peak_s
from bot.media.timeline import MusicTrack, Timeline, TitleTrack
from bot.media.track_grid import beat_grid

__all__ = [
    "InstructionReport",
    "apply_instruction",
    "beat_grid",
    "caption_edits",
    "first_timeline",
    "with_source",
    "with_user_song",
]

FOOTAGE_SHORT_BY_BEATS = 2
"""A film re-planned this many beats shorter than asked ran out of usable footage; the reply says so."""


@dataclass(frozen=True)
class InstructionReport:
    """What one instruction did, for the user and for ``--json``."""

    text: str
    understood: bool
    edits: tuple[str, ...]
    reply: str
    """Worded in the language of the message's words."""
    replies: dict[str, str] = field(default_factory=dict)
    """``reply`` worded in each language the bot speaks, for the chat that chose one (``/language``): the
    words' language is only a guess at the reader's. Empty when nothing was understood."""

    def reply_in(self, lang: str) -> str:
        """The reply in ``lang`` (``reply`` itself when it was not worded in that language)."""
        return self.replies.get(lang, self.reply)

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "understood": self.understood, "edits": list(self.edits), "reply": self.reply}


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
        music = replace(MusicTrack.from_user_song(song.path), moods=moods, ranking=ranked, grid=beat_grid(song))
        music = with_pick_reason(music, song_pick_reason(song, video=video))
    else:
        if track is None:
            if ranking is None:
                raise ValueError("an empty library has no pick")  # load_library refuses an empty library first
            track = library.get(ranking.best)
            assert track is not None
        music = replace(
            MusicTrack.from_library(track.id, track.title, moods=moods),
            ranking=_first(ranked, track.id),
            grid=beat_grid(track),
        )
        music = with_pick_reason(music, pick_reason(track, video=video, prompt=prompt))
    music = with_honest_words(music, prompt, library.tracks)
    return Timeline.for_video(input_path, duration_s, music=music)


def caption_edits(text: str) -> bool:
    """Whether a clip's caption asks for more than a mood (which the first pick already follows)."""
    result = parse_instruction(text)
    return result.understood and any(not isinstance(edit, MOOD_EDITS) for edit in result.edits)


def apply_instruction(
    timeline: Timeline, text: str, *, video: VideoAnalysis | MontageAnalysis, library: Library
) -> tuple[Timeline, InstructionReport]:
    """Apply one chat message; a message that is not understood leaves the timeline unchanged.

    ``video`` is the clip's analysis, or for a film of several items the items' analysis (the film is then
    re-planned on the beats when the words change its items, length or music). The library is ranked again
    only when the words change the mood (or the timeline kept no ranking); otherwise "another track" walks
    the ranking stored at the pick. Film edits ("swap 2 and 3") on a single clip change nothing and say so.
    """
    result = parse_instruction(text)
    if not result.understood:
        return timeline, InstructionReport(text=text, understood=False, edits=(), reply=result.reply())
    if not timeline.is_montage and all(isinstance(edit, FILM_EDITS) for edit in result.edits) and result.edits:
        reply = say("film_edit_single_clip", result.language)
        return timeline, InstructionReport(text=text, understood=False, edits=(), reply=reply)
    film = video if isinstance(video, MontageAnalysis) and timeline.is_montage else None
    described = _described(timeline, video)
    music = timeline.music
    ranking: MatchResult | None = None
    if result.needs_rerank or music is None or not music.ranking:
        moods = moods_after(timeline, result.edits) if result.needs_rerank else _moods(timeline)
        ranking = rank_tracks(video=described, tracks=library.tracks, prompt=" ".join(moods) or None)
    ranked = ranking.ranked if ranking is not None else music.ranking if music is not None else ()
    new, notes = apply_edits_phrased(timeline, result.edits, ranked_track_ids=ranked, titles=library.titles())
    new = _settle_pick(new, before=timeline, video=described, library=library, ranking=ranking)
    more: list[Phrase] = []
    if film is not None:
        new, more = _replan_film(new, before=timeline, analysis=film, library=library, edits=result.edits)
    said = (*notes, *more)
    errors = tuple(Phrase(key) for key in result.error_keys)
    worded: dict[str, tuple[str, ...]] = {lang: tuple(note.worded(lang) for note in said) for lang in LANGS}
    replies = {lang: "; ".join([*lines, *(e.worded(lang) for e in errors)]) for lang, lines in worded.items()}
    mine = result.language
    return new, InstructionReport(text=text, understood=True, edits=worded[mine], reply=replies[mine], replies=replies)


def with_user_song(
    timeline: Timeline, song: Track, *, video: VideoAnalysis | MontageAnalysis, title: str | None = None
) -> Timeline:
    """The user's ``song`` as the music, at the level the music had; the ranking is kept for "another track".
    A film (``video`` the items' analysis) is cut again on the song's beats."""
    old = timeline.music
    if isinstance(video, MontageAnalysis):
        described = video.as_video(timeline.duration_s)
        with_song = with_user_song(timeline, song, video=described, title=title)
        if not timeline.is_montage:
            return with_song
        return _replanned(with_song, video, song.features, length_s=timeline.duration_s, offset_s=None)
    music = replace(
        MusicTrack.from_user_song(song.path, title=title),
        volume_pct=old.volume_pct if old is not None else 100.0,
        moods=old.moods if old is not None else (),
        ranking=old.ranking if old is not None else (),
        grid=beat_grid(song),
    )
    return timeline.with_music(with_pick_reason(music, song_pick_reason(song, video=video)))


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
    music = replace(music, grid=beat_grid(track))
    if music.user_path is not None:
        if same_music and music.reason:
            return replace(timeline, music=music)
        return replace(timeline, music=with_pick_reason(music, song_pick_reason(track, video=video)))
    why = pick_reason(track, video=video, prompt=" ".join(music.moods) or None)
    return replace(timeline, music=with_pick_reason(music, why))


def _first(ranked: tuple[str, ...], track_id: str) -> tuple[str, ...]:
    """The ranking with a track taken by hand put first (the rest keep their order)."""
    return (track_id, *(t for t in ranked if t != track_id))


def _moods(timeline: Timeline) -> tuple[str, ...]:
    return timeline.music.moods if timeline.music is not None else ()


# ----- a film of several items ---------------------------------------------------------------------


def _described(timeline: Timeline, video: VideoAnalysis | MontageAnalysis) -> VideoAnalysis:
    """What the matcher and the reasons read: the clip's analysis, or the film's items described as one."""
    return video.as_video(timeline.duration_s) if isinstance(video, MontageAnalysis) else video


def _replan_film(
    timeline: Timeline, *, before: Timeline, analysis: MontageAnalysis, library: Library, edits: Sequence[Edit]
) -> tuple[Timeline, list[Phrase]]:
    """The film cut again on the beats when the edits changed its items, length, music or music start;
    plus notes for what the user should know about the result."""
    music = timeline.music
    if music is None:
        return timeline, []
    old = before.music
    same_music = old is not None and (old.track_id, old.user_path) == (music.track_id, music.user_path)
    same_items = [s.source for s in timeline.segments] == [s.source for s in before.segments]
    asked_s = timeline.video.end_s
    same_length = asked_s == before.video.end_s
    start = next((edit for edit in reversed(edits) if isinstance(edit, StartMusic)), None)
    hit = next((edit for edit in reversed(edits) if isinstance(edit, SetHit)), None)
    if same_music and same_items and same_length and start is None and hit is None:
        return timeline, []
    offset = start.offset_s if start is not None else (music.start_offset_s if same_music else None)
    track = library.track_for(music.track_id, music.user_path)
    peak = track_peak_s(track.features) if hit is not None and start is None else None
    if hit is not None and peak is not None:  # the music starts so that its big moment lands where asked
        offset = max(0.0, peak - hit.at_s)
    new = _replanned(timeline, analysis, track.features, length_s=asked_s, offset_s=offset)
    notes: list[Phrase] = []
    beat_s = 60.0 / track.features.bpm if track.features.bpm > 0 else 0.5
    if not same_length and asked_s - new.duration_s > FOOTAGE_SHORT_BY_BEATS * beat_s:
        notes.append(Phrase.of("note_footage_limit", seconds=round(new.duration_s)))
    return new, notes


def _replanned(
    timeline: Timeline, analysis: MontageAnalysis, features: AudioFeatures, *, length_s: float, offset_s: float | None
) -> Timeline:
    """``timeline``'s film planned again: its items in its present order, on ``features``' beats."""
    music = timeline.music
    assert music is not None
    by_path = {item.path: item for item in analysis.items}
    items = tuple(dict.fromkeys(by_path[s.source] for s in timeline.segments if s.source in by_path))
    planned = plan_montage(
        replace(analysis, items=items),
        features,
        music=music,
        length_s=length_s,
        output=timeline.output,
        original_keep=timeline.original.keep,
        offset_s=offset_s,
    )
    title = timeline.title
    if title is not None and title.start_s + title.duration_s > planned.duration_s:
        start = min(title.start_s, max(0.0, planned.duration_s - 0.5))
        title = TitleTrack(text=title.text, start_s=start, duration_s=max(0.5, planned.duration_s - start))
    return replace(planned, original=timeline.original, title=title)
