"""The backends one engine serves chats with: the one it was given, and any other a chat chose.

A chat may switch backend (``/backend nemo``) when the operator allows it; that backend is made once,
on first use, shared by every chat that chose it, and closed with the engine. The backend the engine
was given belongs to its caller and is never closed here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from bot.backends.base import Backend
from bot.errors import BackendUnavailable

__all__ = ["BackendRegistry"]


class BackendRegistry:
    """Backends by name: ``default`` serves new chats; others are made by ``make_backend(name)``."""

    def __init__(self, default: Backend, make_backend: Callable[[str], Backend] | None = None) -> None:
        self.default = default
        self._backends: dict[str, Backend] = {default.name: default}
        self._make_backend = make_backend
        self._made: list[Backend] = []

    def named(self, name: str) -> Backend:
        """The backend a session was made with; made on first use if the operator allows that name.

        Raises ``BackendUnavailable`` when this process cannot make it."""
        backend = self._backends.get(name)
        if backend is not None:
            return backend
        if self._make_backend is None:
            raise BackendUnavailable(f"backend {name!r} is not available in this process")
        backend = self._make_backend(name)
        self._backends[name] = backend
        self._made.append(backend)
        return backend

    async def close(self) -> None:
        """Close the backends made here (a failing close is not worth stopping a shutdown for)."""
        made, self._made = self._made, []
        for backend in made:
            self._backends.pop(backend.name, None)
            with contextlib.suppress(Exception):
                await backend.close()
