"""The Discord feature as one Cog: slash commands, plain messages and result buttons, handed to the engine.

Its async setup is in :meth:`MusicCog.cog_load` (discord.py's place for it, not the bot's ``setup_hook``):
open or borrow the services, register the persistent result buttons, attach to the engine and start it.
:meth:`MusicCog.cog_unload` (run by ``Bot.close`` while the connection is still up) closes the engine first
(running jobs stay in the database and are finished after the restart; waiting chats are told so), gives
those answers a moment, stops what is still being served, then closes the services if it opened them.

Every event is served by :func:`adapters.serving.serve` onto a surface (:mod:`adapters.discord.surfaces`);
interactions are deferred first (Discord wants an answer within 3 s). Sessions are per (channel, user): the
chat id is ``"{channel_id}:{user_id}"`` in guilds and DMs alike, so ``notify`` finds the channel from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from adapters import serving
from adapters.discord.download import attachment_ref, download_attachment, too_big
from adapters.discord.surfaces import (
    ChannelStatusSurface,
    ChannelSurface,
    InteractionSurface,
    MessageSurface,
    keep_typing,
)
from adapters.discord.translator import phrase
from adapters.discord.views import ALL_BUTTONS, ResultView
from adapters.files import MIB, fetch_media
from adapters.runtime import AdapterRuntime
from adapters.serving import ChatGone, Surface
from bot.backends.base import Backend
from bot.config import Settings
from bot.engine.messages import Button, Incoming, MediaRef, Reply, button_label
from bot.language import say
from bot.language.intents import SetChoice
from bot.services import Services

__all__ = ["GOODBYE_S", "MAX_ITEMS", "PLATFORM", "MusicCog", "chat_id_for", "upload_limit_for"]

logger = logging.getLogger(__name__)

PLATFORM = "discord"
MAX_ITEMS = 10
"""Discord carries at most 10 attachments in one message; ``/montage`` takes as many options."""
GOODBYE_S = 5.0
"""At shutdown, how long chats still waiting may take to receive "the bot is restarting"."""
_MENTION_RE = re.compile(r"<@!?\d+>")


def upload_limit_for(settings: Settings, *, interaction_limit: int | None, guild: discord.Guild | None) -> int:
    """Bytes one upload may have here: the interaction's attachment limit, else the guild's, else the default."""
    if interaction_limit:
        return interaction_limit
    if guild is not None:
        return guild.filesize_limit
    return int(settings.discord_default_upload_mb * MIB)


def chat_id_for(channel_id: int, user_id: int) -> str:
    """Sessions are per (channel or DM, user)."""
    return f"{channel_id}:{user_id}"


def _channel_of(chat_id: str) -> int:
    return int(chat_id.partition(":")[0])


class MusicCog(commands.Cog):
    """Slash commands, plain messages and result buttons, all handed to the engine."""

    def __init__(
        self, bot: commands.Bot, settings: Settings, *, services: Services | None, backend: Backend | None
    ) -> None:
        self.bot = bot
        self.settings = settings
        self._lent = services
        self._backend = backend
        self._runtime: AdapterRuntime | None = None
        self._buttons: ResultView | None = None
        self._serving: set[asyncio.Task[Any]] = set()

    @property
    def runtime(self) -> AdapterRuntime:
        """The services this Cog serves with (set between ``cog_load`` and ``cog_unload``)."""
        if self._runtime is None:
            raise RuntimeError("the music cog is not loaded")
        return self._runtime

    @property
    def loaded(self) -> bool:
        return self._runtime is not None

    # ----- lifecycle -----------------------------------------------------------------------------

    async def cog_load(self) -> None:
        """Open (or borrow) the services, register the persistent buttons, attach to the engine, start it."""
        settings = self.settings
        services = self._lent or await Services.open(settings, backend=self._backend)
        runtime = AdapterRuntime.create(settings, services, owns_services=self._lent is None)
        try:
            self._buttons = ResultView(self, [Button(b, button_label(b)) for b in ALL_BUTTONS])
            self.bot.add_view(self._buttons)
            services.engine.attach(
                PLATFORM,
                fetch_media=self._fetch_media,
                notify=self.notify,
                upload_limit=int(settings.discord_default_upload_mb * MIB),
                bot_username=self.bot.user.name if self.bot.user else None,
                clear_status=self.clear_status,
                serve_in_chat=self.serve_in_chat,
            )
            await services.start()
            if settings.public_url:  # the upload page is on: /upload asks for a link (issue 17)
                self.bot.tree.add_command(self._upload_command(), override=True)
        except BaseException:
            if runtime.owns_services:
                await services.close()
            raise
        self._runtime = runtime

    def _upload_command(self) -> app_commands.Command[Any, ..., None]:
        """``/upload``: a one-time page for a clip too big to attach (only when ``MUSICCOG_PUBLIC_URL`` is set)."""

        async def upload(interaction: discord.Interaction) -> None:
            # seen by the asker only: whoever holds the link could send a clip into their session
            await self._serve_interaction(interaction, text="/upload", ephemeral=True)

        return app_commands.Command(name="upload", description=phrase("discord_cmd_upload"), callback=upload)

    async def cog_unload(self) -> None:
        """Close the engine first, let waiting chats hear why, stop what is still served, close what we opened."""
        runtime = self._runtime
        if runtime is None:
            return
        try:
            await runtime.engine.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.drain(), GOODBYE_S)
            await self.stop_serving()
        finally:
            self._runtime = None
            if self._buttons is not None:
                self._buttons.stop()
            if runtime.owns_services:
                await runtime.services.close()

    async def drain(self, *, poll_s: float = 0.05) -> None:
        """Wait until no event is being served any more (tests, graceful shutdown)."""
        while self._serving:
            await asyncio.sleep(poll_s)

    async def stop_serving(self) -> None:
        """Cancel the events still being served (shutdown), so none writes to a closed HTTP session."""
        tasks, self._serving = set(self._serving), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ----- slash commands ------------------------------------------------------------------------

    @app_commands.command(name="music", description=phrase("discord_cmd_music"))
    @app_commands.describe(
        video=phrase("discord_opt_video"), mood=phrase("discord_opt_mood"), volume=phrase("discord_opt_volume")
    )
    async def music(
        self,
        interaction: discord.Interaction,
        video: discord.Attachment | None = None,
        mood: str | None = None,
        volume: app_commands.Range[int, 0, 200] | None = None,
    ) -> None:
        """Put the best-fitting music under a video, or change the current one."""
        words = [part for part in (mood, f"music at {volume}%" if volume is not None else None) if part]
        text = ", ".join(words) or None
        if video is None and text is None:
            await interaction.response.send_message(say("discord_music_needs_input"), ephemeral=True)
            return
        media = attachment_ref(video, chosen=True) if video is not None else None
        if media is not None and (reason := self._too_big(media)) is not None:
            await interaction.response.send_message(reason)
            return
        await self._serve_interaction(interaction, text=text, items=(media,) if media is not None else ())

    @app_commands.command(name="montage", description=phrase("discord_cmd_montage"))
    @app_commands.describe(
        prompt=phrase("discord_opt_prompt"),
        **{f"item{n}": phrase(f"discord_opt_item{n}") for n in range(1, MAX_ITEMS + 1)},
    )
    async def montage(
        self,
        interaction: discord.Interaction,
        item1: discord.Attachment,
        item2: discord.Attachment | None = None,
        item3: discord.Attachment | None = None,
        item4: discord.Attachment | None = None,
        item5: discord.Attachment | None = None,
        item6: discord.Attachment | None = None,
        item7: discord.Attachment | None = None,
        item8: discord.Attachment | None = None,
        item9: discord.Attachment | None = None,
        item10: discord.Attachment | None = None,
        prompt: str | None = None,
    ) -> None:
        """Make one film of up to 10 clips and photos, cut on the music's beats."""
        given = (item1, item2, item3, item4, item5, item6, item7, item8, item9, item10)
        items = [ref for a in given if a is not None and (ref := attachment_ref(a, chosen=True)) is not None]
        if (reason := self._first_too_big(items)) is not None:
            await interaction.response.send_message(reason)
            return
        await self._serve_interaction(interaction, text=prompt, items=tuple(items), choice=SetChoice.FILM)

    @app_commands.command(name="status", description=phrase("discord_cmd_status"))
    async def status(self, interaction: discord.Interaction) -> None:
        """The current timeline: clip, track, volume and edits."""
        await self._serve_interaction(interaction, text="/status")

    @app_commands.command(name="credits", description=phrase("discord_cmd_credits"))
    async def credits(self, interaction: discord.Interaction) -> None:
        """Renders left today."""
        await self._serve_interaction(interaction, text="/credits")

    @app_commands.command(name="export", description=phrase("discord_cmd_export"))
    async def export(self, interaction: discord.Interaction) -> None:
        """Send the final video."""
        await self._serve_interaction(interaction, text="/export")

    @app_commands.command(name="new", description=phrase("discord_cmd_new"))
    async def new(self, interaction: discord.Interaction) -> None:
        """Start over with a new video."""
        await self._serve_interaction(interaction, text="/new")

    @app_commands.command(name="help", description=phrase("discord_cmd_help"))
    async def help(self, interaction: discord.Interaction) -> None:
        """What I do and everything you can ask."""
        await self._serve_interaction(interaction, text="/help")

    # ----- the one error handler -----------------------------------------------------------------

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Slash commands that failed outside the serving loop: log with an id, then tell the human."""
        await self.on_interaction_error(interaction, error)

    async def on_interaction_error(self, interaction: discord.Interaction, error: BaseException) -> None:
        """Any interaction (a command, a button) that failed outside the serving loop."""
        await serving.report_failure(self._interaction_surface(interaction), error, platform=PLATFORM)

    # ----- plain messages ------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A clip, a link or words for us (a DM, a mention, or a reply to us): replies come in this channel."""
        me = self.bot.user
        if me is None or message.author.bot or not self.settings.discord_message_content:
            return
        if not _addressed(message, me):
            return
        text = _MENTION_RE.sub(" ", message.content).strip() or None
        items = [ref for a in message.attachments[:MAX_ITEMS] if (ref := attachment_ref(a)) is not None]
        if text is None and not items:
            return
        if (reason := self._first_too_big(items)) is not None:
            await message.reply(reason, mention_author=False)
            return
        limit = upload_limit_for(self.settings, interaction_limit=None, guild=message.guild)
        incoming = Incoming(
            PLATFORM,
            chat_id_for(message.channel.id, message.author.id),
            str(message.author.id),
            text=text,
            media=items[0] if items else None,
            # a message carries no locale of its own; a server's (community setting) is the best hint
            language=str(message.guild.preferred_locale) if message.guild else None,
            upload_limit=limit,
            extra_media=tuple(items[1:]),  # several attachments in one message are one set
        )
        typing = asyncio.create_task(keep_typing(message.channel))
        try:
            await self._serve(MessageSurface(self, message, limit), incoming)
        finally:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing

    # ----- buttons and replies nobody waits for --------------------------------------------------

    async def on_result_button(self, interaction: discord.Interaction, button_id: str) -> None:
        """A result button: deferred at once, then re-rendered like the same words would be."""
        await self._serve_interaction(interaction, button=button_id)

    async def notify(self, platform: str, chat_id: str, reply: Reply) -> None:
        """A job recovered after a restart (or whose listener went away) reports here: into its channel."""
        channel_id = _channel_of(chat_id)
        channel = self.bot.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        limit = upload_limit_for(self.settings, interaction_limit=None, guild=guild)
        target: discord.abc.Messageable = (
            channel if isinstance(channel, discord.abc.Messageable) else self.bot.get_partial_messageable(channel_id)
        )
        try:
            await ChannelSurface(self, target, limit).show(reply)
        except ChatGone as gone:
            logger.info("discord chat %s can no longer be reached (%s): result dropped", chat_id, gone)

    async def serve_in_chat(self, incoming: Incoming) -> None:
        """A file sent through the upload page, served in its channel like a message sent there."""
        channel_id = _channel_of(incoming.chat_id)
        channel = self.bot.get_channel(channel_id)
        limit = upload_limit_for(self.settings, interaction_limit=None, guild=getattr(channel, "guild", None))
        target: discord.abc.Messageable = (
            channel if isinstance(channel, discord.abc.Messageable) else self.bot.get_partial_messageable(channel_id)
        )
        await serving.serve(self.runtime, ChannelStatusSurface(self, target, limit), incoming)

    async def clear_status(self, chat_id: str, ref: str) -> None:
        """A status reply a dead process left ("Mixing… 50%") is deleted (``ref``: its message id)."""
        channel = self.bot.get_partial_messageable(_channel_of(chat_id))
        await channel.get_partial_message(int(ref)).delete()

    # ----- serving -------------------------------------------------------------------------------

    async def _fetch_media(self, media: MediaRef, folder: Path) -> Path:
        """The engine's media fetcher: links through ``bot.links``, attachments from Discord's CDN."""
        return await fetch_media(
            media,
            folder,
            settings=self.settings,
            platform_download=functools.partial(download_attachment, self.settings),
        )

    def _first_too_big(self, items: list[MediaRef]) -> str | None:
        """The refusal of the first oversize item, if any (one refusal for a whole set)."""
        return next((reason for media in items if (reason := self._too_big(media)) is not None), None)

    def _too_big(self, media: MediaRef) -> str | None:
        """The refusal (in English: no reply has told us the user's language yet) of an oversize attachment."""
        limit = self.settings.max_input_bytes
        if media.size_bytes is not None and media.size_bytes > limit:
            return too_big(media.size_bytes, limit).reason
        return None

    def _interaction_surface(self, interaction: discord.Interaction) -> InteractionSurface:
        limit = upload_limit_for(self.settings, interaction_limit=interaction.filesize_limit, guild=interaction.guild)
        return InteractionSurface(self, interaction, limit)

    async def _serve_interaction(
        self,
        interaction: discord.Interaction,
        *,
        text: str | None = None,
        items: tuple[MediaRef, ...] = (),
        button: str | None = None,
        choice: SetChoice | None = None,
        ephemeral: bool = False,
    ) -> None:
        """Defer first (the 3 s rule), then stream the engine's replies into the deferred response."""
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        surface = self._interaction_surface(interaction)
        channel_id = interaction.channel_id or interaction.user.id
        incoming = Incoming(
            PLATFORM,
            chat_id_for(channel_id, interaction.user.id),
            str(interaction.user.id),
            text=text,
            media=items[0] if items else None,
            button=button,
            language=str(interaction.locale),
            upload_limit=surface.limit,
            extra_media=items[1:],
            choice=choice,
        )
        await self._serve(surface, incoming)

    async def _serve(self, surface: Surface, incoming: Incoming) -> None:
        """:func:`adapters.serving.serve`, tracked so that shutdown can wait for it or stop it."""
        task = asyncio.current_task()
        if task is not None:
            self._serving.add(task)
        try:
            await serving.serve(self.runtime, surface, incoming)
        finally:
            self._serving.discard(task)


def _addressed(message: discord.Message, me: discord.ClientUser) -> bool:
    """DMs: always. Channels: a mention of the bot, or a reply to one of its messages."""
    if message.guild is None:
        return True
    if me in message.mentions or any(user.id == me.id for user in message.mentions):
        return True
    reference = message.reference
    if reference is None:
        return False
    replied = reference.resolved if isinstance(reference.resolved, discord.Message) else reference.cached_message
    return replied is not None and replied.author.id == me.id
