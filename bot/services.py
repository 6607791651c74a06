"""What one bot process shares between its chat platforms: the session store, the backend and the engine.

``musiccog telegram`` and ``musiccog discord`` each open their own; ``musiccog run`` opens one and lends it
to every adapter, so there is one dispatcher, one worker pool and one SQLite writer per process. Adapters
``engine.attach`` themselves and then ``start`` (idempotent), which recovers jobs a previous process left.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.backends.base import Backend
from bot.backends.factory import make_backend
from bot.config import Settings
from bot.engine.engine import Engine
from bot.sessions import SessionStore

logger = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    store: SessionStore
    backend: Backend
    engine: Engine

    @classmethod
    async def open(cls, settings: Settings, *, backend: Backend | None = None) -> Services:
        """Open the store and make the backend (``settings.backend`` unless one is given) and the engine."""
        settings.engine_db.parent.mkdir(parents=True, exist_ok=True)
        store = await SessionStore.open(settings.engine_db)
        try:
            backend = backend or make_backend(settings)
        except BaseException:
            await store.close()
            raise
        engine = Engine(settings, store, backend, make_backend=lambda name: make_backend(settings, name))
        return cls(settings, store, backend, engine)

    async def start(self) -> None:
        await self.engine.start()

    async def close(self) -> None:
        """Stop the engine (running jobs are requeued by the next start), then the backend and the store."""
        await self.engine.close()
        await self.backend.close()
        await self.store.close()
