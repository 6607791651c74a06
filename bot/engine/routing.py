"""Routing one ``Incoming`` to what the engine should do: a button, then an attachment, then its text.

A button id (``mc:…``) maps to its fixed intent and instruction text (an unknown id is a stale button);
an attached file is an upload whose caption travels along as the instruction; everything else is the
text classifier's call (:func:`bot.language.intents.classify_text`, where the words and their order of
precedence live). This module only turns the classifier's plain answer into engine types (a link
becomes a ``MediaRef``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.engine.messages import (
    BUTTON_ANOTHER,
    BUTTON_EACH,
    BUTTON_EXPORT,
    BUTTON_KEEP_ORIGINAL,
    BUTTON_LOUDER,
    BUTTON_MUTE_ORIGINAL,
    BUTTON_ONE_FILM,
    BUTTON_QUIETER,
    Incoming,
    MediaRef,
)
from bot.language.intents import Intent, SetChoice, classify_text, clean_message

__all__ = ["BUTTON_ROUTES", "SET_BUTTON_CHOICES", "Routed", "route", "route_text"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Routed:
    """The routing decision.

    ``text`` is the cleaned message (mentions and the command word removed): the instruction for
    ``EDIT``, the caption for ``UPLOAD``. ``argument`` is the language asked for (``LANGUAGE``: "en",
    "zh" or None when missing/unknown), the backend named (``BACKEND``) or the command name
    (``UNKNOWN_COMMAND``). ``media`` is the file or link to upload.
    """

    intent: Intent
    text: str = ""
    argument: str | None = None
    media: MediaRef | None = None


BUTTON_ROUTES: dict[str, tuple[Intent, str]] = {
    BUTTON_ANOTHER: (Intent.EDIT, "another track"),
    BUTTON_QUIETER: (Intent.EDIT, "quieter"),
    BUTTON_LOUDER: (Intent.EDIT, "louder"),
    BUTTON_MUTE_ORIGINAL: (Intent.EDIT, "mute original"),
    BUTTON_KEEP_ORIGINAL: (Intent.EDIT, "keep original"),
    BUTTON_EXPORT: (Intent.EXPORT, ""),
}
"""Buttons re-render exactly as their words would: the text goes through the same instruction parser."""
SET_BUTTON_CHOICES: dict[str, SetChoice] = {BUTTON_ONE_FILM: SetChoice.FILM, BUTTON_EACH: SetChoice.EACH}
"""The question under several items: its buttons choose (``Intent.CHOOSE``)."""


def route_text(text: str | None, *, bot_username: str | None = None) -> Routed:
    """Route a message that has no attachment and no button."""
    classified = classify_text(text, bot_username=bot_username)
    media = MediaRef(kind="link", url=classified.url) if classified.url is not None else None
    return Routed(classified.intent, text=classified.text, argument=classified.argument, media=media)


def route(incoming: Incoming, *, bot_username: str | None = None) -> Routed:
    """Route one ``Incoming``: button, then attachment, then its text."""
    if incoming.button is not None:
        if incoming.button in SET_BUTTON_CHOICES:
            return Routed(Intent.CHOOSE, argument=SET_BUTTON_CHOICES[incoming.button])
        found = BUTTON_ROUTES.get(incoming.button)
        if found is None:
            logger.info("stale or foreign button id %r", incoming.button)
            return Routed(Intent.STALE_BUTTON, argument=incoming.button)
        intent, text = found
        return Routed(intent, text=text)
    if incoming.media is not None:
        return Routed(Intent.UPLOAD, text=clean_message(incoming.text, bot_username), media=incoming.media)
    return route_text(incoming.text, bot_username=bot_username)
