"""Where one Discord event's replies go: a deferred interaction, a plain message's thread of replies, or a
channel. Each is a :class:`adapters.serving.Surface` (``progress`` / ``show`` / ``finish``).

Why three: an interaction shows progress in its "thinking…" response and answers by editing it (later
answers are follow-ups), but its token lives 15 min, so a job past :data:`TOKEN_FRESH_S` posts into the
channel instead; a plain message gets a status reply edited in place and results as replies; a reply nobody
waits for (``notify``) goes into the channel. Texts go in ≤ 2000-character pieces; a video goes as the MP4,
an embed and the persistent buttons, unless it is over the upload limit we were given (or Discord's 413
says the limit was wrong): then a sentence saying how to ask for a smaller one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

import discord

from adapters.discord.views import ButtonHandler, ResultView, result_embed
from adapters.files import mib_text
from adapters.serving import ChatGone
from bot.engine.messages import Error, Progress, Reply, Text, Video
from bot.language import say

__all__ = [
    "MAX_CONTENT",
    "TOKEN_FRESH_S",
    "UNREACHABLE_CODES",
    "ChannelStatusSurface",
    "ChannelSurface",
    "InteractionSurface",
    "MessageSurface",
    "keep_typing",
    "pieces",
]

logger = logging.getLogger(__name__)

MAX_CONTENT = 2000
"""Discord's message content limit (characters)."""
TOKEN_FRESH_S = 14 * 60.0
"""An interaction token works for 15 min; after this long, results go to the channel instead."""
TYPING_EVERY_S = 8.0
"""A typing indicator shows for about 10 s; renew it a little sooner while a job runs."""


UNREACHABLE_CODES = frozenset({50007, 10003, 10013})
"""Discord's "Cannot send messages to this user", "Unknown Channel", "Unknown User": the chat is gone."""


class _DiscordSurface:
    """What the three places share: texts in pieces, videos with embed and buttons, under ``limit`` bytes."""

    def __init__(self, buttons: ButtonHandler, limit: int) -> None:
        self.buttons = buttons
        self.limit = limit

    async def progress(self, text: str) -> None:
        """No status here (subclasses that have one override this)."""

    async def send(self, content: str | None, *, file: discord.File | None = None, **extra: Any) -> None:
        raise NotImplementedError

    async def finish(self) -> None:
        """The event is done (a leftover status message goes away)."""

    async def show(self, reply: Reply) -> None:
        """One non-progress reply: a text in ≤ 2000-character pieces, or a video with embed and buttons."""
        try:
            await self._show(reply)
        except (discord.Forbidden, discord.NotFound) as exc:
            if exc.code not in UNREACHABLE_CODES:
                raise
            raise ChatGone(exc.text or str(exc.code)) from exc

    async def _show(self, reply: Reply) -> None:
        if isinstance(reply, Text) and reply.buttons:  # a question ("one film or each?") with its buttons
            await self.send(reply.text[:MAX_CONTENT], view=ResultView(self.buttons, reply.buttons))
            return
        if isinstance(reply, Text | Error | Progress):
            for piece in pieces(reply.text):
                await self.send(piece)
            return
        await self._send_video(reply)

    async def _send_video(self, video: Video) -> None:
        size_bytes = await asyncio.to_thread(lambda: video.path.stat().st_size)
        if size_bytes > self.limit:
            await self.send(_too_big_result_text(size_bytes, self.limit, video.lang))
            return
        file = discord.File(video.path, filename="musiccog.mp4")
        view = ResultView(self.buttons, video.buttons) if video.buttons else None
        try:
            await self.send(None, file=file, embed=result_embed(video), view=view)
        except discord.HTTPException as exc:
            if exc.status != 413:  # Payload Too Large: the limit we were told was wrong
                raise
            await self.send(_too_big_result_text(size_bytes, self.limit, video.lang))


