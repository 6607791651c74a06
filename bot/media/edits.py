"""Timeline edits: the small changes a chat message asks for, and applying them to a timeline.

Applying edits is pure: ``apply_edits`` returns a new ``Timeline``. Mood edits need the matcher to
re-rank the library first (``ParseResult.needs_rerank``); the caller computes the new words with
``moods_after`` and passes the fresh ranking in.

No prose here: the words for an edit ("music −3 dB", "换一首") are phrases of :mod:`bot.language`,
picked by :func:`edit_phrase` from the edit's kind and values and worded where they are read.

One job at ~650 lines: an edit's type, its wording and its effect on the timeline are read together (a new
edit adds a class, a phrase key and a branch of ``_apply_one``); split apart they would import each other.
The edits of a film of several items (length, order, which items) only rewrite what they ask for; the cut is
re-planned on the beats by ``bot.media.editing``, which has the items' analysis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from bot.language import Phrase
from bot.language.vocabulary import parse_mood_words
from bot.media.timeline import (
    DEFAULT_TITLE_DURATION_S,
    MAX_TITLE_CHARS,
    MAX_VOLUME_PCT,
    MusicTrack,
    Segment,
    Timeline,
    TimelineError,
    TitleTrack,
    clean_text,
    format_seconds,
)
from bot.platforms import MB, MIB

__all__ = [
    "ASPECTS",
    "FILM_EDITS",
    "LENGTH_STEP",
    "MAX_FILM_S",
    "MIN_FILM_S",
    "MOOD_EDITS",
    "MOOD_SHIFTS",
    "STEP_DB",
    "ChangeLength",
    "ChangeVolume",
    "DropItem",
    "Edit",
    "NextTrack",
    "PreviousTrack",
    "RemoveTitle",
    "SetAspect",
    "SetDucking",
    "SetFit",
    "SetHit",
    "SetLength",
    "SetMaxHeight",
    "SetMood",
    "SetOriginalAudio",
    "SetTargetSize",
    "SetTitle",
    "SetVolume",
    "ShiftMood",
    "StartMusic",
    "SwapItems",
    "apply_edits",
    "apply_edits_explained",
    "apply_edits_phrased",
    "describe_edit",
    "edit_phrase",
    "format_size",
    "merge_mood_words",
    "moods_after",
]

STEP_DB = 3.0
"""One "louder"/"quieter" step."""
VOLUME_FROM_SILENCE_PCT = 25.0
"""Where "louder" starts when the music was muted (0 % times any gain is still 0 %)."""
MIN_TITLE_DURATION_S = 0.5
MAX_TITLE_DURATION_S = 600.0

MOOD_SHIFTS: dict[str, tuple[str, ...]] = {
    "energetic": ("energetic",),
    "calm": ("calm",),
    "happy": ("happy",),
    "sad": ("sad",),
    "epic": ("epic",),
}
"""Relative mood requests and the vocabulary words they are recorded as (what the matcher reads)."""

ASPECTS: tuple[str | None, ...] = ("9:16", "1:1", "16:9", None)
"""Output shapes an edit can ask for; None keeps the clip's own."""
MIN_FILM_S = 2.0
MAX_FILM_S = 600.0
LENGTH_STEP = 0.75
""""shorter" makes a film three quarters as long, "longer" a third longer (a bar or two on either side)."""


# ----- edits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """One small change to a timeline; ``kind`` names it to the parser and the phrase tables."""

    kind: ClassVar[str] = ""


@dataclass(frozen=True)
class NextTrack(Edit):
    """The best track of the ranking not yet offered in this round ("another track", 换一首)."""

    kind: ClassVar[str] = "next_track"


@dataclass(frozen=True)
class PreviousTrack(Edit):
    """Back to the track offered before the current one (上一首, 换回来)."""

    kind: ClassVar[str] = "previous_track"


@dataclass(frozen=True)
class ShiftMood(Edit):
    """A relative mood request ("calmer", 更燃); needs a re-rank, then the best track of it."""

    kind: ClassVar[str] = "shift_mood"
    direction: str

    def __post_init__(self) -> None:
        if self.direction not in MOOD_SHIFTS:
            raise ValueError(f"unknown mood direction {self.direction!r}")

    @property
    def words(self) -> tuple[str, ...]:
        return MOOD_SHIFTS[self.direction]


