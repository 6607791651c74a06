"""Shared fixtures: an isolated data dir per test session, generated media, and the chat-state databases
(an SQLite file, or a fresh database on one throwaway PostgreSQL server per test session)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from bot.config import get_settings
from tests.postgres_server import PostgresServer, find_bin_dir


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


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    """Two spawn worker processes per test module, as a small bot would run (the engine's and adapters')."""
    executor = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
    yield executor
    executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole test session (see tests/postgres_server.py)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed here (no initdb/postgres on the PATH); .ci/run installs it")
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.database()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_database(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path | str:
    """Each store in turn: an SQLite file's path, or a fresh PostgreSQL database's URL — which is also set as
    ``MUSICCOG_DATABASE_URL``, so ``Settings().sessions_database`` points there too."""
    if request.param == "sqlite":
        monkeypatch.delenv("MUSICCOG_DATABASE_URL", raising=False)
        return tmp_path / "state" / "sessions.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("MUSICCOG_DATABASE_URL", url)
    return url
