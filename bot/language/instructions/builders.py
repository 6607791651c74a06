"""How a rule's match becomes items: the values a pattern's named groups carry, read out."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from bot.language.instructions.items import Item, ParsedEdit, Problem, parsed
from bot.language.instructions.message import MASK_OPEN, Message
from bot.language.instructions.numbers import number, ordinal, seconds

__all__ = [
    "EMPTY_TITLE",
    "Builder",
    "const",
    "drop_item",
    "height",
    "length",
    "percent",
    "shift_from",
    "start_at",
    "steps",
    "swap_items",
    "target_size",
    "title_from_quote",
    "title_from_rest",
]

Builder = Callable[[re.Match[str], Message], Sequence[Item]]
"""Reads one match (spans index ``Message.masked`` and ``Message.original`` alike) into items."""

EMPTY_TITLE = Problem("title_empty")

_MB = 1_000_000
_MIB = 1_048_576
_UNIT_BYTES = {"kib": 1024, "mib": _MIB, "gib": 1 << 30, "kb": 1000, "gb": 10**9}
"""Bytes per unit as typed; anything else ("mb", "megs", "兆") is a megabyte."""
_TITLE_MARKS = "\"'“”‘’「」『』《》«» "


def const(*items: Item) -> Builder:
    """The same items whatever matched."""
    return lambda _m, _c: items


def _title(text: str, duration_s: float | None = None) -> Sequence[Item]:
    """A title edit, or the empty-title problem (the media side caps and cleans the text)."""
    if not text.strip():
        return [EMPTY_TITLE]
    return [parsed("set_title", text=text.strip(), duration_s=duration_s)]


def title_from_quote(match: re.Match[str], message: Message) -> Sequence[Item]:
    """``title "Day 1" for 4s``: the quote the match contains, and the duration group ``dur``."""
    offset = match.group(0).index(MASK_OPEN)
    quote = message.quotes[match.start() + offset]
    return _title(quote.content, number(match.groupdict().get("dur")))


def title_from_rest(match: re.Match[str], message: Message) -> Sequence[Item]:
    """``title: Day 1``: the rest of the clause (group ``text`` or ``text2``), stray quote marks dropped."""
    group = "text" if match.group("text") is not None else "text2"
    raw = message.original[match.start(group) : match.end(group)]
    return _title(raw.strip(_TITLE_MARKS))


def target_size(match: re.Match[str], _message: Message) -> Sequence[Item]:
    """``under 10MB``: groups ``size`` and ``unit``."""
    size = number(match.group("size")) or 0.0
    unit = match.group("unit")
    factor = next((f for key, f in _UNIT_BYTES.items() if unit.startswith(key)), _MB)
    size_bytes = round(size * factor)
    return [parsed("set_target_size", size_bytes=size_bytes)] if size_bytes > 0 else []


def height(match: re.Match[str], _message: Message) -> Sequence[Item]:
    """``720p``: group ``h``, kept only when it is a real video height."""
    value = int(match.group("h"))
    return [parsed("set_max_height", height=value)] if 144 <= value <= 4320 else []


def percent(match: re.Match[str], _message: Message) -> Sequence[Item]:
    """``music at 30%``, ``百分之三十``: group ``pct`` or ``cnpct``."""
    value = number(match.group("pct") or match.group("cnpct"))
    return [] if value is None else [parsed("set_volume", pct=value)]


def start_at(match: re.Match[str], _message: Message) -> Sequence[Item]:
    """``start at 0:45``: the time groups of ``numbers.TIME``."""
    value = seconds(match)
    return [] if value is None else [parsed("start_music", offset_s=value)]


def hit_at(match: re.Match[str], _message: Message) -> Sequence[Item]:
    """``drop at 0:20``, ``高潮在20秒``: where the track's big moment should land (the time groups of ``TIME``)."""
    value = seconds(match)
    return [] if value is None else [parsed("set_hit", at_s=value)]


def steps(sign: int) -> Builder:
    """Louder (+1) or quieter (-1); twice as much when a group named ``much…`` matched ("much louder")."""

    def build(match: re.Match[str], _message: Message) -> Sequence[Item]:
        much = any(value for key, value in match.groupdict().items() if key.startswith("much"))
        return [parsed("change_volume", steps=sign * (2 if much else 1))]

    return build


def shift_from(table: Mapping[str, str]) -> Builder:
    """A relative mood word found in a group named ``x…``, looked up in ``table`` (word → direction)."""

    def build(match: re.Match[str], _message: Message) -> Sequence[ParsedEdit]:
        word = next(v for k, v in match.groupdict().items() if k.startswith("x") and v)
        return [parsed("shift_mood", direction=table[word])]

    return build


_SHORTER = frozenset(("shorter", "shorten", "短", "缩短", "剪短", "变短"))


def length(match: re.Match[str], _message: Message) -> Sequence[Item]:
    """``30 s`` / ``shorter`` / ``shorter, 30 s`` / ``缩短到30秒``: a length when one is given, else a step
    (a group named ``dir…`` names the direction; the time groups of ``numbers.DURATION`` the length)."""
    value = seconds(match)
    if value is not None:
        return [parsed("set_length", seconds=value)] if value > 0 else []
    word = next((v for k, v in match.groupdict().items() if k.startswith("dir") and v), None)
    if not word:
        return []
    return [parsed("change_length", direction="shorter" if word in _SHORTER else "longer")]


def swap_items(match: re.Match[str], _message: Message) -> Sequence[Item]:
    """``swap 2 and 3``, ``交换第二个和第三个``: groups ``a`` and ``b``."""
    first, second = ordinal(match.group("a")), ordinal(match.group("b"))
    if first is None or second is None:
        return []
    return [parsed("swap_items", first=first, second=second)]


def drop_item(match: re.Match[str], _message: Message) -> Sequence[Item]:
    """``drop the third clip``, ``删掉第三个``: group ``a`` or ``a2``."""
    groups = match.groupdict()
    index = ordinal(groups.get("a") or groups.get("a2"))
    return [] if index is None else [parsed("drop_item", index=index)]
