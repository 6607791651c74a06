"""Services: one bot process per sessions database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.errors import InputRejected
from bot.services import Services


def test_a_second_process_on_the_same_database_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, engine_db_path=tmp_path / "sessions.sqlite3")

    async def scenario() -> None:
        first = await Services.open(settings, backend=LocalBackend(settings))
        with pytest.raises(InputRejected, match="already serving"):
            await Services.open(settings, backend=LocalBackend(settings))
        await first.close()
        again = await Services.open(settings, backend=LocalBackend(settings))
        assert again.engine is not first.engine
        await again.close()

    asyncio.run(scenario())


def test_bot_processes_share_a_postgresql_database(tmp_path: Path, postgres_url: str) -> None:
    """No file lock on PostgreSQL: a Telegram process and a Discord process may both serve from it."""
    settings = Settings(data_dir=tmp_path, database_url=postgres_url)

    async def scenario() -> None:
        first = await Services.open(settings, backend=LocalBackend(settings))
        second = await Services.open(settings, backend=LocalBackend(settings))
        assert first.lock is None and second.lock is None and first.store.shared
        await first.close()
        await second.close()

    asyncio.run(scenario())
