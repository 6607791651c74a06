"""The types a Telegram handler of ours sees: :class:`BotData` as PTB's ``bot_data`` (through
``ContextTypes``, ``telegram/ext/_contexttypes.py``) instead of string keys into a dict, and an ``ExtBot``
instead of ``Any``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from adapters.runtime import AdapterRuntime
from bot.backends.base import Backend
from bot.config import Settings
from bot.services import Services

__all__ = ["PLATFORM", "BotData", "MusicCogContext", "TelegramApp"]

PLATFORM = "telegram"


@dataclass
class BotData:
    """What our handlers share (``context.bot_data``). PTB makes it with no arguments when the application is
    built; :func:`build_application` fills in the settings and what to open, :func:`setup` the runtime."""

    settings: Settings | None = None
    backend: Backend | None = None
    """The backend to open the services with (tests), else the one ``settings.backend`` names."""
    lent_services: Services | None = None
    """Services shared with other platforms (``musiccog run``): used, never closed, by this adapter."""
    runtime: AdapterRuntime | None = None
    """Set by :func:`setup`, cleared by :func:`teardown`."""
    addressed_albums: dict[str, float] = field(default_factory=dict)
    """Albums (``media_group_id`` → when) whose captioned item was for us in a group: their other items,
    which carry no mention of their own, are for us too."""

    def serving(self) -> AdapterRuntime:
        """The runtime of a set-up application (handlers only run between setup and teardown)."""
        if self.runtime is None:
            raise RuntimeError("the Telegram adapter is not set up")
        return self.runtime


MusicCogContext = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]
"""The ``context`` every handler of ours receives."""
TelegramApp = Application[ExtBot[Any], MusicCogContext, dict[Any, Any], dict[Any, Any], BotData, Any]
"""Our application (any job queue: we schedule nothing)."""
