"""Read a chat message ("calmer and quieter, title 'Day 1'", "换一首，音量 30%") as requested edits, as data.

Decision: the parser and its rule tables live here, in the language package, and yield neutral items
(an edit ``kind`` and its values, or a ``Problem`` phrase key); ``bot.media.instructions`` turns those
into the media's edit dataclasses. The other option, rule tables here and the engine in media, would
have split the words from the code that reads them (the Chinese numerals, the quote marks, the filler
words are all language) and made every new language touch media. This way media holds no words and a
new language touches only this package.

The parser is deterministic and rule based: a fixed, ordered list of phrase patterns (``rules.py``)
is scanned over the whole message, each match claims its span (so "静音原声" is never also read as the
style word "原声"), and whatever is left is handed to the mood vocabulary. Items come back in the order
they were written. Nothing the user typed is ever evaluated or spliced into commands.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.language.instructions.items import Item, parsed
from bot.language.instructions.leftover import leftover_words
from bot.language.instructions.message import CJK_RE, MASK_FILL, MASK_OPEN, prepare
from bot.language.instructions.rules import RULES
from bot.language.phrases import Lang
from bot.language.vocabulary import parse_mood_words

__all__ = ["ReadMessage", "message_language", "read_message"]


@dataclass(frozen=True)
class ReadMessage:
    """What a message asked for: ``items`` in the order written, its ``language``, words nothing matched."""

    items: tuple[Item, ...]
    language: Lang
    ignored: tuple[str, ...] = ()


def message_language(masked: str) -> Lang:
    """Chinese when the words outside quotes are: an English command with a Chinese title is answered in English."""
    return "zh" if CJK_RE.search(masked) else "en"


def read_message(cleaned: str) -> ReadMessage:
    """Read a message already made safe (control characters gone, length capped). Never raises on user text."""
    message = prepare(cleaned)
    language = message_language(message.masked)
    claimed = [False] * len(message.masked)
    found: list[tuple[int, Item]] = []
    for rule in RULES:
        for match in rule.pattern.finditer(message.masked):
            start, end = match.span()
            if start == end or any(claimed[start:end]):
                continue
            for i in range(start, end):
                claimed[i] = True
            found.extend((start, item) for item in rule.build(match, message))

    leftover = "".join(" " if claimed[i] else ch for i, ch in enumerate(message.masked))
    leftover = leftover.replace(MASK_OPEN, " ").replace(MASK_FILL, " ")
    request = parse_mood_words(leftover)
    if request.words:
        position = leftover.find(request.words[0])
        words = tuple(dict.fromkeys(request.words))
        found.append((position if position >= 0 else len(leftover), parsed("set_mood", words=words)))

    found.sort(key=lambda pair: pair[0])
    return ReadMessage(
        items=tuple(item for _, item in found),
        language=language,
        ignored=leftover_words(leftover, request.words),
    )
