"""Where one Telegram event's replies go: a chat (an :class:`adapters.serving.Surface`).

Progress is one status message edited in place, with "sending video…" kept at the top of the chat while a
job runs; the status goes away when the event is over. Results are messages: texts (≤ 4096 characters) and
the video as ``sendVideo`` with its caption and an inline keyboard, unless it is over the upload limit
(50 MB on the public Bot API): then a sentence saying how to ask for a smaller one.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ExtBot

from adapters.files import mib_text
from adapters.serving import ChatGone
from bot.config import Settings
from bot.engine.messages import Button, Reply, Text, Video
from bot.language import say

__all__ = ["CHAT_ACTION_EVERY_S", "MAX_TEXT", "ChatSurface"]

MAX_TEXT = 4096
"""Telegram's message length limit (characters)."""
CHAT_ACTION_EVERY_S = 4.0
"""A chat action shows for about 5 s; resend a little sooner while a job runs."""


class ChatSurface:
    """One chat's status message, chat action and replies, for one event (or one ``notify``)."""

    def __init__(self, bot: ExtBot[Any], settings: Settings, chat_id: int) -> None:
        self.bot = bot
        self.settings = settings
        self.chat_id = chat_id
        self._status: Message | None = None
        self._action: asyncio.Task[None] | None = None

    @property
    def status_ref(self) -> str | None:
        """The status message's id (what ``clear_status`` deletes after a crash), while there is one."""
        return str(self._status.message_id) if self._status is not None else None

    async def progress(self, text: str) -> None:
        """The first progress makes the status message (and starts the chat action); later ones edit it."""
        if self._action is None:
            self._action = asyncio.create_task(self._keep_chat_action())
        try:
            if self._status is None:
                self._status = await self.bot.send_message(self.chat_id, text[:MAX_TEXT])
            else:
                await self._status.edit_text(text[:MAX_TEXT])
        except Forbidden as exc:
            raise ChatGone(exc.message) from exc
        except TelegramError:  # a missed status edit ("not modified" too) is no failure
            pass

    async def show(self, reply: Reply) -> None:
        """One non-progress reply as a Telegram message (a result video with its keyboard, or text)."""
        try:
            if isinstance(reply, Video):
                await self._send_video(reply)
            elif isinstance(reply, Text) and reply.buttons:  # a question ("one film or each?")
                markup = _keyboard(reply.buttons)
                await self.bot.send_message(self.chat_id, reply.text[:MAX_TEXT], reply_markup=markup)
            else:
                await self.bot.send_message(self.chat_id, reply.text[:MAX_TEXT])
        except (Forbidden, BadRequest) as exc:
            if isinstance(exc, BadRequest) and "chat not found" not in exc.message.lower():
                raise
            raise ChatGone(exc.message) from exc

    async def finish(self) -> None:
        """Stop the chat action and delete the status message."""
        action, self._action = self._action, None
        if action is not None:
            action.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await action
        status, self._status = self._status, None
        if status is not None:
            with contextlib.suppress(TelegramError):
                await status.delete()

    async def _keep_chat_action(self) -> None:
        """ "Sending video…" at the top of the chat for as long as the job runs."""
        while True:
            with contextlib.suppress(TelegramError):
                await self.bot.send_chat_action(self.chat_id, ChatAction.UPLOAD_VIDEO)
            await asyncio.sleep(CHAT_ACTION_EVERY_S)

    async def _send_video(self, video: Video) -> None:
        size_bytes = await asyncio.to_thread(lambda: video.path.stat().st_size)
        limit = self.settings.telegram_upload_limit_bytes
        if size_bytes > limit:
            text = say(
                "telegram_result_too_big",
                video.lang,
                size_mb=mib_text(size_bytes),
                limit_mb=mib_text(limit),
                smaller_mb=mib_text(limit * 0.9),
            )
            await self.bot.send_message(self.chat_id, text)
            return
        keyboard = _keyboard(video.buttons)
        with video.path.open("rb") as handle:
            await self.bot.send_video(
                self.chat_id,
                video=handle,
                caption=video.caption[:1024],
                width=video.width,
                height=video.height,
                duration=round(video.duration_s) if video.duration_s is not None else None,
                supports_streaming=True,
                reply_markup=keyboard if video.buttons else None,
                filename="musiccog.mp4",
            )


def _keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup:
    """Buttons as an inline keyboard, at most three to a row."""
    rows = [list(buttons[:3]), list(buttons[3:])]
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.id) for b in row] for row in rows if row]
    )
