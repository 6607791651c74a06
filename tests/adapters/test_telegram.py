"""The Telegram adapter end to end: PTB's real Application against the fake Bot API on 127.0.0.1, with the
real engine, the real local backend (a shared spawn pool) and real SQLite, on tiny generated clips."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.telegram.download import download_file
from adapters.telegram.surface import ChatSurface
from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.engine.messages import MediaRef, Video
from bot.errors import InputRejected
from tests.adapters.telegram_bot import App, bot_settings, running_bot, text_in, to_chat
from tests.fakes.telegram_api import FakeBotApi
from tests.mediagen import make_clip

Scenario = Callable[[FakeBotApi, App, Settings], Awaitable[None]]


def run(
    scenario: Scenario, tmp_path: Path, pool: ProcessPoolExecutor, *, timeout_s: float = 60, **overrides: Any
) -> None:
    """Start the fake, the bot (setup → start → polling) and the scenario; shut down in PTB's order."""

    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = bot_settings(fake, tmp_path, **overrides)
            async with running_bot(settings, LocalBackend(settings, executor=pool)) as app:
                await asyncio.wait_for(scenario(fake, app, settings), timeout_s)
            oops = [c for c in fake.calls_to("sendMessage") if "on my side" in c.params.get("text", "")]
            assert oops == [], oops

    asyncio.run(main())


def test_clip_to_video_then_buttons_status_and_credits(tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes) -> None:
    async def scenario(fake: FakeBotApi, app: App, settings: Settings) -> None:
        assert [c["command"] for c in fake.commands][:3] == ["start", "help", "status"]
        file_id = fake.add_file(clip, file_name="trip.mp4", kind="video", width=160, height=90, duration=2)
        fake.push_message(1, 1, video=file_id, caption="calm")
        status = await fake.wait_for("sendMessage", text_in(1, "Got it"), timeout=30)
        assert (await fake.wait_for("sendChatAction", to_chat(1))).params["action"] == "upload_video"
        first = await fake.wait_for("sendVideo", to_chat(1), timeout=60)
        assert first.ok, first.error
        caption = first.params["caption"]
        assert "BPM" in caption and "LUFS" in caption and "cuts on the beat" in caption
        assert (first.params["width"], first.params["height"], first.params["duration"]) == (160, 90, 2)
        assert first.params["supports_streaming"] is True
        keyboard = [b for row in first.params["reply_markup"]["inline_keyboard"] for b in row]
        assert [b["callback_data"] for b in keyboard][:3] == ["mc:another", "mc:quieter", "mc:louder"]
        assert keyboard[0]["text"] == "Another track" and first.files["video"].data[4:8] == b"ftyp"
        deleted = await fake.wait_for("deleteMessage", to_chat(1))
        assert deleted.params["message_id"] == status.result["message_id"]  # the status message goes away

        query = fake.push_callback_query(1, 1, first.result["message_id"], "mc:another")
        assert (await fake.wait_for("answerCallbackQuery")).params["callback_query_id"] == query
        second = await fake.wait_for("sendVideo", to_chat(1), timeout=60)
        track = next(line for line in caption.splitlines() if line.startswith("🎵"))
        assert track not in second.params["caption"]

        fake.push_message(1, 1, "status")
        timeline = await fake.wait_for("sendMessage", text_in(1, "Timeline"))
        assert "2 tracks" in timeline.params["text"]
        fake.push_message(1, 1, "credits")
        await fake.wait_for("sendMessage", text_in(1, "18 of 20 renders left today"))

    run(scenario, tmp_path, pool)


