"""Chat instructions ("calmer and quieter, title 'Day 1'", "换一首，音量 30%") turned into timeline edits.

The words are read by :mod:`bot.language.instructions` (rule tables, numerals, quotes, filler), which
yields neutral items (an edit kind and its values); this module makes them the media's :mod:`edits
<bot.media.edits>`, merges mood requests, and words the result in the user's language. Nothing the user
typed is ever evaluated or spliced into commands: titles are cleaned (control characters gone, length
capped) and kept as data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.language import Lang, say
from bot.language.instructions import ParsedEdit, Problem, read_message
from bot.media.edits import (
    MOOD_EDITS,
    ChangeLength,
    ChangeVolume,
    DropItem,
    Edit,
    NextTrack,
    PreviousTrack,
    RemoveTitle,
    SetAspect,
    SetDucking,
    SetFit,
    SetHit,
    SetLength,
    SetMaxHeight,
    SetMood,
    SetOriginalAudio,
    SetTargetSize,
    SetTitle,
    SetVolume,
    ShiftMood,
    StartMusic,
    SwapItems,
    describe_edit,
)
from bot.media.timeline import clean_text
from bot.platforms import PLATFORMS

__all__ = [
    "EDIT_TYPES",
    "MAX_MESSAGE_CHARS",
    "ParseResult",
    "edit_from",
    "help_text",
    "parse_instruction",
]

MAX_MESSAGE_CHARS = 2000
"""Longer messages are cut before parsing: keeps the regex work bounded."""

EDIT_TYPES: dict[str, type[Edit]] = {
    cls.kind: cls
    for cls in (
        NextTrack,
        PreviousTrack,
        ShiftMood,
        SetMood,
        ChangeVolume,
        SetVolume,
        SetOriginalAudio,
        SetDucking,
        StartMusic,
        SetHit,
        SetTitle,
        RemoveTitle,
        SetAspect,
        SetFit,
        SetMaxHeight,
        SetTargetSize,
        SetLength,
        ChangeLength,
        SwapItems,
        DropItem,
    )
}
"""Every edit class by the ``kind`` the parser names."""


def help_text(lang: Lang = "en") -> str:
    """The short "what I can do" reply for a message the parser did not understand."""
    return say("edits_help", lang)


def edit_from(item: ParsedEdit) -> Edit:
    """The edit a parsed item names; "for discord" becomes that platform's upload limit."""
    if item.kind == "fit_platform":
        platform = PLATFORMS[str(item.values["platform"])]
        return SetTargetSize(platform.upload_limit_bytes, platform.name)
    return EDIT_TYPES[item.kind](**item.values)


@dataclass(frozen=True)
class ParseResult:
    """What a message asked for.

    ``understood`` is False when nothing in it was recognised (then ``edits`` is empty and the bot should
    answer with ``help_text``). ``errors`` are recognised-but-unusable requests (an empty title), already
    worded for the user; ``ignored`` are leftover words nothing matched.
    """

    edits: tuple[Edit, ...]
    understood: bool
    language: Lang
    errors: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    error_keys: tuple[str, ...] = ()
    """``errors`` as phrase keys, to word them in another language (the chat's, not the message's)."""

    @property
    def needs_rerank(self) -> bool:
        """True when the matcher must rank again with ``moods_after(timeline, edits)`` before ``apply_edits``."""
        return any(isinstance(edit, MOOD_EDITS) for edit in self.edits)

    @property
    def needs_intro(self) -> bool:
        """True when the music should start after the intro, which only the track's analysis can place."""
        return any(isinstance(edit, StartMusic) and edit.skip_intro for edit in self.edits)

    def reply(self) -> str:
        """A plain reply: the help when nothing was understood, else the edits, errors and ignored words."""
        if not self.understood:
            return help_text(self.language)
        lines = [describe_edit(edit, self.language) for edit in self.edits]
        lines.extend(self.errors)
        if self.ignored:
            lines.append(say("edits_not_understood", self.language, words=", ".join(self.ignored)))
        return say("edits_reply_separator", self.language).join(lines)


def parse_instruction(text: str) -> ParseResult:
    """Read a chat message as timeline edits, in the order written. Never raises on user text."""
    read = read_message(clean_text((text or "")[: MAX_MESSAGE_CHARS * 2], MAX_MESSAGE_CHARS))
    language = read.language
    edits = _combine_moods([edit_from(item) for item in read.items if isinstance(item, ParsedEdit)])
    problems = [item for item in read.items if isinstance(item, Problem)]
    if not edits and not problems:
        return ParseResult(edits=(), understood=False, language=language, ignored=read.ignored)
    keys = tuple(dict.fromkeys(problem.key for problem in problems))
    errors = tuple(say(key, language) for key in keys)
    return ParseResult(
        edits=tuple(edits), understood=True, language=language, errors=errors, ignored=read.ignored, error_keys=keys
    )


def _combine_moods(edits: Sequence[Edit]) -> list[Edit]:
    """A mood change already changes the track, so "another, calmer track" is one edit, not two;
    several mood requests in one message are asked together, not one after the other."""
    moods = [e for e in edits if isinstance(e, MOOD_EDITS)]
    if not moods:
        return list(edits)
    kept = [e for e in edits if not isinstance(e, NextTrack)]
    if len(moods) == 1:
        return kept
    words: list[str] = []
    for mood in moods:
        words.extend(mood.words)
    merged = SetMood(tuple(dict.fromkeys(words)))
    out: list[Edit] = []
    for edit in kept:
        if isinstance(edit, MOOD_EDITS):
            if edit is moods[0]:
                out.append(merged)
        else:
            out.append(edit)
    return out
