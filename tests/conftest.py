"""Shared fixtures: an isolated data dir per test session, and generated media."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import get_settings


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test sees a fresh settings object whose data dir is shared across the run (the cache)."""
    data_dir = tmp_path_factory.getbasetemp() / "musiccog-data"
    monkeypatch.setenv("MUSICCOG_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")
