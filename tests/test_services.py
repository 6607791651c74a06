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
