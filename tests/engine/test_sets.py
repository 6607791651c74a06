"""Several items in one chat, end to end through the engine: real SQLite, the real local backend on tiny
clips, a real spawn pool; the only fake is the platform's file fetcher (a copy from disk)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.backends.base import MontageMaker
from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.engine.engine import Engine
from bot.engine.messages import BUTTON_EACH, BUTTON_ONE_FILM, Error, Incoming, MediaRef, Reply, Text, Video
from bot.sessions import SessionStore
from tests.mediagen import make_clip, make_photo

on_both_stores = pytest.mark.usefixtures("state_database")
"""The store-backed tests run twice: on an SQLite file and on PostgreSQL (``MUSICCOG_DATABASE_URL``)."""


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("set-media")
    return {
        "a": make_clip(root / "a.mp4", duration_s=2.0, size=(160, 90), cut_times_s=(1.0,)),
        "b": make_clip(root / "b.mp4", duration_s=2.0, size=(160, 90), cut_times_s=(0.5, 1.5)),
        "c": make_clip(root / "c.mp4", duration_s=2.0, size=(160, 90), cut_times_s=()),
        "photo": make_photo(root / "photo.jpg", size=(320, 240)),
    }


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "workers": 1,
        "engine_db_path": tmp_path / "sessions.sqlite3",
        "temp_dir": tmp_path / "tmp",
        "collect_quiet_s": 0.5,
        "album_wait_s": 2.0,  # an album's items are handled concurrently; on a loaded machine with PostgreSQL the
        # second one's session lookup alone took longer than 0.3 s, and the album was split in two
    }
    values.update(overrides)
    return Settings(**values)


async def _open(settings: Settings, pool: ProcessPoolExecutor, media: dict[str, Path]) -> Engine:
    async def fetch(ref: MediaRef, folder: Path) -> Path:
        assert ref.file_id is not None
        source = media[ref.file_id]
        return Path(shutil.copyfile(source, folder / f"input{source.suffix}"))

    store = await SessionStore.open(settings.sessions_database)
    return Engine(settings, store, LocalBackend(settings, executor=pool), fetch_media=fetch)


async def _shut(engine: Engine) -> None:
    await engine.close()
    await engine._store.close()


def _item(chat: str, file_id: str, *, caption: str | None = None, group: str | None = None) -> Incoming:
    kind = "photo" if file_id == "photo" else "video"
    ref = MediaRef(kind=kind, file_id=file_id, file_name=f"{file_id}.{'jpg' if kind == 'photo' else 'mp4'}")
    return Incoming("telegram", chat, f"u{chat}", text=caption, media=ref, group_id=group)


def _say(chat: str, text: str) -> Incoming:
    return Incoming("telegram", chat, f"u{chat}", text=text)


async def _all(replies: AsyncIterator[Reply]) -> list[Reply]:
    return [reply async for reply in replies]


@on_both_stores
def test_three_in_a_row_are_one_set_asked_about_then_made_each_and_refined_by_place(
    tmp_path: Path, pool: ProcessPoolExecutor, media: dict[str, Path]
) -> None:
    settings = _settings(tmp_path)

    async def scenario() -> None:
        engine = await _open(settings, pool, media)
        leader = asyncio.create_task(_all(engine.handle(_item("1", "a", caption="calm"))))
        await asyncio.sleep(0.1)
        second = await _all(engine.handle(_item("1", "b")))
        third = await _all(engine.handle(_item("1", "c")))
        assert [r.text for r in second + third] == [  # type: ignore[union-attr]
            "Got 2 items — send more, or tell me: one film of them all, or each separately.",
            "Got 3 items — send more, or tell me: one film of them all, or each separately.",
        ]
        question = await asyncio.wait_for(leader, 10)
        assert len(question) == 1 and isinstance(question[0], Text)
        assert question[0].text == "I have 3 videos. One film of them all, or each one separately?"
        assert [b.id for b in question[0].buttons] == [BUTTON_ONE_FILM, BUTTON_EACH]

        status = await _all(engine.handle(_say("1", "status")))
        assert status[0].text.splitlines()[:4] == [  # type: ignore[union-attr]
            "Your 3 items:",
            "1. a.mp4 (video)",
            "2. b.mp4 (video)",
            "3. c.mp4 (video)",
        ]
        assert "Waiting for your choice" in status[0].text  # type: ignore[union-attr]
        assert (await _all(engine.handle(_say("1", "more energetic"))))[0].text.startswith("First choose")  # type: ignore[union-attr]

        running = asyncio.create_task(_all(engine.handle(Incoming("telegram", "1", "u1", button=BUTTON_EACH))))
        while not engine._running:
            await asyncio.sleep(0.01)
        late = await _all(engine.handle(_item("1", "a")))  # a new item while the batch runs: busy, batch untouched
        assert len(late) == 1 and isinstance(late[0], Error) and late[0].kind == "busy", late
        batch = await asyncio.wait_for(running, 120)
        videos = [r for r in batch if isinstance(r, Video)]
        assert [v.caption.splitlines()[0] for v in videos] == ["1 of 3", "2 of 3", "3 of 3"], batch
        assert all(v.path.is_file() for v in videos)
        assert not any(isinstance(r, Error) for r in batch)
        assert await _all(engine.handle(_say("1", "credits"))) == [Text("You have 17 of 20 renders left today.")]

        store = engine._store
        session = await store.current_session("telegram", "1")
        assert session is not None
        items = await store.set_items(session.id)
        assert [item.choice for item in items] == ["each"] * 3
        assert len({item.backend_session_id for item in items}) == 3
        assert session.backend_session_id == items[2].backend_session_id  # plain words edit the last one

        refined = await _all(engine.handle(_say("1", "the second one: quieter")))
        assert isinstance(refined[-1], Video), refined
        session = await store.current_session("telegram", "1")
        assert session is not None and session.backend_session_id == items[1].backend_session_id
        status = await _all(engine.handle(_say("1", "status")))
        text = status[0].text  # type: ignore[union-attr]
        assert "2. b.mp4 (video) ← current" in text and "Timeline" in text
        missing = await _all(engine.handle(_say("1", "the fifth one: louder")))
        assert missing == [Text("There is no item 5 here: you sent 3.")]
        await _shut(engine)

    asyncio.run(scenario())


@on_both_stores
def test_an_album_is_one_upload_and_words_choose_at_once(
    tmp_path: Path, pool: ProcessPoolExecutor, media: dict[str, Path]
) -> None:
    """An album's items arrive together and say nothing of their own (no "busy", no "Got 2"); a word in the
    caption chooses; with no montage in this backend the film is made each separately, and said so."""
    settings = _settings(tmp_path, collect_quiet_s=0.0)

    async def scenario() -> None:
        engine = await _open(settings, pool, media)
        album = [_item("2", "a", caption="一个一个", group="g1"), _item("2", "b", group="g1")]
        answers = await asyncio.gather(*(_all(engine.handle(item)) for item in album))
        # whichever item's call registered the album first carries the whole answer; the other says nothing
        first, second = sorted(answers, key=len, reverse=True)
        assert second == []
        videos = [r for r in first if isinstance(r, Video)]
        assert len(videos) == 2 and all(v.lang == "zh" for v in videos)
        assert videos[0].caption.startswith("第 1 个，共 2 个")
        assert not any(isinstance(r, Error) for r in first + second)
        await _shut(engine)

    asyncio.run(scenario())


@on_both_stores
def test_photos_among_them_make_one_film(tmp_path: Path, pool: ProcessPoolExecutor, media: dict[str, Path]) -> None:
    settings = _settings(tmp_path)

    async def scenario() -> None:
        engine = await _open(settings, pool, media)
        leader = asyncio.create_task(_all(engine.handle(_item("3", "a"))))
        await asyncio.sleep(0.1)
        assert len(await _all(engine.handle(_item("3", "photo")))) == 1  # "Got 2 items"
        replies = await asyncio.wait_for(leader, 120)
        backend = engine._backends.default  # type: ignore[attr-defined]
        if isinstance(backend, MontageMaker):
            assert isinstance(replies[-1], Video), replies
            assert sum(isinstance(r, Video) for r in replies) == 1
        else:  # the branch without LocalBackend.montage: told, then each separately
            assert (
                Text("The local backend can't make one film of several items; I'll make each one separately instead.")
                in replies
            )
        await _shut(engine)

    asyncio.run(scenario())


@on_both_stores
def test_words_end_the_collecting_and_a_single_clip_is_an_upload_as_before(
    tmp_path: Path, pool: ProcessPoolExecutor, media: dict[str, Path]
) -> None:
    settings = _settings(tmp_path, collect_quiet_s=30.0)  # only the words can end this set quickly

    async def scenario() -> None:
        engine = await _open(settings, pool, media)
        leader = asyncio.create_task(_all(engine.handle(_item("4", "a"))))
        await asyncio.sleep(0.1)
        replies = await asyncio.wait_for(_all(engine.handle(_say("4", "calm"))), 60)
        assert isinstance(replies[-1], Video) and replies[-1].caption.count("\n") >= 1
        assert await asyncio.wait_for(leader, 5) == []  # the words took the set: the leader says nothing
        status = await _all(engine.handle(_say("4", "status")))
        assert status[0].text.startswith("Timeline (2 tracks)")  # type: ignore[union-attr]

        cancelled = asyncio.create_task(_all(engine.handle(_item("4", "b"))))
        await asyncio.sleep(0.1)
        assert await _all(engine.handle(_say("4", "/cancel"))) == [Text("Cancelled.")]
        assert await asyncio.wait_for(cancelled, 5) == []
        await _shut(engine)

    asyncio.run(scenario())


@on_both_stores
def test_a_batch_bigger_than_the_quota_left_is_refused_up_front(
    tmp_path: Path, pool: ProcessPoolExecutor, media: dict[str, Path]
) -> None:
    settings = _settings(tmp_path, daily_renders=2, collect_quiet_s=0.0)

    async def scenario() -> None:
        engine = await _open(settings, pool, media)
        album = [_item("5", name, caption="each" if name == "a" else None, group="g5") for name in ("a", "b", "c")]
        replies = [r for rs in await asyncio.gather(*(_all(engine.handle(i)) for i in album)) for r in rs]
        assert len(replies) == 1 and isinstance(replies[0], Error) and replies[0].kind == "quota"
        assert "That's 3 videos, but you have 2 renders left today" in replies[0].text
        await _shut(engine)

    asyncio.run(scenario())


@on_both_stores
def test_items_waiting_for_a_choice_join_the_next_ones(
    tmp_path: Path, pool: ProcessPoolExecutor, media: dict[str, Path]
) -> None:
    settings = _settings(tmp_path, collect_quiet_s=0.0)

    async def scenario() -> None:
        engine = await _open(settings, pool, media)
        album = [_item("6", "a", group="g6"), _item("6", "b", group="g6")]
        asked = [r for rs in await asyncio.gather(*(_all(engine.handle(i)) for i in album)) for r in rs]
        assert [r.text for r in asked] == ["I have 2 videos. One film of them all, or each one separately?"]  # type: ignore[union-attr]
        again = await _all(engine.handle(_item("6", "c")))
        assert [r.text for r in again] == ["I have 3 videos. One film of them all, or each one separately?"]  # type: ignore[union-attr]
        assert await _all(engine.handle(_say("6", "/cancel"))) == [Text("Cancelled.")]
        assert (await _all(engine.handle(_say("6", "status"))))[0].text.startswith("No video yet")  # type: ignore[union-attr]
        await _shut(engine)

    asyncio.run(scenario())
