"""A real engine (local backend, SQLite) with the real web server on a free loopback port, for the web tests.

The chat side is the engine's notifier (what a platform adapter lends it): replies are recorded per chat."""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.files import fetch_media
from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.engine.engine import Engine
from bot.engine.messages import MediaRef, Reply
from bot.sessions import SessionStore
from bot.web.server import WebServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def web_settings(tmp_path: Path, **overrides: Any) -> Settings:
    port = free_port()
    values: dict[str, Any] = {
        "workers": 1,
        "data_dir": tmp_path / "data",
        "engine_db_path": tmp_path / "sessions.sqlite3",
        "temp_dir": tmp_path / "tmp",
        "collect_quiet_s": 0.0,
        "public_url": f"http://127.0.0.1:{port}",
        "web_port": port,
    }
    return Settings(**{**values, **overrides})


@dataclass
class Chats:
    """What the engine delivered to each chat through the notifier."""

    replies: dict[str, list[Reply]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def notify(self, platform: str, chat_id: str, reply: Reply) -> None:
        self.replies.setdefault(chat_id, []).append(reply)
        self.changed.set()

    async def wait_for(self, chat_id: str, kind: type, timeout: float = 90.0) -> Any:
        async with asyncio.timeout(timeout):
            while True:
                found = [r for r in self.replies.get(chat_id, []) if isinstance(r, kind)]
                if found:
                    return found[-1]
                self.changed.clear()
                await self.changed.wait()


@asynccontextmanager
async def web_stack(
    settings: Settings, pool: ProcessPoolExecutor, files: dict[str, Path] | None = None
) -> AsyncIterator[tuple[Engine, WebServer, Chats]]:
    """The engine and the web server; ``files`` are what the "platform" holds (by file id), if anything."""
    store = await SessionStore.open(settings.engine_db)
    engine = Engine(settings, store, LocalBackend(settings, executor=pool))
    chats = Chats()

    async def no_platform(media: MediaRef, folder: Path) -> Path:
        assert files is not None and media.file_id in files, "only files from the upload page here"
        target = folder / files[media.file_id].name
        shutil.copyfile(files[media.file_id], target)
        return target

    async def fetch(media: MediaRef, folder: Path) -> Path:
        return await fetch_media(media, folder, settings=settings, platform_download=no_platform)

    engine.attach("telegram", fetch_media=fetch, notify=chats.notify, upload_limit=50 * 1024 * 1024)
    await engine.start()
    web = await WebServer.open(settings, engine)
    await web.start()
    try:
        yield engine, web, chats
    finally:
        await web.close()
        await engine.close()
        await store.close()
