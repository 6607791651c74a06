"""The Telegram adapter: python-telegram-bot 22 updates in, ``Incoming`` to the engine, ``Reply`` events out.

Thin on purpose: it translates, it does not decide. Routing, sessions, jobs, quotas and wording live in
``bot.engine``; this module only knows Telegram's shapes and limits:

- which messages are for us (private chats: all; groups: a mention, a reply to the bot, a command
  for us or a mention in a caption), and how a video/animation/document/audio/voice becomes a ``MediaRef``;
- the public Bot API's limits (download ≤ 20 MB, upload ≤ 50 MB; a local ``--local`` server: 2000 MB).
  An oversize file is refused from the size Telegram announced, before ``getFile``; ``getFile``'s own
  "file is too big" is turned into the same sentence;
- progress as one status message edited in place (paced by ``ProgressPacer``) and a chat action kept
  alive while a job runs; the result as ``sendVideo`` with its caption and an inline keyboard;
- button presses answered at once (``answerCallbackQuery``), then sent to the engine like words.

Updates are processed concurrently (``concurrent_updates``) so one user's render never holds up another's;
the engine keeps one job per chat. One error handler logs first (with the trace) and then tells the human
a plain sentence with an error id; the token never reaches a log line (``RedactToken``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from telegram import (
    Animation,
    Audio,
    BotCommand,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    Voice,
)
from telegram import Video as TgVideo
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters.files import DEFAULT_SUFFIX, mib_text, safe_suffix
from adapters.runtime import AdapterRuntime
from bot.backends.base import Backend
from bot.config import Settings
from bot.engine.messages import Error, Incoming, MediaKind, MediaRef, Progress, Reply, Text, Video, new_error_id
from bot.errors import InputRejected
from bot.redact import RedactToken
from bot.services import Services

__all__ = ["COMMANDS", "RedactToken", "build_application", "run_polling", "serve", "setup", "teardown", "to_incoming"]

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
MB = 1024 * 1024
"""Telegram's "MB" is a mebibyte (the public download limit is 20 × 1024 × 1024 bytes)."""
MAX_TEXT = 4096
FLOOD_RETRIES = 3
"""Telegram's flood control answers 429 "retry after N s": PTB's AIORateLimiter keeps us under ~30
messages/s overall and 20/min per group, waits the N seconds and tries again, this many times."""
CHAT_ACTION_EVERY_S = 4.0
"""A chat action shows for about 5 s; resend a little sooner while a job runs."""

COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("start", "What I do and how to use me", "我能做什么、怎么用"),
    ("help", "Everything you can ask", "可以说的所有指令"),
    ("status", "The current timeline", "当前的时间线"),
    ("export", "Send the final video", "发送最终视频"),
    ("credits", "Renders left today", "今天剩余的渲染次数"),
    ("new", "Start over with a new video", "换一段新视频重新开始"),
    ("cancel", "Cancel a waiting job", "取消排队中的任务"),
    ("language", "English or 中文", "English 或 中文"),
)
"""The commands menu (command, English, Chinese); the engine answers each of them."""
BACKEND_COMMAND = ("backend", "Local or NemoVideo cloud processing", "本地处理或 NemoVideo 云端")
"""Shown only when the operator lets users choose (``MUSICCOG_ALLOW_BACKEND_CHOICE``)."""

_RUNTIME = "musiccog"
_MEDIA_FILTER = (
    filters.VIDEO
    | filters.ANIMATION
    | filters.AUDIO
    | filters.VOICE
    | filters.Document.ALL
    | filters.TEXT
    | filters.CaptionEntity(MessageEntity.URL)
)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


