"""Which backend serves a chat: ``MUSICCOG_BACKEND`` (``local`` by default) or a chat's ``/backend`` choice."""

from __future__ import annotations

from bot.backends.base import Backend
from bot.config import Settings
from bot.errors import InputRejected

__all__ = ["BACKEND_NAMES", "make_backend"]

BACKEND_NAMES = ("local", "nemo")


def make_backend(settings: Settings, name: str | None = None) -> Backend:
    """A new backend by name (default ``settings.backend``); heavy imports happen only for the one chosen."""
    name = (name or settings.backend).strip().lower()
    if name == "local":
        from bot.backends.local import LocalBackend

        if settings.scale_out:  # the steps go to render workers through the task queue
            from bot.scale.client import QueueSteps

            return LocalBackend(settings, steps=QueueSteps(settings))
        return LocalBackend(settings)
    if name == "nemo":
        from bot.backends.nemo import NemoBackend

        return NemoBackend(settings)
    raise InputRejected("unknown_backend", name=name, choices=", ".join(BACKEND_NAMES))
