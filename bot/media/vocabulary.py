"""Transitional re-export: the mood vocabulary now lives in :mod:`bot.language.vocabulary`.

Kept only for ``bot/media/editing.py`` (being rewritten by the lead); new code imports from
``bot.language.vocabulary``. Delete once nothing imports this module.
"""

from __future__ import annotations

from bot.language.vocabulary import MOOD_COORDINATES, MoodRequest, WordMeaning, canonical_mood, parse_mood_words

__all__ = ["MOOD_COORDINATES", "MoodRequest", "WordMeaning", "canonical_mood", "parse_mood_words"]
