"""``musiccog worker [--concurrency N]``: a render worker for scale-out mode (``bot.scale.worker``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from bot.cli.terminal import EXIT_OK
from bot.config import get_settings
from bot.errors import InputRejected

__all__ = ["add_parsers", "run_worker"]


def add_parsers(sub: Any) -> None:
    worker = sub.add_parser("worker", help="run a render worker (scale-out: MUSICCOG_STORAGE and a PostgreSQL URL)")
    worker.add_argument(
        "--concurrency", type=int, default=1, help="steps run at once (default 1; one process each, no prefetch)"
    )
    worker.set_defaults(func=run_worker)


def run_worker(args: argparse.Namespace) -> int:
    from bot.redact import RedactToken
    from bot.scale.queue import queue_dsn
    from bot.scale.worker import serve_worker

    settings = get_settings()
    if not settings.scale_out:
        raise InputRejected("worker_needs_storage")
    if args.concurrency < 1:
        raise InputRejected("worker_bad_concurrency")
    dsn = queue_dsn(settings)
    root = logging.getLogger()
    if not args.verbose:
        root.setLevel(logging.INFO)
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
    for handler in root.handlers:
        handler.addFilter(RedactToken(dsn))  # the URL may hold the database password
    asyncio.run(serve_worker(settings, concurrency=args.concurrency))
    return EXIT_OK
