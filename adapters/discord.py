"""The Discord adapter: discord.py 2.x events in, ``Incoming`` to the engine, ``Reply`` events out.

Thin on purpose, like ``adapters.telegram``: routing, sessions, jobs, quotas and wording live in
``bot.engine``; this module only knows Discord's shapes and limits:

- one Cog (:class:`MusicCog`) with the slash commands ``/music`` (video attachment, mood, music volume),
  ``/status``, ``/credits``, ``/export``, ``/new``, ``/help``, and a message listener for plain messages:
  a video in a DM, or in a channel when the bot is mentioned or replied to (needs the Message Content
  intent, ``settings.discord_message_content``);
- interactions are deferred at once (Discord wants an answer within 3 s); progress is edited into the
  deferred response (paced by ``ProgressPacer``) and the result replaces it: the MP4 as an attachment, an
  embed (track, why, BPM, cuts on beat, loudness) and a persistent ``View`` whose buttons carry the
  engine's ``mc:…`` ids, so a press still routes after a restart. An interaction token lives 15 min; a job
  that outlives :data:`TOKEN_FRESH_S` posts into the channel instead;
- the upload limit is read per event (the interaction's attachment limit, else the guild's
  ``filesize_limit``, else ``settings.discord_default_upload_mb``) and handed to the engine, which fits
  every render under it. Attachments above ``settings.max_input_mb`` are refused before downloading;
  links go through ``bot.links`` (the same SSRF guard as Telegram).

Sessions are per (channel, user): the chat id is ``"{channel_id}:{user_id}"`` in guilds and DMs alike, so
``notify`` finds the channel from the chat id alone. The token never reaches a log line (``RedactToken``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.files import DEFAULT_SUFFIX, MIB, mib_text, safe_suffix
from adapters.runtime import AdapterRuntime
from bot.backends.base import Backend
from bot.config import Settings
from bot.engine.messages import (
    BUTTON_ANOTHER,
    BUTTON_EXPORT,
    BUTTON_KEEP_ORIGINAL,
    BUTTON_LOUDER,
    BUTTON_MUTE_ORIGINAL,
    BUTTON_QUIETER,
    Button,
    Error,
    Incoming,
    MediaKind,
    MediaRef,
    Progress,
    Reply,
    Text,
    Video,
    button_label,
    new_error_id,
)
from bot.errors import InputRejected
from bot.redact import RedactToken
from bot.services import Services

__all__ = [
    "PLATFORM",
    "MusicBot",
    "MusicCog",
    "ResultView",
    "build_client",
    "chat_id_for",
    "configure_endpoints",
    "intents_for",
    "result_embed",
    "run_discord",
    "upload_limit_for",
]

logger = logging.getLogger(__name__)

PLATFORM = "discord"
MAX_CONTENT = 2000
"""Discord's message content limit (characters)."""
TOKEN_FRESH_S = 14 * 60.0
"""An interaction token works for 15 min; after this long, results go to the channel instead."""
EMBED_COLOUR = discord.Colour.blurple()
TYPING_EVERY_S = 8.0
"""A typing indicator shows for about 10 s; renew it a little sooner while a job runs."""
ALL_BUTTONS = (
    BUTTON_ANOTHER,
    BUTTON_QUIETER,
    BUTTON_LOUDER,
    BUTTON_MUTE_ORIGINAL,
    BUTTON_KEEP_ORIGINAL,
    BUTTON_EXPORT,
)
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
_MENTION_RE = re.compile(r"<@!?\d+>")
_DOWNLOAD_CHUNK = 64 * 1024


# ----- endpoints, intents, limits --------------------------------------------------------------------


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


# ----- the client ------------------------------------------------------------------------------------


GOODBYE_S = 5.0
"""At shutdown, how long chats still waiting may take to receive "the bot is restarting"."""


