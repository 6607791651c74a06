"""A chat message prepared for the rules: lower-case, half-width, quoted text masked out.

Quoted text ("Day 1", 「第一天」) is data, never instructions: it is replaced by private-use characters
of the same length, so the rules cannot read words inside a title, and a match's span means the same
in the masked text and in the original (where titles are taken from).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CJK_RE", "MASK_FILL", "MASK_OPEN", "Message", "Quote", "prepare"]

_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
MASK_FILL = "\ue000"
"""Stands for every character of a quote but the first."""
MASK_OPEN = "\ue001"
"""Stands for the opening quote mark; the rules find quoted titles by it."""
_PRIVATE = re.compile("[\ue000-\ue002]")

_QUOTE_RE = re.compile(
    r'"([^"]*)"'
    r"|“([^”]*)”"
    r"|「([^」]*)」"
    r"|『([^』]*)』"
    r"|《([^》]*)》"
    r"|«([^»]*)»"
    r"|‘(.*?)’(?![a-z0-9])"
    r"|(?<![a-z0-9])'(.*?)'(?![a-z0-9])"
)
CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Quote:
    """Quoted text: where its opening mark is and what it holds (case and width as typed)."""

    start: int
    content: str


@dataclass(frozen=True)
class Message:
    """The message three ways, all the same length so a match's span means the same in each."""

    original: str
    """Cleaned, case and width kept (titles are taken from here)."""
    masked: str
    """Lower-case, half-width, quoted text replaced by private-use characters."""
    quotes: dict[int, Quote]


def prepare(cleaned: str) -> Message:
    """Mask the quotes of a message already made safe (control characters gone, length capped)."""
    original = _PRIVATE.sub("", cleaned)
    lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in original.translate(_FULLWIDTH))
    quotes: dict[int, Quote] = {}
    chars = list(lowered)
    for match in _QUOTE_RE.finditer(lowered):
        group = next(i for i in range(1, (match.lastindex or 0) + 1) if match.group(i) is not None)
        content = original[match.start(group) : match.end(group)]
        quotes[match.start()] = Quote(match.start(), content)
        chars[match.start()] = MASK_OPEN
        for i in range(match.start() + 1, match.end()):
            chars[i] = MASK_FILL
    masked = "".join(chars).replace("’", "'")
    return Message(original=original, masked=masked, quotes=quotes)
