"""Scale-out mode is chosen by ``MUSICCOG_STORAGE`` alone; without it the bot is exactly the embedded one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.backends.factory import make_backend
from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.errors import InputRejected
from bot.scale.client import QueueSteps


def test_without_storage_the_local_pool_runs_everything() -> None:
    settings = Settings()
    assert not settings.scale_out and settings.queue_url is None
    backend = make_backend(settings)
    assert isinstance(backend, LocalBackend) and backend._steps is None


def test_storage_without_a_postgresql_url_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSICCOG_STORAGE", "/mnt/nowhere")
    with pytest.raises(InputRejected) as caught:
        make_backend(Settings())
    assert caught.value.key == "scale_needs_database"
    monkeypatch.setenv("MUSICCOG_DATABASE_URL", "sqlite:///x")
    with pytest.raises(InputRejected):
        make_backend(Settings())


def test_storage_and_postgresql_send_the_steps_to_the_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSICCOG_STORAGE", f"{tmp_path}/shared")
    monkeypatch.setenv("MUSICCOG_DATABASE_URL", "postgresql://musiccog:secret@127.0.0.1:1/musiccog")
    settings = Settings()
    assert "secret" not in repr(settings)  # the URL may hold a password
    backend = make_backend(settings)
    assert isinstance(backend, LocalBackend) and isinstance(backend._steps, QueueSteps)


def test_a_waiting_step_shows_its_place_in_the_queue() -> None:
    from bot.backends.base import Stage
    from bot.engine.replies import stage_progress

    assert stage_progress(Stage("queue", 0.5, ahead=0), "en").text == "Waiting for a free render worker… 50%"
    assert "3 ahead of you" in stage_progress(Stage("queue", 0.5, ahead=3), "en").text
    assert "前面还有 3 个" in stage_progress(Stage("queue", 0.5, ahead=3), "zh").text
    assert stage_progress(Stage("render", 0.5), "en").text == "Mixing and rendering… 50%"  # as ever


def test_the_queue_shares_the_state_database_unless_told_otherwise(tmp_path: Path) -> None:
    from bot.scale.queue import queue_dsn

    state = "postgresql://musiccog@127.0.0.1:1/state"
    given_in_code = Settings(storage=str(tmp_path / "shared"), database_url=state)  # no environment variable
    assert queue_dsn(given_in_code) == state
    assert isinstance(make_backend(given_in_code), LocalBackend)
    apart = Settings(storage=str(tmp_path / "shared"), database_url=state, queue_url="postgresql://q@127.0.0.1:1/q")
    assert queue_dsn(apart) == "postgresql://q@127.0.0.1:1/q"
