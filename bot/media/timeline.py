"""The timeline: a plain, frozen description of what will be rendered, edited by chat instructions.

Everything here is data. User text (the title, file names) is only ever stored as strings and is
never turned into filter syntax here; the renderer passes it through a file. The JSON form is
deterministic (sorted keys, fixed rounding, no timestamps or random ids), so the same edits always
give byte-identical JSON and a session can be stored, diffed and replayed.

One job at ~500 lines: the timeline's fields, their checks and their JSON form (written by ``to_dict``,
read back strictly by a pydantic ``TypeAdapter`` over the same dataclasses) must change together.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, Strict, TypeAdapter, ValidationError

from bot.errors import InputRejected
from bot.language import say
from bot.language.reasons import PickReason
from bot.language.text import MAX_LABEL_CHARS, clean_text, format_seconds, label_from_path

__all__ = [
    "ASPECTS",
    "DEFAULT_TITLE_DURATION_S",
    "FIT_MODES",
    "MAX_TITLE_CHARS",
    "MAX_VOLUME_PCT",
    "PHOTO_MOVES",
    "REFRAME_MODES",
    "SCHEMA_VERSION",
    "SEGMENT_KINDS",
    "BeatGrid",
    "MusicTrack",
    "OriginalAudio",
    "OutputSettings",
    "Segment",
    "StrictBool",
    "StrictFloat",
    "StrictInt",
    "Timeline",
    "TimelineError",
    "TitleTrack",
    "VideoTrack",
]

SCHEMA_VERSION = 1

ASPECTS: tuple[str, ...] = ("9:16", "1:1", "16:9")
FIT_MODES: tuple[str, ...] = ("crop", "blur")
REFRAME_MODES: tuple[str, ...] = ("subject", "centre")
MAX_VOLUME_PCT = 400.0
DEFAULT_TITLE_DURATION_S = 3.0
MAX_TITLE_CHARS = 100
_DECIMALS = 3
"""Every float is rounded to milliseconds (or 0.001 %) when a timeline is built, so JSON round-trips exactly."""


StrictFloat = Annotated[float, Strict()]
StrictInt = Annotated[int, Strict()]
StrictBool = Annotated[bool, Strict()]
_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)
"""How saved timelines are read back (see ``_timeline_from``)."""


class TimelineError(ValueError):
    """A field of a timeline is out of range or of the wrong type (a bug, or a damaged saved timeline)."""


def _round(value: float) -> float:
    rounded = round(float(value), _DECIMALS)
    return 0.0 if rounded == 0 else rounded


def _round_opt(value: float | None) -> float | None:
    return None if value is None else _round(value)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise TimelineError(message)


@dataclass(frozen=True)
class VideoTrack:
    """The user's clip and the part of it that is used (source seconds)."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    path: str
    label: str
    start_s: StrictFloat
    end_s: StrictFloat

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_s", _round(self.start_s))
        object.__setattr__(self, "end_s", _round(self.end_s))
        object.__setattr__(self, "label", clean_text(self.label, MAX_LABEL_CHARS) or "video")
        _check(bool(self.path), "video.path must not be empty")
        _check(0.0 <= self.start_s <= self.end_s, "video.start_s must be between 0 and video.end_s")

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


SEGMENT_KINDS: tuple[str, ...] = ("video", "photo")
PHOTO_MOVES: tuple[str, ...] = ("zoom_in", "zoom_out", "pan_left", "pan_right")


