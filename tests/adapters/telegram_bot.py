"""Running the real PTB application in a test, and matching the fake Bot API's recorded calls."""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from adapters.telegram import build_application, setup, teardown
from bot.backends.base import Backend
from bot.config import Settings
from tests.fakes.telegram_api import ApiCall, FakeBotApi

App = Any


@asynccontextmanager
async def running_bot(settings: Settings, backend: Backend | None = None) -> AsyncIterator[App]:
    """One application lifetime in PTB's order: initialize, setup (the engine starts and recovers), start,
    poll … stop polling, stop, teardown, shutdown. Without ``backend`` the settings choose it."""
    app = build_application(settings, backend=backend)
    updater = app.updater
    assert updater is not None
    async with app:
        await setup(app)
        await app.start()
        await updater.start_polling(timeout=dtm.timedelta(seconds=1), poll_interval=0)
        try:
            yield app
        finally:
            if updater.running:
                await updater.stop()
            if app.running:
                await app.stop()
            await teardown(app)


def to_chat(chat: int) -> Callable[[ApiCall], bool]:
    return lambda call: call.params.get("chat_id") == chat


def text_in(chat: int, *parts: str) -> Callable[[ApiCall], bool]:
    return lambda call: call.params.get("chat_id") == chat and all(p in call.params.get("text", "") for p in parts)


def bot_settings(fake: FakeBotApi, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a bot served by ``fake`` with its state under ``tmp_path`` (two workers, quick progress)."""
    values: dict[str, Any] = {
        "telegram_bot_token": fake.token,
        "telegram_api_base_url": fake.base_url,
        "telegram_api_file_url": fake.base_file_url,
        "workers": 2,
        "engine_db_path": tmp_path / "sessions.sqlite3",
        "temp_dir": tmp_path / "tmp",
        "progress_interval_s": 0.5,
    }
    return Settings(**{**values, **overrides})
