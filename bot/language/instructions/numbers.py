"""Numbers and times as people write them: ``45``, ``1.5``, ``四十五``, ``0:45``, ``1 min 5 s``, ``一分十秒``.

The patterns use named groups that :func:`seconds` reads back; rules embed them in larger patterns.
"""

from __future__ import annotations

import re

__all__ = [
    "ANY_NUM",
    "BARE_TIME",
    "DURATION",
    "NUM",
    "ORDINAL",
    "SEC_UNIT",
    "TIME",
    "ZH_ORDINAL",
    "cn_number",
    "number",
    "ordinal",
    "seconds",
]

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUM = "[零〇一二两三四五六七八九十百]+"
NUM = r"\d+(?:\.\d+)?"
ANY_NUM = rf"(?:{NUM}|{_CN_NUM})"


def cn_number(text: str) -> int | None:
    """Chinese numerals up to 999: 十二 -> 12, 四十五 -> 45, 一百二十 -> 120."""
    total = 0
    current = 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def number(text: str | None) -> float | None:
    """A number in digits or Chinese numerals; None when there is none."""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        value = cn_number(text)
        return None if value is None else float(value)


SEC_UNIT = r"(?:s|sec|secs|second|seconds)(?![a-z])"
TIME = (
    r"(?:(?P<mm>\d+):(?P<ss>\d{1,2}(?:\.\d+)?)"
    rf"|(?P<mins>\d+)\s*(?:m|min|mins|minute|minutes)\s*(?P<secs>{NUM})\s*{SEC_UNIT}"
    rf"|(?P<sec>{NUM})\s*{SEC_UNIT}"
    rf"|(?P<zmin>{ANY_NUM})\s*分(?:钟)?\s*(?:(?P<zsec2>{ANY_NUM})\s*秒?)?"
    rf"|(?P<zsec>{ANY_NUM})\s*秒(?:钟)?)"
)
BARE_TIME = rf"(?:{TIME}|(?P<bare>{NUM})(?![\d.%:a-z]))"
DURATION = (
    rf"(?:(?P<mins>\d+)\s*-?\s*(?:min|mins|minute|minutes)(?![a-z])(?:\s*(?P<secs>{NUM})\s*{SEC_UNIT})?"
    rf"|(?P<sec>{NUM})\s*-?\s*{SEC_UNIT}"
    rf"|(?P<zmin>{ANY_NUM})\s*(?:分钟|分(?=\s*{ANY_NUM}\s*秒))\s*(?:(?P<zsec2>{ANY_NUM})\s*秒(?:钟)?)?"
    rf"|(?P<zsec>{ANY_NUM})\s*秒(?:钟)?)"
)
"""A length ("30 s", "60-second", "2 minutes", "1分钟", "30秒"), read by :func:`seconds`. Unlike ``TIME`` it has
no ``0:45`` form, so a ratio such as "4:3" is never read as a length."""

_EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "last": -1,
}  # fmt: skip
ORDINAL = r"(?:\d{1,2}(?:st|nd|rd|th)?|" + "|".join(sorted(_EN_ORDINALS, key=len, reverse=True)) + ")"
"""Which item of a film, in English: ``2``, ``2nd``, ``second``, ``last``."""
ZH_ORDINAL = r"(?:\d{1,2}|[一二两三四五六七八九十]{1,3}|最后一?)"
"""Which item of a film, in Chinese (after an optional 第): ``2``, ``三``, ``最后``."""


def ordinal(text: str | None) -> int | None:
    """The item a word names, counting from 1; -1 is the last one. None when it names none."""
    if not text:
        return None
    word = text.strip().lower()
    if word in _EN_ORDINALS:
        return _EN_ORDINALS[word]
    if word.startswith("最后"):
        return -1
    digits = word.rstrip("stndrh") if word[:1].isdigit() else word
    value = number(digits)
    return int(value) if value is not None and value >= 1 else None


def seconds(match: re.Match[str]) -> float | None:
    """The time a match of ``TIME`` or ``BARE_TIME`` names, in seconds."""
    groups = match.groupdict()
    if groups.get("mm") is not None:
        return 60.0 * float(groups["mm"]) + float(groups["ss"])
    if groups.get("mins") is not None:
        return 60.0 * float(groups["mins"]) + float(groups.get("secs") or 0.0)
    if groups.get("zmin") is not None:
        minutes = number(groups["zmin"])
        extra = number(groups.get("zsec2")) or 0.0
        return None if minutes is None else 60.0 * minutes + extra
    for key in ("sec", "zsec", "bare"):
        if groups.get(key) is not None:
            return number(groups[key])
    return None