@dataclass(frozen=True)
class Segment:
    """One piece of a montage: a stretch of a clip, or a photo shown for a while.

    ``source_start_s``/``source_end_s`` are clip seconds (a photo: 0 and its length); ``start_s``/``end_s``
    are film seconds, and every boundary between segments is a beat of the music's grid.
    """

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    source: str
    kind: str
    source_start_s: StrictFloat
    source_end_s: StrictFloat
    start_s: StrictFloat
    end_s: StrictFloat
    move: str = "zoom_in"
    """How a photo moves (Ken Burns); ignored for a clip."""

    def __post_init__(self) -> None:
        for name in ("source_start_s", "source_end_s", "start_s", "end_s"):
            object.__setattr__(self, name, _round(getattr(self, name)))
        _check(bool(self.source), "segment.source must not be empty")
        _check(self.kind in SEGMENT_KINDS, f"segment.kind must be one of {SEGMENT_KINDS}")
        _check(self.move in PHOTO_MOVES, f"segment.move must be one of {PHOTO_MOVES}")
        _check(0.0 <= self.source_start_s < self.source_end_s, "segment.source_start_s must be before source_end_s")
        _check(0.0 <= self.start_s < self.end_s, "segment.start_s must be before segment.end_s")

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class OriginalAudio:
    """What happens to the clip's own sound."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    keep: StrictBool = True
    duck: StrictBool = True
    """Lower the music while someone speaks."""


@dataclass(frozen=True)
class BeatGrid:
    """The measured beats of the music in use (track seconds), as the pick found them.

    The render lays cuts and loops on these, never on a catalog tempo; a montage cuts its segments on them.
    """

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    bpm: StrictFloat
    beats_per_bar: StrictInt
    beats_s: tuple[StrictFloat, ...]
    downbeats_s: tuple[StrictFloat, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "bpm", _round(self.bpm))
        object.__setattr__(self, "beats_s", tuple(_round(b) for b in self.beats_s))
        object.__setattr__(self, "downbeats_s", tuple(_round(b) for b in self.downbeats_s))
        _check(self.bpm >= 0.0, "music.grid.bpm must not be negative")
        _check(self.beats_per_bar >= 1, "music.grid.beats_per_bar must be at least 1")


@dataclass(frozen=True)
class MusicTrack:
    """The background music, plus the session history that "another"/"previous track" walk through.

    ``offered`` lists every library track offered in this session, in order (a track may appear again
    after the ranking was exhausted and wrapped); ``current`` indexes the one now in use (-1 when the
    music is the user's own song); ``round_start`` is where the present no-repeat round began.

    The pick itself lives here too, so a render never ranks the library again: ``reason`` (why it fits,
    one sentence), ``ranking`` (every library track for the present ``moods``, best first, as ranked when
    the music was picked; "another track" walks it) and ``grid`` (the measured beats the sync uses).
    """

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    title: str
    track_id: str | None = None
    user_path: str | None = None
    start_offset_s: StrictFloat | None = None
    """Where in the song the music starts; None lets the sync planner choose."""
    skip_intro: StrictBool = False
    """Start at the first downbeat after the intro; resolved at render time from the track's analysis."""
    loop: StrictBool = True
    volume_pct: StrictFloat = 100.0
    fade_in_s: StrictFloat | None = None
    """None lets the sync planner choose."""
    fade_out_s: StrictFloat | None = None
    moods: tuple[str, ...] = ()
    """The mood and style words asked for so far, as fed to the matcher (e.g. ``("calm",)``)."""
    offered: tuple[str, ...] = ()
    current: StrictInt = -1
    round_start: StrictInt = 0
    reason: str = ""
    ranking: tuple[str, ...] = ()
    grid: BeatGrid | None = None
    hit_at_s: StrictFloat | None = None
    """Where (video seconds) the track's big moment should land, pinned by the user ("drop at 20 s")."""
    unmatched: tuple[str, ...] = ()
    """Words of the request the library had no tracks for as such (told to the user with the pick)."""
    why: PickReason | None = None
    """``reason`` as values, so whoever shows it words it in the reader's language (None: an older timeline)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", clean_text(self.title, MAX_TITLE_CHARS) or (self.track_id or "music"))
        object.__setattr__(self, "ranking", tuple(self.ranking))
        object.__setattr__(self, "unmatched", tuple(self.unmatched))
        object.__setattr__(self, "volume_pct", _round(self.volume_pct))
        object.__setattr__(self, "start_offset_s", _round_opt(self.start_offset_s))
        object.__setattr__(self, "fade_in_s", _round_opt(self.fade_in_s))
        object.__setattr__(self, "fade_out_s", _round_opt(self.fade_out_s))
        object.__setattr__(self, "moods", tuple(self.moods))
        object.__setattr__(self, "offered", tuple(self.offered))
        _check(
            (self.track_id is None) != (self.user_path is None),
            "music needs exactly one of track_id and user_path",
        )
        _check(0.0 <= self.volume_pct <= MAX_VOLUME_PCT, f"music.volume_pct must be 0..{MAX_VOLUME_PCT:g}")
        for name in ("start_offset_s", "fade_in_s", "fade_out_s"):
            value = getattr(self, name)
            _check(value is None or value >= 0.0, f"music.{name} must not be negative")
        _check(-1 <= self.current < len(self.offered), "music.current must index music.offered (or be -1)")
        _check(0 <= self.round_start <= len(self.offered), "music.round_start must be within music.offered")
        if self.current >= 0:
            _check(self.offered[self.current] == self.track_id, "music.track_id must be the current offered track")

    @classmethod
    def from_library(cls, track_id: str, title: str, *, moods: tuple[str, ...] = ()) -> MusicTrack:
        """The first pick of a session: a library track, recorded as offered."""
        return cls(title=title, track_id=track_id, moods=moods, offered=(track_id,), current=0)

    @classmethod
    def from_user_song(cls, path: str, title: str | None = None) -> MusicTrack:
        """A song the user sent; its title defaults to the file name."""
        return cls(title=title or label_from_path(path), user_path=path)

    @property
    def alternatives(self) -> tuple[str, ...]:
        """The ranked library tracks other than the one in use, best first."""
        return tuple(track_id for track_id in self.ranking if track_id != self.track_id)

    @property
    def previous_id(self) -> str | None:
        """The track offered before the current one, if any."""
        return self.offered[self.current - 1] if self.current > 0 else None


@dataclass(frozen=True)
class TitleTrack:
    """Text shown over the video. ``text`` is plain data: rendered through a file, never spliced into a filter."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    text: str
    start_s: StrictFloat = 0.0
    duration_s: StrictFloat = DEFAULT_TITLE_DURATION_S

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", clean_text(self.text, MAX_TITLE_CHARS))
        object.__setattr__(self, "start_s", _round(self.start_s))
        object.__setattr__(self, "duration_s", _round(self.duration_s))
        _check(bool(self.text), "title.text must not be empty")
        _check(self.start_s >= 0.0, "title.start_s must not be negative")
        _check(self.duration_s > 0.0, "title.duration_s must be positive")


@dataclass(frozen=True)
class OutputSettings:
    """Shape and size of the file the bot sends back."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    aspect: str | None = None
    """None keeps the clip's own aspect."""
    fit: str = "crop"
    """How a clip meets another aspect: ``crop`` to fill, or ``blur`` (whole picture over a blurred copy)."""
    max_height: StrictInt | None = None
    target_size_bytes: StrictInt | None = None
    reframe: str = "subject"
    """Where a cropped window looks: ``subject`` (follows what moves and stands out) or ``centre``."""
    fps: StrictInt | None = None
    """A film's constant frame rate (None: 30); a single clip keeps its own."""

    def __post_init__(self) -> None:
        _check(self.reframe in REFRAME_MODES, f"output.reframe must be one of {REFRAME_MODES}")
        _check(self.fps is None or 1 <= self.fps <= 120, "output.fps must be 1..120")
        _check(self.aspect is None or self.aspect in ASPECTS, f"output.aspect must be one of {ASPECTS} or null")
        _check(self.fit in FIT_MODES, f"output.fit must be one of {FIT_MODES}")
        _check(self.max_height is None or self.max_height > 0, "output.max_height must be positive")
        _check(
            self.target_size_bytes is None or self.target_size_bytes > 0, "output.target_size_bytes must be positive"
        )


@dataclass(frozen=True)
class Timeline:
    """What will be rendered. Immutable: every edit returns a new timeline."""

    video: VideoTrack
    music: MusicTrack | None = None
    original: OriginalAudio = field(default_factory=OriginalAudio)
    title: TitleTrack | None = None
    output: OutputSettings = field(default_factory=OutputSettings)
    segments: tuple[Segment, ...] = ()
    """A montage's pieces in film order (empty for one clip, which ``video`` then describes).
    For a montage, ``video`` spans the film: its path is the first piece's source."""

    @property
    def is_montage(self) -> bool:
        return bool(self.segments)

    @property
    def cut_times_s(self) -> tuple[float, ...]:
        """A montage's cuts between pieces, in film seconds."""
        return tuple(segment.start_s for segment in self.segments[1:])

    @classmethod
    def for_video(cls, path: str, duration_s: float, *, music: MusicTrack | None = None) -> Timeline:
        """A fresh timeline for a whole clip."""
        return cls(video=VideoTrack(path=path, label=label_from_path(path), start_s=0.0, end_s=duration_s), music=music)

    @property
    def duration_s(self) -> float:
        """Length of the rendered video."""
        return self.video.duration_s

    # ----- summary -----------------------------------------------------------------------------

    def summary(self, lang: str = "en") -> str:
        """One line for the chat, e.g. ``Timeline (2 tracks): 1. Video: trip (0-10s) 2. BGM: Lo-fi (0-10s, 35%)``."""
        video = self.video
        label = _pieces(self.segments, lang) if self.segments else video.label
        muted = "" if self.original.keep else say("timeline_original_muted", lang)
        span = f"{format_seconds(video.start_s)}-{format_seconds(video.end_s)}"
        parts = [say("timeline_video", lang, label=label, span=span, muted=muted)]
        if self.music is not None:
            music_span = f"0-{format_seconds(self.duration_s)}"
            pct = round(self.music.volume_pct)
            parts.append(say("timeline_music", lang, title=self.music.title, span=music_span, pct=pct))
        if self.title is not None:
            end = min(self.title.start_s + self.title.duration_s, max(self.duration_s, self.title.start_s))
            title_span = f"{format_seconds(self.title.start_s)}-{format_seconds(end)}"
            parts.append(say("timeline_title", lang, text=self.title.text, span=title_span))
        numbered = " ".join(f"{i}. {part}" for i, part in enumerate(parts, start=1))
        key = "timeline_summary_one" if len(parts) == 1 else "timeline_summary"
        return say(key, lang, count=len(parts), parts=numbered)

    # ----- serialisation -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (lists, not tuples)."""
        music: dict[str, Any] | None = None
        if self.music is not None:
            m = self.music
            music = {
                "title": m.title,
                "track_id": m.track_id,
                "user_path": m.user_path,
                "start_offset_s": m.start_offset_s,
                "skip_intro": m.skip_intro,
                "loop": m.loop,
                "volume_pct": m.volume_pct,
                "fade_in_s": m.fade_in_s,
                "fade_out_s": m.fade_out_s,
                "moods": list(m.moods),
                "offered": list(m.offered),
                "current": m.current,
                "round_start": m.round_start,
                "reason": m.reason,
                "hit_at_s": m.hit_at_s,
                "unmatched": list(m.unmatched),
                "why": None if m.why is None else m.why.to_dict(),
                "ranking": list(m.ranking),
                "grid": None
                if m.grid is None
                else {
                    "bpm": m.grid.bpm,
                    "beats_per_bar": m.grid.beats_per_bar,
                    "beats_s": list(m.grid.beats_s),
                    "downbeats_s": list(m.grid.downbeats_s),
                },
            }
        title = (
            None
            if self.title is None
            else {"text": self.title.text, "start_s": self.title.start_s, "duration_s": self.title.duration_s}
        )
        montage = {"segments": [dataclasses.asdict(segment) for segment in self.segments]} if self.segments else {}
        return {
            **montage,
            "version": SCHEMA_VERSION,
            "video": {
                "path": self.video.path,
                "label": self.video.label,
                "start_s": self.video.start_s,
                "end_s": self.video.end_s,
            },
            "music": music,
            "original": {"keep": self.original.keep, "duck": self.original.duck},
            "title": title,
            "output": {
                "aspect": self.output.aspect,
                "fit": self.output.fit,
                "max_height": self.output.max_height,
                "target_size_bytes": self.output.target_size_bytes,
                "reframe": self.output.reframe,
                "fps": self.output.fps,
            },
        }

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, compact separators, ASCII only."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)

    @classmethod
    def from_dict(cls, data: object) -> Timeline:
        """Build and validate a timeline from plain data; anything wrong raises ``InputRejected``."""
        try:
            return _timeline_from(data)
        except (TimelineError, TypeError, ValueError) as exc:
            raise InputRejected("timeline_unusable", problem=str(exc)) from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> Timeline:
        """Parse and validate JSON; bad JSON or bad fields raise ``InputRejected``."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
            raise InputRejected("timeline_not_json") from exc
        return cls.from_dict(data)

    def with_music(self, music: MusicTrack | None) -> Timeline:
        return replace(self, music=music)


# ----- reading plain data back, strictly ------------------------------------------------------------
# pydantic validates saved timelines against the dataclasses themselves: strict scalars (no "yes" for
# true, no "35" for 35), no unknown fields, finite numbers; each dataclass's own checks run as well.


@dataclass(frozen=True)
class _Saved:
    """A saved timeline as it is on disk: the schema version around the timeline's fields."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT
    version: StrictInt
    video: VideoTrack
    music: MusicTrack | None
    original: OriginalAudio
    title: TitleTrack | None
    output: OutputSettings
    segments: tuple[Segment, ...] = ()


_SAVED = TypeAdapter(_Saved)


def _timeline_from(data: object) -> Timeline:
    if isinstance(data, Mapping) and data.get("version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise TimelineError(f"version {data['version']} is not supported (expected {SCHEMA_VERSION})")
    try:
        saved = _SAVED.validate_python(data)
    except ValidationError as exc:
        raise TimelineError(_first_problem(exc)) from exc
    return Timeline(
        video=saved.video,
        music=saved.music,
        original=saved.original,
        title=saved.title,
        output=saved.output,
        segments=saved.segments,
    )


def _pieces(segments: tuple[Segment, ...], lang: str) -> str:
    """``6 clips, 2 photos``: what a montage is made of."""
    clips = len({s.source for s in segments if s.kind == "video"})
    photos = len({s.source for s in segments if s.kind == "photo"})
    words = []
    if clips:
        words.append(say("timeline_clips_one" if clips == 1 else "timeline_clips", lang, count=clips))
    if photos:
        words.append(say("timeline_photos_one" if photos == 1 else "timeline_photos", lang, count=photos))
    return say("timeline_list_separator", lang).join(words)


def _first_problem(exc: ValidationError) -> str:
    """The first problem pydantic found, naming the field as ``music.volume_pct`` does."""
    error = exc.errors()[0]
    path = [str(part) for part in error["loc"]]
    where = ".".join(path) or "timeline"
    kind = error["type"]
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        return f"{'.'.join(path[:-1]) or 'timeline'} has unknown field(s) {path[-1]}"
    if kind == "missing":
        return f"{where} is missing"
    if kind in ("dataclass_type", "dict_type", "model_type"):
        return f"{where} must be an object"
    if kind == "finite_number":
        return f"{where} must be finite"
    return f"{where}: {error['msg'][:1].lower()}{error['msg'][1:]}"
