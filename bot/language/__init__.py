"""Every word the bot says or listens for, in every language it speaks.

A leaf package: it imports nothing from the rest of the project (``bot.errors`` imports it to word
its exceptions), so the pipeline, the engine, the backends and the adapters can all use it.

- :func:`say` words a phrase: a stable key plus named values, looked up in the table of the user's
  language (``en.py``, ``zh.py``); a key missing from a table falls back to English.
- A new language is one new table module and one entry in ``phrases.TABLES``.
"""

from __future__ import annotations

from bot.language.phrases import LANGS, Lang, Phrase, has_phrase, say, t

__all__ = ["LANGS", "Lang", "Phrase", "has_phrase", "say", "t"]
