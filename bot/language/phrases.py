"""Phrase lookup: ``say(key, lang, **values)`` → the sentence in that language.

Why keys and tables rather than ``_t(lang, en, zh)`` at every call site: the sentences of one language
sit together (a translator reads one file), the same sentence is written once however many places say
it, and a test can check that every table has every key with the same placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.language import en, zh

__all__ = ["LANGS", "TABLES", "Lang", "Phrase", "has_phrase", "say", "t"]

Lang = Literal["en", "zh"]
"""The languages the bot speaks."""

LANGS: tuple[Lang, ...] = ("en", "zh")

TABLES: Mapping[str, Mapping[str, str]] = {"en": en.PHRASES, "zh": zh.PHRASES}
"""Every language's phrase table; English is complete, the others fall back to it key by key."""


def say(key: str, lang: str = "en", /, **values: object) -> str:
    """The phrase ``key`` in ``lang`` (English when the table lacks it), its ``{placeholders}`` filled.

    Raises ``KeyError`` for a key no table has: a bug, caught by the tests, never a user's input.
    """
    table = TABLES.get(lang, en.PHRASES)
    template = table.get(key)
    if template is None:
        template = en.PHRASES[key]
    return template.format(**values) if values else template


@dataclass(frozen=True)
class Phrase:
    """A sentence kept as its key and values, worded only where it is read, in the reader's language.

    What a pure step has to say (an edit's outcome, "music −3 dB (71%)") is made once as a value and
    worded for whoever reads it, instead of the step being run again per language. A value may itself be
    a phrase ("{change} → {title}"), worded in the same language.
    """

    key: str
    values: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, key: str, /, **values: object) -> Phrase:
        return cls(key, tuple(values.items()))

    def worded(self, lang: str = "en") -> str:
        """The sentence in ``lang`` (see :func:`say`)."""
        return say(self.key, lang, **{k: v.worded(lang) if isinstance(v, Phrase) else v for k, v in self.values})


def has_phrase(key: str) -> bool:
    """Whether ``key`` is a known phrase (English always has every key)."""
    return key in en.PHRASES


def t(lang: str, en_text: str, zh_text: str) -> str:
    """Pick between two texts that are data rather than phrases (e.g. a user-visible name from a table).

    Prefer :func:`say`; this exists for the few tables that pair the languages per row by design
    (button labels, stage names) and must stay side by side."""
    return zh_text if lang == "zh" else en_text
