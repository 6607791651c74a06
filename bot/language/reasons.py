"""Why a pick fits, kept as data and worded only when someone reads it, in the reader's language.

The pick is made in a worker process that does not know who will read the result (a chat may switch to
``/language zh`` between the pick and the render, and the command line has a language of its own), so the
pick, its honest words and where the track's big moment lands travel as :class:`PickReason` — the numbers
and words, no sentence — through the timeline, the render's outcome and the backend's ``Rendered``, and
:func:`word_reason` makes the sentence where it is shown: the chat engine in the chat's language, the
command line in its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from bot.language.phrases import has_phrase, say

__all__ = ["PickReason", "clock_text", "honest_sentence", "mood_name", "peak_sentence", "word_reason"]


@dataclass(frozen=True)
class PickReason:
    """Everything the sentence "why this track" says, as values.

    A library pick names the track's feel and tempo and either the request's words or what the clip looks
    like (``clip_pace``/``clip_motion``/``clip_colours``); a user's own song only its tempo. Cuts on beat are
    the pick's own count. ``unmatched_words`` are words the library could not serve (said with what was used
    instead, ``used_moods``/``used_style``, and the moods it has, ``library_moods``). ``hit_at_s`` and
    ``track_peak_s`` are set by the render when the track's big moment was laid on the clip's climax.
    """

    __pydantic_config__: ClassVar[dict[str, object]] = {"extra": "forbid", "allow_inf_nan": False}
    """How a saved timeline reads it back (no unknown fields, finite numbers); a plain dict, so this leaf
    package needs no pydantic import."""

    title: str
    bpm: float
    key: str = ""
    mode: str = ""
    moods: tuple[str, ...] = ()
    """The track's moods, strongest first (the sentence names two at most)."""
    own_song: bool = False
    request_words: tuple[str, ...] = ()
    """The user's own words that steered the pick, as they wrote them."""
    clip_pace: str = ""
    """``fast`` | ``steady`` | ``long`` (takes) when the clip chose; empty when words did."""
    clip_motion: str = ""
    """``lots`` | ``some`` | ``little``."""
    clip_colours: str = ""
    """``bright`` | ``dark`` | ``balanced``."""
    cuts_on_beat: int = 0
    cuts_total: int = 0
    unmatched_words: tuple[str, ...] = ()
    used_moods: tuple[str, ...] = ()
    used_style: str = ""
    library_moods: tuple[str, ...] = ()
    hit_at_s: float | None = None
    track_peak_s: float | None = None
    hit_pinned: bool = False
    """The moment was laid where the user asked ("drop at 20 s"), not on the action's peak."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (lists, not tuples)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PickReason:
        """The inverse of :meth:`to_dict`; unknown keys raise ``TypeError``."""
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**values)


def mood_name(mood: str, lang: str) -> str:
    """A mood as the reader reads it (a tag the tables do not know, as it is written)."""
    key = f"mood_{mood}"
    return say(key, lang) if has_phrase(key) else mood


def clock_text(seconds: float) -> str:
    """``m:ss``, as a time in a clip or a song is written in every language here."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def word_reason(reason: PickReason, lang: str = "en") -> str:
    """The pick's sentence, then what the library could not serve, then where the big moment lands."""
    peak = peak_sentence(reason.hit_at_s, reason.track_peak_s, lang, pinned=reason.hit_pinned)
    parts = (_pick(reason, lang), honest_sentence(reason, lang), peak)
    return say("reason_sentences_joined", lang).join(part for part in parts if part)


def _pick(reason: PickReason, lang: str) -> str:
    cuts = {"on_beat": reason.cuts_on_beat, "total": reason.cuts_total}
    if reason.own_song:
        if not reason.cuts_total:
            return say("song_reason_no_cuts", lang, title=reason.title, bpm=reason.bpm)
        return say("song_reason", lang, title=reason.title, bpm=reason.bpm, **cuts)
    head = say("match_track", lang, title=reason.title, feel=_feel(reason.moods[:2], lang), bpm=reason.bpm,
               key=_key(reason, lang))  # fmt: skip
    if reason.request_words:
        why = say("match_for_request", lang, words=", ".join(reason.request_words[:4]))
    else:
        clip = say(
            "match_clip",
            lang,
            pace=say(f"match_pace_{reason.clip_pace or 'steady'}", lang),
            motion=say(f"match_motion_{reason.clip_motion or 'some'}", lang),
            colours=say(f"match_colours_{reason.clip_colours or 'balanced'}", lang),
        )
        why = say("match_for_clip", lang, clip=clip)
    if reason.cuts_total:
        return say("match_reason_with_cuts", lang, track=head, why=why, **cuts)
    return say("match_reason", lang, track=head, why=why)


def _feel(moods: tuple[str, ...], lang: str) -> str:
    names = [mood_name(mood, lang) for mood in moods]
    if len(names) == 2:
        return say("match_feel_two", lang, first=names[0], second=names[1])
    return names[0] if names else say("match_feel_neutral", lang)


def _key(reason: PickReason, lang: str) -> str:
    if reason.mode in ("major", "minor"):
        return say(f"match_key_{reason.mode}", lang, key=reason.key)
    return f"{reason.key} {reason.mode}".strip()


def honest_sentence(reason: PickReason, lang: str) -> str:
    """What the library could not serve, what stood in and the moods it has; "" when it served every word."""
    if not reason.unmatched_words:
        return ""
    separator = say("timeline_list_separator", lang)
    have = separator.join(mood_name(mood, lang) for mood in reason.library_moods)
    words = separator.join(reason.unmatched_words)
    names = [mood_name(mood, lang) for mood in reason.used_moods[:2]]
    if not names and reason.used_style:
        names = [reason.used_style]
    if names:
        used = say("match_feel_two", lang, first=names[0], second=names[1]) if len(names) == 2 else names[0]
        return say("match_stand_in", lang, words=words, used=used, moods=have)
    return say("match_unknown_words", lang, words=words, moods=have)


def peak_sentence(hit_at_s: float | None, track_peak_s: float | None, lang: str = "en", *, pinned: bool = False) -> str:
    """Where the track's big moment lands in the video (on the action's peak, or where the user pinned it); ""
    when it was not laid on a chosen moment."""
    if hit_at_s is None or track_peak_s is None:
        return ""
    key = "sync_peak_pinned_reason" if pinned else "sync_peak_reason"
    return say(key, lang, track_at=clock_text(track_peak_s), video_at=clock_text(hit_at_s))
