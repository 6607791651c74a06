"""The timeline: a plain, frozen description of what will be rendered, edited by chat instructions.

Everything here is data. User text (the title, file names) is only ever stored as strings and is
never turned into filter syntax here; the renderer passes it through a file. The JSON form is
deterministic (sorted keys, fixed rounding, no timestamps or random ids), so the same edits always
give byte-identical JSON and a session can be stored, diffed and replayed.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from bot.errors import InputRejected

SCHEMA_VERSION = 1

ASPECTS: tuple[str, ...] = ("9:16", "1:1", "16:9")
FIT_MODES: tuple[str, ...] = ("crop", "blur")
MAX_VOLUME_PCT = 400.0
DEFAULT_TITLE_DURATION_S = 3.0
MAX_TITLE_CHARS = 100
MAX_LABEL_CHARS = 80
_DECIMALS = 3
"""Every float is rounded to milliseconds (or 0.001 %) when a timeline is built, so JSON round-trips exactly."""


class TimelineError(ValueError):
    """A field of a timeline is out of range or of the wrong type (a bug, or a damaged saved timeline)."""


def clean_text(text: str, max_chars: int) -> str:
    """User text made safe to keep as data: control/format characters gone, whitespace collapsed, length capped.

    CJK and emoji are kept (zero-width joiners too, or emoji sequences would break apart).
    """
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\t\n\r\v\f" or category in ("Zl", "Zp"):
            kept.append(" ")
        elif category in ("Cc", "Cs", "Co", "Cn") or (category == "Cf" and ch not in "\u200d\ufe0f"):
            continue
        else:
            kept.append(ch)
    collapsed = re.sub(r"\s+", " ", "".join(kept)).strip()
    return collapsed[:max_chars].rstrip()


def label_from_path(path: str) -> str:
    """A human label from a file name: ``city_timelapse.mp4`` -> ``city timelapse``."""
    stem = PurePath(path.replace("\\", "/")).stem
    label = clean_text(re.sub(r"[_\-.]+", " ", stem), MAX_LABEL_CHARS)
    return label or "video"


def format_seconds(value: float) -> str:
    """Compact seconds for replies: 10 -> ``10``, 2.5 -> ``2.5``, 3.333 -> ``3.33`` (unit added by the caller)."""
    if abs(value - round(value)) < 1e-6:
        return str(round(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


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

    path: str
    label: str
    start_s: float
    end_s: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_s", _round(self.start_s))
        object.__setattr__(self, "end_s", _round(self.end_s))
        object.__setattr__(self, "label", clean_text(self.label, MAX_LABEL_CHARS) or "video")
        _check(bool(self.path), "video.path must not be empty")
        _check(0.0 <= self.start_s <= self.end_s, "video.start_s must be between 0 and video.end_s")

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class OriginalAudio:
    """What happens to the clip's own sound."""

    keep: bool = True
    duck: bool = True
    """Lower the music while someone speaks."""


@dataclass(frozen=True)
class MusicTrack:
    """The background music, plus the session history that "another"/"previous track" walk through.

    ``offered`` lists every library track offered in this session, in order (a track may appear again
    after the ranking was exhausted and wrapped); ``current`` indexes the one now in use (-1 when the
    music is the user's own song); ``round_start`` is where the present no-repeat round began.
    """

    title: str
    track_id: str | None = None
    user_path: str | None = None
    start_offset_s: float | None = None
    """Where in the song the music starts; None lets the sync planner choose."""
    skip_intro: bool = False
    """Start at the first downbeat after the intro; resolved at render time from the track's analysis."""
    loop: bool = True
    volume_pct: float = 100.0
    fade_in_s: float | None = None
    """None lets the sync planner choose."""
    fade_out_s: float | None = None
    moods: tuple[str, ...] = ()
    """The mood and style words asked for so far, as fed to the matcher (e.g. ``("calm",)``)."""
    offered: tuple[str, ...] = ()
    current: int = -1
    round_start: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", clean_text(self.title, MAX_TITLE_CHARS) or (self.track_id or "music"))
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
    def previous_id(self) -> str | None:
        """The track offered before the current one, if any."""
        return self.offered[self.current - 1] if self.current > 0 else None


