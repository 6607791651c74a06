"""``musiccog telegram|discord|run``: the chat bots, one engine for every platform whose token is set."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from bot.cli.terminal import EXIT_OK
from bot.config import Settings, get_settings
from bot.errors import InputRejected

__all__ = ["add_parsers", "run_all", "run_discord_bot", "run_telegram", "serve_all"]


def add_parsers(sub: Any) -> None:
    """``telegram``, ``discord`` and ``run`` on the command line's sub-commands."""
    telegram = sub.add_parser("telegram", help="run the Telegram bot (TELEGRAM_BOT_TOKEN)")
    telegram.set_defaults(func=run_telegram)
    discord_cmd = sub.add_parser("discord", help="run the Discord bot (DISCORD_BOT_TOKEN)")
    discord_cmd.set_defaults(func=run_discord_bot)
    run = sub.add_parser("run", help="run every chat platform whose token is set")
    run.set_defaults(func=run_all)


def _serve_logging(tokens: Sequence[str], verbose: bool) -> None:
    """Bots log their life at INFO; httpx stays at WARNING (its INFO lines carry the token in the URL)
    and every handler redacts the tokens from messages and tracebacks."""
    from bot.redact import RedactToken

    root = logging.getLogger()
    if not verbose:
        root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for handler in root.handlers:
        for token in tokens:
            handler.addFilter(RedactToken(token))


def _tokens(settings: Settings) -> list[str]:
    secrets = (settings.telegram_bot_token, settings.discord_bot_token, settings.nemo_token)
    return [secret.get_secret_value() for secret in secrets if secret is not None]


def run_telegram(args: argparse.Namespace) -> int:
    from adapters.telegram import run_polling

    settings = get_settings()
    if settings.telegram_bot_token is None:
        raise InputRejected("telegram_token_missing")
    _serve_logging(_tokens(settings), args.verbose)
    run_polling(settings)
    return EXIT_OK


def run_discord_bot(args: argparse.Namespace) -> int:
    from adapters.discord import run_discord

    settings = get_settings()
    if settings.discord_bot_token is None:
        raise InputRejected("discord_token_missing")
    _serve_logging(_tokens(settings), args.verbose)
    asyncio.run(run_discord(settings))
    return EXIT_OK


def run_all(args: argparse.Namespace) -> int:
    """Every platform whose token is set, in one process on one engine (one worker pool, one queue)."""
    settings = get_settings()
    if settings.telegram_bot_token is None and settings.discord_bot_token is None:
        raise InputRejected("cli_no_platform_token")
    _serve_logging(_tokens(settings), args.verbose)
    try:
        asyncio.run(serve_all(settings))
    except ExceptionGroup as group:  # the first platform that failed says why (a bad token, say)
        raise group.exceptions[0] from group
    return EXIT_OK


async def serve_all(settings: Settings) -> None:
    from bot.services import Services

    services = await Services.open(settings)
    try:
        async with asyncio.TaskGroup() as group:  # one platform failing stops the others before the close
            if settings.telegram_bot_token is not None:
                from adapters.telegram import serve

                group.create_task(serve(settings, services=services))
            if settings.discord_bot_token is not None:
                from adapters.discord import run_discord

                group.create_task(run_discord(settings, services=services))
    finally:
        await services.close()