class _MusicCogApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's ``stop()`` waits for every update being handled, and ours wait for their videos: close the
    engine first, so a shutdown does not render the whole queue. Running jobs stay in the database and are
    finished after the restart; waiting chats are told so."""

    async def stop(self) -> None:
        runtime: AdapterRuntime | None = self.bot_data.get(_RUNTIME)
        if runtime is not None:
            await runtime.engine.close()
        await super().stop()


# ----- building and running --------------------------------------------------------------------------


def build_application(
    settings: Settings, *, backend: Backend | None = None, services: Services | None = None
) -> TelegramApp:
    """A PTB ``Application`` with our handlers; ``setup``/``teardown`` run as post-init/post-shutdown.

    ``services`` (store, backend, engine) may be shared with other platforms (``musiccog run``); it is then
    left open at teardown. Otherwise they are opened in ``setup`` with ``backend`` if given (tests), else
    the one ``settings.backend`` names.
    """
    if settings.telegram_bot_token is None:
        raise InputRejected("Set TELEGRAM_BOT_TOKEN to the token @BotFather gave you.")
    builder = (
        ApplicationBuilder()
        .application_class(_MusicCogApplication)
        .token(settings.telegram_bot_token.get_secret_value())
        .concurrent_updates(True)
        .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
        .local_mode(settings.telegram_local_mode)
        .media_write_timeout(300)
        .post_init(setup)
        .post_shutdown(teardown)
    )
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
    if settings.telegram_api_file_url:
        builder = builder.base_file_url(settings.telegram_api_file_url)
    app = builder.build()
    app.bot_data["settings"] = settings
    app.bot_data["backend"] = backend
    app.bot_data["services"] = services
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(_MEDIA_FILTER & ~filters.UpdateType.EDITED, on_message))
    app.add_error_handler(on_error)
    return app


async def setup(app: TelegramApp) -> None:
    """Attach to the engine (opening the store and backend unless shared), set the commands menu, and start
    the engine, which recovers unfinished jobs."""
    settings: Settings = app.bot_data["settings"]
    shared: Services | None = app.bot_data.get("services")
    services = shared or await Services.open(settings, backend=app.bot_data.get("backend"))
    bot = app.bot

    async def fetch(media: MediaRef, folder: Path) -> Path:
        return await _download(bot, settings, media, folder)

    async def notify(platform: str, chat_id: str, reply: Reply) -> None:
        await _render(bot, settings, int(chat_id), reply)

    services.engine.attach(
        PLATFORM,
        fetch_media=fetch,
        notify=notify,
        upload_limit=settings.telegram_upload_limit_bytes,
        bot_username=bot.username,
    )
    app.bot_data[_RUNTIME] = AdapterRuntime.create(settings, services, owns_services=shared is None)
    menu = (*COMMANDS, BACKEND_COMMAND) if settings.allow_backend_choice else COMMANDS
    await bot.set_my_commands([BotCommand(name, en) for name, en, _ in menu])
    await bot.set_my_commands([BotCommand(name, zh) for name, _, zh in menu], language_code="zh")
    await services.start()
    logger.info("telegram adapter ready as @%s", bot.username)


async def teardown(app: TelegramApp) -> None:
    """Close the services if this adapter opened them (running jobs are requeued on the next start)."""
    runtime: AdapterRuntime | None = app.bot_data.pop(_RUNTIME, None)
    if runtime is not None and runtime.owns_services:
        await runtime.services.close()


async def serve(settings: Settings, *, services: Services) -> None:
    """Poll for updates until cancelled, on services shared with other platforms (``musiccog run``)."""
    app = build_application(settings, services=services)
    await app.initialize()
    try:
        await setup(app)
        assert app.updater is not None
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await app.start()
        try:
            await asyncio.Event().wait()
        finally:
            await app.updater.stop()
            await app.stop()
    finally:
        await teardown(app)
        await app.shutdown()


def run_polling(settings: Settings) -> None:
    """Serve until interrupted (``musiccog telegram``)."""
    app = build_application(settings)
    app.run_polling(allowed_updates=Update.ALL_TYPES)


# ----- handlers --------------------------------------------------------------------------------------


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A clip, a song, a link or words for us: the engine's replies come back in this chat."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    runtime: AdapterRuntime = context.bot_data[_RUNTIME]
    if not _addressed(message, context.bot.id, context.bot.username):
        return
    incoming = to_incoming(message)
    if incoming is None:
        return
    media = incoming.media
    limit = runtime.settings.telegram_download_limit_bytes
    if media is not None and media.size_bytes is not None and media.size_bytes > limit:
        await message.reply_text(_too_big_text(media.size_bytes, runtime.settings))
        return
    await _serve(context, message.chat_id, incoming)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A result button: acknowledged at once, then re-rendered like the same words would be."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    message = query.message
    if message is None or not query.data:
        return
    user = query.from_user
    incoming = Incoming(PLATFORM, str(message.chat.id), str(user.id), button=query.data, language=user.language_code)
    await _serve(context, message.chat.id, incoming)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its trace and an id, then tell the human one plain sentence with that id."""
    error_id = new_error_id()
    logger.error("telegram update failed (error %s)", error_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(
            update.effective_chat.id, f"Sorry — something went wrong on my side; please try again. (error {error_id})"
        )


# ----- Telegram → Incoming ---------------------------------------------------------------------------


def to_incoming(message: Message) -> Incoming | None:
    """The message as an ``Incoming`` (text or caption, and the attached file), or None if it has neither."""
    media = _media_ref(message)
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
    )


def _media_ref(message: Message) -> MediaRef | None:
    kind: MediaKind
    item: TgVideo | Animation | Audio | Voice | Document
    if message.video is not None:
        kind, item = "video", message.video
    elif message.animation is not None:  # before document: animations arrive as both
        kind, item = "animation", message.animation
    elif message.audio is not None:
        kind, item = "audio", message.audio
    elif message.voice is not None:
        kind, item = "voice", message.voice
    elif message.document is not None:
        mime = message.document.mime_type or ""
        kind, item = ("audio" if mime.startswith("audio/") else "document"), message.document
    else:
        return None
    return MediaRef(
        kind=kind,
        file_id=item.file_id,
        file_name=getattr(item, "file_name", None),
        mime_type=getattr(item, "mime_type", None),
        size_bytes=item.file_size,
    )


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


# ----- files -----------------------------------------------------------------------------------------


