"""The Telegram handlers: which updates are for us, how they become ``Incoming``, and the one error handler.

- Which messages are for us: private chats, all; groups, a mention, a reply to the bot, a command for us
  or a mention in a caption. A video/photo/animation/document/audio/voice becomes a ``MediaRef``; a file
  over the download limit is refused from the size Telegram announced. An album's messages carry their
  ``media_group_id`` as ``Incoming.group_id``: the engine collects them into one set. In a group only the
  captioned item of an album mentions the bot; the album's other items follow it.
- Button presses are answered at once (``answerCallbackQuery``), then served like words.
- Every event is served by :func:`adapters.serving.serve` onto a :class:`~adapters.telegram.surface.ChatSurface`;
  what fails outside it reaches :func:`on_error`, which logs first (with the trace) and then tells the human
  a plain sentence with an error id.
"""

from __future__ import annotations

import time

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import filters

from adapters import serving
from adapters.telegram.context import PLATFORM, MusicCogContext
from adapters.telegram.download import media_ref, too_big
from adapters.telegram.surface import ChatSurface
from bot.engine.messages import Incoming

__all__ = ["MEDIA_FILTER", "on_button", "on_error", "on_message", "to_incoming"]

MEDIA_FILTER = (
    filters.VIDEO
    | filters.PHOTO
    | filters.ANIMATION
    | filters.AUDIO
    | filters.VOICE
    | filters.Document.ALL
    | filters.TEXT
    | filters.CaptionEntity(MessageEntity.URL)
)
"""Every message that may carry a clip, a photo, a song, a link or words."""


async def on_message(update: Update, context: MusicCogContext) -> None:
    """A clip, a song, a link or words for us: the engine's replies come back in this chat."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    runtime = context.bot_data.serving()
    if not _addressed_or_album(message, context):
        return
    incoming = to_incoming(message)
    if incoming is None:
        return
    media = incoming.media
    settings = runtime.settings
    if media is not None and media.size_bytes is not None and media.size_bytes > settings.telegram_download_limit_bytes:
        refusal = too_big(media.size_bytes, settings)
        if runtime.engine.offers_links:  # the upload page takes it instead, in the chat's language
            await ChatSurface(context.bot, settings, message.chat_id).show(
                await runtime.engine.too_big(incoming, refusal)
            )
            return
        # in English: no reply has told us the user's language yet
        await message.reply_text(refusal.reason)
        return
    await serving.serve(runtime, ChatSurface(context.bot, settings, message.chat_id), incoming)


async def on_button(update: Update, context: MusicCogContext) -> None:
    """A result button: acknowledged at once, then re-rendered like the same words would be."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    message = query.message
    if message is None or not query.data:
        return
    runtime = context.bot_data.serving()
    user = query.from_user
    incoming = Incoming(PLATFORM, str(message.chat.id), str(user.id), button=query.data, language=user.language_code)
    await serving.serve(runtime, ChatSurface(context.bot, runtime.settings, message.chat.id), incoming)


async def on_error(update: object, context: MusicCogContext) -> None:
    """The one error handler: log the failure with its trace and an id, then tell the human that id."""
    error = context.error or RuntimeError("unknown failure")
    settings = context.bot_data.settings
    if not isinstance(update, Update) or update.effective_chat is None or settings is None:
        serving.log_failure(error, platform=PLATFORM)  # nobody to tell
        return
    surface = ChatSurface(context.bot, settings, update.effective_chat.id)
    await serving.report_failure(surface, error, platform=PLATFORM)


# ----- Telegram → Incoming ---------------------------------------------------------------------------


def to_incoming(message: Message) -> Incoming | None:
    """The message as an ``Incoming`` (text or caption, and the attached file), or None if it has neither."""
    media = media_ref(message)
    text = message.text or message.caption
    if media is None and not text:
        return None
    user = message.from_user
    return Incoming(
        PLATFORM,
        str(message.chat_id),
        str(user.id) if user else str(message.chat_id),
        text=text,
        media=media,
        language=user.language_code if user else None,
        group_id=message.media_group_id,
    )


ALBUM_MEMORY_S = 60.0
"""How long an album addressed to us in a group is remembered (its items arrive within a second or two)."""


def _addressed_or_album(message: Message, context: MusicCogContext) -> bool:
    """Addressed to us, or an item of an album whose captioned item was (only one item carries the caption)."""
    albums, group = context.bot_data.addressed_albums, message.media_group_id
    now = time.monotonic()
    for stale in [g for g, at in albums.items() if now - at > ALBUM_MEMORY_S]:
        del albums[stale]
    if _addressed(message, context.bot.id, context.bot.username):
        if group is not None:
            albums[group] = now
        return True
    return group is not None and group in albums


def _addressed(message: Message, bot_id: int, bot_username: str | None) -> bool:
    """Private chats: always. Groups: a reply to the bot, a mention (text or caption), or a command for us."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    name = f"@{bot_username}".casefold() if bot_username else None
    entities = {**message.parse_entities(), **message.parse_caption_entities()}
    for entity, text in entities.items():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None and entity.user.id == bot_id:
            return True
        if entity.type == MessageEntity.MENTION and name is not None and text.casefold() == name:
            return True
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            _, _, target = text.partition("@")
            if not target or (name is not None and f"@{target}".casefold() == name):
                return True
    return False
