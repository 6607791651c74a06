"""The fake Bot API against python-telegram-bot's real Application, end to end over 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dtm
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, EndPointNotFound, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.telegram_api import MB, FakeBotApi, detect_entities

CHAT = 4242
USER = 4242
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Another track", callback_data="another"),
            InlineKeyboardButton("Quieter", callback_data="q"),
        ]
    ]
)


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta durations (else reading ``video.duration`` warns, and warnings fail here)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def run(coro_fn: Callable[[FakeBotApi], Awaitable[None]], **fake_kwargs: Any) -> None:
    """Run one async scenario against a fresh fake server, failing on any warning (e.g. pending tasks)."""

    async def main() -> None:
        async with FakeBotApi(**fake_kwargs) as fake:
            await asyncio.wait_for(coro_fn(fake), 15)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        asyncio.run(main())


async def record_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep handler exceptions so the test can fail on them instead of a bare timeout."""
    context.application.bot_data.setdefault("errors", []).append(context.error)


def build_app(fake: FakeBotApi) -> Application[Any, Any, Any, Any, Any, Any]:
    """A real PTB Application pointed at the fake, with handler errors recorded in ``bot_data``."""
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .get_updates_read_timeout(5)
        .build()
    )
    app.add_error_handler(record_error)
    return app


@asynccontextmanager
async def polling(app: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """Initialise, start and poll; then stop everything in the order PTB expects."""
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=dtm.timedelta(seconds=2), poll_interval=0)
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()
    assert app.bot_data.get("errors", []) == []


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo text back with the inline keyboard."""
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(
        f"echo: {update.effective_message.text}", reply_markup=KEYBOARD, do_quote=True
    )


async def start_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /start."""
    assert update.effective_message is not None
    await update.effective_message.reply_text("hello")