class MusicBot(commands.Bot):
    """A ``commands.Bot`` used only for its Cog and app-command machinery (no prefix commands)."""

    def __init__(self, settings: Settings, *, services: Services | None, backend: Backend | None) -> None:
        super().__init__(command_prefix=commands.when_mentioned, help_command=None, intents=intents_for(settings))
        self.settings = settings
        self._shared = services
        self._backend = backend
        self.runtime: AdapterRuntime | None = None

    async def setup_hook(self) -> None:
        """Open (or borrow) the services, attach to the engine, add the Cog, sync commands, start the engine."""
        settings = self.settings
        if settings.discord_api_base_url and not settings.discord_gateway_url:
            _, url, _ = await self.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        services = self._shared or await Services.open(settings, backend=self._backend)
        self.runtime = runtime = AdapterRuntime.create(settings, services, owns_services=self._shared is None)
        try:
            cog = MusicCog(self, runtime)
            await self.add_cog(cog)
            self.add_view(ResultView(cog, [Button(b, button_label(b)) for b in ALL_BUTTONS]))
            services.engine.attach(
                PLATFORM,
                fetch_media=lambda media, folder: _download(settings, media, folder),
                notify=cog.notify,
                upload_limit=int(settings.discord_default_upload_mb * MIB),
                bot_username=self.user.name if self.user else None,
            )
            await self._sync_commands()
            await services.start()
        except BaseException:
            if runtime.owns_services:
                await services.close()
            self.runtime = None
            raise
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

    async def close(self) -> None:
        """Close the engine first (running jobs stay in the database and are finished after the restart; the
        chats still waiting are told so), give those answers a moment, stop what is still being served,
        close the connection, then the services if this client opened them."""
        try:
            if self.runtime is not None:
                await self.runtime.engine.close()
            cog = self.get_cog(MusicCog.__cog_name__)
            if isinstance(cog, MusicCog):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(cog.drain(), GOODBYE_S)
                await cog.stop_serving()
            await super().close()
        finally:
            runtime, self.runtime = self.runtime, None
            if runtime is not None and runtime.owns_services:
                await runtime.services.close()


def build_client(settings: Settings, *, services: Services | None = None, backend: Backend | None = None) -> MusicBot:
    """The bot, ready for ``start(token)``; ``services`` may be shared with other platforms (left open at close).

    Also applies ``DISCORD_API_BASE_URL``/``DISCORD_GATEWAY_URL`` (:func:`configure_endpoints`) and keeps the
    token out of discord.py's log lines.
    """
    if settings.discord_bot_token is None:
        raise InputRejected("Set DISCORD_BOT_TOKEN to your application's bot token (Discord developer portal).")
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


# ----- the Cog -----------------------------------------------------------------------------------------