def test_limits_bad_input_and_groups(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    async def scenario(fake: FakeBotApi, app: App, settings: Settings) -> None:
        big = fake.add_file(b"\0" * 64, file_name="long.mp4", kind="video", size=25_000_000)
        fake.push_message(2, 2, video=big, caption="calm")
        refused = await fake.wait_for("sendMessage", to_chat(2))
        text = refused.params["text"]
        assert "24 MB" in text and "20 MB" in text and "link" in text and "local Bot API server" in text
        assert fake.calls_to("getFile") == []  # refused from the announced size, nothing downloaded

        with pytest.raises(InputRejected, match="20 MB"):  # getFile's own "file is too big"
            await download_file(app.bot, settings, MediaRef(kind="video", file_id=big), tmp_path)

        fake.push_message(2, 2, video=fake.add_file(b"", kind="video"))
        failed = await fake.wait_for("sendMessage", lambda c: to_chat(2)(c) and "error" in c.params["text"], 30)
        assert "error " in failed.params["text"] and fake.token not in failed.params["text"]
        fake.push_message(2, 2, "/help")
        assert (await fake.wait_for("sendMessage", to_chat(2))).params["text"]  # still serving

        fake.push_message(-50, 3, "status", chat_type="group")  # not for us: ignored
        fake.push_message(-50, 3, f"@{fake.bot_username} status", chat_type="group")
        answer = await fake.wait_for("sendMessage", to_chat(-50))
        assert answer.params["text"].startswith("No video yet")
        fake.push_message(-50, 3, "/status@some_other_bot", chat_type="group")
        fake.push_message(-50, 3, "credits", chat_type="group", reply_to_message_id=answer.result["message_id"])
        await fake.wait_for("sendMessage", text_in(-50, "renders left today"))
        await asyncio.sleep(0.3)
        group = [c for c in fake.calls_to("sendMessage") if to_chat(-50)(c)]
        assert len(group) == 2  # the unaddressed "status" and the other bot's command got nothing

    run(scenario, tmp_path, pool)


def test_two_users_at_once(tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes) -> None:
    async def scenario(fake: FakeBotApi, app: App, settings: Settings) -> None:
        for chat in (11, 12):
            fake.push_message(chat, chat, video=fake.add_file(clip, kind="video"), caption="upbeat")
        results = await asyncio.gather(*(fake.wait_for("sendVideo", to_chat(chat), 60) for chat in (11, 12)))
        assert all(call.ok and "BPM" in call.params["caption"] for call in results)
        order = [(c.method, c.params.get("chat_id")) for c in fake.sent if c.method in ("sendMessage", "sendVideo")]
        first_video = min(order.index(("sendVideo", chat)) for chat in (11, 12))
        assert {("sendMessage", 11), ("sendMessage", 12)} <= set(order[:first_video])  # both started at once

    run(scenario, tmp_path, pool)


def test_songs_links_and_redaction(tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes) -> None:
    """An audio document is a song ("use this song"); a link reaches the link fetcher; tokens never reach logs."""
    import logging

    from adapters.telegram import RedactToken, to_incoming

    async def scenario(fake: FakeBotApi, app: App, settings: Settings) -> None:
        from telegram import Update

        song = fake.add_file(b"ID3", file_name="song.mp3", mime_type="audio/mpeg", kind="document")
        raw = fake.push_message(5, 5, document=song, caption="use this song")
        incoming = to_incoming(Update.de_json({"update_id": 1, "message": raw}, app.bot).effective_message)
        assert incoming is not None and incoming.media is not None
        assert (incoming.media.kind, incoming.text) == ("audio", "use this song")
        fake.push_message(6, 6, "http://localhost/clip.mp4 calm")  # loopback, not allow-listed: refused
        refused = await fake.wait_for("sendMessage", lambda c: to_chat(6)(c) and "error" in c.params["text"], 30)
        assert "private or local" in refused.params["text"]

        async def serve_clip(request: web.Request) -> web.Response:
            return web.Response(body=clip, content_type="video/mp4")

        server = web.Application()
        server.router.add_get("/clip.mp4", serve_clip)
        runner = web.AppRunner(server, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            fake.push_message(7, 7, f"http://127.0.0.1:{port}/clip.mp4 calm")
            video = await fake.wait_for("sendVideo", to_chat(7), 60)
            assert "BPM" in video.params["caption"]
        finally:
            await runner.cleanup()

        big_result = tmp_path / "big.mp4"
        big_result.write_bytes(b"\0" * 3 * 1024 * 1024)
        small = settings.model_copy(update={"telegram_max_upload_mb": 2.0})
        fake.add_chat(8)
        await ChatSurface(app.bot, small, 8).show(
            Video(path=big_result, caption="x", width=160, height=90, duration_s=2)
        )
        over = await fake.wait_for("sendMessage", to_chat(8))
        assert over.params["text"].startswith("The finished video is 3 MB, over Telegram's 2 MB upload limit")
        assert "under 1.8MB" in over.params["text"]

    run(scenario, tmp_path, pool, link_allowed_hosts="127.0.0.1")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url %s", ("https://h/bot123:SECRET/getMe",), None)
    assert RedactToken("123:SECRET").filter(record) and "SECRET" not in record.getMessage()


def test_every_bad_input_gets_a_sentence_and_the_bot_keeps_serving(
    tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes
) -> None:
    """The pipeline's bad inputs, sent as Telegram documents: each gets its reason, nobody gets a traceback."""
    from tests.mediagen import run_ffmpeg

    media = tmp_path / "media"
    media.mkdir()
    run_ffmpeg(["-f", "lavfi", "-i", "sine=d=2", "-c:a", "aac", str(media / "song.m4a")])
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=2x2:r=10:d=1", "-c:v", "ffv1", str(media / "tiny.mkv")])
    long_clip = make_clip(media / "long.mp4", duration_s=4.0, size=(160, 90))
    cases = [
        (b"my holiday notes, not a video\n" * 20, "notes.mp4", "isn't a video"),
        (clip[: len(clip) // 2], "cut.mp4", "damaged"),
        ((media / "song.m4a").read_bytes(), "song.mp4", "no video track"),
        ((media / "tiny.mkv").read_bytes(), "tiny.mp4", "too small or too thin"),  # a photo is no bad input now
        (long_clip.read_bytes(), "long.mp4", "too long"),
    ]

    async def scenario(fake: FakeBotApi, app: App, settings: Settings) -> None:
        for n, (data, name, reason) in enumerate(cases):
            file_id = fake.add_file(data, file_name=name, mime_type="video/mp4", kind="document")
            fake.push_message(9, 9, document=file_id)
            answer = await fake.wait_for("sendMessage", lambda c: to_chat(9)(c) and "error" in c.params["text"], 60)
            text = answer.params["text"]
            assert reason in text, (n, text)
            assert "Traceback" not in text and fake.token not in text
        fake.push_message(9, 9, "/help")
        assert (await fake.wait_for("sendMessage", to_chat(9))).params["text"]

    run(scenario, tmp_path, pool, max_duration_s=3.0)


def test_a_user_who_blocked_the_bot_ends_quietly(
    tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram 403 "bot was blocked by the user": that chat's job stops with one log line, no traceback, and
    the bot serves the next user."""
    import logging

    caplog.set_level(logging.INFO)

    async def scenario(fake: FakeBotApi, app: App, settings: Settings) -> None:
        fake.fail_next("sendMessage", error_code=403, description="Forbidden: bot was blocked by the user")
        fake.push_message(21, 21, video=fake.add_file(clip, kind="video"), caption="calm")
        await fake.wait_for("sendMessage", lambda c: c.params.get("chat_id") == 21 and not c.ok, 30)
        fake.push_message(22, 22, video=fake.add_file(clip, kind="video"), caption="calm")
        served = await fake.wait_for("sendVideo", to_chat(22), 60)
        assert served.ok
        await asyncio.sleep(0.5)
        assert not [c for c in fake.calls_to("sendVideo") if c.params.get("chat_id") == 21]

    run(scenario, tmp_path, pool)
    import sqlite3

    with sqlite3.connect(tmp_path / "sessions.sqlite3") as db:
        states = db.execute("SELECT state, error FROM jobs WHERE chat_id = '21'").fetchall()
    assert states == [("failed", "cancelled")], "the job stopped and its slot is free"
    gone = [r for r in caplog.records if "can no longer be reached" in r.getMessage()]
    assert len(gone) == 1 and "21" in gone[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info and "Forbidden" in repr(r.exc_info[1])]
