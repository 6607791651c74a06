"""One film asked of a backend that cannot make one (the Nemo one): the user is told, and gets each item
separately. The real NemoBackend against the fake NemoVideo server on 127.0.0.1, real SQLite."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.backends.base import MontageMaker
from bot.backends.nemo import NemoBackend
from bot.engine.engine import Engine
from bot.engine.messages import Incoming, MediaRef, Text, Video
from bot.sessions import SessionStore
from tests.engine.test_engine_backends import RecordingBackend, _all, _maker, _run, _say, _settings
from tests.fakes.nemo_api import FakeNemoApi, Turn, adk_text, draft_with
from tests.mediagen import make_clip

on_both_stores = pytest.mark.usefixtures("state_database")
"""The store-backed tests run twice: on an SQLite file and on PostgreSQL (``MUSICCOG_DATABASE_URL``)."""


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("nemo-sets") / "trip.mp4", duration_s=2.0, size=(160, 90))


@on_both_stores
def test_a_film_asked_of_nemo_is_made_each_separately_and_said_so(tmp_path: Path, clip: Path) -> None:
    assert not issubclass(NemoBackend, MontageMaker)

    async def body(fake: FakeNemoApi) -> None:
        fake.video_bytes = clip.read_bytes()
        settings = _settings(tmp_path, fake, allow_backend_choice=True, collect_quiet_s=0.0, album_wait_s=0.2)
        store = await SessionStore.open(settings.sessions_database)

        async def fetch(media: MediaRef, folder: Path) -> Path:
            return Path(shutil.copyfile(clip, folder / "input.mp4"))

        engine = Engine(settings, store, RecordingBackend(), make_backend=_maker(settings, []), fetch_media=fetch)
        try:
            await _all(engine.handle(_say("8", "/backend nemo")))
            for bgm in ("Calm Piano", "Sunny Road"):
                fake.queue_turn(Turn([adk_text("Added music.")], draft=draft_with(bgm=bgm)))
            album = [
                Incoming(
                    "telegram", "8", "u8", text="montage", media=MediaRef(kind="video", file_id="1"), group_id="g"
                ),
                Incoming("telegram", "8", "u8", media=MediaRef(kind="video", file_id="2"), group_id="g"),
            ]
            answers = await asyncio.gather(*(_all(engine.handle(item)) for item in album))
            # Whichever of the album's items leads it carries the answer (a race; the other gets none).
            first, second = sorted(answers, key=len, reverse=True)
            assert second == []
            assert first[0] == Text(
                "The nemo backend can't make one film of several items; I'll make each one separately instead."
            )
            videos = [r for r in first if isinstance(r, Video)]
            assert [v.caption.splitlines()[0] for v in videos] == ["1 of 2", "2 of 2"], first
            assert len(fake.by_route("upload")) == 2  # each item went to its own cloud session
        finally:
            await engine.close()
            await store.close()

    _run(body)
