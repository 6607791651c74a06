"""The one serving loop (``adapters.serving``) on the real engine: a surface that records what it is shown
stands in for the platform, nothing of ours is replaced."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from adapters.runtime import AdapterRuntime
from adapters.serving import apology, serve
from bot.config import Settings
from bot.engine.messages import Incoming, Reply, Text
from bot.services import Services


class RecordingSurface:
    """A platform that shows everything it is given; ``broken`` makes its first ``show`` fail (a dropped
    connection, an API refusing the message)."""

    def __init__(self, *, broken: bool = False) -> None:
        self.broken = broken
        self.progress_texts: list[str] = []
        self.shown: list[Reply] = []
        self.finished = 0

    async def progress(self, text: str) -> None:
        self.progress_texts.append(text)

    async def show(self, reply: Reply) -> None:
        if self.broken:
            self.broken = False
            raise ConnectionError("the platform hung up")
        self.shown.append(reply)

    async def finish(self) -> None:
        self.finished += 1


def _serve(tmp_path: Path, surface: RecordingSurface, incoming: Incoming) -> None:
    async def main() -> None:
        settings = Settings(engine_db_path=tmp_path / "sessions.sqlite3", temp_dir=tmp_path / "tmp")
        services = await Services.open(settings)
        try:
            await serve(AdapterRuntime.create(settings, services, owns_services=True), surface, incoming)
        finally:
            await services.close()

    asyncio.run(main())


def test_replies_reach_the_surface_and_the_event_is_finished(tmp_path: Path) -> None:
    surface = RecordingSurface()
    _serve(tmp_path, surface, Incoming("test", "1", "1", text="/help"))
    assert [type(reply) for reply in surface.shown] == [Text]
    assert isinstance(surface.shown[0], Text) and surface.shown[0].text.startswith("Hi!")
    assert surface.progress_texts == [] and surface.finished == 1


def test_a_failure_is_logged_once_and_apologised_for_with_its_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    surface = RecordingSurface(broken=True)
    _serve(tmp_path, surface, Incoming("test", "2", "2", text="/help"))
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1 and failures[0].exc_info is not None
    error_id = failures[0].getMessage().rpartition("error ")[2].rstrip(")")
    assert [reply for reply in surface.shown if isinstance(reply, Text)] == [apology(error_id)]
    assert "on my side" in apology(error_id).text and error_id in apology(error_id).text
    assert surface.finished == 1


def test_the_apology_speaks_the_users_language() -> None:
    assert apology("abc123", "zh").text != apology("abc123").text
    assert "abc123" in apology("abc123", "zh").text and apology("abc123", "zh").lang == "zh"