class MusicCog(commands.Cog):
    """Slash commands, plain messages and result buttons, all handed to the engine."""

    def __init__(self, bot: MusicBot, runtime: AdapterRuntime) -> None:
        self.bot = bot
        self.runtime = runtime
        self._serving: set[asyncio.Task[Any]] = set()

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

    @app_commands.command(name="music")
    @app_commands.describe(
        video="The clip to put music under",
        mood="What it should feel like, e.g. “upbeat travel vibe” (or any change, once a clip is in)",
        volume="Music volume in percent (0–200)",
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
            await interaction.response.send_message(
                "Attach a video (or give a mood or volume to change the current one).", ephemeral=True
            )
            return
        media = _attachment_ref(video, chosen=True) if video is not None else None
        if media is not None and (reason := self._too_big(media)) is not None:
            await interaction.response.send_message(reason)
            return
        await self._serve_interaction(interaction, text=text, media=media)

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """The current timeline: clip, track, volume and edits."""
        await self._serve_interaction(interaction, text="/status")

    @app_commands.command(name="credits")
    async def credits(self, interaction: discord.Interaction) -> None:
        """Renders left today."""
        await self._serve_interaction(interaction, text="/credits")

    @app_commands.command(name="export")
    async def export(self, interaction: discord.Interaction) -> None:
        """Send the final video."""
        await self._serve_interaction(interaction, text="/export")

    @app_commands.command(name="new")
    async def new(self, interaction: discord.Interaction) -> None:
        """Start over with a new video."""
        await self._serve_interaction(interaction, text="/new")

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """What I do and everything you can ask."""
        await self._serve_interaction(interaction, text="/help")

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """The one error handler for slash commands: log with an id, then tell the human."""
        await self._report_failure(_InteractionSurface(self, interaction), error)

    # ----- plain messages ------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A clip, a link or words for us (a DM, a mention, or a reply to us): replies come in this channel."""
        me = self.bot.user
        if me is None or message.author.bot or not self.runtime.settings.discord_message_content:
            return
        if not _addressed(message, me):
            return
        text = _MENTION_RE.sub(" ", message.content).strip() or None
        media = next((ref for a in message.attachments if (ref := _attachment_ref(a)) is not None), None)
        if text is None and media is None:
            return
        if media is not None and (reason := self._too_big(media)) is not None:
            await message.reply(reason, mention_author=False)
            return
        limit = upload_limit_for(self.runtime.settings, interaction_limit=None, guild=message.guild)
        incoming = Incoming(
            PLATFORM,
            chat_id_for(message.channel.id, message.author.id),
            str(message.author.id),
            text=text,
            media=media,
            # a message carries no locale of its own; a server's (community setting) is the best hint
            language=str(message.guild.preferred_locale) if message.guild else None,
            upload_limit=limit,
        )
        typing = asyncio.create_task(_keep_typing(message.channel))
        try:
            await self._serve(_MessageSurface(self, message, limit), incoming)
        finally:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing

    # ----- buttons -------------------------------------------------------------------------------

    async def on_result_button(self, interaction: discord.Interaction, button_id: str) -> None:
        """A result button: deferred at once, then re-rendered like the same words would be."""
        await self._serve_interaction(interaction, button=button_id)

    # ----- notify: replies nobody waits for ------------------------------------------------------

    async def notify(self, platform: str, chat_id: str, reply: Reply) -> None:
        """A job recovered after a restart (or whose listener went away) reports here: into its channel."""
        channel_id = _channel_of(chat_id)
        channel = self.bot.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        limit = upload_limit_for(self.runtime.settings, interaction_limit=None, guild=guild)
        target: discord.abc.Messageable = (
            channel if isinstance(channel, discord.abc.Messageable) else self.bot.get_partial_messageable(channel_id)
        )
        await _ChannelSurface(self, target, limit).show(reply)

    # ----- serving -------------------------------------------------------------------------------

    def _too_big(self, media: MediaRef) -> str | None:
        limit = self.runtime.settings.max_input_bytes
        if media.size_bytes is not None and media.size_bytes > limit:
            return _too_big_text(media.size_bytes, limit)
        return None

    async def _serve_interaction(
        self,
        interaction: discord.Interaction,
        *,
        text: str | None = None,
        media: MediaRef | None = None,
        button: str | None = None,
    ) -> None:
        """Defer first (the 3 s rule), then stream the engine's replies into the deferred response."""
        await interaction.response.defer(thinking=True)
        limit = upload_limit_for(
            self.runtime.settings, interaction_limit=interaction.filesize_limit, guild=interaction.guild
        )
        channel_id = interaction.channel_id or interaction.user.id
        incoming = Incoming(
            PLATFORM,
            chat_id_for(channel_id, interaction.user.id),
            str(interaction.user.id),
            text=text,
            media=media,
            button=button,
            language=str(interaction.locale),
            upload_limit=limit,
        )
        await self._serve(_InteractionSurface(self, interaction, limit), incoming)

    async def _serve(self, surface: _Surface, incoming: Incoming) -> None:
        runtime = self.runtime
        task = asyncio.current_task()
        if task is not None:
            self._serving.add(task)
        lang = "zh" if (incoming.language or "").startswith("zh") else "en"
        replies = runtime.pacer.pace(incoming.chat_id, runtime.engine.handle(incoming), lang=lang)
        try:
            async for reply in replies:
                if isinstance(reply, Progress):
                    with contextlib.suppress(discord.HTTPException):  # a missed status edit is no failure
                        await surface.progress(reply.text)
                else:
                    await surface.show(reply)
        except Exception as exc:
            await self._report_failure(surface, exc)
        finally:
            try:
                runtime.pacer.forget(incoming.chat_id)
                with contextlib.suppress(discord.HTTPException):
                    await surface.finish()
            finally:
                self._serving.discard(task)

    async def _report_failure(self, surface: _Surface, exc: BaseException) -> None:
        """Log the failure with its trace and an id, then tell the human one plain sentence with that id."""
        error_id = new_error_id()
        logger.error("discord event failed (error %s)", error_id, exc_info=exc)
        with contextlib.suppress(discord.HTTPException):
            await surface.show(Text(f"Sorry — something went wrong on my side; please try again. (error {error_id})"))


# ----- where replies go ------------------------------------------------------------------------------


class _Surface:
    """Where one event's replies are shown: progress edited in place, then texts and videos."""

    def __init__(self, cog: MusicCog, limit: int) -> None:
        self.cog = cog
        self.limit = limit

    async def progress(self, text: str) -> None:
        raise NotImplementedError

    async def send(self, content: str | None, *, file: discord.File | None = None, **extra: Any) -> None:
        raise NotImplementedError

    async def finish(self) -> None:
        """The event is done (a leftover status message goes away)."""

    async def show(self, reply: Reply) -> None:
        """One non-progress reply: a text in ≤ 2000-character pieces, or a video with embed and buttons."""
        if isinstance(reply, Text | Error | Progress):
            for piece in _pieces(reply.text):
                await self.send(piece)
            return
        await self._send_video(reply)

    async def _send_video(self, video: Video) -> None:
        size_bytes = await asyncio.to_thread(lambda: video.path.stat().st_size)
        if size_bytes > self.limit:
            await self.send(_too_big_result_text(size_bytes, self.limit))
            return
        file = discord.File(video.path, filename="musiccog.mp4")
        view = ResultView(self.cog, video.buttons) if video.buttons else None
        try:
            await self.send(None, file=file, embed=result_embed(video), view=view)
        except discord.HTTPException as exc:
            if exc.status != 413:  # Payload Too Large: the limit we were told was wrong
                raise
            await self.send(_too_big_result_text(size_bytes, self.limit))


class _ChannelSurface(_Surface):
    """Plain channel messages (``notify``, and interactions whose token is too old)."""

    def __init__(self, cog: MusicCog, channel: discord.abc.Messageable, limit: int) -> None:
        super().__init__(cog, limit)
        self.channel = channel

    async def progress(self, text: str) -> None:
        """No status message here: results are what matters."""

    async def send(self, content: str | None, *, file: discord.File | None = None, **extra: Any) -> None:
        await self.channel.send(content, file=file or discord.utils.MISSING, **extra)


class _MessageSurface(_Surface):
    """A plain message's replies: a status message (a reply) edited in place, results replying to the message."""

    def __init__(self, cog: MusicCog, message: discord.Message, limit: int) -> None:
        super().__init__(cog, limit)
        self.message = message
        self.status: discord.Message | None = None

    async def progress(self, text: str) -> None:
        if self.status is None:
            self.status = await self.message.reply(text[:MAX_CONTENT], mention_author=False)
        else:
            self.status = await self.status.edit(content=text[:MAX_CONTENT])

    async def send(self, content: str | None, *, file: discord.File | None = None, **extra: Any) -> None:
        await self.message.reply(content, file=file or discord.utils.MISSING, mention_author=False, **extra)

    async def finish(self) -> None:
        if self.status is not None:
            status, self.status = self.status, None
            await status.delete()


class _InteractionSurface(_Surface):
    """A deferred interaction: the "thinking…" response shows progress and then the first answer itself;
    later answers are follow-ups. Past :data:`TOKEN_FRESH_S` the token is near its end: channel messages."""

    def __init__(self, cog: MusicCog, interaction: discord.Interaction, limit: int | None = None) -> None:
        settings = cog.runtime.settings
        if limit is None:
            limit = upload_limit_for(settings, interaction_limit=interaction.filesize_limit, guild=interaction.guild)
        super().__init__(cog, limit)
        self.interaction = interaction
        self.answered = False
        """The deferred response holds an answer (not just progress): more answers are follow-ups."""

    def _fresh(self) -> bool:
        age = discord.utils.utcnow() - self.interaction.created_at
        return age < dt.timedelta(seconds=TOKEN_FRESH_S)

    def _channel(self) -> discord.abc.Messageable:
        channel = self.interaction.channel
        if isinstance(channel, discord.abc.Messageable):
            return channel
        channel_id = self.interaction.channel_id or self.interaction.user.id
        return self.cog.bot.get_partial_messageable(channel_id)

    async def progress(self, text: str) -> None:
        if not self._fresh() or self.answered:
            return
        await self.interaction.edit_original_response(content=text[:MAX_CONTENT])

    async def send(self, content: str | None, *, file: discord.File | None = None, **extra: Any) -> None:
        if not self._fresh():
            await _ChannelSurface(self.cog, self._channel(), self.limit).send(content, file=file, **extra)
        elif not self.interaction.response.is_done():  # a failure before the defer went through
            await self.interaction.response.send_message(content, file=file or discord.utils.MISSING, **extra)
        elif not self.answered:
            self.answered = True
            attachments = [file] if file is not None else []
            await self.interaction.edit_original_response(content=content, attachments=attachments, **extra)
        else:
            await self.interaction.followup.send(
                content or discord.utils.MISSING, file=file or discord.utils.MISSING, **extra
            )


async def _keep_typing(channel: discord.abc.Messageable) -> None:
    """ "Bot is typing…" for as long as a plain message is being served (a trigger lasts about 10 s)."""
    while True:
        with contextlib.suppress(discord.HTTPException):
            await channel.typing()
        await asyncio.sleep(TYPING_EVERY_S)


# ----- results -----------------------------------------------------------------------------------------


class _ResultButton(discord.ui.Button["ResultView"]):
    def __init__(self, cog: MusicCog, button: Button, row: int) -> None:
        primary = button.id == BUTTON_ANOTHER
        style = discord.ButtonStyle.primary if primary else discord.ButtonStyle.secondary
        super().__init__(style=style, label=button.label, custom_id=button.id, row=row)
        self.cog = cog
        self.button_id = button.id

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.cog.on_result_button(interaction, self.button_id)


class ResultView(discord.ui.View):
    """The buttons under a result: persistent (no timeout), ``custom_id`` = the engine's button id."""

    def __init__(self, cog: MusicCog, buttons: tuple[Button, ...] | list[Button]) -> None:
        super().__init__(timeout=None)
        self.cog = cog
        for index, button in enumerate(buttons):
            self.add_item(_ResultButton(cog, button, row=index // 5))

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /) -> None:
        await self.cog._report_failure(_InteractionSurface(self.cog, interaction), error)


def result_embed(video: Video) -> discord.Embed:
    """The result as an embed: title = track, description = what changed and why, fields = the facts."""
    embed = discord.Embed(
        title=(video.title or "Your video")[:256], description=video.description[:4096] or None, colour=EMBED_COLOUR
    )
    for fact in video.facts:
        embed.add_field(name=fact.label, value=fact.value)
    return embed


# ----- Discord → Incoming --------------------------------------------------------------------------------


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


def _attachment_ref(attachment: discord.Attachment, *, chosen: bool = False) -> MediaRef | None:
    """An attachment as a ``MediaRef`` (``file_id`` = its CDN URL).

    Images and text files that merely travel with a message are not ours (None); an attachment given to
    ``/music`` (``chosen``) always is, so the pipeline's probe answers with its own clear sentence.
    """
    mime = (attachment.content_type or "").split(";")[0].strip().lower()
    kind: MediaKind
    if mime.startswith("video/"):
        kind = "video"
    elif mime.startswith("audio/"):
        kind = "voice" if attachment.is_voice_message() else "audio"
    elif mime.startswith(("image/", "text/")) and not mime.endswith("gif") and not chosen:
        return None
    else:
        kind = "document"
    return MediaRef(
        kind=kind,
        file_id=attachment.url,
        file_name=attachment.filename,
        mime_type=mime or None,
        size_bytes=attachment.size,
    )


# ----- files -------------------------------------------------------------------------------------------


def _too_big_text(size_bytes: int | None, limit_bytes: int) -> str:
    what = f"That file is {mib_text(size_bytes)} MB, but" if size_bytes else "That file is too big:"
    return (
        f"{what} I can only take files up to {mib_text(limit_bytes)} MB. "
        "Send me a link to the video instead, or a shorter or smaller version."
    )


def _too_big_result_text(size_bytes: int, limit_bytes: int) -> str:
    return (
        f"The finished video is {mib_text(size_bytes)} MB, "
        f"over this channel's {mib_text(limit_bytes)} MB upload limit. "
        f"Say “under {mib_text(limit_bytes * 0.9)}MB” and I'll make a smaller version."
    )


async def _download(settings: Settings, media: MediaRef, folder: Path) -> Path:
    """The engine's ``MediaFetcher``: a link through ``bot.links``, an attachment from Discord's CDN.

    The size Discord announced is checked first; the streamed byte count is enforced too.
    """
    limit = settings.max_input_bytes
    if media.url is not None:
        from bot.links import fetch_url

        return await fetch_url(media.url, folder, max_bytes=limit, settings=settings)
    assert media.file_id is not None
    if media.size_bytes is not None and media.size_bytes > limit:
        raise InputRejected(_too_big_text(media.size_bytes, limit))
    suffix = (
        safe_suffix(media.file_name)
        or safe_suffix(yarl.URL(media.file_id).path)
        or DEFAULT_SUFFIX.get(media.kind, ".mp4")
    )
    target = folder / f"input{suffix}"
    timeout = aiohttp.ClientTimeout(total=settings.link_timeout_s, sock_read=settings.link_read_timeout_s)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(media.file_id) as response:
            if response.status != 200:
                raise InputRejected("I couldn't download that attachment from Discord; please send it again.")
            if response.content_length is not None and response.content_length > limit:
                raise InputRejected(_too_big_text(response.content_length, limit))
            await _stream_to(response, target, limit)
    except (aiohttp.ClientError, TimeoutError) as exc:
        target.unlink(missing_ok=True)
        raise InputRejected("I couldn't download that attachment from Discord; please send it again.") from exc
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


async def _stream_to(response: aiohttp.ClientResponse, target: Path, limit: int) -> None:
    received = 0
    handle = await asyncio.to_thread(target.open, "wb")
    try:
        async for chunk in response.content.iter_chunked(_DOWNLOAD_CHUNK):
            received += len(chunk)
            if received > limit:
                raise InputRejected(_too_big_text(None, limit))
            await asyncio.to_thread(handle.write, chunk)
    finally:
        await asyncio.to_thread(handle.close)


def _pieces(text: str, size: int = MAX_CONTENT) -> list[str]:
    """``text`` in pieces of at most ``size`` characters, split at line ends where possible."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > 0 else size
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        pieces.append(text)
    return pieces or [""]
