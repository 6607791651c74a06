"""What one bot process shares between its chat platforms: the session store, the backend and the engine.

``musiccog telegram`` and ``musiccog discord`` each open their own; ``musiccog run`` opens one and lends it
to every adapter, so there is one dispatcher, one worker pool and one SQLite writer per process. Adapters
``engine.attach`` themselves and then ``start`` (idempotent), which recovers jobs a previous process left.
An SQLite file serves one process (a file lock refuses a second); a PostgreSQL database
(``MUSICCOG_DATABASE_URL``) is shared by any number of them, each running the jobs of its own platforms.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from bot.backends.base import Backend
from bot.backends.factory import make_backend
from bot.config import Settings
from bot.engine.engine import Engine
from bot.errors import InputRejected
from bot.sessions import SessionStore

if TYPE_CHECKING:
    from bot.web.server import WebServer

__all__ = ["Services"]

logger = logging.getLogger(__name__)


class _ProcessLock:
    """An exclusive ``flock`` on a file beside the sessions database: two bot processes on one database
    would each requeue the other's running jobs at start-up. POSIX only; elsewhere a no-op."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[bytes] | None = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # Windows
            return
        handle = self._path.open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            raise InputRejected("cli_bot_already_serving", folder=str(self._path.parent)) from exc
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the descriptor drops the lock
            self._handle = None


@dataclass
class Services:
    settings: Settings
    store: SessionStore
    backend: Backend
    engine: Engine
    lock: _ProcessLock | None = None
    web: WebServer | None = None
    """The upload page and download links (issue 17), when ``MUSICCOG_PUBLIC_URL`` is set."""

    @classmethod
    async def open(cls, settings: Settings, *, backend: Backend | None = None) -> Services:
        """Open the store and make the backend (``settings.backend`` unless one is given) and the engine."""
        target = settings.sessions_database
        lock: _ProcessLock | None = None
        if isinstance(target, Path):  # an SQLite file: one process at a time
            target.parent.mkdir(parents=True, exist_ok=True)
            lock = _ProcessLock(target.with_name(target.name + ".lock"))
            lock.acquire()
        try:
            store = await SessionStore.open(target)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        try:
            backend = backend or make_backend(settings)
        except BaseException:
            await store.close()
            if lock is not None:
                lock.release()
            raise
        engine = Engine(settings, store, backend, make_backend=lambda name: make_backend(settings, name))
        return cls(settings, store, backend, engine, lock)

    async def start(self) -> None:
        """Start the engine, and the web server if an operator gave it a public address (idempotent)."""
        await self.engine.start()
        if self.settings.public_url and self.web is None:
            from bot.web.server import WebServer  # aiohttp is imported only when the web server is on

            web = await WebServer.open(self.settings, self.engine)
            try:
                await web.start()
            except BaseException:
                await web.links.close()
                raise
            self.web = web

    async def close(self) -> None:
        """Stop the engine (running jobs are requeued by the next start), then the backend and the store."""
        try:
            if self.web is not None:
                await self.web.close()
                self.web = None
            await self.engine.close()
            await self.backend.close()
            await self.store.close()
        finally:
            if self.lock is not None:
                self.lock.release()
