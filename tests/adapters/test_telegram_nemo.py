"""The Telegram adapter with the nemo backend chosen by settings (MUSICCOG_BACKEND=nemo): PTB's real
Application against the fake Bot API, the backend made by ``Services.open`` (no backend injected) and
talking to the fake NemoVideo server, all on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.backends.nemo import NemoBackend
from bot.config import Settings
from tests.adapters.telegram_bot import running_bot, text_in
from tests.fakes.nemo_api import FakeNemoApi, Turn, adk_text, adk_tool, draft_with
from tests.fakes.telegram_api import FakeBotApi
from tests.mediagen import make_clip


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    monkeypatch.setenv("MUSICCOG_BACKEND", "nemo")
    monkeypatch.delenv("NEMO_TOKEN", raising=False)


def test_clip_to_nemo_video_then_credits_and_status(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "trip.mp4", duration_s=2.0, size=(160, 90), cut_times_s=(1.0,)).read_bytes()

    async def main() -> None:
        async with FakeBotApi() as tg, FakeNemoApi(video_bytes=clip) as nemo:
            nemo.polls_to_complete = 1  # the first poll completes: NemoBackend's default 5 s poll never waits
            nemo.credits = {"available": 87, "frozen": 0}
            nemo.queue_turn(
                Turn(
                    [adk_tool("generate_bgm"), adk_text("I added an upbeat pop track.")],
                    draft=draft_with(bgm="Upbeat Pop", seconds=2),
                )
            )
            settings = Settings(
                telegram_bot_token=SecretStr(tg.token),
                telegram_api_base_url=tg.base_url,
                telegram_api_file_url=tg.base_file_url,
                data_dir=tmp_path / "data",
                engine_db_path=tmp_path / "sessions.sqlite3",
                temp_dir=tmp_path / "tmp",
                workers=1,
                progress_interval_s=0.5,
                nemo_api_url=nemo.url,
                nemo_token=None,
                allow_backend_choice=True,
            )
            assert settings.backend == "nemo"  # from MUSICCOG_BACKEND
            async with running_bot(settings) as app:  # no backend given: Services.open makes it from settings
                services = app.bot_data.serving().services
                assert isinstance(services.backend, NemoBackend) and services.backend.name == "nemo"
                menu = [c["command"] for c in tg.calls_to("setMyCommands")[0].params["commands"]]
                assert menu[-1] == "backend"  # offered because the operator allows choosing
                await asyncio.wait_for(scenario(tg, nemo), 20)
            oops = [c for c in tg.calls_to("sendMessage") if "error" in c.params.get("text", "")]
            assert oops == [], [c.params["text"] for c in oops]

    async def scenario(tg: FakeBotApi, nemo: FakeNemoApi) -> None:
        file_id = tg.add_file(clip, file_name="trip.mp4", kind="video", width=160, height=90, duration=2)
        tg.push_message(1, 1, video=file_id, caption="upbeat")
        status = await tg.wait_for("sendMessage", text_in(1, "Got it"), timeout=60)
        said = await tg.wait_for("sendMessage", text_in(1, "upbeat pop track"), timeout=60)
        assert said.params["text"].startswith("I added an upbeat pop track.")
        video = await tg.wait_for("sendVideo", lambda c: c.params.get("chat_id") == 1, timeout=60)
        assert video.ok, video.error
        caption = video.params["caption"]
        assert "🎵 Upbeat Pop" in caption and "I added an upbeat pop track." in caption, caption
        keyboard = [b for row in video.params["reply_markup"]["inline_keyboard"] for b in row]
        assert [b["callback_data"] for b in keyboard][:3] == ["mc:another", "mc:quieter", "mc:louder"]
        assert video.files["video"].data == clip  # the render the fake NemoVideo CDN served
        deleted = await tg.wait_for("deleteMessage", lambda c: c.params.get("chat_id") == 1)
        assert deleted.params["message_id"] == status.result["message_id"]

        # what the fake NemoVideo saw: auth, a session, the upload, one agent turn with the caption, a render
        routes = [r.route for r in nemo.requests]
        assert routes[0] == "auth" and routes.count("auth") == 1
        for route in ("session", "upload", "run_sse", "render", "poll", "cdn"):
            assert route in routes, (route, routes)
        assert routes.count("run_sse") == 1 and routes.count("render") == 1
        assert nemo.by_route("upload")[0].files[0][0] == "files"
        assert "upbeat" in nemo.turn_messages[0]
        api_calls = [r for r in nemo.requests if r.route not in ("auth", "cdn")]
        assert api_calls and all(r.header("X-Skill-Platform") == "telegram" for r in api_calls), [
            (r.route, r.header("X-Skill-Platform")) for r in api_calls
        ]
        assert nemo.by_route("cdn")[0].header("Authorization") is None

        tg.push_message(1, 1, "credits")
        credits = await tg.wait_for("sendMessage", text_in(1, "Credits left"), timeout=60)
        assert credits.params["text"] == "Credits left: 87."
        assert nemo.by_route("credits")[-1].header("X-Skill-Platform") == "telegram"

        tg.push_message(1, 1, "status")
        timeline = await tg.wait_for("sendMessage", text_in(1, "Timeline"), timeout=60)
        assert timeline.params["text"].startswith("Timeline (2 tracks)") and "Upbeat Pop" in timeline.params["text"]

    asyncio.run(main())
