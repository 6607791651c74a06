"""The engine's backend routing: /backend switching, jobs going to the chat's backend, and housekeeping
(retired sessions discarded from their backends, stale job folders removed). Real SQLite, the real
NemoBackend against the fake NemoVideo server on 127.0.0.1; the default backend is a recorder."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.backends.base import BackendEvent, Credits, ExportOptions
from bot.backends.local import LocalBackend
from bot.backends.nemo import NemoBackend
from bot.config import Settings
from bot.engine.engine import Engine
from bot.engine.messages import Incoming, MediaRef, Reply, Text, Video
from bot.errors import BackendUnavailable
from bot.sessions import SessionStore
from tests.fakes.nemo_api import FAST, FakeNemoApi, Turn, adk_text, draft_with
from tests.mediagen import make_clip

DAY = 86_400.0


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class RecordingBackend:
    """The default ("local") backend: records every call; any render request fails the test loudly."""

    name = "local"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def open_session(self, *, platform: str = "cli", language: str = "en") -> str:
        self.calls.append(("open_session", platform))
        return "rec1"

    async def _refuse(self, what: str, session_id: str) -> AsyncIterator[BackendEvent]:
        self.calls.append((what, session_id))
        raise BackendUnavailable(f"the default backend got a {what}")
        yield  # pragma: no cover

    def upload(self, session_id: str, media_path: Path, **_: Any) -> AsyncIterator[BackendEvent]:
        return self._refuse("upload", session_id)

    def instruct(self, session_id: str, text: str, **_: Any) -> AsyncIterator[BackendEvent]:
        return self._refuse("instruct", session_id)

    def use_song(self, session_id: str, song_path: Path, **_: Any) -> AsyncIterator[BackendEvent]:
        return self._refuse("use_song", session_id)

    def export(self, session_id: str, options: ExportOptions) -> AsyncIterator[BackendEvent]:
        return self._refuse("export", session_id)

    async def state(self, session_id: str) -> None:
        self.calls.append(("state", session_id))
        return None

    async def credits(self, session_id: str) -> Credits | None:
        self.calls.append(("credits", session_id))
        return None

    async def discard(self, session_id: str) -> None:
        self.calls.append(("discard", session_id))

    async def close(self) -> None:
        pass


on_both_stores = pytest.mark.usefixtures("state_database")
"""The store-backed tests run twice: on an SQLite file and on PostgreSQL (``MUSICCOG_DATABASE_URL``)."""


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("nemo-engine") / "trip.mp4", duration_s=2.0, size=(160, 90))


def _settings(tmp_path: Path, fake: FakeNemoApi, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "workers": 1,
        "data_dir": tmp_path / "data",
        "engine_db_path": tmp_path / "sessions.sqlite3",
        "temp_dir": tmp_path / "tmp",
        "nemo_api_url": fake.url,
        "nemo_token": None,
    }
    values.update(overrides)
    return Settings(**values)


def _maker(settings: Settings, made: list[str]) -> Callable[[str], Any]:
    def make(name: str) -> Any:
        made.append(name)
        assert name == "nemo", name
        return NemoBackend(settings, **FAST)

    return make


def _say(chat: str, text: str, user: str | None = None) -> Incoming:
    return Incoming("telegram", chat, user or f"u{chat}", text=text)


async def _all(replies: AsyncIterator[Reply]) -> list[Reply]:
    return [reply async for reply in replies]


async def _text(engine: Engine, incoming: Incoming) -> str:
    replies = await _all(engine.handle(incoming))
    assert len(replies) == 1 and isinstance(replies[0], Text), replies
    return replies[0].text


def _run(body: Callable[[FakeNemoApi], Awaitable[None]]) -> None:
    async def main() -> None:
        async with FakeNemoApi() as fake:
            await body(fake)

    asyncio.run(main())


@on_both_stores
def test_backend_command_is_refused_unless_allowed_or_admin(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        settings = _settings(tmp_path, fake, allow_backend_choice=False, admins="telegram:boss")
        made: list[str] = []
        store = await SessionStore.open(settings.sessions_database)
        engine = Engine(settings, store, RecordingBackend(), make_backend=_maker(settings, made))
        try:
            assert await _text(engine, _say("1", "/backend nemo")) == "This bot uses the local backend."
            assert await store.current_session("telegram", "1") is None and made == []  # no switch, nothing made
            # an admin may switch even when users may not
            reply = await _text(engine, _say("2", "/backend nemo", user="boss"))
            assert "third-party" in reply
            session = await store.current_session("telegram", "2")
            assert session is not None and session.backend == "nemo" and made == ["nemo"]
        finally:
            await engine.close()
            await store.close()

    _run(body)


@on_both_stores
def test_backend_switching_when_allowed(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        settings = _settings(tmp_path, fake, allow_backend_choice=True)
        made: list[str] = []
        store = await SessionStore.open(settings.sessions_database)
        engine = Engine(settings, store, RecordingBackend(), make_backend=_maker(settings, made))
        try:
            reply = await _text(engine, _say("1", "/backend nemo"))
            assert "third-party" in reply and "uploaded" in reply and "NemoVideo" in reply
            first = await store.current_session("telegram", "1")
            assert first is not None and first.backend == "nemo"
            assert made == ["nemo"]

            listed = await _text(engine, _say("1", "/backend foo"))
            assert listed == "You're on the nemo backend. Choose one: /backend local or /backend nemo."
            assert (await store.current_session("telegram", "1")) == first  # no switch

            assert (await _text(engine, _say("1", "/backend"))).startswith("You're on the nemo backend.")

            back = await _text(engine, _say("1", "/backend local"))
            assert back.startswith("Switched to the local backend")
            second = await store.current_session("telegram", "1")
            assert second is not None and second.backend == "local" and second.id != first.id

            await _text(engine, _say("1", "/backend nemo"))
            assert made == ["nemo"]  # the nemo backend is made once and reused
        finally:
            await engine.close()
            await store.close()

    _run(body)


@on_both_stores
def test_a_nemo_chat_sends_uploads_and_edits_to_nemo(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        fake.video_bytes = clip.read_bytes()
        settings = _settings(tmp_path, fake, allow_backend_choice=True)
        default = RecordingBackend()
        store = await SessionStore.open(settings.sessions_database)

        async def fetch(media: MediaRef, folder: Path) -> Path:
            target = folder / "input.mp4"
            shutil.copyfile(clip, target)
            return target

        engine = Engine(settings, store, default, make_backend=_maker(settings, []), fetch_media=fetch)
        try:
            await _text(engine, _say("7", "/backend nemo"))
            fake.queue_turn(Turn([adk_text("I added a calm piano track.")], draft=draft_with(bgm="Calm Piano")))
            upload = Incoming("telegram", "7", "u7", text="calm", media=MediaRef(kind="video", file_id="x"))
            first = await _all(engine.handle(upload))
            video = first[-1]
            assert isinstance(video, Video) and "Calm Piano" in video.caption, first
            session = await store.current_session("telegram", "7")
            assert session is not None and session.backend == "nemo" and session.backend_session_id
            assert (settings.data_dir / "nemo-sessions" / f"{session.backend_session_id}.json").is_file()

            fake.queue_turn(Turn([adk_text("I lowered the music.")], draft=draft_with(bgm="Calm Piano", volume=0.2)))
            edited = await _all(engine.handle(_say("7", "make the music quieter")))
            assert isinstance(edited[-1], Video), edited
            assert len(fake.turn_messages) == 2
            assert "calm" in fake.turn_messages[0] and fake.turn_messages[1] == "make the music quieter"
            assert all(r.header("X-Skill-Platform") == "telegram" for r in fake.by_route("run_sse"))
            assert len(fake.by_route("upload")) == 1 and len(fake.by_route("render")) == 2
            assert default.calls == []  # the default backend never saw this chat
        finally:
            await engine.close()
            await store.close()

    _run(body)


# SQLite only: this engine attaches no platform, and on a shared database a process cleans up only after the
# platforms it serves (test_postgres_store.py::test_each_process_cleans_up_after_its_own_platforms).
def test_housekeeping_discards_old_sessions_and_stale_job_folders(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        settings = _settings(tmp_path, fake, session_retention_days=1.0)
        clock = FakeClock()
        store = await SessionStore.open(settings.sessions_database, clock=clock)
        local = LocalBackend(settings)  # its process pool is only made for renders, none here
        nemo = NemoBackend(settings, **FAST)
        made: list[str] = []

        def make(name: str) -> NemoBackend:
            made.append(name)
            return nemo

        engine = Engine(settings, store, local, make_backend=make)
        try:

            async def session_on(chat: str, backend: str, backend_session_id: str) -> str:
                session = await store.new_session("telegram", chat, backend)
                await store.update_session(session.id, backend_session_id=backend_session_id)
                return session.id

            old_local_id = await local.open_session(platform="telegram")
            old_nemo_id = await nemo.open_session(platform="telegram")
            recent_local_id = await local.open_session(platform="telegram")
            current_local_id = await local.open_session(platform="telegram")
            old_local = await session_on("1", "local", old_local_id)
            old_nemo = await session_on("2", "nemo", old_nemo_id)
            for path in (settings.backend_dir / old_local_id, settings.backend_dir / current_local_id):
                assert path.is_dir()
            assert (settings.data_dir / "nemo-sessions" / f"{old_nemo_id}.json").is_file()

            assert (await _all(engine.handle(_say("1", "/new"))))[0] == Text("Fresh start: send me a new video.")
            assert (await _all(engine.handle(_say("2", "/new"))))[0] == Text("Fresh start: send me a new video.")
            current = await store.current_session("telegram", "1")
            assert current is not None
            await store.update_session(current.id, backend_session_id=current_local_id)

            clock.now += 2 * DAY  # chats 1 and 2 retired two days ago; chat 3 is retired now
            recent = await session_on("3", "local", recent_local_id)
            await _all(engine.handle(_say("3", "/new")))
            clock.now += 0.5 * DAY

            temp = settings.job_temp_dir
            stale, fresh, other = temp / "job41-abc123", temp / "job42-def456", temp / "keepme"
            for folder in (stale, fresh, other):
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "input.mp4").write_bytes(b"x")
            seven_hours_ago = time.time() - 7 * 3600
            for folder in (stale, other):
                os.utime(folder, (seven_hours_ago, seven_hours_ago))

            await engine.housekeeping()

            assert await store.get_session(old_local) is None and await store.get_session(old_nemo) is None
            assert not (settings.backend_dir / old_local_id).exists()  # LocalBackend.discard removed its folder
            assert not (settings.data_dir / "nemo-sessions" / f"{old_nemo_id}.json").exists()  # NemoBackend.discard
            assert made == ["nemo"]  # the nemo backend was made just to discard its session
            assert await store.get_session(current.id) is not None
            assert (settings.backend_dir / current_local_id).is_dir()  # a current session is kept
            assert await store.get_session(recent) is not None  # retired half a day ago: within retention
            assert (settings.backend_dir / recent_local_id).is_dir()
            assert not stale.exists() and fresh.is_dir() and other.is_dir()
        finally:
            await engine.close()
            await local.close()
            await store.close()

    _run(body)


@on_both_stores
def test_a_nemo_chat_hands_a_vetted_link_to_nemovideo(tmp_path: Path, clip: Path) -> None:
    """Links go to NemoVideo as JSON ``urls`` (the clip never passes through us); private ones never leave."""

    async def body(fake: FakeNemoApi) -> None:
        fake.video_bytes = clip.read_bytes()
        settings = _settings(tmp_path, fake, allow_backend_choice=True)
        store = await SessionStore.open(settings.sessions_database)

        async def no_fetch(media: MediaRef, folder: Path) -> Path:
            raise AssertionError("the engine must not download a link the backend fetches itself")

        engine = Engine(settings, store, RecordingBackend(), make_backend=_maker(settings, []), fetch_media=no_fetch)
        try:
            await _text(engine, _say("9", "/backend nemo"))
            private = await _all(engine.handle(_say("9", "http://127.0.0.1/trip.mp4 calm")))
            assert "private" in private[-1].text.casefold() or "public" in private[-1].text.casefold(), private
            assert fake.by_route("upload") == []

            fake.queue_turn(Turn([adk_text("Added a calm track.")], draft=draft_with(bgm="Calm Piano")))
            public = await _all(engine.handle(_say("9", "https://93.184.216.34/clips/trip.mp4 calm please")))
            assert isinstance(public[-1], Video), public
            (upload,) = fake.by_route("upload")
            assert upload.body == {"urls": ["https://93.184.216.34/clips/trip.mp4"], "source_type": "url"}
            assert "calm please" in fake.turn_messages[0]
        finally:
            await engine.close()
            await store.close()

    _run(body)
