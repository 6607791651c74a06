"""The buttons under a Discord result: a persistent ``View`` whose ``custom_id``s are the engine's button ids.

Persistent (``timeout=None``, registered once with ``bot.add_view``) so a press on a result posted before a
restart still routes; what a press does is the handler's (the Cog's), so this module knows no engine.
"""

from __future__ import annotations

from typing import Any, Protocol

import discord

from bot.engine.messages import (
    BUTTON_ANOTHER,
    BUTTON_EACH,
    BUTTON_EXPORT,
    BUTTON_KEEP_ORIGINAL,
    BUTTON_LOUDER,
    BUTTON_MUTE_ORIGINAL,
    BUTTON_ONE_FILM,
    BUTTON_QUIETER,
    Button,
    Video,
)
from bot.language import say

__all__ = ["ALL_BUTTONS", "EMBED_COLOUR", "ButtonHandler", "ResultView", "result_embed"]

EMBED_COLOUR = discord.Colour.blurple()
ALL_BUTTONS = (
    BUTTON_ANOTHER,
    BUTTON_QUIETER,
    BUTTON_LOUDER,
    BUTTON_MUTE_ORIGINAL,
    BUTTON_KEEP_ORIGINAL,
    BUTTON_EXPORT,
    BUTTON_ONE_FILM,
    BUTTON_EACH,
)
"""Every button a result (or the question under several items) can carry: the persistent view listens for
all of them."""


class ButtonHandler(Protocol):
    """What a press is handed to (the Cog)."""

    async def on_result_button(self, interaction: discord.Interaction, button_id: str) -> None:
        """Serve the press like the same words would be."""

    async def on_interaction_error(self, interaction: discord.Interaction, error: BaseException) -> None:
        """Log the failure and tell the human."""


class _ResultButton(discord.ui.Button["ResultView"]):
    def __init__(self, handler: ButtonHandler, button: Button, row: int) -> None:
        primary = button.id in (BUTTON_ANOTHER, BUTTON_ONE_FILM)
        style = discord.ButtonStyle.primary if primary else discord.ButtonStyle.secondary
        super().__init__(style=style, label=button.label, custom_id=button.id, row=row)
        self.handler = handler
        self.button_id = button.id

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.handler.on_result_button(interaction, self.button_id)


class ResultView(discord.ui.View):
    """The buttons under a result: persistent (no timeout), ``custom_id`` = the engine's button id."""

    def __init__(self, handler: ButtonHandler, buttons: tuple[Button, ...] | list[Button]) -> None:
        super().__init__(timeout=None)
        self.handler = handler
        for index, button in enumerate(buttons):
            self.add_item(_ResultButton(handler, button, row=index // 5))

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /) -> None:
        await self.handler.on_interaction_error(interaction, error)


def result_embed(video: Video) -> discord.Embed:
    """The result as an embed: title = track, description = what changed and why, fields = the facts."""
    title = video.title or say("discord_result_title", video.lang)
    embed = discord.Embed(title=title[:256], description=video.description[:4096] or None, colour=EMBED_COLOUR)
    for fact in video.facts:
        embed.add_field(name=fact.label, value=fact.value)
    return embed