def _too_big_text(size_bytes: int | None, settings: Settings) -> str:
    limit_mb = settings.telegram_download_limit_bytes // MB
    what = f"That file is {mib_text(size_bytes)} MB, but" if size_bytes else "That file is too big:"
    text = f"{what} Telegram only lets bots download files up to {limit_mb} MB."
    if settings.telegram_local_mode:
        return text + " Please send a shorter or smaller version."
    return (
        text + " Send me a link to the video instead, or a shorter or smaller version. "
        "(The bot's operator can lift the limit to 2000 MB by running a local Bot API server.)"
    )


async def _download(bot: Any, settings: Settings, media: MediaRef, folder: Path) -> Path:
    """The engine's ``MediaFetcher``: a link through ``bot.links``, a Telegram file through ``getFile``."""
    if media.url is not None:
        from bot.links import fetch_url

        return await fetch_url(media.url, folder, max_bytes=settings.max_input_bytes, settings=settings)
    assert media.file_id is not None
    if media.size_bytes is not None and media.size_bytes > settings.telegram_download_limit_bytes:
        raise InputRejected(_too_big_text(media.size_bytes, settings))
    try:
        file = await bot.get_file(media.file_id)
    except BadRequest as exc:
        if "too big" in exc.message.casefold():
            raise InputRejected(_too_big_text(media.size_bytes, settings)) from exc
        raise
    suffix = safe_suffix(file.file_path) or safe_suffix(media.file_name) or DEFAULT_SUFFIX.get(media.kind, ".mp4")
    return Path(await file.download_to_drive(custom_path=folder / f"input{suffix}"))


# ----- Reply → Telegram ------------------------------------------------------------------------------


async def _serve(context: ContextTypes.DEFAULT_TYPE, chat_id: int, incoming: Incoming) -> None:
    """Stream the engine's replies for one event into the chat: one status message, then the results."""
    runtime: AdapterRuntime = context.bot_data[_RUNTIME]
    bot = context.bot
    lang = "zh" if (incoming.language or "").startswith("zh") else "en"
    status: Message | None = None
    action: asyncio.Task[None] | None = None
    replies = runtime.pacer.pace(str(chat_id), runtime.engine.handle(incoming), lang=lang)
    try:
        async for reply in replies:
            if isinstance(reply, Progress):
                if action is None:
                    action = asyncio.create_task(_keep_chat_action(bot, chat_id))
                status = await _show_status(bot, chat_id, status, reply.text)
            else:
                await _render(bot, runtime.settings, chat_id, reply)
    finally:
        if action is not None:
            action.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await action
        if status is not None:
            with contextlib.suppress(TelegramError):
                await status.delete()
        runtime.pacer.forget(str(chat_id))


async def _keep_chat_action(bot: Any, chat_id: int) -> None:
    """ "Sending video…" at the top of the chat for as long as the job runs."""
    while True:
        with contextlib.suppress(TelegramError):
            await bot.send_chat_action(chat_id, ChatAction.UPLOAD_VIDEO)
        await asyncio.sleep(CHAT_ACTION_EVERY_S)


async def _show_status(bot: Any, chat_id: int, status: Message | None, text: str) -> Message:
    """The first progress makes the status message; later ones edit it in place."""
    if status is None:
        message: Message = await bot.send_message(chat_id, text[:MAX_TEXT])
        return message
    try:
        await status.edit_text(text[:MAX_TEXT])
    except BadRequest as exc:
        if "not modified" not in exc.message.casefold():
            raise
    return status


async def _render(bot: Any, settings: Settings, chat_id: int, reply: Reply) -> None:
    """One non-progress reply as a Telegram message (a result video with its keyboard, or text)."""
    if isinstance(reply, Text | Error):
        await bot.send_message(chat_id, reply.text[:MAX_TEXT])
        return
    if isinstance(reply, Progress):
        await bot.send_message(chat_id, reply.text[:MAX_TEXT])
        return
    await _send_video(bot, settings, chat_id, reply)


async def _send_video(bot: Any, settings: Settings, chat_id: int, video: Video) -> None:
    size_bytes = await asyncio.to_thread(lambda: video.path.stat().st_size)
    limit = settings.telegram_upload_limit_bytes
    if size_bytes > limit:
        await bot.send_message(
            chat_id,
            f"The finished video is {mib_text(size_bytes)} MB, over Telegram's {mib_text(limit)} MB upload limit. "
            f"Say “under {mib_text(limit * 0.9)}MB” and I'll make a smaller version.",
        )
        return
    rows = [list(video.buttons[:3]), list(video.buttons[3:])]
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.id) for b in row] for row in rows if row]
    )
    with video.path.open("rb") as handle:
        await bot.send_video(
            chat_id,
            video=handle,
            caption=video.caption[:1024],
            width=video.width,
            height=video.height,
            duration=round(video.duration_s) if video.duration_s is not None else None,
            supports_streaming=True,
            reply_markup=keyboard if video.buttons else None,
            filename="musiccog.mp4",
        )