@dataclass(frozen=True)
class SetMood(Edit):
    """Named mood or genre words ("make it lo-fi", 浪漫一点); needs a re-rank, then the best track of it."""

    kind: ClassVar[str] = "set_mood"
    words: tuple[str, ...]


@dataclass(frozen=True)
class ChangeVolume(Edit):
    """Music louder (+) or quieter (-) by ``steps`` of 3 dB."""

    kind: ClassVar[str] = "change_volume"
    steps: int

    @property
    def gain_db(self) -> float:
        return STEP_DB * self.steps


@dataclass(frozen=True)
class SetVolume(Edit):
    """Music at an absolute level, in percent of the track's normalised level (0..400)."""

    kind: ClassVar[str] = "set_volume"
    pct: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "pct", round(min(MAX_VOLUME_PCT, max(0.0, float(self.pct))), 3))


@dataclass(frozen=True)
class SetOriginalAudio(Edit):
    """Keep or mute the clip's own sound."""

    kind: ClassVar[str] = "set_original_audio"
    keep: bool


@dataclass(frozen=True)
class SetDucking(Edit):
    """Whether the music dips while someone speaks."""

    kind: ClassVar[str] = "set_ducking"
    enabled: bool


@dataclass(frozen=True)
class SetHit(Edit):
    """Where (video seconds) the track's big moment should land ("drop at 20 s", "高潮在20秒"); the start point
    goes back to the planner, which lays the moment there when it can keep the cuts on beats."""

    kind: ClassVar[str] = "set_hit"
    at_s: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "at_s", round(max(0.0, float(self.at_s)), 3))


@dataclass(frozen=True)
class StartMusic(Edit):
    """Where the song starts. ``offset_s=None, skip_intro=True`` is resolved by the caller from the analysis
    (first downbeat after the intro); ``offset_s=None, skip_intro=False`` hands the choice back to the planner.
    """

    kind: ClassVar[str] = "start_music"
    offset_s: float | None = None
    skip_intro: bool = False

    def __post_init__(self) -> None:
        if self.offset_s is not None:
            object.__setattr__(self, "offset_s", round(max(0.0, float(self.offset_s)), 3))
            object.__setattr__(self, "skip_intro", False)


@dataclass(frozen=True)
class SetTitle(Edit):
    """A title over the video. ``duration_s=None`` keeps the present duration (3 s for a new title)."""

    kind: ClassVar[str] = "set_title"
    text: str
    duration_s: float | None = None

    def __post_init__(self) -> None:
        text = clean_text(self.text, MAX_TITLE_CHARS)
        if not text:
            raise TimelineError("a title needs some text")
        object.__setattr__(self, "text", text)
        if self.duration_s is not None:
            duration = min(MAX_TITLE_DURATION_S, max(MIN_TITLE_DURATION_S, float(self.duration_s)))
            object.__setattr__(self, "duration_s", round(duration, 3))


@dataclass(frozen=True)
class RemoveTitle(Edit):
    """No title over the video."""

    kind: ClassVar[str] = "remove_title"


@dataclass(frozen=True)
class SetAspect(Edit):
    """Output shape; None keeps the clip's own."""

    kind: ClassVar[str] = "set_aspect"
    aspect: str | None

    def __post_init__(self) -> None:
        if self.aspect not in ASPECTS:
            raise ValueError(f"unknown aspect {self.aspect!r}")


@dataclass(frozen=True)
class SetFit(Edit):
    """``crop`` to fill the new shape, or ``blur``: the whole picture over a blurred copy of itself."""

    kind: ClassVar[str] = "set_fit"
    mode: str

    def __post_init__(self) -> None:
        if self.mode not in ("crop", "blur"):
            raise ValueError(f"unknown fit mode {self.mode!r}")


@dataclass(frozen=True)
class SetMaxHeight(Edit):
    """Largest output height in pixels (720 for 720p); None keeps the clip's resolution."""

    kind: ClassVar[str] = "set_max_height"
    height: int | None


@dataclass(frozen=True)
class SetTargetSize(Edit):
    """Largest output file size in bytes; ``label`` names where it comes from ("Discord")."""

    kind: ClassVar[str] = "set_target_size"
    size_bytes: int | None
    label: str = ""


@dataclass(frozen=True)
class SetLength(Edit):
    """A film of about ``seconds`` (it ends on the nearest bar line); only a film of several items has one."""

    kind: ClassVar[str] = "set_length"
    seconds: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "seconds", round(min(MAX_FILM_S, max(MIN_FILM_S, float(self.seconds))), 3))


