"""The engine end to end: real SQLite, the real pipeline on tiny clips, a real spawn process pool."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.engine.engine import Engine
from bot.engine.jobs import JobKind, JobPayload, RateLimiter
from bot.engine.messages import Error, Incoming, MediaRef, Progress, Reply, Text, Video
from bot.engine.progress import ProgressPacer
from bot.sessions import SessionStore
from tests.mediagen import make_clip, write_wav

on_both_stores = pytest.mark.usefixtures("state_database")
"""The store-backed tests run twice: on an SQLite file and on PostgreSQL (``MUSICCOG_DATABASE_URL``)."""


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("engine-clips")
    empty = root / "empty.mp4"
    empty.write_bytes(b"")
    return {
        "trip": make_clip(root / "trip.mp4", duration_s=3.0, size=(160, 90), cut_times_s=(1.0, 2.0)),
        "empty": empty,
        "song": write_wav(root / "my_song.wav", _song()),
    }


def _song() -> Any:
    import numpy as np

    t = np.arange(6 * 48000) / 48000
    return (0.2 * np.sin(2 * np.pi * 330 * t) + 0.4 * (np.mod(t, 0.5) < 0.05) * np.sin(2 * np.pi * 900 * t)).astype(
        np.float32
    )


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "workers": 1,
        "engine_db_path": tmp_path / "sessions.sqlite3",
        "temp_dir": tmp_path / "tmp",
        "collect_quiet_s": 0.0,  # one clip at a time here: start at once, as before sets were collected
    }
    values.update(overrides)
    return Settings(**values)


def _fetcher(clips: dict[str, Path]) -> Any:
    async def fetch(media: MediaRef, folder: Path) -> Path:
        assert media.file_id is not None
        target = folder / clips[media.file_id].name
        shutil.copyfile(clips[media.file_id], target)
        return target

    return fetch


def _upload(chat: str, file_id: str = "trip", caption: str | None = "calm", user: str | None = None) -> Incoming:
    return Incoming("telegram", chat, user or f"u{chat}", text=caption, media=MediaRef(kind="video", file_id=file_id))


def _say(chat: str, text: str, user: str | None = None) -> Incoming:
    return Incoming("telegram", chat, user or f"u{chat}", text=text)


async def _all(replies: AsyncIterator[Reply]) -> list[Reply]:
    return [reply async for reply in replies]


async def _open(settings: Settings, pool: ProcessPoolExecutor, clips: dict[str, Path], **kw: Any) -> Engine:
    store = await SessionStore.open(settings.sessions_database)
    return Engine(settings, store, LocalBackend(settings, executor=pool), fetch_media=_fetcher(clips), **kw)


async def _shut(engine: Engine) -> None:
    await engine.close()
    await engine._store.close()


@on_both_stores
def test_a_conversation(tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]) -> None:
    settings = _settings(tmp_path)

    async def scenario() -> None:
        engine = await _open(settings, pool, clips)
        first = await _all(engine.handle(_upload("1")))
        assert isinstance(first[0], Progress) and first[0].text.startswith("Got it")
        video = first[-1]
        assert isinstance(video, Video) and video.path.is_file()
        assert "BPM" in video.caption and "LUFS" in video.caption and "cuts on the beat" in video.caption
        assert video.buttons[0].id == "mc:another" and len(video.buttons) == 5
        assert all(isinstance(r, Progress) for r in first[:-1])

        other = (await _all(engine.handle(Incoming("telegram", "1", "u1", button="mc:another"))))[-1]
        assert isinstance(other, Video)
        assert other.caption.splitlines()[1] != video.caption.splitlines()[0]  # a different track line

        status = await _all(engine.handle(_say("1", "status")))
        assert isinstance(status[0], Text) and status[0].text.startswith("Timeline (2 tracks)")
        credits = await _all(engine.handle(_say("1", "credits")))
        assert credits == [Text("You have 18 of 20 renders left today.")]

        unknown = await _all(engine.handle(_say("1", "qwertyuiop zxcvb")))
        assert len(unknown) >= 1 and isinstance(unknown[-1], Text) and unknown[-1].text
        assert (await _all(engine.handle(_say("1", "status")))) == status  # timeline unchanged

        exported = (await _all(engine.handle(_say("1", "export"))))[-1]
        assert isinstance(exported, Video) and exported.path == other.path and exported.buttons == ()

        assert (await _all(engine.handle(_say("1", "/new"))))[0] == Text("Fresh start: send me a new video.")
        assert (await _all(engine.handle(_say("1", "status"))))[0].text.startswith("No video yet")  # type: ignore[union-attr]
        assert (await _all(engine.handle(_say("1", "/frobnicate"))))[0].text.startswith("I don't know /frobnicate")  # type: ignore[union-attr]
        await _shut(engine)

    asyncio.run(scenario())
    assert list(settings.job_temp_dir.iterdir()) == []  # every job's scratch folder is gone


@on_both_stores
def test_a_bad_upload_gets_a_sentence_and_the_next_user_is_served(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    settings = _settings(tmp_path)

    async def scenario() -> None:
        engine = await _open(settings, pool, clips)
        bad = (await _all(engine.handle(_upload("1", "empty"))))[-1]
        assert isinstance(bad, Error) and bad.kind == "input"
        assert bad.error_id in bad.text and bad.text[0].isupper()
        good = (await _all(engine.handle(_upload("2"))))[-1]
        assert isinstance(good, Video)
        await _shut(engine)

    asyncio.run(scenario())
    assert list(settings.job_temp_dir.iterdir()) == []


@on_both_stores
def test_one_job_per_chat_queue_position_and_cancel(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    settings = _settings(tmp_path, workers=1)

    async def scenario() -> None:
        engine = await _open(settings, pool, clips)
        stream_a = engine.handle(_upload("A"))
        first_a = await anext(stream_a)  # A's job is running now
        assert isinstance(first_a, Progress)
        busy = await _all(engine.handle(_say("A", "another track")))
        assert len(busy) == 1 and isinstance(busy[0], Error) and busy[0].kind == "busy"

        stream_b = engine.handle(_upload("B"))
        assert await anext(stream_b) == Text("You're #1 in line — I'll start on your video soon.")
        stream_c = engine.handle(_upload("C"))
        assert await anext(stream_c) == Text("You're #2 in line — I'll start on your video soon.")
        assert await _all(engine.handle(_say("C", "/cancel"))) == [Text("Cancelled.")]
        assert await _all(stream_c) == []

        rest_a, rest_b = await asyncio.gather(_all(stream_a), _all(stream_b))
        assert isinstance(rest_a[-1], Video) and isinstance(rest_b[-1], Video)
        await _shut(engine)

    asyncio.run(scenario())


@on_both_stores
def test_restart_recovery(tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]) -> None:
    settings = _settings(tmp_path)
    told: list[tuple[str, Reply]] = []

    async def notify(platform: str, chat_id: str, reply: Reply) -> None:
        told.append((chat_id, reply))

    async def previous_process() -> None:
        """Leaves a job that crashed twice (chat Y) and one still queued (chat X)."""
        async with await SessionStore.open(settings.sessions_database) as store:
            y = await store.new_session("telegram", "Y", "local")
            payload = JobPayload(JobKind.UPLOAD, "calm", MediaRef(kind="video", file_id="trip"))
            await store.enqueue(y.id, "uY", "upload", payload.to_json())
            await store.claim_next()
            await store.recover_interrupted()
            await store.claim_next()
            x = await store.new_session("telegram", "X", "local")
            await store.enqueue(x.id, "uX", "upload", payload.to_json())

    async def restarted() -> None:
        engine = await _open(settings, pool, clips, notify=notify)
        await engine.start()
        await engine.drain()
        await _shut(engine)

    asyncio.run(previous_process())
    asyncio.run(restarted())
    y_replies = [r for chat, r in told if chat == "Y"]
    x_replies = [r for chat, r in told if chat == "X"]
    assert len(y_replies) == 1 and isinstance(y_replies[0], Error) and "send it again" in y_replies[0].text
    assert x_replies == [x_replies[-1]] and isinstance(x_replies[-1], Video)  # no progress without a listener


@on_both_stores
def test_quotas_and_allow_lists(tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]) -> None:
    settings = _settings(tmp_path, daily_renders=2, admins="telegram:boss", allowed_chats="1,telegram:2")

    async def scenario() -> None:
        engine = await _open(settings, pool, clips)
        today = datetime.now(UTC).date()
        for _ in range(2):
            await engine._store.record_render("telegram", "u1", today)
        refused = await _all(engine.handle(_upload("1")))
        assert len(refused) == 1 and isinstance(refused[0], Error) and refused[0].kind == "quota"
        assert "used all 2 renders for today" in refused[0].text
        assert await _all(engine.handle(_say("1", "credits"))) == [Text("You have 0 of 2 renders left today.")]
        boss = await _all(engine.handle(_say("9", "credits", user="boss")))
        assert boss == [Text("You have unlimited renders.")]
        stranger = await _all(engine.handle(_say("3", "/help")))
        assert isinstance(stranger[0], Error) and "private" in stranger[0].text
        await _shut(engine)

    asyncio.run(scenario())


def test_rate_limiter_window() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
    assert limiter.retry_after("u") == 0 and limiter.retry_after("u") == 0
    assert limiter.retry_after("u") == pytest.approx(10.0)
    assert limiter.retry_after("v") == 0
    now[0] = 10.5
    assert limiter.retry_after("u") == 0


def test_progress_pacer_throttles_and_says_still_working() -> None:
    async def source() -> AsyncIterator[Reply]:
        for i in range(5):
            yield Progress("analyse", i / 10, f"step {i}")
        await asyncio.sleep(0.4)  # a long stage
        yield Progress("render", 0.9, "rendering")
        yield Text("done")

    async def scenario() -> list[Reply]:
        pacer = ProgressPacer(min_interval_s=0.1, still_working_after_s=0.2)
        return [r async for r in pacer.pace("chat", source())]

    out = asyncio.run(scenario())
    texts = [r.text for r in out if isinstance(r, Progress | Text)]
    assert texts[0] == "step 0"
    assert "step 4" in texts  # the newest pending progress is shown after the interval
    assert "step 1" not in texts and "step 2" not in texts
    assert any("Still working" in t for t in texts)
    assert texts[-1] == "done"


def test_the_pacer_words_still_working_in_the_language_of_the_replies() -> None:
    async def source() -> AsyncIterator[Reply]:
        yield Progress("analyse", 0.1, "收到 — 正在分析视频… 10%", lang="zh")
        await asyncio.sleep(0.3)  # a long stage
        yield Text("完成", lang="zh")

    async def scenario() -> list[Reply]:
        pacer = ProgressPacer(min_interval_s=0.05, still_working_after_s=0.1)
        return [r async for r in pacer.pace("chat", source())]

    out = asyncio.run(scenario())
    assert [r.text for r in out] == ["收到 — 正在分析视频… 10%", "收到 — 正在分析视频… 10%\n还在处理中…", "完成"]
    assert all(r.lang == "zh" for r in out)


@on_both_stores
def test_a_chat_switched_to_chinese_on_an_english_client_is_answered_in_chinese(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    """The platform says English; the chat said /language zh. Every reply, and the pacer's "still working"
    line added to them, follows the chat's choice, not the client's locale."""
    settings = _settings(tmp_path)

    async def scenario() -> None:
        engine = await _open(settings, pool, clips)
        switch = Incoming("telegram", "12", "u12", text="/language zh", language="en-US")
        assert await _all(engine.handle(switch)) == [Text("好的，我会用中文回复。", lang="zh")]
        upload = Incoming(
            "telegram", "12", "u12", text="calm", media=MediaRef(kind="video", file_id="trip"), language="en-US"
        )
        pacer = ProgressPacer(min_interval_s=0.0, still_working_after_s=0.05)
        replies = [reply async for reply in pacer.pace("12", engine.handle(upload))]
        assert all(reply.lang == "zh" for reply in replies), replies
        progress = [reply.text for reply in replies if isinstance(reply, Progress)]
        assert progress[0].startswith("收到")
        assert any(text.endswith("\n还在处理中…") for text in progress), progress
        video = replies[-1]
        assert isinstance(video, Video) and video.buttons[0].label == "换一首"
        assert {"踩点", "响度"} <= {fact.label for fact in video.facts}
        await _shut(engine)

    asyncio.run(scenario())


@on_both_stores
def test_a_song_sent_after_the_clip_becomes_its_music(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    settings = _settings(tmp_path)
    song = MediaRef(kind="audio", file_id="song", file_name="my_song.wav")

    async def scenario() -> None:
        engine = await _open(settings, pool, clips, upload_limits={"telegram": 50_000_000})
        early = await _all(engine.handle(Incoming("telegram", "7", "u7", media=song)))
        assert isinstance(early[-1], Error) and "video first" in early[-1].text
        await _all(engine.handle(_upload("7")))
        swapped = await _all(engine.handle(Incoming("telegram", "7", "u7", media=song)))
        assert isinstance(swapped[-1], Video), swapped
        status = await _all(engine.handle(_say("7", "status")))
        assert isinstance(status[0], Text) and "BGM: my song" in status[0].text
        await _shut(engine)

    asyncio.run(scenario())


@on_both_stores
def test_a_video_captioned_use_this_song_lends_its_soundtrack(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = _settings(tmp_path)
    music_video = make_clip(
        tmp_path_factory.mktemp("songclip") / "band_live.mp4", duration_s=3.0, size=(160, 90), cut_times_s=()
    )
    clips = {**clips, "band": music_video}

    async def scenario() -> None:
        engine = await _open(settings, pool, clips)
        await _all(engine.handle(_upload("8")))
        before = await _all(engine.handle(_say("8", "status")))
        as_song = Incoming(
            "telegram",
            "8",
            "u8",
            text="use this song",
            media=MediaRef(kind="video", file_id="band", file_name="band_live.mp4"),
        )
        swapped = await _all(engine.handle(as_song))
        assert isinstance(swapped[-1], Video), swapped
        status = await _all(engine.handle(_say("8", "status")))
        assert isinstance(status[0], Text) and "BGM: band live" in status[0].text
        assert before != status
        assert "(0-3s)" in status[0].text  # the clip is still the first one (3 s), not the 3 s music video
        first_in_new_chat = await _all(engine.handle(_upload("9", file_id="band", caption="use this song")))
        assert isinstance(first_in_new_chat[-1], Video)  # no clip yet: the video itself is the clip
        await _shut(engine)

    asyncio.run(scenario())


@on_both_stores
def test_cancel_stops_a_running_job_and_the_chat_is_free_again(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    settings = _settings(tmp_path)

    async def scenario() -> None:
        engine = await _open(settings, pool, clips)
        replies: list[Reply] = []

        async def first() -> None:
            async for reply in engine.handle(_upload("10")):
                replies.append(reply)

        task = asyncio.create_task(first())
        while not engine._running:
            await asyncio.sleep(0.01)
        cancelled = await _all(engine.handle(_say("10", "/cancel")))
        assert cancelled == [Text("Cancelled — I stopped making that video.")]
        await asyncio.wait_for(task, 30)
        assert not any(isinstance(r, Video | Error) for r in replies)
        jobs = await engine._store.session_jobs((await engine._store.current_session("telegram", "10")).id)
        assert jobs[-1].state == "failed" and jobs[-1].error == "cancelled"
        assert not list((tmp_path / "tmp").glob("job*"))
        again = await _all(engine.handle(_upload("10")))
        assert isinstance(again[-1], Video)
        assert await _all(engine.handle(_say("10", "/cancel"))) == [Text("There is nothing to cancel.")]
        await _shut(engine)

    asyncio.run(scenario())


@on_both_stores
def test_an_answer_right_after_the_result_is_not_busy(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    """The chat is released before the result is handed over, so "another track" at once is accepted."""
    settings = _settings(tmp_path)

    async def scenario() -> None:
        engine = await _open(settings, pool, clips)
        async for reply in engine.handle(_upload("11")):
            if isinstance(reply, Video):
                follow = await _all(engine.handle(Incoming("telegram", "11", "u11", button="mc:another")))
                assert isinstance(follow[-1], Video), follow
        await _shut(engine)

    asyncio.run(scenario())


def test_caption_leaves_out_what_a_backend_does_not_know() -> None:
    from bot.backends.base import Rendered
    from bot.engine.engine import caption_for

    known = Rendered(Path("x.mp4"), "Sunny", "bright and quick", 120.4, 3, 4, -14.0, 640, 360, 5.0, False)
    assert caption_for(known).splitlines()[-1] == "120 BPM · 3 of 4 cuts on the beat · -14.0 LUFS"
    cloud = Rendered(Path("x.mp4"), "Upbeat Pop", "", 0.0, 0, 0, float("nan"), 640, 360, 5.0, False)
    assert caption_for(cloud) == "🎵 Upbeat Pop"


@on_both_stores
def test_a_crashed_jobs_scratch_folder_is_gone_after_the_restart(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    """A process killed mid-job leaves ``tmp/job<N>-…``; the next start removes it (one bot per data dir)."""
    settings = _settings(tmp_path)
    left = settings.job_temp_dir / "job29-abc123"
    left.mkdir(parents=True)
    (left / "input.mp4").write_bytes(b"half a clip")

    async def scenario() -> None:
        engine = await _open(settings, pool, clips)
        await engine.start()
        assert not left.exists()
        await _shut(engine)

    asyncio.run(scenario())


@on_both_stores
def test_a_captions_edits_are_applied_on_upload(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    """Everything that works as a follow-up message works as a caption: shape and title on the first video."""
    settings = _settings(tmp_path)

    async def scenario() -> None:
        engine = await _open(settings, pool, clips)
        replies = await _all(engine.handle(_upload("7", caption="vertical 9:16, title 'Day 1'")))
        video = replies[-1]
        assert isinstance(video, Video) and video.width is not None and video.height is not None
        assert video.height > video.width
        status = await _all(engine.handle(_say("7", "status")))
        assert any(isinstance(r, Text) and 'Title: "Day 1"' in r.text for r in status)
        await _shut(engine)

    asyncio.run(scenario())
