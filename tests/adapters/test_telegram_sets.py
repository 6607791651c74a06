"""Albums and photos through the Telegram adapter: PTB's real Application against the fake Bot API, the real
engine and local backend (a shared spawn pool) and real SQLite, on tiny generated clips."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from telegram import Update

from adapters.telegram import to_incoming
from bot.backends.local import LocalBackend
from bot.config import Settings
from tests.adapters.telegram_bot import App, bot_settings, running_bot, text_in, to_chat
from tests.fakes.telegram_api import FakeBotApi
from tests.mediagen import make_photo

Scenario = Callable[[FakeBotApi, App, Settings], Awaitable[None]]
BUSY = "still working on your previous request"


def run(scenario: Scenario, tmp_path: Path, pool: ProcessPoolExecutor, **overrides: Any) -> None:
    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = bot_settings(fake, tmp_path, **{"collect_quiet_s": 0.5, "album_wait_s": 0.5, **overrides})
            async with running_bot(settings, LocalBackend(settings, executor=pool)) as app:
                await asyncio.wait_for(scenario(fake, app, settings), 120)
            texts = [c.params.get("text", "") for c in fake.calls_to("sendMessage")]
            assert not [t for t in texts if "on my side" in t or BUSY in t], texts

    asyncio.run(main())


def test_an_album_of_three_videos_asks_once_then_each_separately_in_order_and_by_place(
    tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes
) -> None:
    async def scenario(fake: FakeBotApi, app: App, settings: Settings) -> None:
        for n in range(3):
            file_id = fake.add_file(clip, file_name=f"day{n + 1}.mp4", kind="video", width=160, height=90, duration=2)
            fake.push_message(1, 1, video=file_id, media_group_id="album1", caption="calm" if n == 0 else None)
        question = await fake.wait_for("sendMessage", text_in(1, "One film of them all"), timeout=30)
        assert question.params["text"] == "I have 3 videos. One film of them all, or each one separately?"
        keyboard = [b for row in question.params["reply_markup"]["inline_keyboard"] for b in row]
        assert [(b["text"], b["callback_data"]) for b in keyboard] == [
            ("One film", "mc:set:film"),
            ("Each separately", "mc:set:each"),
        ]
        await asyncio.sleep(0.5)
        assert [c for c in fake.calls_to("sendMessage") if to_chat(1)(c)] == [question]  # one message, no "busy"

        fake.push_callback_query(1, 1, question.result["message_id"], "mc:set:each")
        videos = []
        for _ in range(3):
            videos.append(await fake.wait_for("sendVideo", lambda c: to_chat(1)(c) and c not in videos, timeout=60))
        assert [v.params["caption"].splitlines()[0] for v in videos] == ["1 of 3", "2 of 3", "3 of 3"]
        assert all(v.ok and "BPM" in v.params["caption"] for v in videos)

        fake.push_message(1, 1, "the second one: quieter")
        await fake.wait_for("sendVideo", lambda c: to_chat(1)(c) and c not in videos, timeout=60)
        engine = app.bot_data.runtime.engine
        session = await engine._store.current_session("telegram", "1")
        items = await engine._store.set_items(session.id)
        assert session.backend_session_id == items[1].backend_session_id  # the words went to the second video

        fake.push_message(1, 1, "status")
        status = await fake.wait_for("sendMessage", text_in(1, "Your 3 items"))
        assert "2. day2.mp4 (video) ← current" in status.params["text"]

    run(scenario, tmp_path, pool)


def test_photos_as_photos_and_as_files_are_items_of_one_set(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    photo = make_photo(tmp_path / "photo.jpg", size=(320, 240)).read_bytes()

    async def scenario(fake: FakeBotApi, app: App, settings: Settings) -> None:
        as_photo = fake.push_message(2, 2, photo=fake.add_file(photo, kind="photo", width=320, height=240))
        as_file = fake.push_message(
            2, 2, document=fake.add_file(photo, file_name="beach.jpg", mime_type="image/jpeg", kind="document")
        )
        in_album = fake.push_message(2, 2, photo=photo, media_group_id="g2")
        incoming = [
            to_incoming(Update.de_json({"update_id": 1, "message": m}, app.bot).effective_message)
            for m in (as_photo, as_file, in_album)
        ]
        assert [i.media.kind for i in incoming if i is not None and i.media is not None] == ["photo"] * 3
        assert incoming[1] is not None and incoming[1].media is not None and incoming[1].media.file_name == "beach.jpg"
        assert incoming[0] is not None and incoming[0].media is not None and incoming[0].media.size_bytes == len(photo)
        assert incoming[2] is not None and incoming[2].group_id == "g2" and incoming[0].group_id is None
        counted = await fake.wait_for("sendMessage", text_in(2, "Got 3 items"), timeout=30)
        assert counted.ok
        fake.push_message(2, 2, "status")
        listing = await fake.wait_for("sendMessage", text_in(2, "Your 3 items"), timeout=30)
        assert "2. beach.jpg (photo)" in listing.params["text"] and "Still collecting" in listing.params["text"]
        fake.push_message(2, 2, "/cancel")
        await fake.wait_for("sendMessage", text_in(2, "Cancelled."), timeout=30)

        # in a group only the album's captioned item mentions the bot; its other items follow it
        mention = f"@{fake.bot_username}"
        fake.push_message(-70, 7, photo=photo, media_group_id="g7", caption=mention, chat_type="group")
        fake.push_message(-70, 7, photo=photo, media_group_id="g7", chat_type="group")
        fake.push_message(-70, 8, photo=photo, chat_type="group")  # not for us: ignored
        fake.push_message(-70, 7, "status", chat_type="group", entities=[])  # not for us either
        fake.push_message(-70, 7, f"{mention} status", chat_type="group")
        listing = await fake.wait_for("sendMessage", text_in(-70, "Your 2 items"), timeout=30)
        assert "Still collecting" in listing.params["text"]
        fake.push_message(-70, 7, f"{mention} /cancel", chat_type="group")
        await fake.wait_for("sendMessage", text_in(-70, "Cancelled."), timeout=30)

    run(scenario, tmp_path, pool, collect_quiet_s=5.0)
