"""The Telegram application: built, set up, served and torn down, with our handlers' shared state typed.

What the handlers share lives in :class:`BotData`, PTB's ``bot_data`` made a class through
``ContextTypes`` (``telegram/ext/_contexttypes.py``), so ``context.bot_data.runtime`` is checked by mypy
instead of being a string key into a dict. Updates are processed concurrently (``concurrent_updates``) so
one user's render never holds up another's; the engine keeps one job per chat. Flood control is PTB's
``AIORateLimiter``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters import serving
from adapters.files import fetch_media
from adapters.runtime import AdapterRuntime
from adapters.serving import ChatGone
from adapters.telegram.context import PLATFORM, BotData, TelegramApp
from adapters.telegram.download import download_file
from adapters.telegram.handlers import MEDIA_FILTER, on_button, on_error, on_message
from adapters.telegram.surface import ChatSurface
from bot.backends.base import Backend
from bot.config import Settings
from bot.engine.messages import Incoming, MediaRef, Reply
from bot.errors import InputRejected
from bot.language import say
from bot.services import Services

__all__ = [
    "BACKEND_COMMAND",
    "COMMANDS",
    "UPLOAD_COMMAND",
    "build_application",
    "run_polling",
    "serve",
    "setup",
    "teardown",
]

logger = logging.getLogger(__name__)

FLOOD_RETRIES = 3
"""Telegram's flood control answers 429 "retry after N s": PTB's AIORateLimiter keeps us under ~30
messages/s overall and 20/min per group, waits the N seconds and tries again, this many times."""
COMMANDS: tuple[str, ...] = ("start", "help", "status", "export", "credits", "new", "cancel", "language")
"""The commands menu (each described by the phrase ``telegram_command_<name>``); the engine answers them."""
BACKEND_COMMAND = "backend"
"""Shown only when the operator lets users choose (``MUSICCOG_ALLOW_BACKEND_CHOICE``)."""
UPLOAD_COMMAND = "upload"
"""Shown only when the upload page is on (``MUSICCOG_PUBLIC_URL``)."""


class _MusicCogApplication(TelegramApp):
    """PTB's ``stop()`` waits for every update being handled, and ours wait for their videos: close the
    engine first, so a shutdown does not render the whole queue. Running jobs stay in the database and are
    finished after the restart; waiting chats are told so."""

    async def stop(self) -> None:
        if self.bot_data.runtime is not None:
            await self.bot_data.runtime.engine.close()
        await super().stop()


def build_application(
    settings: Settings, *, backend: Backend | None = None, services: Services | None = None
) -> TelegramApp:
    """A PTB ``Application`` with our handlers; ``setup``/``teardown`` run as post-init/post-shutdown.

    ``services`` (store, backend, engine) may be shared with other platforms (``musiccog run``); it is then
    left open at teardown. Otherwise they are opened in ``setup`` with ``backend`` if given (tests), else
    the one ``settings.backend`` names.
    """
    if settings.telegram_bot_token is None:
        raise InputRejected("telegram_token_missing")
    builder = (
        ApplicationBuilder()
        .application_class(_MusicCogApplication)
        .context_types(ContextTypes(bot_data=BotData))
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
    app: TelegramApp = builder.build()
    app.bot_data.settings = settings
    app.bot_data.backend = backend
    app.bot_data.lent_services = services
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(MEDIA_FILTER & ~filters.UpdateType.EDITED, on_message))
    app.add_error_handler(on_error)
    return app


async def setup(app: TelegramApp) -> None:
    """Attach to the engine (opening the store and backend unless shared), set the commands menu, and start
    the engine, which recovers unfinished jobs."""
    data = app.bot_data
    assert data.settings is not None
    settings = data.settings
    services = data.lent_services or await Services.open(settings, backend=data.backend)
    bot = app.bot

    async def platform_download(media: MediaRef, folder: Path) -> Path:
        return await download_file(bot, settings, media, folder)

    async def fetch(media: MediaRef, folder: Path) -> Path:
        return await fetch_media(media, folder, settings=settings, platform_download=platform_download)

    async def notify(platform: str, chat_id: str, reply: Reply) -> None:
        try:
            await ChatSurface(bot, settings, int(chat_id)).show(reply)
        except ChatGone as gone:
            logger.info("telegram chat %s can no longer be reached (%s): result dropped", chat_id, gone)

    async def serve_in_chat(incoming: Incoming) -> None:
        """A file sent through the upload page, served in its chat like a message sent there."""
        await serving.serve(data.serving(), ChatSurface(bot, settings, int(incoming.chat_id)), incoming)

    async def clear_status(chat_id: str, ref: str) -> None:
        """A status message a dead process left ("Mixing… 50%") is deleted (one from before the restart)."""
        await bot.delete_message(int(chat_id), int(ref))

    services.engine.attach(
        PLATFORM,
        fetch_media=fetch,
        notify=notify,
        upload_limit=settings.telegram_upload_limit_bytes,
        bot_username=bot.username,
        clear_status=clear_status,
        serve_in_chat=serve_in_chat,
    )
    data.runtime = AdapterRuntime.create(settings, services, owns_services=data.lent_services is None)
    menu = (*COMMANDS, BACKEND_COMMAND) if settings.allow_backend_choice else COMMANDS
    if settings.public_url:  # the upload page is on (issue 17): /upload asks for a link
        menu = (*menu, UPLOAD_COMMAND)
    for lang in ("en", "zh"):
        commands = [BotCommand(name, say(f"telegram_command_{name}", lang)) for name in menu]
        await bot.set_my_commands(commands, language_code=None if lang == "en" else lang)
    await services.start()
    logger.info("telegram adapter ready as @%s", bot.username)


async def teardown(app: TelegramApp) -> None:
    """Close the services if this adapter opened them (running jobs are requeued on the next start)."""
    runtime, app.bot_data.runtime = app.bot_data.runtime, None
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