async def on_video(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Download the clip and send it back as a video with caption and keyboard."""
    message = update.effective_message
    assert message is not None and message.video is not None
    await context.bot.send_chat_action(message.chat_id, "upload_video")
    try:
        file = await message.video.get_file()
    except BadRequest as exc:
        await message.reply_text(f"too big: {exc.message}")
        return
    data = bytes(await file.download_as_bytearray())
    status = await message.reply_text("working…")
    await status.edit_text("done")
    await context.bot.send_video(
        message.chat_id,
        video=data[::-1],
        caption=f"Track X · {message.caption}",
        width=message.video.width,
        height=message.video.height,
        duration=message.video.duration,
        supports_streaming=True,
        reply_markup=KEYBOARD,
        filename="out.mp4",
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge a button and edit the message it belongs to."""
    query = update.callback_query
    assert query is not None
    await query.answer("on it")
    await query.edit_message_text(f"chose {query.data}")


def test_echo_and_command_menu_end_to_end() -> None:
    async def scenario(fake: FakeBotApi) -> None:
        app = build_app(fake)
        app.add_handler(CommandHandler("start", start_cmd))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
        async with polling(app):
            assert fake.calls_to("getMe")
            await app.bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
            assert [c.command for c in await app.bot.get_my_commands()] == ["start", "help"]
            fake.push_message(CHAT, USER, "/start")
            call = await fake.wait_for("sendMessage")
            assert call.params["text"] == "hello" and call.params["chat_id"] == CHAT
            fake.push_message(CHAT, USER, "upbeat travel vibe")
            call = await fake.wait_for("sendMessage")
            assert call.params["text"] == "echo: upbeat travel vibe"
            buttons = call.params["reply_markup"]["inline_keyboard"][0]
            assert [b["callback_data"] for b in buttons] == ["another", "q"]
            assert call.result["reply_to_message"]["text"] == "upbeat travel vibe"
        assert fake.calls_to("deleteWebhook")
        assert fake.pending_updates == []  # PTB acknowledged everything on shutdown

    run(scenario)


def test_video_download_and_send_video_multipart() -> None:
    clip = bytes(range(256)) * 100

    async def scenario(fake: FakeBotApi) -> None:
        app = build_app(fake)
        app.add_handler(MessageHandler(filters.VIDEO, on_video))
        async with polling(app):
            file_id = fake.add_file(clip, file_name="clip.mp4", kind="video", width=1280, height=720, duration=7)
            fake.push_message(CHAT, USER, video=file_id, caption="calm")
            action = await fake.wait_for("sendChatAction")
            assert action.params["action"] == "upload_video"
            assert (await fake.wait_for("getFile")).ok
            await fake.wait_for("editMessageText", lambda c: c.params["text"] == "done")
            call = await fake.wait_for("sendVideo")
        upload = call.files["video"]
        assert upload.data == clip[::-1] and upload.filename == "out.mp4"
        assert call.params["caption"] == "Track X · calm"
        assert (call.params["width"], call.params["height"], call.params["duration"]) == (1280, 720, 7)
        assert call.params["supports_streaming"] is True
        assert call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Another track"
        assert call.result["video"]["file_size"] == len(clip)

    run(scenario)


def test_callback_query_answered_and_message_edited() -> None:
    async def scenario(fake: FakeBotApi) -> None:
        app = build_app(fake)
        app.add_handler(MessageHandler(filters.TEXT, echo))
        app.add_handler(CallbackQueryHandler(on_button))
        async with polling(app):
            fake.push_message(CHAT, USER, "hi")
            sent = await fake.wait_for("sendMessage")
            query_id = fake.push_callback_query(CHAT, USER, sent.result["message_id"], "another")
            answer = await fake.wait_for("answerCallbackQuery")
            assert answer.params == {"callback_query_id": query_id, "text": "on it"}
            edit = await fake.wait_for("editMessageText")
            assert edit.ok and edit.params["text"] == "chose another"
            assert edit.params["message_id"] == sent.result["message_id"]
            with pytest.raises(BadRequest, match=r"(?i)query is too old"):
                await app.bot.answer_callback_query(query_id)

    run(scenario)


def test_file_over_20_mb_fails_like_public_api() -> None:
    async def scenario(fake: FakeBotApi) -> None:
        app = build_app(fake)
        app.add_handler(MessageHandler(filters.VIDEO, on_video))
        async with polling(app):
            big = fake.add_file(b"\0" * 1024, kind="video", size=25 * MB)
            fake.push_message(CHAT, USER, video=big)
            failed = await fake.wait_for("getFile")
            assert not failed.ok and failed.error == "Bad Request: file is too big"
            reply = await fake.wait_for("sendMessage")
            assert reply.params["text"] == "too big: File is too big"  # PTB capitalises the message
            with pytest.raises(BadRequest, match="too big"):
                await app.bot.get_file(big)

    run(scenario)


def test_local_server_mode_has_no_download_limit() -> None:
    async def scenario(fake: FakeBotApi) -> None:
        app = build_app(fake)
        async with app:
            big = fake.add_file(b"abc", kind="video", size=25 * MB)
            file = await app.bot.get_file(big)
            assert file.file_size == 25 * MB
            assert bytes(await file.download_as_bytearray()) == b"abc"

    run(scenario, download_limit=None)


def test_unknown_method_and_bad_token_error_shapes() -> None:
    async def scenario(fake: FakeBotApi) -> None:
        async with httpx.AsyncClient() as client:
            res = await client.post(f"{fake.base_url}{fake.token}/fooBar", json={"x": 1})
            assert res.status_code == 404
            assert res.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            res = await client.post(f"{fake.base_url}123:wrong/getMe")
            assert res.status_code == 401 and res.json()["description"] == "Unauthorized"
            form = await client.post(f"{fake.base_url}{fake.token}/getMe", data={"a": "b"})
            assert form.json()["result"]["username"] == fake.bot_username
        app = build_app(fake)
        async with app:
            with pytest.raises(EndPointNotFound):
                await app.bot.do_api_request("fooBar")

    run(scenario)


def test_bot_errors_edits_deletes_and_flood_limit() -> None:
    async def scenario(fake: FakeBotApi) -> None:
        app = build_app(fake)
        async with app:
            bot = app.bot
            with pytest.raises(BadRequest, match="Chat not found"):
                await bot.send_message(999, "nobody here")
            fake.add_chat(CHAT)
            msg = await bot.send_message(CHAT, "status")
            with pytest.raises(BadRequest, match="not modified"):
                await bot.edit_message_text("status", CHAT, msg.message_id)
            with pytest.raises(BadRequest, match="caption is too long"):
                await bot.send_document(CHAT, b"x", caption="c" * 1025, filename="a.txt")
            doc = await bot.send_document(CHAT, b"data", filename="timeline.json")
            assert doc.document is not None and doc.document.file_name == "timeline.json"
            fake.fail_next("sendMessage", retry_after=3)
            with pytest.raises(RetryAfter) as info:
                await bot.send_message(CHAT, "x")
            assert info.value.retry_after == dtm.timedelta(seconds=3)
            assert await bot.delete_message(CHAT, msg.message_id)
            with pytest.raises(BadRequest, match="Message to delete not found"):
                await bot.delete_message(CHAT, msg.message_id)

    run(scenario)


def test_get_updates_offsets_and_long_poll_timeout() -> None:
    async def scenario(fake: FakeBotApi) -> None:
        url = f"{fake.base_url}{fake.token}/getUpdates"
        async with httpx.AsyncClient() as client:
            loop = asyncio.get_running_loop()
            began = loop.time()
            empty = await client.post(url, json={"timeout": 0.3})
            assert empty.json()["result"] == [] and loop.time() - began >= 0.25
            fake.push_message(CHAT, USER, "a")
            fake.push_message(CHAT, USER, "b")
            first = (await client.post(url, json={"limit": 1})).json()["result"]
            assert [u["message"]["text"] for u in first] == ["a"]
            both = (await client.post(url, data={"offset": "0"})).json()["result"]
            assert len(both) == 2  # not confirmed yet: delivered again
            rest = (await client.post(url, data={"offset": str(first[0]["update_id"] + 1)})).json()["result"]
            assert [u["message"]["text"] for u in rest] == ["b"]
            waiter = asyncio.create_task(client.post(url, json={"offset": rest[0]["update_id"] + 1, "timeout": 5}))
            await asyncio.sleep(0.1)
            fake.push_message(CHAT, USER, "c")
            woke = (await asyncio.wait_for(waiter, 10)).json()["result"]
            assert [u["message"]["text"] for u in woke] == ["c"]

    run(scenario)


def test_detect_entities_uses_utf16_offsets() -> None:
    ents = detect_entities("🎵 /start@music_cog_test_bot see https://x.y/z")
    assert ents[0] == {"type": "bot_command", "offset": 3, "length": 25}
    assert ents[1]["type"] == "url" and ents[1]["offset"] == 33