class ChannelSurface(_DiscordSurface):
    """Plain channel messages (``notify``, and interactions whose token is too old)."""

    def __init__(self, buttons: ButtonHandler, channel: discord.abc.Messageable, limit: int) -> None:
        super().__init__(buttons, limit)
        self.channel = channel

    async def send(self, content: str | None, *, file: discord.File | None = None, **extra: Any) -> None:
        await self.channel.send(content, file=file or discord.utils.MISSING, **extra)


class _StatusSurface(_DiscordSurface):
    """A surface with a status message of its own, edited in place and deleted when the event is done."""

    status: discord.Message | None = None

    @property
    def status_ref(self) -> str | None:
        """The status message's id (what ``clear_status`` deletes after a crash), while there is one. (An
        interaction's "thinking…" response is not named: deleting it needs its token, which is not kept.)"""
        return str(self.status.id) if self.status is not None else None

    async def _post_status(self, text: str) -> discord.Message:
        raise NotImplementedError

    async def progress(self, text: str) -> None:
        with contextlib.suppress(discord.HTTPException):  # a missed status edit is no failure
            if self.status is None:
                self.status = await self._post_status(text[:MAX_CONTENT])
            else:
                self.status = await self.status.edit(content=text[:MAX_CONTENT])

    async def finish(self) -> None:
        if self.status is not None:
            status, self.status = self.status, None
            with contextlib.suppress(discord.HTTPException):
                await status.delete()


class ChannelStatusSurface(_StatusSurface, ChannelSurface):
    """A channel's replies to an event that came another way (a file sent through the upload page): a status
    message of its own kept up to date, then the results, as a plain message's are."""

    async def _post_status(self, text: str) -> discord.Message:
        return await self.channel.send(text)


class MessageSurface(_StatusSurface):
    """A plain message's replies: a status message (a reply) edited in place, results replying to the message."""

    def __init__(self, buttons: ButtonHandler, message: discord.Message, limit: int) -> None:
        super().__init__(buttons, limit)
        self.message = message
        self.status = None

    async def _post_status(self, text: str) -> discord.Message:
        return await self.message.reply(text, mention_author=False)

    async def send(self, content: str | None, *, file: discord.File | None = None, **extra: Any) -> None:
        await self.message.reply(content, file=file or discord.utils.MISSING, mention_author=False, **extra)


class InteractionSurface(_DiscordSurface):
    """A deferred interaction: the "thinking…" response shows progress and then the first answer itself;
    later answers are follow-ups. Past :data:`TOKEN_FRESH_S` the token is near its end: channel messages."""

    def __init__(self, buttons: ButtonHandler, interaction: discord.Interaction, limit: int) -> None:
        super().__init__(buttons, limit)
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
        return self.interaction.client.get_partial_messageable(channel_id)

    async def progress(self, text: str) -> None:
        if not self._fresh() or self.answered:
            return
        with contextlib.suppress(discord.HTTPException):  # a missed status edit is no failure
            await self.interaction.edit_original_response(content=text[:MAX_CONTENT])

    async def send(self, content: str | None, *, file: discord.File | None = None, **extra: Any) -> None:
        if not self._fresh():
            await ChannelSurface(self.buttons, self._channel(), self.limit).send(content, file=file, **extra)
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


async def keep_typing(channel: discord.abc.Messageable) -> None:
    """ "Bot is typing…" for as long as a plain message is being served (a trigger lasts about 10 s)."""
    while True:
        with contextlib.suppress(discord.HTTPException):
            await channel.typing()
        await asyncio.sleep(TYPING_EVERY_S)


def pieces(text: str, size: int = MAX_CONTENT) -> list[str]:
    """``text`` in pieces of at most ``size`` characters, split at line ends where possible."""
    found: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > 0 else size
        found.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        found.append(text)
    return found or [""]


def _too_big_result_text(size_bytes: int, limit_bytes: int, lang: str) -> str:
    return say(
        "discord_result_too_big",
        lang,
        size_mb=mib_text(size_bytes),
        limit_mb=mib_text(limit_bytes),
        smaller_mb=mib_text(limit_bytes * 0.9),
    )
