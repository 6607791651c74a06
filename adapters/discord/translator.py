"""Slash-command names' descriptions in the user's Discord language, from the phrase tables.

Every description and option text is a ``locale_str`` whose English text comes from ``bot.language`` and
whose ``key`` names the phrase; discord.py asks this translator for each locale when it syncs the
commands, so a Chinese client shows the Chinese phrase.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.language import LANGS, say
from bot.language.intents import normalise_language

__all__ = ["PhraseTranslator", "phrase"]


def phrase(key: str) -> app_commands.locale_str:
    """A command text: the English phrase, carrying its key for the translator."""
    return app_commands.locale_str(say(key), key=key)


class PhraseTranslator(app_commands.Translator):
    """Words a command text in the locale's language when the tables have it (None: Discord shows English)."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        lang = normalise_language(locale.value)
        if not isinstance(key, str) or lang is None or lang == "en" or lang not in LANGS:
            return None
        return say(key, lang)[:100]  # Discord's limit for descriptions