@dataclass(frozen=True)
class ChangeLength(Edit):
    """A film a step ``shorter`` or ``longer`` (see ``LENGTH_STEP``)."""

    kind: ClassVar[str] = "change_length"
    direction: str

    def __post_init__(self) -> None:
        if self.direction not in ("shorter", "longer"):
            raise ValueError(f"unknown length direction {self.direction!r}")


@dataclass(frozen=True)
class SwapItems(Edit):
    """Two items of a film change places; counted from 1 as the user sees them, -1 is the last."""

    kind: ClassVar[str] = "swap_items"
    first: int
    second: int


@dataclass(frozen=True)
class DropItem(Edit):
    """One item leaves the film; counted from 1, -1 is the last."""

    kind: ClassVar[str] = "drop_item"
    index: int


MOOD_EDITS = (ShiftMood, SetMood)
FILM_EDITS = (SetLength, ChangeLength, SwapItems, DropItem)
"""Edits that rearrange a film of several items; a single clip has nothing for them to change."""


# ----- words for an edit ---------------------------------------------------------------------------


def format_size(size_bytes: int) -> str:
    """10_000_000 -> ``10 MB``, 10_485_760 -> ``10 MiB``: the unit the user most likely typed."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", MIB)):
        if size_bytes >= factor and size_bytes % factor == 0:
            return f"{size_bytes // factor} {unit}"
    for unit, factor in (("GB", 10**9), ("MB", MB), ("KB", 1000)):
        if size_bytes >= factor:
            return f"{format_seconds(size_bytes / factor)} {unit}"
    return f"{size_bytes} bytes"


def _describe_title(text: str, duration_s: float | None) -> Phrase:
    if duration_s is None:
        return Phrase.of("edit_title", text=text)
    return Phrase.of("edit_title_for", text=text, seconds=format_seconds(duration_s))


def _describe_start(edit: StartMusic) -> Phrase:
    if edit.offset_s is not None:
        if edit.offset_s >= 60:
            minutes, rest = divmod(edit.offset_s, 60)
            return Phrase.of("edit_start_at_clock", clock=f"{int(minutes)}:{format_seconds(rest).zfill(2)}")
        return Phrase.of("edit_start_at_seconds", seconds=format_seconds(edit.offset_s))
    return Phrase.of("edit_skip_intro" if edit.skip_intro else "edit_start_auto")


def _describe_size(edit: SetTargetSize) -> Phrase:
    if edit.size_bytes is None:
        return Phrase.of("edit_no_size_limit")
    if edit.label:
        return Phrase.of("edit_size_under_for", size=format_size(edit.size_bytes), platform=edit.label)
    return Phrase.of("edit_size_under", size=format_size(edit.size_bytes))


_ASPECT_KEYS: dict[str | None, str] = {
    "9:16": "edit_aspect_vertical",
    "1:1": "edit_aspect_square",
    "16:9": "edit_aspect_landscape",
    None: "edit_aspect_original",
}


def describe_edit(edit: Edit, lang: str = "en") -> str:
    """What the edit does, in the user's language, for the bot's reply ("music +6 dB", "换一首")."""
    return edit_phrase(edit).worded(lang)


def edit_phrase(edit: Edit) -> Phrase:
    """What the edit does, as a phrase worded where it is read."""
    if isinstance(edit, ShiftMood):
        return Phrase.of(f"edit_shift_{edit.direction}")
    if isinstance(edit, SetMood):
        return Phrase.of("edit_set_mood", words=", ".join(edit.words))
    if isinstance(edit, ChangeVolume):
        sign = "+" if edit.steps > 0 else "−"
        return Phrase.of("edit_change_volume", gain=f"{sign}{format_seconds(abs(edit.gain_db))}")
    if isinstance(edit, SetVolume):
        return Phrase.of("edit_set_volume", pct=format_seconds(edit.pct))
    if isinstance(edit, SetOriginalAudio):
        return Phrase.of("edit_original_kept" if edit.keep else "edit_original_muted")
    if isinstance(edit, SetDucking):
        return Phrase.of("edit_ducking_on" if edit.enabled else "edit_ducking_off")
    if isinstance(edit, StartMusic):
        return _describe_start(edit)
    if isinstance(edit, SetHit):
        return Phrase.of("edit_hit_at", seconds=format_seconds(edit.at_s))
    if isinstance(edit, SetTitle):
        return _describe_title(edit.text, edit.duration_s)
    if isinstance(edit, SetAspect):
        return Phrase.of(_ASPECT_KEYS[edit.aspect])
    if isinstance(edit, SetFit):
        return Phrase.of(f"edit_fit_{edit.mode}")
    if isinstance(edit, SetMaxHeight):
        if edit.height is None:
            return Phrase.of("edit_original_resolution")
        return Phrase.of("edit_max_height", height=edit.height)
    if isinstance(edit, SetTargetSize):
        return _describe_size(edit)
    if isinstance(edit, SetLength):
        return Phrase.of("edit_set_length", seconds=format_seconds(edit.seconds))
    if isinstance(edit, ChangeLength):
        return Phrase.of(f"edit_{edit.direction}")
    if isinstance(edit, SwapItems):
        return Phrase.of("edit_swap_items", first=_ordinal_label(edit.first), second=_ordinal_label(edit.second))
    if isinstance(edit, DropItem):
        return Phrase.of("edit_drop_item", item=_ordinal_label(edit.index))
    return Phrase.of(f"edit_{edit.kind}")


def _ordinal_label(index: int) -> Phrase:
    return Phrase.of("item_last") if index < 0 else Phrase.of("item_number", number=index)


# ----- applying ------------------------------------------------------------------------------------


def _is_mood_word(word: str) -> bool:
    return bool(parse_mood_words(word).moods)


def _is_style_word(word: str) -> bool:
    return bool(parse_mood_words(word).styles)


def merge_mood_words(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """New words replace the old ones of the same kind: "calmer" after "piano, happy" gives ("piano", "calm");
    "make it lo-fi" (a mood and a style) replaces both."""
    new_request = parse_mood_words(" ".join(new))
    drop_moods = bool(new_request.moods)
    drop_styles = bool(new_request.styles)
    kept = [w for w in old if not ((drop_moods and _is_mood_word(w)) or (drop_styles and _is_style_word(w)))]
    return tuple(dict.fromkeys([*kept, *new]))


def moods_after(timeline: Timeline, edits: Sequence[Edit]) -> tuple[str, ...]:
    """The mood words the matcher should rank with once ``edits`` are applied (for ``needs_rerank``)."""
    words: tuple[str, ...] = timeline.music.moods if timeline.music is not None else ()
    for edit in edits:
        if isinstance(edit, MOOD_EDITS):
            words = merge_mood_words(words, edit.words)
    return words


@dataclass(frozen=True)
class _Env:
    ranked: tuple[str, ...]
    titles: Mapping[str, str]


def _switch(music: MusicTrack | None, track_id: str, env: _Env, *, new_round: bool = False) -> MusicTrack:
    """Put a library track on the timeline and record the offer; start point goes back to the planner."""
    title = env.titles.get(track_id, track_id)
    if music is None:
        return MusicTrack.from_library(track_id, title)
    offered = (*music.offered, track_id)
    return replace(
        music,
        title=title,
        track_id=track_id,
        user_path=None,
        start_offset_s=None,
        offered=offered,
        current=len(offered) - 1,
        round_start=len(offered) - 1 if new_round else music.round_start,
    )


def _next_track(timeline: Timeline, env: _Env) -> tuple[Timeline, Phrase]:
    music = timeline.music
    current = music.track_id if music is not None else None
    offered_this_round = set(music.offered[music.round_start :]) if music is not None else set()
    fresh = [t for t in env.ranked if t not in offered_this_round and t != current]
    if fresh:
        new_music = _switch(music, fresh[0], env)
    else:
        others = [t for t in env.ranked if t != current]
        if not others:
            return timeline, Phrase.of("note_no_other_track")
        new_music = _switch(music, others[0], env, new_round=True)
    return replace(timeline, music=new_music), Phrase.of("note_another_track", title=new_music.title)


def _previous_track(timeline: Timeline, env: _Env) -> tuple[Timeline, Phrase]:
    music = timeline.music
    if music is None or music.current <= 0:
        return timeline, Phrase.of("note_no_previous_track")
    index = music.current - 1
    track_id = music.offered[index]
    new_music = replace(
        music,
        title=env.titles.get(track_id, track_id),
        track_id=track_id,
        user_path=None,
        start_offset_s=None,
        current=index,
    )
    return replace(timeline, music=new_music), Phrase.of("note_back_to", title=new_music.title)


def _mood(timeline: Timeline, edit: ShiftMood | SetMood, env: _Env) -> tuple[Timeline, Phrase]:
    music = timeline.music
    base = edit_phrase(edit)
    if not env.ranked:
        if music is None:
            return timeline, base
        return replace(timeline, music=replace(music, moods=merge_mood_words(music.moods, edit.words))), base
    moods = merge_mood_words(music.moods if music is not None else (), edit.words)
    best = env.ranked[0]
    if music is not None and music.track_id == best:
        new_music = replace(music, moods=moods)
    else:
        new_music = replace(_switch(music, best, env), moods=moods)
    return replace(timeline, music=new_music), Phrase.of("note_mood_track", change=base, title=new_music.title)


def _change_volume(timeline: Timeline, edit: ChangeVolume, env: _Env) -> tuple[Timeline, Phrase]:
    music = timeline.music
    if music is None:
        return timeline, Phrase.of("note_no_music_yet")
    if music.volume_pct <= 0 and edit.steps > 0:
        pct = VOLUME_FROM_SILENCE_PCT * 10 ** (STEP_DB * (edit.steps - 1) / 20)
    else:
        pct = music.volume_pct * 10 ** (edit.gain_db / 20)
    new_music = replace(music, volume_pct=min(MAX_VOLUME_PCT, max(0.0, pct)))
    note = Phrase.of("note_volume", change=edit_phrase(edit), pct=round(new_music.volume_pct))
    return replace(timeline, music=new_music), note


def _set_title(timeline: Timeline, edit: SetTitle) -> Timeline:
    old = timeline.title
    duration = edit.duration_s if edit.duration_s is not None else (old.duration_s if old else DEFAULT_TITLE_DURATION_S)
    if timeline.duration_s > 0:
        duration = min(duration, timeline.duration_s)
    start = old.start_s if old is not None else 0.0
    return replace(timeline, title=TitleTrack(text=edit.text, start_s=start, duration_s=duration))


def _apply_one(timeline: Timeline, edit: Edit, env: _Env) -> tuple[Timeline, Phrase]:
    music = timeline.music
    note = edit_phrase(edit)
    if isinstance(edit, NextTrack):
        return _next_track(timeline, env)
    if isinstance(edit, PreviousTrack):
        return _previous_track(timeline, env)
    if isinstance(edit, ShiftMood | SetMood):
        return _mood(timeline, edit, env)
    if isinstance(edit, ChangeVolume):
        return _change_volume(timeline, edit, env)
    if isinstance(edit, SetVolume | StartMusic | SetHit):
        if music is None:
            return timeline, Phrase.of("note_no_music_yet")
        if isinstance(edit, SetVolume):
            return replace(timeline, music=replace(music, volume_pct=edit.pct)), note
        if isinstance(edit, SetHit):
            if timeline.is_montage:  # a film's start is re-planned from the pin with its cut (bot.media.editing)
                return replace(timeline, music=replace(music, hit_at_s=edit.at_s)), note
            pinned = replace(music, hit_at_s=edit.at_s, start_offset_s=None, skip_intro=False)
            return replace(timeline, music=pinned), note
        new_music = replace(music, start_offset_s=edit.offset_s, skip_intro=edit.skip_intro)
        return replace(timeline, music=new_music), note
    if isinstance(edit, SetOriginalAudio):
        return replace(timeline, original=replace(timeline.original, keep=edit.keep)), note
    if isinstance(edit, SetDucking):
        return replace(timeline, original=replace(timeline.original, duck=edit.enabled)), note
    if isinstance(edit, SetTitle):
        new = _set_title(timeline, edit)
        assert new.title is not None
        return new, _describe_title(new.title.text, new.title.duration_s)
    if isinstance(edit, RemoveTitle):
        return replace(timeline, title=None), note
    if isinstance(edit, SetAspect):
        return replace(timeline, output=replace(timeline.output, aspect=edit.aspect)), note
    if isinstance(edit, SetFit):
        return replace(timeline, output=replace(timeline.output, fit=edit.mode)), note
    if isinstance(edit, SetMaxHeight):
        return replace(timeline, output=replace(timeline.output, max_height=edit.height)), note
    if isinstance(edit, SetTargetSize):
        return replace(timeline, output=replace(timeline.output, target_size_bytes=edit.size_bytes)), note
    if isinstance(edit, FILM_EDITS):
        return _rearrange(timeline, edit)
    raise TypeError(f"unknown edit {edit!r}")


# ----- a film of several items ---------------------------------------------------------------------
# These edits only ask: the order of the segments (one per item) and the film's length (``video.end_s``)
# are rewritten here, and the caller re-plans the cut on the music's beats from that (``bot.media.editing``).


def _rearrange(timeline: Timeline, edit: Edit) -> tuple[Timeline, Phrase]:
    if not timeline.is_montage:
        return timeline, Phrase.of("note_film_only")
    note = edit_phrase(edit)
    segments = list(timeline.segments)
    if isinstance(edit, SetLength | ChangeLength):
        if isinstance(edit, SetLength):
            seconds = edit.seconds
        else:
            factor = LENGTH_STEP if edit.direction == "shorter" else 1.0 / LENGTH_STEP
            seconds = min(MAX_FILM_S, max(MIN_FILM_S, timeline.duration_s * factor))
        return replace(timeline, video=replace(timeline.video, end_s=seconds)), note
    if isinstance(edit, SwapItems):
        first, second = _position(edit.first, len(segments)), _position(edit.second, len(segments))
        missing = edit.first if first is None else edit.second if second is None else None
        if first is None or second is None:
            return timeline, Phrase.of("note_no_such_item", item=_ordinal_label(missing or 0), count=len(segments))
        segments[first], segments[second] = segments[second], segments[first]
    elif isinstance(edit, DropItem):
        position = _position(edit.index, len(segments))
        if position is None:
            return timeline, Phrase.of("note_no_such_item", item=_ordinal_label(edit.index), count=len(segments))
        if len(segments) == 1:
            return timeline, Phrase.of("note_last_item")
        del segments[position]
    return replace(timeline, segments=_retimed(segments)), note


def _position(index: int, count: int) -> int | None:
    """The list position of the item the user counted (from 1; -1 is the last), or None if there is none."""
    if index == -1 and count:
        return count - 1
    return index - 1 if 1 <= index <= count else None


def _retimed(segments: Sequence[Segment]) -> tuple[Segment, ...]:
    """The segments laid end to end in their new order (the re-plan puts the cuts back on the beats)."""
    out: list[Segment] = []
    at = 0.0
    for segment in segments:
        out.append(replace(segment, start_s=at, end_s=at + segment.duration_s))
        at += segment.duration_s
    return tuple(out)


def apply_edits_phrased(
    timeline: Timeline,
    edits: Sequence[Edit],
    *,
    ranked_track_ids: Sequence[str],
    titles: Mapping[str, str] | None = None,
) -> tuple[Timeline, tuple[Phrase, ...]]:
    """``apply_edits`` plus one note per edit with the outcome ("music −3 dB (71%)", "another track: Lo-fi"),
    as phrases: the edits run once, the notes are worded for each reader."""
    env = _Env(ranked=tuple(dict.fromkeys(ranked_track_ids)), titles=titles or {})
    notes: list[Phrase] = []
    for edit in edits:
        timeline, note = _apply_one(timeline, edit, env)
        notes.append(note)
    return timeline, tuple(notes)


def apply_edits_explained(
    timeline: Timeline,
    edits: Sequence[Edit],
    *,
    ranked_track_ids: Sequence[str],
    titles: Mapping[str, str] | None = None,
    lang: str = "en",
) -> tuple[Timeline, tuple[str, ...]]:
    """:func:`apply_edits_phrased` with its notes worded in ``lang``."""
    new, notes = apply_edits_phrased(timeline, edits, ranked_track_ids=ranked_track_ids, titles=titles)
    return new, tuple(note.worded(lang) for note in notes)


def apply_edits(
    timeline: Timeline,
    edits: Sequence[Edit],
    *,
    ranked_track_ids: Sequence[str],
    titles: Mapping[str, str] | None = None,
) -> Timeline:
    """Apply edits in order and return the new timeline (the input is untouched).

    ``ranked_track_ids`` is the matcher's ranking for the request, best first; when the edits change the
    mood it must be the ranking for ``moods_after(timeline, edits)``. ``titles`` maps ids to display titles.
    """
    return apply_edits_explained(timeline, edits, ranked_track_ids=ranked_track_ids, titles=titles)[0]