@dataclass(frozen=True)
class TitleTrack:
    """Text shown over the video. ``text`` is plain data: rendered through a file, never spliced into a filter."""

    text: str
    start_s: float = 0.0
    duration_s: float = DEFAULT_TITLE_DURATION_S

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

    aspect: str | None = None
    """None keeps the clip's own aspect."""
    fit: str = "crop"
    """How a clip meets another aspect: ``crop`` to fill, or ``blur`` (whole picture over a blurred copy)."""
    max_height: int | None = None
    target_size_bytes: int | None = None

    def __post_init__(self) -> None:
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

    @classmethod
    def for_video(cls, path: str, duration_s: float, *, music: MusicTrack | None = None) -> Timeline:
        """A fresh timeline for a whole clip."""
        return cls(video=VideoTrack(path=path, label=label_from_path(path), start_s=0.0, end_s=duration_s), music=music)

    @property
    def duration_s(self) -> float:
        """Length of the rendered video."""
        return self.video.duration_s

    # ----- summary -----------------------------------------------------------------------------

    def summary(self) -> str:
        """One line for the chat, e.g. ``Timeline (2 tracks): 1. Video: trip (0-10s) 2. BGM: Lo-fi (0-10s, 35%)``."""
        video = self.video
        video_extra = "" if self.original.keep else ", original muted"
        parts = [f"Video: {video.label} ({format_seconds(video.start_s)}-{format_seconds(video.end_s)}s{video_extra})"]
        if self.music is not None:
            parts.append(
                f"BGM: {self.music.title} (0-{format_seconds(self.duration_s)}s, {round(self.music.volume_pct)}%)"
            )
        if self.title is not None:
            end = min(self.title.start_s + self.title.duration_s, max(self.duration_s, self.title.start_s))
            parts.append(f'Title: "{self.title.text}" ({format_seconds(self.title.start_s)}-{format_seconds(end)}s)')
        noun = "track" if len(parts) == 1 else "tracks"
        numbered = " ".join(f"{i}. {part}" for i, part in enumerate(parts, start=1))
        return f"Timeline ({len(parts)} {noun}): {numbered}"

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
            }
        title = (
            None
            if self.title is None
            else {"text": self.title.text, "start_s": self.title.start_s, "duration_s": self.title.duration_s}
        )
        return {
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


class _Reader:
    """Typed access to one JSON object, naming the field in every error."""

    def __init__(self, data: object, where: str, keys: tuple[str, ...]) -> None:
        if not isinstance(data, Mapping):
            raise TimelineError(f"{where} must be an object")
        unknown = sorted(str(k) for k in data if k not in keys)
        if unknown:
            raise TimelineError(f"{where} has unknown field(s) {', '.join(unknown)}")
        self.data = data
        self.where = where

    def _raw(self, key: str, required: bool) -> object:
        if key not in self.data:
            if required:
                raise TimelineError(f"{self.where}.{key} is missing")
            return None
        return self.data[key]

    def string(self, key: str) -> str:
        value = self._raw(key, True)
        if not isinstance(value, str):
            raise TimelineError(f"{self.where}.{key} must be a string")
        return value

    def opt_string(self, key: str) -> str | None:
        value = self._raw(key, False)
        return None if value is None else self.string(key)

    def number(self, key: str) -> float:
        value = self._raw(key, True)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TimelineError(f"{self.where}.{key} must be a number")
        if not math.isfinite(value):
            raise TimelineError(f"{self.where}.{key} must be finite")
        return float(value)

    def opt_number(self, key: str) -> float | None:
        value = self._raw(key, False)
        return None if value is None else self.number(key)

    def integer(self, key: str) -> int:
        value = self._raw(key, True)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TimelineError(f"{self.where}.{key} must be an integer")
        return value

    def opt_integer(self, key: str) -> int | None:
        value = self._raw(key, False)
        return None if value is None else self.integer(key)

    def boolean(self, key: str) -> bool:
        value = self._raw(key, True)
        if not isinstance(value, bool):
            raise TimelineError(f"{self.where}.{key} must be true or false")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._raw(key, True)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TimelineError(f"{self.where}.{key} must be a list of strings")
        return tuple(value)

    def optional_object(self, key: str) -> object:
        return self._raw(key, True)


def _timeline_from(data: object) -> Timeline:
    top = _Reader(data, "timeline", ("version", "video", "music", "original", "title", "output"))
    version = top.integer("version")
    if version != SCHEMA_VERSION:
        raise TimelineError(f"version {version} is not supported (expected {SCHEMA_VERSION})")

    v = _Reader(top.optional_object("video"), "video", ("path", "label", "start_s", "end_s"))
    video = VideoTrack(
        path=v.string("path"),
        label=v.string("label"),
        start_s=v.number("start_s"),
        end_s=v.number("end_s"),
    )

    music: MusicTrack | None = None
    raw_music = top.optional_object("music")
    if raw_music is not None:
        m = _Reader(
            raw_music,
            "music",
            (
                "title",
                "track_id",
                "user_path",
                "start_offset_s",
                "skip_intro",
                "loop",
                "volume_pct",
                "fade_in_s",
                "fade_out_s",
                "moods",
                "offered",
                "current",
                "round_start",
            ),
        )
        music = MusicTrack(
            title=m.string("title"),
            track_id=m.opt_string("track_id"),
            user_path=m.opt_string("user_path"),
            start_offset_s=m.opt_number("start_offset_s"),
            skip_intro=m.boolean("skip_intro"),
            loop=m.boolean("loop"),
            volume_pct=m.number("volume_pct"),
            fade_in_s=m.opt_number("fade_in_s"),
            fade_out_s=m.opt_number("fade_out_s"),
            moods=m.strings("moods"),
            offered=m.strings("offered"),
            current=m.integer("current"),
            round_start=m.integer("round_start"),
        )

    o = _Reader(top.optional_object("original"), "original", ("keep", "duck"))
    original = OriginalAudio(keep=o.boolean("keep"), duck=o.boolean("duck"))

    title: TitleTrack | None = None
    raw_title = top.optional_object("title")
    if raw_title is not None:
        t = _Reader(raw_title, "title", ("text", "start_s", "duration_s"))
        title = TitleTrack(text=t.string("text"), start_s=t.number("start_s"), duration_s=t.number("duration_s"))

    out = _Reader(top.optional_object("output"), "output", ("aspect", "fit", "max_height", "target_size_bytes"))
    output = OutputSettings(
        aspect=out.opt_string("aspect"),
        fit=out.string("fit"),
        max_height=out.opt_integer("max_height"),
        target_size_bytes=out.opt_integer("target_size_bytes"),
    )
    return Timeline(video=video, music=music, original=original, title=title, output=output)
