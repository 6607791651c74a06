"""The Discord client: endpoints, intents, token redaction, and a ``commands.Bot`` that carries the one Cog.

The bot itself holds no feature: its ``setup_hook`` only asks for the gateway when just the REST base is
configured, adds :class:`~adapters.discord.cog.MusicCog` (whose ``cog_load`` does the async setup) and
syncs the slash commands; ``Bot.close`` unloads the Cog, which shuts the feature down in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import discord
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.cog import MusicCog
from adapters.discord.translator import PhraseTranslator
from adapters.runtime import AdapterRuntime
from bot.backends.base import Backend
from bot.config import Settings
from bot.errors import InputRejected
from bot.redact import RedactToken
from bot.services import Services

__all__ = ["MusicBot", "build_client", "configure_endpoints", "intents_for", "run_discord"]

logger = logging.getLogger(__name__)

_DISCORD_LOGGERS = (
    "discord",
    "discord.client",
    "discord.http",
    "discord.gateway",
    "discord.state",
    "discord.webhook.async_",
    "discord.app_commands.tree",
    "discord.ext.commands.bot",
    "discord.ui.view",
)


def configure_endpoints(settings: Settings) -> Callable[[], None]:
    """Point discord.py at ``DISCORD_API_BASE_URL`` / ``DISCORD_GATEWAY_URL``; returns a function that undoes it.

    Why class attributes: discord.py 2.7's plain ``Client`` builds every REST URL from ``Route.BASE`` and
    connects to ``DiscordWebSocket.DEFAULT_GATEWAY`` (also after an invalid session) without asking
    ``/gateway/bot``. When only the REST base is set, :class:`MusicBot` asks ``{base}/gateway/bot`` after
    login and sets the gateway from the answer. Process-wide: tests call the returned function afterwards.
    """
    saved_base, saved_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY

    def restore() -> None:
        Route.BASE = saved_base
        DiscordWebSocket.DEFAULT_GATEWAY = saved_gateway

    if settings.discord_api_base_url:
        Route.BASE = settings.discord_api_base_url.rstrip("/")
    if settings.discord_gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
    return restore


def intents_for(settings: Settings) -> discord.Intents:
    """The least the bot needs: guilds (channel and limit lookups); messages only for the plain-message path.

    Message Content is privileged (enable it in the developer portal) and asked for only when
    ``settings.discord_message_content`` is on.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    if settings.discord_message_content:
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = True
    return intents


class MusicBot(commands.Bot):
    """A ``commands.Bot`` used only for its Cog and app-command machinery (no prefix commands)."""

    def __init__(self, settings: Settings, *, services: Services | None, backend: Backend | None) -> None:
        super().__init__(command_prefix=commands.when_mentioned, help_command=None, intents=intents_for(settings))
        self.settings = settings
        self._lent = services
        self._backend = backend

    @property
    def runtime(self) -> AdapterRuntime | None:
        """The Cog's services while it is loaded, else None (before setup, after close)."""
        cog = self.get_cog(MusicCog.__cog_name__)
        return cog.runtime if isinstance(cog, MusicCog) and cog.loaded else None

    async def setup_hook(self) -> None:
        """Find the gateway if only the REST base is set, load the Cog (its ``cog_load`` sets up), sync commands."""
        settings = self.settings
        if settings.discord_api_base_url and not settings.discord_gateway_url:
            _, url, _ = await self.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        await self.add_cog(MusicCog(self, settings, services=self._lent, backend=self._backend))
        await self.tree.set_translator(PhraseTranslator())
        await self._sync_commands()
        logger.info("discord adapter ready as %s", self.user)

    async def _sync_commands(self) -> None:
        guild_ids = self.settings.discord_guild_id_list
        if not guild_ids:
            await self.tree.sync()
            return
        for guild_id in guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: plain messages are the Cog's (``MusicCog.on_message``)."""


def build_client(settings: Settings, *, services: Services | None = None, backend: Backend | None = None) -> MusicBot:
    """The bot, ready for ``start(token)``; ``services`` may be shared with other platforms (left open at close).

    Also applies ``DISCORD_API_BASE_URL``/``DISCORD_GATEWAY_URL`` (:func:`configure_endpoints`) and keeps the
    token out of discord.py's log lines.
    """
    if settings.discord_bot_token is None:
        raise InputRejected("discord_token_missing")
    configure_endpoints(settings)
    redact = RedactToken(settings.discord_bot_token.get_secret_value())
    for name in _DISCORD_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactToken) for f in target.filters):
            target.addFilter(redact)
    return MusicBot(settings, services=services, backend=backend)


async def run_discord(settings: Settings, *, services: Services | None = None) -> None:
    """Serve until cancelled (``musiccog discord`` / ``musiccog run``)."""
    client = build_client(settings, services=services)
    assert settings.discord_bot_token is not None
    async with client:
        await client.start(settings.discord_bot_token.get_secret_value())
