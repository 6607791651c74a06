"""Numbers and times as people write them: ``45``, ``1.5``, ``四十五``, ``0:45``, ``1 min 5 s``, ``一分十秒``.

The patterns use named groups that :func:`seconds` reads back; rules embed them in larger patterns.
"""

from __future__ import annotations

import re

__all__ = ["ANY_NUM", "BARE_TIME", "NUM", "SEC_UNIT", "TIME", "cn_number", "number", "seconds"]

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


def seconds(match: re.Match[str]) -> float | None:
    """The time a match of ``TIME`` or ``BARE_TIME`` names, in seconds."""
    groups = match.groupdict()
    if groups.get("mm") is not None:
        return 60.0 * float(groups["mm"]) + float(groups["ss"])
    if groups.get("mins") is not None:
        return 60.0 * float(groups["mins"]) + float(groups["secs"])
    if groups.get("zmin") is not None:
        minutes = number(groups["zmin"])
        extra = number(groups.get("zsec2")) or 0.0
        return None if minutes is None else 60.0 * minutes + extra
    for key in ("sec", "zsec", "bare"):
        if groups.get(key) is not None:
            return number(groups[key])
    return None
