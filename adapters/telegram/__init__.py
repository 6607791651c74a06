"""The Telegram adapter: python-telegram-bot 22 updates in, ``Incoming`` to the engine, ``Reply`` events out.

Thin on purpose: it translates, it does not decide. Routing, sessions, jobs, quotas and wording live in
``bot.engine``; this package only knows Telegram's shapes and limits, one job per module:

- :mod:`~adapters.telegram.application` — build, set up (attach to the engine, the commands menu in English
  and Chinese), serve and tear down a PTB ``Application``;
- :mod:`~adapters.telegram.context` — what the handlers share, typed through PTB's ``ContextTypes``;
- :mod:`~adapters.telegram.handlers` — which updates are for us, ``Incoming`` from them, the error handler;
- :mod:`~adapters.telegram.surface` — where replies go: one status message edited in place (paced by
  ``ProgressPacer`` in :mod:`adapters.serving`) with a chat action kept alive, the result as ``sendVideo``
  with its caption and an inline keyboard;
- :mod:`~adapters.telegram.download` — files as ``MediaRef`` and their download within the public Bot API's
  limits (download ≤ 20 MB, upload ≤ 50 MB; a local ``--local`` server: 2000 MB).

The token never reaches a log line (``RedactToken``).
"""

from __future__ import annotations

from adapters.telegram.application import (
    BACKEND_COMMAND,
    COMMANDS,
    build_application,
    run_polling,
    serve,
    setup,
    teardown,
)
from adapters.telegram.context import PLATFORM, BotData
from adapters.telegram.handlers import to_incoming
from bot.redact import RedactToken

__all__ = [
    "BACKEND_COMMAND",
    "COMMANDS",
    "PLATFORM",
    "BotData",
    "RedactToken",
    "build_application",
    "run_polling",
    "serve",
    "setup",
    "teardown",
    "to_incoming",
]
