"""A film of several items through the local backend, in a real spawn-context process pool: one bad item
left out and named, chat edits that re-plan the cut on the beats, export, the user's song, a photo alone."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from bot.backends.base import BackendEvent, ExportOptions, MontageMaker, NotUnderstood, Rendered, Stage
from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.errors import InputRejected
from bot.media.montage_render import FILM_FPS
from bot.media.timeline import Timeline
from tests.mediagen import make_clip, make_photo, pan_source, write_wav

SIZE = (160, 90)


@pytest.fixture(scope="module")
def items(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("montage-items")
    bad = root / "notes.jpg"
    bad.write_text("this is not a picture", encoding="utf-8")
    t = np.arange(20 * 48000) / 48000
    song = (0.2 * np.sin(2 * np.pi * 330 * t) + 0.4 * (np.mod(t, 0.5) < 0.05) * np.sin(2 * np.pi * 900 * t)).astype(
        np.float32
    )
    return {
        "cuts": make_clip(root / "cuts.mp4", duration_s=4.0, size=SIZE, cut_times_s=(2.0,)),
        "pan": make_clip(root / "pan.mp4", duration_s=4.0, video_source=pan_source(4.0, size=SIZE), audio=None),
        "photo": make_photo(root / "beach photo.jpg", size=(320, 180)),
        "bad": bad,
        "song": write_wav(root / "my song.wav", song),
    }


async def _collect(events: AsyncIterator[BackendEvent]) -> list[BackendEvent]:
    return [event async for event in events]


def _last(events: list[BackendEvent]) -> Rendered:
    done = events[-1]
    assert isinstance(done, Rendered), done
    assert done.path.is_file()
    return done


def _cuts_on_grid(timeline: Timeline) -> None:
    """Every cut between pieces lies on a beat of the music's grid, as laid from the music's start."""
    music = timeline.music
    assert music is not None and music.grid is not None and music.start_offset_s is not None
    beats = np.asarray(music.grid.beats_s) - music.start_offset_s
    for cut in timeline.cut_times_s:
        assert np.min(np.abs(beats - cut)) <= 0.5 / FILM_FPS + 2e-3, f"cut at {cut} is off the beat"


def test_a_film_is_made_edited_exported_and_put_under_a_song(items: dict[str, Path], pool: ProcessPoolExecutor) -> None:
    backend = LocalBackend(Settings(), executor=pool)
    assert isinstance(backend, MontageMaker)
    order = [items["cuts"], items["bad"], items["pan"], items["photo"]]

    async def scenario() -> None:
        session = await backend.open_session(language="en")
        first = await _collect(backend.montage(session, order, prompt="a 12-second happy montage"))
        stages = [e.stage for e in first if isinstance(e, Stage)]
        assert [stage for stage, _ in itertools.groupby(stages)] == ["analyse", "match", "render"]
        film = _last(first)
        assert "notes.jpg" in film.notes and "left out" in film.notes, "the bad item is named"
        assert film.original_muted, "a film's own sound is off unless asked"
        assert film.cuts_on_beat == film.cuts_total == 2
        timeline = await backend.state(session)
        assert timeline is not None and timeline.is_montage
        assert [Path(s.source).name for s in timeline.segments] == ["01-cuts.mp4", "03-pan.mp4", "04-beach_photo.jpg"]
        assert "2 clips, 1 photo" in timeline.summary()
        _cuts_on_grid(timeline)

        swapped = _last(await _collect(backend.instruct(session, "swap 2 and 3")))
        assert "swapped" in swapped.notes and swapped.path != film.path
        after_swap = await backend.state(session)
        assert after_swap is not None
        assert [Path(s.source).name for s in after_swap.segments] == [
            "01-cuts.mp4",
            "04-beach_photo.jpg",
            "03-pan.mp4",
        ]
        _cuts_on_grid(after_swap)

        dropped = _last(await _collect(backend.instruct(session, "drop the third clip and keep the sound")))
        assert not dropped.original_muted
        after_drop = await backend.state(session)
        assert after_drop is not None and len(after_drop.segments) == 2 and after_drop.original.keep
        assert abs(after_drop.duration_s - after_swap.duration_s) < 4.0, "the length asked stays"
        _cuts_on_grid(after_drop)

        other = _last(await _collect(backend.instruct(session, "another track")))
        assert other.track_title != film.track_title
        after_track = await backend.state(session)
        assert after_track is not None and after_track.music is not None and after_drop.music is not None
        assert after_track.music.grid != after_drop.music.grid, "the cut is planned on the new track's beats"
        _cuts_on_grid(after_track)

        exported = _last(await _collect(backend.export(session, ExportOptions())))
        assert exported.path == other.path, "an unchanged film is not made again"

        sung = _last(await _collect(backend.use_song(session, items["song"], title="My song")))
        assert sung.cuts_on_beat == sung.cuts_total and sung.bpm == pytest.approx(120.0, abs=3.0)
        with_song = await backend.state(session)
        assert with_song is not None and with_song.music is not None and with_song.music.user_path is not None
        assert with_song.music.title == "My song"
        assert with_song.music.grid is not None and abs(with_song.music.grid.bpm - 120.0) < 3.0
        _cuts_on_grid(with_song)

        not_for_this = await _collect(backend.instruct(session, "swap 1 and 7"))
        assert isinstance(not_for_this[-1], Rendered) and "there is no item 7" in not_for_this[-1].notes

        await backend.discard(session)
        assert await backend.state(session) is None

    asyncio.run(scenario())
    assert items["cuts"].is_file(), "the user's files are copied, never consumed"


def test_nothing_usable_is_rejected_and_leaves_the_session_empty(
    items: dict[str, Path], pool: ProcessPoolExecutor
) -> None:
    backend = LocalBackend(Settings(), executor=pool)

    async def scenario() -> None:
        session = await backend.open_session()
        with pytest.raises(InputRejected) as caught:
            await _collect(backend.montage(session, [items["bad"]]))
        assert caught.value.key == "montage_nothing_usable"
        assert await backend.state(session) is None
        assert not (Settings().backend_dir / session / "items").exists()

    asyncio.run(scenario())


def test_a_photo_alone_becomes_a_short_film(items: dict[str, Path], pool: ProcessPoolExecutor) -> None:
    backend = LocalBackend(Settings(), executor=pool)

    async def scenario() -> None:
        session = await backend.open_session(language="zh")
        default = _last(await _collect(backend.upload(session, items["photo"])))
        assert abs(default.duration_s - 8.0) <= 2.5, "about 8 s, ending on a bar"
        timeline = await backend.state(session)
        assert timeline is not None and [s.kind for s in timeline.segments] == ["photo"]

        asked = _last(await _collect(backend.upload(session, items["photo"], prompt="安静 15秒")))
        assert abs(asked.duration_s - 15.0) <= 2.5
        longer = _last(await _collect(backend.instruct(session, "长一点")))
        assert longer.duration_s > asked.duration_s + 1.0
        single_only = await _collect(backend.instruct(session, "删掉第一个"))
        assert isinstance(single_only[-1], Rendered) and "至少" in single_only[-1].notes

    asyncio.run(scenario())


def test_film_edits_on_a_single_clip_say_they_need_a_film(items: dict[str, Path], pool: ProcessPoolExecutor) -> None:
    backend = LocalBackend(Settings(), executor=pool)

    async def scenario() -> None:
        session = await backend.open_session()
        _last(await _collect(backend.upload(session, items["cuts"])))
        before = await backend.state(session)
        answer = await _collect(backend.instruct(session, "swap 2 and 3"))
        assert isinstance(answer[-1], NotUnderstood) and "single clip" in answer[-1].reply
        zh = await _collect(backend.instruct(session, "交换2和3"))
        assert isinstance(zh[-1], NotUnderstood) and "单个视频" in zh[-1].reply
        assert await backend.state(session) == before

    asyncio.run(scenario())
